import type { RuleDefinition } from '@tokenrules/engine'
import { detectRuleSourceFormat, readRuleFile, readRuleFolder, readTenantRules, toPath, type RuleFile as EngineRuleFile } from '@tokenrules/engine/node'

export { readRuleFileSync, ruleNameOf, toPath } from '@tokenrules/engine/node'

/**
 * A rule of a set, with the file it came from when it came from one: what {@link readRuleSet}
 * returns, and what `runRules({ rules })` accepts.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { readRuleSet, runRules, type RuleFile } from '@tokenrules/testing'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'rules-'))
 * try {
 *   const file = join(dir, 'add-locale.js')
 *   await writeFile(file, `function (user, context, callback) {
 *     context.idToken['https://example.com/locale'] = user.user_metadata.locale || 'en';
 *     callback(null, user, context);
 *   }`)
 *   const rules: RuleFile[] = await readRuleSet({ files: [file] })
 *   assert.deepEqual(rules.map(({ name, order, file }) => ({ name, order, file })), [{ name: 'add-locale', order: 1, file }])
 *   const result = await runRules({ rules, user: { user_metadata: { locale: 'de' } } })
 *   assert.deepEqual(result.idToken.claims, { 'https://example.com/locale': 'de' })
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export type RuleFile = EngineRuleFile

/**
 * Where a rule set comes from: exactly one of `rules`, `files` or `dir`. `runRules`,
 * `createRuleRunner`, `checkRules` and `readRuleSet` take it.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { checkRules, runRules, type RuleSetSource } from '@tokenrules/testing'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'rules-'))
 * try {
 *   await writeFile(join(dir, '01-deny-blocked-country.js'), `function (user, context, callback) {
 *     if (context.request.geoip.country_code === 'KP') return callback(new UnauthorizedError('Access denied.'));
 *     callback(null, user, context);
 *   }`)
 *   await writeFile(join(dir, '02-add-roles.js'), `function (user, context, callback) {
 *     context.accessToken['https://example.com/roles'] = user.app_metadata.roles || [];
 *     callback(null, user, context);
 *   }`)
 *   const source: RuleSetSource = { dir }
 *   assert.equal((await checkRules(source)).errors, 0)
 *   const result = await runRules({ ...source, user: { app_metadata: { roles: ['admin'] } } })
 *   assert.deepEqual(result.rules.map((rule) => rule.name), ['deny-blocked-country', 'add-roles'])
 *   assert.deepEqual(result.accessToken.claims, { 'https://example.com/roles': ['admin'] })
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export interface RuleSetSource {
  /** Rules as Auth0 stores them, or bare source texts (named after their function, else `rule-1`, …). */
  rules?: readonly (RuleDefinition | string)[] | undefined
  /** Rule files, run in this order. Relative paths resolve against `process.cwd()`. */
  files?: readonly (string | URL)[] | undefined
  /**
   * A folder of rules: every `*.js` file, ordered by file name (`01-deny.js` before `02-roles.js`).
   * A file's name, without a leading number, is the rule's name. A sibling `<file>.json` in the
   * Auth0 Deploy CLI's shape (`{ "name", "enabled", "order", "stage" }`) is honoured. An Auth0
   * Deploy CLI export (directory or YAML format) is read as `@tokenrules/engine/node`'s
   * `readTenantRules` reads it.
   */
  dir?: string | URL | undefined
}

/**
 * The rule set named by `source` (reads files): rules with their names, order and `enabled` flag
 * as the engine will run them. Throws a TypeError naming what is wrong (no source or several, a
 * file or folder that cannot be read).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { readRuleSet } from '@tokenrules/testing'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'rules-'))
 * try {
 *   const passThrough = 'function (user, context, callback) { callback(null, user, context); }'
 *   await writeFile(join(dir, '10-add-roles.js'), passThrough)
 *   await writeFile(join(dir, '2-check-email.js'), passThrough)
 *   await writeFile(join(dir, '2-check-email.json'), JSON.stringify({ enabled: false }))
 *   const rules = await readRuleSet({ dir })
 *   assert.deepEqual(rules.map(({ name, order, enabled }) => ({ name, order, enabled })), [
 *     { name: 'check-email', order: 1, enabled: false },
 *     { name: 'add-roles', order: 2, enabled: undefined },
 *   ])
 *   await assert.rejects(readRuleSet({}), TypeError)
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export async function readRuleSet(source: RuleSetSource): Promise<RuleFile[]> {
  const given = (['rules', 'files', 'dir'] as const).filter((key) => source[key] !== undefined)
  if (given.length !== 1) {
    throw new TypeError(`Give exactly one of rules, files or dir (got ${given.length === 0 ? 'none' : given.join(', ')}).`)
  }
  if (source.rules !== undefined) return source.rules.map((rule, index) => (typeof rule === 'string' ? fromSource(rule, index) : { ...rule }))
  if (source.files !== undefined) {
    return Promise.all(source.files.map(async (file, index) => ({ ...(await readRuleFile(toPath(file))), order: index + 1 })))
  }
  const dir = toPath(source.dir as string | URL)
  return (await readTenantRules({ path: dir, format: directoryFormat(dir) })).rules
}

/** A folder is a folder of rules unless it is a Deploy CLI export (a `.json` dump is never a `dir`). */
function directoryFormat(dir: string): 'folder' | undefined {
  try {
    return detectRuleSourceFormat(dir) === 'management-api' ? 'folder' : undefined
  } catch {
    return 'folder' // unreadable: the folder reader says why
  }
}

/** The `.js` rule files of `dir` as a rule set, in file-name order. */
export function readRuleDir(dir: string): Promise<RuleFile[]> {
  return readRuleFolder(dir)
}

/** A rule from bare source text, named after its function when it has a name. */
function fromSource(script: string, index: number): RuleFile {
  const named = /^\s*(?:(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(/.exec(script)
  return { name: named?.[1] ?? `rule-${index + 1}`, script }
}

/** Whether `text` is rule source rather than a file path. */
export function looksLikeSource(text: string): boolean {
  return /\bfunction\b|=>|\n/.test(text)
}
