import { readFileSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import type { ActionDefinition } from '@tokenrules/engine'
import { ruleNameOf, toPath } from './rule-sources.js'

/**
 * A post-login action of a set, with the file it came from when it came from one.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { readActionSet, type ActionFile } from '@tokenrules/testing'
 *
 * const [action]: ActionFile[] = await readActionSet({
 *   actions: ['exports.onExecutePostLogin = async (event, api) => { api.access.deny("closed"); };'],
 * })
 * assert.equal(action?.name, 'action-1')
 * assert.equal(action?.file, undefined)
 * ```
 */
export interface ActionFile extends ActionDefinition {
  /** Absolute path of the action's source file. */
  file?: string | undefined
}

/**
 * Where the post-login actions of a test come from (any of them, in this order: `actions`, then
 * `actionFiles`, then `actionsDir`). `runRules`, `runActions` and `createRuleRunner` take them
 * beside the rules; the actions run after the rules, in this order.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { runActions, type ActionSetSource } from '@tokenrules/testing'
 *
 * const source: ActionSetSource = {
 *   actions: [
 *     {
 *       name: 'add-plan',
 *       code: `exports.onExecutePostLogin = async (event, api) => {
 *         api.accessToken.setCustomClaim(event.secrets.NS + '/plan', event.user.app_metadata.plan || 'free');
 *       };`,
 *       secrets: [{ name: 'NS', value: 'https://example.com' }],
 *     },
 *   ],
 * }
 * const result = await runActions({ ...source, user: { app_metadata: { plan: 'gold' } } })
 * assert.deepEqual(result.accessToken.claims, { 'https://example.com/plan': 'gold' })
 * ```
 */
export interface ActionSetSource {
  /** Actions as source texts (named `action-1`, `action-2`, … in order) or `ActionDefinition`s (`{ name, code, secrets, … }`). */
  actions?: readonly (string | ActionDefinition)[] | undefined
  /** Action files (paths or `file:` URLs), run in the order given; `01-add-plan.js` is the action `add-plan`. */
  actionFiles?: readonly (string | URL)[] | undefined
  /** A folder of actions: every `.js` file, in file-name order (the trigger's binding order). */
  actionsDir?: string | URL | undefined
}

/**
 * Whether a module's source is a post-login action: it assigns `onExecutePostLogin` on `exports`
 * or `module.exports` (what `tokenrules run` and `check` use to tell actions from rules).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { isActionSource } from '@tokenrules/testing'
 *
 * assert.equal(isActionSource('exports.onExecutePostLogin = async (event, api) => {};'), true)
 * assert.equal(isActionSource('module.exports = { onExecutePostLogin: async () => {} };'), true)
 * assert.equal(isActionSource('async function onExecutePostLogin(event, api) {}\nexports.onExecutePostLogin = onExecutePostLogin;'), true)
 * assert.equal(isActionSource('function (user, context, callback) { callback(null, user, context); }'), false)
 * ```
 */
export function isActionSource(source: string): boolean {
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '')
  return (
    /\b(?:module\.)?exports\s*(?:\.\s*onExecutePostLogin|\[\s*['"]onExecutePostLogin['"]\s*\])\s*=/.test(code) ||
    /\bmodule\.exports\s*=[\s\S]*\bonExecutePostLogin\b/.test(code)
  )
}

/**
 * The action set of `source` (reads files): every action with its name, in pipeline order.
 * Throws a TypeError naming what is wrong (an unreadable file or folder, an entry that is neither
 * a source nor `{ name, code }`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { readActionSet } from '@tokenrules/testing'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'actions-'))
 * try {
 *   await writeFile(join(dir, '02-deny-blocked.js'), 'exports.onExecutePostLogin = async (event, api) => {};')
 *   await writeFile(join(dir, '01-add-plan.js'), 'exports.onExecutePostLogin = async (event, api) => {};')
 *   const actions = await readActionSet({ actions: [{ name: 'first', code: 'exports.onExecutePostLogin = async () => {};' }], actionsDir: dir })
 *   assert.deepEqual(actions.map((a) => a.name), ['first', 'add-plan', 'deny-blocked'])
 *   await assert.rejects(readActionSet({ actionsDir: join(dir, 'missing') }), TypeError)
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export async function readActionSet(source: ActionSetSource): Promise<ActionFile[]> {
  const out: ActionFile[] = []
  const given = source.actions ?? []
  if (!Array.isArray(given)) throw new TypeError('actions must be an array of action sources or { name, code } definitions.')
  given.forEach((action, index) => {
    if (typeof action === 'string') out.push({ name: `action-${index + 1}`, code: action })
    else if (action !== null && typeof action === 'object' && typeof action.code === 'string') out.push({ ...action })
    else throw new TypeError(`actions[${index}] must be the action's source or { name, code }.`)
  })
  for (const file of source.actionFiles ?? []) out.push(await readActionFile(toPath(file)))
  if (source.actionsDir !== undefined) out.push(...(await readActionDir(toPath(source.actionsDir))))
  return out
}

/** The `.js` files of `dir` as actions, in file-name order. */
export async function readActionDir(dir: string): Promise<ActionFile[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    throw new TypeError(`Cannot read the actions folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  const files = names.filter((name) => extname(name) === '.js').sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  const out: ActionFile[] = []
  for (const name of files) out.push(await readActionFile(join(dir, name)))
  return out
}

/** One action file: `01-add-plan.js` is the action `add-plan`. */
export async function readActionFile(file: string): Promise<ActionFile> {
  const path = extname(file) === '' ? `${file}.js` : file
  let code: string
  try {
    code = await readFile(path, 'utf8')
  } catch (error) {
    throw new TypeError(`Cannot read the action file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  return { name: ruleNameOf(basename(path)), code, file: path }
}

/** {@link readActionFile}, synchronously (for `loadAction`, which returns at once). */
export function readActionFileSync(file: string): ActionFile {
  const path = extname(file) === '' ? `${file}.js` : file
  let code: string
  try {
    code = readFileSync(path, 'utf8')
  } catch (error) {
    throw new TypeError(`Cannot read the action file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  return { name: ruleNameOf(basename(path)), code, file: path }
}
