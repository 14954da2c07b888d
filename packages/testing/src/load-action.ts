import { createEngine, isTokenRulesError, type AnyTokenRulesError, type Engine, type RunResult } from '@tokenrules/engine'
import { isActionSource, readActionFileSync, type ActionFile } from './action-sources.js'
import type { LoadedRuleRun } from './load-rule.js'
import { track, untrack } from './lib/resources.js'
import type { TestEngineOptions } from './options.js'
import { toPath } from './rule-sources.js'
import { createRuleRunner, loginOf, pipelineOptions, type LoginInput, type RunRulesOptions } from './run-rules.js'

/**
 * Options of {@link runActions}: the actions (`actions`, `actionFiles`, `actionsDir`), rules to run
 * before them if any (`rules`, `files`, `dir`), the login (`user`, `context`, `event`) and the
 * engine's options with test defaults — the options of `runRules`, with the actions required.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { runActions, type RunActionsOptions } from '@tokenrules/testing'
 *
 * const options: RunActionsOptions = {
 *   rules: [`function (user, context, callback) {
 *     context.idToken['https://example.com/source'] = 'rule';
 *     callback(null, user, context);
 *   }`],
 *   actions: [`exports.onExecutePostLogin = async (event, api) => {
 *     api.idToken.setCustomClaim('https://example.com/source', 'action');
 *   };`],
 * }
 * const result = await runActions(options)
 * assert.deepEqual(result.idToken.claims, { 'https://example.com/source': 'action' }) // the later write wins
 * ```
 */
export type RunActionsOptions = RunRulesOptions

/**
 * Run post-login actions once (after the rules, when there are any), in the real sandbox with the
 * real claims policy, for a login built from the fixtures (`event` overrides in the event's own
 * names). Resolves with the engine's result (`result.actions` lists each action that ran);
 * rejects with its typed error: `api.access.deny(reason)` is `ERR_RULE_DENIED` with the reason,
 * an action that throws `ERR_RULE_EXCEPTION` naming the action (`err.rule`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { runActions } from '@tokenrules/testing'
 *
 * const action = `exports.onExecutePostLogin = async (event, api) => {
 *   if (!event.user.email_verified) return api.access.deny('Verify your email first.');
 *   api.accessToken.setCustomClaim('https://example.com/roles', event.authorization.roles);
 * };`
 * const result = await runActions({ actions: [action], event: { authorization: { roles: ['admin'] } } })
 * assert.deepEqual(result.accessToken.claims, { 'https://example.com/roles': ['admin'] })
 * await assert.rejects(runActions({ actions: [action], event: { user: { email_verified: false } } }), {
 *   code: 'ERR_RULE_DENIED',
 *   message: 'Verify your email first.',
 * })
 * ```
 */
export async function runActions(options: RunActionsOptions): Promise<RunResult> {
  if (options.actions === undefined && options.actionFiles === undefined && options.actionsDir === undefined) {
    throw new TypeError('runActions: give the actions (actions, actionFiles or actionsDir); for rules alone, use runRules.')
  }
  await using runner = await createRuleRunner(options)
  return runner.run({ user: options.user, context: options.context, event: options.event, includeContext: options.includeContext })
}

/**
 * Options of {@link loadAction}: the engine's options with test defaults, and the action's own
 * settings (`name`, `secrets`, `configuration`, `dependencies`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { loadAction, type LoadActionOptions } from '@tokenrules/testing'
 *
 * const options: LoadActionOptions = {
 *   name: 'tag-plan',
 *   secrets: { NAMESPACE: 'https://example.com' },
 *   configuration: { DEFAULT_PLAN: 'free' },
 * }
 * await using action = loadAction(`exports.onExecutePostLogin = async (event, api) => {
 *   api.accessToken.setCustomClaim(event.secrets.NAMESPACE + '/plan', event.user.app_metadata.plan || event.configuration.DEFAULT_PLAN);
 * };`, options)
 * assert.equal(action.actionName, 'tag-plan')
 * const result = await action()
 * assert.deepEqual(result.accessToken.claims, { 'https://example.com/plan': 'free' })
 * ```
 */
export interface LoadActionOptions extends Omit<TestEngineOptions, 'configuration' | 'global'> {
  /** The action's name in errors, logs and `result.actions`. Default: the file name (`01-tag-plan.js` → `tag-plan`), else `action`. */
  name?: string | undefined
  /** `event.secrets`: name → value (or the `[{ name, value }]` list of an Auth0 export). */
  secrets?: Readonly<Record<string, string>> | readonly { name: string; value: string }[] | undefined
  /** `event.configuration` (what Marketplace integrations read): name → value, or `[{ name, value }]`. */
  configuration?: Readonly<Record<string, string>> | readonly { name: string; value: string }[] | undefined
  /** npm packages the action declares, each at exactly this version (also listed in `modules.packages`). */
  dependencies?: readonly { name: string; version: string }[] | undefined
}

/**
 * An action loaded by {@link loadAction}: call it with a login (`user`, `context`, `event`
 * overrides of the fixtures) to run the action in the real sandbox. It resolves with the engine's
 * result, whose `context` holds the claims exactly as the action set them (before the claims
 * policy; `result.accessToken.claims` has them after), and rejects with the engine's typed error.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { loadAction, type LoadedAction } from '@tokenrules/testing'
 *
 * const action: LoadedAction = loadAction(`exports.onExecutePostLogin = async (event, api) => {
 *   api.idToken.setCustomClaim('department', event.user.department);
 * };`)
 * try {
 *   const result = await action({ user: { department: 'R&D' } })
 *   assert.deepEqual(result.context?.['idToken'], { department: 'R&D' }) // as the action set it
 *   assert.deepEqual(result.idToken.claims, {}) // the default policy drops a claim without a namespace
 *   assert.equal(action.lastRun?.result, result)
 * } finally {
 *   await action.close()
 * }
 * ```
 */
export interface LoadedAction extends AsyncDisposable {
  (input?: LoginInput): Promise<RunResult>
  /** The action's name. */
  readonly actionName: string
  /** The file it was read from, when it was. */
  readonly file: string | undefined
  /** The engine's outcome of the last call: its result or its typed error. */
  readonly lastRun: LoadedRuleRun | undefined
  /** Release the action's engine (its isolate). The action stays usable: the next call starts a new one. */
  close(): Promise<void>
}

/** Option names of {@link LoadActionOptions}. */
const OPTION_KEYS = new Set([
  'name',
  'secrets',
  'configuration',
  'dependencies',
  'globals',
  'modules',
  'auth0',
  'hooks',
  'claims',
  'limits',
  'errors',
  'clock',
  'random',
  'concurrency',
])
/** Errors that say the test is set up wrong (they also reject, but are never an outcome of the action). */
const SETUP_ERRORS = new Set(['ERR_CONFIG_INVALID', 'ERR_INPUT_INVALID', 'ERR_RULE_COMPILE', 'ERR_ENGINE_CLOSED', 'ERR_ENGINE_INTERNAL'])

/**
 * Load one post-login action to call it directly, as `loadRule` does for a rule: the action runs
 * in the real sandbox (its module evaluated once per engine, so module-level state and `api.cache`
 * persist between calls, as in a warm Auth0 container), with the engine's event and api — no mock
 * `api` to keep in step with Auth0's. `fileOrSource` is a path (`.js` optional), a `file:` URL, or
 * the module's source text (it must set `exports.onExecutePostLogin`).
 *
 * Each call is one login: `action({ user, context, event })`, overrides of the fixtures
 * (`event` in the event's own names). The engine is created on the first call and kept; release
 * it with `await using`, `action.close()` or `closeAll()` (the vitest entry does that after each
 * file).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { loadAction } from '@tokenrules/testing'
 *
 * await using action = loadAction(`exports.onExecutePostLogin = async (event, api) => {
 *   const seen = api.cache.get('logins');
 *   const count = seen === undefined ? 1 : Number(seen.value) + 1;
 *   api.cache.set('logins', String(count));
 *   api.accessToken.setCustomClaim('https://example.com/logins_seen', count);
 *   if (event.request.geoip.countryCode === 'KP') api.access.deny('Not available in your country.');
 * };`)
 * assert.deepEqual((await action()).accessToken.claims, { 'https://example.com/logins_seen': 1 })
 * assert.deepEqual((await action()).accessToken.claims, { 'https://example.com/logins_seen': 2 })
 * await assert.rejects(action({ event: { request: { geoip: { countryCode: 'KP' } } } }), { code: 'ERR_RULE_DENIED', rule: 'action' })
 * ```
 */
export function loadAction(fileOrSource: string | URL, options: LoadActionOptions = {}): LoadedAction {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('loadAction: options must be an object.')
  const unknown = Object.keys(options).filter((key) => !OPTION_KEYS.has(key))
  if (unknown.length > 0) {
    throw new TypeError(
      `loadAction: ${unknown.map((key) => `'${key}'`).join(', ')} ${unknown.length === 1 ? 'is not an option' : 'are not options'} (the options are ${[...OPTION_KEYS].join(', ')}).`,
    )
  }
  const source = readAction(fileOrSource)
  const action: ActionFile = { ...source, name: options.name ?? source.name }
  const secrets = nameValues(options.secrets, 'secrets')
  const configuration = nameValues(options.configuration, 'configuration')
  if (secrets !== undefined) action.secrets = secrets
  if (configuration !== undefined) action.configuration = configuration
  if (options.dependencies !== undefined) action.dependencies = options.dependencies
  const { name: _name, secrets: _secrets, configuration: _configuration, dependencies: _dependencies, ...engine } = options
  return new ActionHandle(action, engine).callable
}

function readAction(fileOrSource: string | URL): ActionFile {
  if (typeof fileOrSource === 'string' && isActionSource(fileOrSource)) return { name: 'action', code: fileOrSource }
  if (typeof fileOrSource === 'string' && /\bonExecutePostLogin\b|\n/.test(fileOrSource)) {
    throw new TypeError('loadAction: the source does not set exports.onExecutePostLogin (write `exports.onExecutePostLogin = async (event, api) => { … }`).')
  }
  return readActionFileSync(toPath(fileOrSource))
}

function nameValues(value: LoadActionOptions['secrets'], what: string): { name: string; value: string }[] | undefined {
  if (value === undefined) return undefined
  const entries = Array.isArray(value) ? (value as { name: string; value: string }[]).map((e) => [e?.name, e?.value] as const) : Object.entries(value)
  return entries.map(([name, v]) => {
    if (typeof name !== 'string' || typeof v !== 'string') throw new TypeError(`loadAction: ${what} are string names and string values.`)
    return { name, value: v }
  })
}

class ActionHandle {
  readonly callable: LoadedAction
  readonly #action: ActionFile
  readonly #options: Omit<LoadActionOptions, 'name' | 'secrets' | 'configuration' | 'dependencies'>
  #engine: Promise<Engine> | undefined
  #queue: Promise<void> = Promise.resolve()
  #lastRun: LoadedRuleRun | undefined

  constructor(action: ActionFile, options: Omit<LoadActionOptions, 'name' | 'secrets' | 'configuration' | 'dependencies'>) {
    this.#action = action
    this.#options = options
    const callable = (input?: LoginInput) => this.call(input ?? {})
    Object.defineProperties(callable, {
      actionName: { get: () => this.#action.name, enumerable: true },
      file: { get: () => this.#action.file, enumerable: true },
      lastRun: { get: () => this.#lastRun, enumerable: true },
      close: { value: () => this.close() },
      [Symbol.asyncDispose]: { value: () => this.close() },
    })
    this.callable = callable as unknown as LoadedAction
  }

  async close(): Promise<void> {
    const engine = this.#engine
    this.#engine = undefined
    untrack(this)
    if (engine !== undefined)
      await engine.then(
        (e) => e.close(),
        () => undefined,
      )
  }

  async call(input: LoginInput): Promise<RunResult> {
    if (input === null || typeof input !== 'object') throw new TypeError('loadAction: call the action with a login ({ user, context, event }) or nothing.')
    const login = loginOf(input)
    const previous = this.#queue
    let release!: () => void
    this.#queue = new Promise((resolve) => (release = resolve))
    await previous
    try {
      const engine = await this.#engineFor()
      try {
        const result = await engine.run(login, { includeContext: true })
        this.#lastRun = { result }
        return result
      } catch (thrown) {
        if (isTokenRulesError(thrown) && !SETUP_ERRORS.has(thrown.code)) this.#lastRun = { error: thrown as AnyTokenRulesError }
        throw thrown
      }
    } finally {
      release()
    }
  }

  #engineFor(): Promise<Engine> {
    if (this.#engine === undefined) {
      const created = createEngine(pipelineOptions([], [this.#action], this.#options))
      this.#engine = created
      track(this)
      created.catch(() => {
        if (this.#engine === created) {
          this.#engine = undefined
          untrack(this)
        }
      })
    }
    return this.#engine
  }
}
