import { existsSync, readFileSync, statSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RuleDefinition } from '@tokenrules/engine'

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
export interface RuleFile extends RuleDefinition {
  /** Absolute path of the rule's source file. */
  file?: string | undefined
}

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
   * Auth0 Deploy CLI's shape (`{ "name", "enabled", "order", "stage" }`) is honoured.
   */
  dir?: string | URL | undefined
}

/** A path given as a string (relative to the working directory) or a `file:` URL. */
export function toPath(value: string | URL): string {
  if (value instanceof URL) return fileURLToPath(value)
  if (value.startsWith('file:')) return fileURLToPath(value)
  return resolve(value)
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
  return readRuleDir(toPath(source.dir as string | URL))
}

/** The `.js` rule files of `dir` as a rule set, in file-name order. */
export async function readRuleDir(dir: string): Promise<RuleFile[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    throw new TypeError(`Cannot read the rules folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  const files = names.filter((name) => extname(name) === '.js').sort(byFileName)
  const rules: RuleFile[] = []
  for (const [index, name] of files.entries()) {
    rules.push({ order: index + 1, ...(await readRuleFile(join(dir, name))) })
  }
  return rules
}

/** One rule file, with its Deploy CLI sidecar when there is one (another `stage` disables it). */
async function readRuleFile(file: string): Promise<RuleFile> {
  let script: string
  try {
    script = await readFile(file, 'utf8')
  } catch (error) {
    throw new TypeError(`Cannot read the rule file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  const rule: RuleFile = { name: ruleNameOf(file), script, file }
  const sidecar = readSidecar(file)
  if (sidecar !== undefined) {
    if (typeof sidecar.name === 'string' && sidecar.name !== '') rule.name = sidecar.name
    if (typeof sidecar.enabled === 'boolean') rule.enabled = sidecar.enabled
    if (typeof sidecar.order === 'number') rule.order = sidecar.order
    if (typeof sidecar.stage === 'string' && sidecar.stage !== 'login_success') rule.enabled = false
  }
  return rule
}

/** A rule file read at once (for `loadRule`, which must answer synchronously). */
export function readRuleFileSync(file: string): RuleFile {
  if (!existsSync(file) && existsSync(`${file}.js`)) file = `${file}.js`
  let script: string
  try {
    script = readFileSync(file, 'utf8')
  } catch (error) {
    throw new TypeError(`Cannot read the rule file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  const sidecar = readSidecar(file)
  const name = typeof sidecar?.name === 'string' && sidecar.name !== '' ? sidecar.name : ruleNameOf(file)
  return { name, script, file }
}

function readSidecar(file: string): { name?: unknown; enabled?: unknown; order?: unknown; stage?: unknown } | undefined {
  const json = join(dirname(file), `${basename(file, '.js')}.json`)
  try {
    if (!statSync(json).isFile()) return undefined
  } catch {
    return undefined
  }
  try {
    const parsed = JSON.parse(readFileSync(json, 'utf8')) as unknown
    return parsed !== null && typeof parsed === 'object' ? parsed : undefined
  } catch (error) {
    throw new TypeError(`The rule's settings file ${json} is not valid JSON: ${(error as Error).message}`)
  }
}

/**
 * The name of the rule in `file`: its file name without the extension and a leading number
 * (`rules/01-add-roles.js` → `add-roles`), as `dir` and `files` rule sets name their rules.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { ruleNameOf } from '@tokenrules/testing'
 *
 * assert.equal(ruleNameOf('rules/01-add-roles.js'), 'add-roles')
 * assert.equal(ruleNameOf('/srv/auth0/rules/deny-blocked-users.js'), 'deny-blocked-users')
 * assert.equal(ruleNameOf('2024.js'), '2024')
 * ```
 */
export function ruleNameOf(file: string): string {
  const base = basename(file, extname(file))
  const stripped = base.replace(/^\d+[-_.\s]+/, '')
  return stripped === '' ? base : stripped
}

/** A rule from bare source text, named after its function when it has a name. */
function fromSource(script: string, index: number): RuleFile {
  const named = /^\s*(?:(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(/.exec(script)
  return { name: named?.[1] ?? `rule-${index + 1}`, script }
}

/** Sort `2-x.js` before `10-y.js`. */
function byFileName(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true })
}

/** Whether `text` is rule source rather than a file path. */
export function looksLikeSource(text: string): boolean {
  return /\bfunction\b|=>|\n/.test(text)
}
