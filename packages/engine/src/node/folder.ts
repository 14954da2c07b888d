import { existsSync, readFileSync, statSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RuleDefinition } from '../options.js'
import { reason, RuleSourceError } from './errors.js'
import { replaceKeywords, type KeywordMappings } from './keywords.js'

/**
 * A rule of a set, with where it came from: what the readers of `@tokenrules/engine/node` return
 * and what `createEngine({ rules })` and `engine.update` accept as they are.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { readRuleFolder, type RuleFile } from '@tokenrules/engine/node'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'rules-'))
 * try {
 *   await writeFile(join(dir, '01-pass.js'), 'function (user, context, callback) { callback(null, user, context); }')
 *   const [rule]: RuleFile[] = await readRuleFolder(dir)
 *   assert.deepEqual([rule?.name, rule?.order, rule?.file], ['pass', 1, join(dir, '01-pass.js')])
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export interface RuleFile extends RuleDefinition {
  /** Absolute path of the rule's source file, when it came from one. */
  file?: string | undefined
  /** The rule's id at Auth0 (`rul_…`), when the source had it. */
  id?: string | undefined
  /** Auth0's stage (`login_success`); a rule of another stage is read disabled. */
  stage?: string | undefined
}

/**
 * A path given as a string (relative to the working directory) or a `file:` URL, as an absolute path.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { resolve } from 'node:path'
 * import { toPath } from '@tokenrules/engine/node'
 *
 * assert.equal(toPath('rules'), resolve('rules'))
 * assert.equal(toPath(new URL('file:///srv/tenant/rules/')), '/srv/tenant/rules/')
 * assert.equal(toPath('file:///srv/tenant/rules.json'), '/srv/tenant/rules.json')
 * ```
 */
export function toPath(value: string | URL): string {
  if (value instanceof URL) return fileURLToPath(value)
  if (value.startsWith('file:')) return fileURLToPath(value)
  return resolve(value)
}

/**
 * A folder of rules: every `*.js` file, ordered by file name (`2-x.js` before `10-y.js`), each
 * named after its file without a leading number. A sibling `<file>.json` in the Auth0 Deploy CLI's
 * shape (`{ "name", "enabled", "order", "stage" }`) is honoured: its name and order win, and a
 * stage other than `login_success` disables the rule. Throws {@link RuleSourceError}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { readRuleFolder } from '@tokenrules/engine/node'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'rules-'))
 * try {
 *   const passThrough = 'function (user, context, callback) { callback(null, user, context); }'
 *   await writeFile(join(dir, '10-add-roles.js'), passThrough)
 *   await writeFile(join(dir, '2-check-email.js'), passThrough)
 *   await writeFile(join(dir, '2-check-email.json'), JSON.stringify({ enabled: false }))
 *   const rules = await readRuleFolder(dir)
 *   assert.deepEqual(rules.map(({ name, order, enabled }) => ({ name, order, enabled })), [
 *     { name: 'check-email', order: 1, enabled: false },
 *     { name: 'add-roles', order: 2, enabled: undefined },
 *   ])
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export async function readRuleFolder(dir: string, options: { mappings?: KeywordMappings | undefined } = {}): Promise<RuleFile[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    throw new RuleSourceError(`Cannot read the rules folder ${dir}: ${reason(error)}`, dir, error)
  }
  const files = names.filter((name) => extname(name) === '.js').sort(byFileName)
  const rules: RuleFile[] = []
  for (const [index, name] of files.entries()) {
    rules.push({ order: index + 1, ...(await readRuleFile(join(dir, name), options)) })
  }
  return rules
}

/**
 * One rule file, with its Deploy CLI sidecar when there is one (another `stage` disables it).
 * Throws {@link RuleSourceError}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { readRuleFile } from '@tokenrules/engine/node'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'rules-'))
 * try {
 *   await writeFile(join(dir, 'audit.js'), 'function (user, context, callback) { callback(null, user, context); }')
 *   await writeFile(join(dir, 'audit.json'), JSON.stringify({ name: 'Audit', stage: 'pre_user_registration' }))
 *   const rule = await readRuleFile(join(dir, 'audit.js'))
 *   assert.deepEqual([rule.name, rule.stage, rule.enabled], ['Audit', 'pre_user_registration', false])
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export async function readRuleFile(file: string, options: { mappings?: KeywordMappings | undefined } = {}): Promise<RuleFile> {
  let script: string
  try {
    script = await readFile(file, 'utf8')
  } catch (error) {
    throw new RuleSourceError(`Cannot read the rule file ${file}: ${reason(error)}`, file, error)
  }
  const rule: RuleFile = { name: ruleNameOf(file), script: replaceKeywords(script, options.mappings), file }
  const sidecar = readSidecar(file, options.mappings)
  if (sidecar !== undefined) {
    if (typeof sidecar.name === 'string' && sidecar.name !== '') rule.name = sidecar.name
    if (typeof sidecar.enabled === 'boolean') rule.enabled = sidecar.enabled
    if (typeof sidecar.order === 'number') rule.order = sidecar.order
    if (typeof sidecar.stage === 'string') {
      rule.stage = sidecar.stage
      if (sidecar.stage !== 'login_success') rule.enabled = false
    }
  }
  return rule
}

/**
 * A rule file read at once (for callers that must answer synchronously); `file` may leave out
 * `.js`. Throws {@link RuleSourceError}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { readRuleFileSync } from '@tokenrules/engine/node'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'rules-'))
 * try {
 *   await writeFile(join(dir, '02-add-roles.js'), 'function (user, context, callback) { callback(null, user, context); }')
 *   const rule = readRuleFileSync(join(dir, '02-add-roles'))
 *   assert.deepEqual([rule.name, rule.file], ['add-roles', join(dir, '02-add-roles.js')])
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export function readRuleFileSync(file: string): RuleFile {
  if (!existsSync(file) && existsSync(`${file}.js`)) file = `${file}.js`
  let script: string
  try {
    script = readFileSync(file, 'utf8')
  } catch (error) {
    throw new RuleSourceError(`Cannot read the rule file ${file}: ${reason(error)}`, file, error)
  }
  const sidecar = readSidecar(file, undefined)
  const name = typeof sidecar?.name === 'string' && sidecar.name !== '' ? sidecar.name : ruleNameOf(file)
  return { name, script, file }
}

function readSidecar(file: string, mappings: KeywordMappings | undefined): { name?: unknown; enabled?: unknown; order?: unknown; stage?: unknown } | undefined {
  const json = join(dirname(file), `${basename(file, '.js')}.json`)
  try {
    if (!statSync(json).isFile()) return undefined
  } catch {
    return undefined
  }
  try {
    const parsed = JSON.parse(replaceKeywords(readFileSync(json, 'utf8'), mappings)) as unknown
    return parsed !== null && typeof parsed === 'object' ? parsed : undefined
  } catch (error) {
    throw new RuleSourceError(`The rule's settings file ${json} is not valid JSON: ${(error as Error).message}`, json, error)
  }
}

/**
 * The name of the rule in `file`: its file name without the extension and a leading number
 * (`rules/01-add-roles.js` → `add-roles`), as rule folders name their rules.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { ruleNameOf } from '@tokenrules/engine/node'
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

/** Sort `2-x.js` before `10-y.js`. */
export function byFileName(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true })
}
