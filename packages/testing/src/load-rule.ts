import { builtinModules, createRequire } from 'node:module'
import { existsSync, readdirSync } from 'node:fs'
import { basename, dirname, extname, isAbsolute, join } from 'node:path'
import {
  createEngine,
  isTokenRulesError,
  requiredModules,
  RuleCompileError,
  UnauthorizedError,
  type AnyTokenRulesError,
  type Context,
  type Engine,
  type RunResult,
  type User,
} from '@tokenrules/engine'
import { makeContext } from './fixtures/context.js'
import { makeUser } from './fixtures/user.js'
import { CAPTURE_EXTRA_LINES, CAPTURE_GLOBAL, withCapture, type CapturedCall, type DescribedError } from './lib/guest-wrapper.js'
import { isPlainObject } from './lib/merge.js'
import { track, untrack } from './lib/resources.js'
import { engineOptionsFor, type TestEngineOptions } from './options.js'
import { looksLikeSource, readRuleFileSync, ruleNameOf, toPath, type RuleFile } from './rule-sources.js'

/**
 * Options of {@link loadRule}: the engine's options with test defaults, and the rule's name.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { loadRule, makeContext, makeUser, type LoadRuleOptions } from '@tokenrules/testing'
 *
 * const options: LoadRuleOptions = { name: 'allow-countries', configuration: { ALLOWED_COUNTRIES: 'GB,IE' } }
 * await using rule = loadRule(`function (user, context, callback) {
 *   const allowed = configuration.ALLOWED_COUNTRIES.split(',');
 *   if (!allowed.includes(context.request.geoip.country_code)) return callback(new UnauthorizedError('Not available in your country.'));
 *   callback(null, user, context);
 * }`, options)
 * assert.equal(rule.ruleName, 'allow-countries')
 * const [err] = await rule(makeUser(), makeContext({ request: { geoip: { country_code: 'FR' } } }))
 * assert.equal((err as Error).message, 'Not available in your country.')
 * ```
 */
export interface LoadRuleOptions extends TestEngineOptions {
  /** The rule's name in errors and logs. Default: the file name, else the function's name, else `rule`. */
  name?: string | undefined
}

/**
 * A rule's callback, as tests write it: it receives exactly what the rule passed to its own
 * callback (`err`, `user`, `context`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { loadRule, makeContext, makeUser, type RuleCallback } from '@tokenrules/testing'
 *
 * await using rule = loadRule(`function (user, context, callback) {
 *   context.accessToken['https://example.com/email'] = user.email;
 *   callback(null, user, context);
 * }`)
 * const seen: unknown[] = []
 * const callback: RuleCallback = (err, user, context) => seen.push(err, context.accessToken)
 * await rule(makeUser(), makeContext(), callback)
 * assert.deepEqual(seen, [null, { 'https://example.com/email': 'ada.lovelace@example.com' }])
 * ```
 */
export type RuleCallback = (...args: any[]) => unknown

/**
 * What the engine did on a loaded rule's last call (its result, or its typed error).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { loadRule, makeContext, makeUser, type LoadedRuleRun } from '@tokenrules/testing'
 *
 * await using rule = loadRule(`function (user, context, callback) {
 *   if (user.app_metadata.legacy) return; // never calls back
 *   callback(null, user, context);
 * }`, { limits: { timeoutMs: 50 } })
 * const [err] = await rule(makeUser({ app_metadata: { legacy: true } }), makeContext())
 * const run: LoadedRuleRun | undefined = rule.lastRun
 * assert.equal(run?.error, err)
 * assert.equal(run?.error?.code, 'ERR_RULE_TIMEOUT')
 * assert.equal(run?.result, undefined)
 * ```
 */
export interface LoadedRuleRun {
  /** The engine's result (claims after the claims policy, logs, warnings) when the run succeeded. */
  result?: RunResult
  /** The engine's typed error when the run failed (`err.code`, `err.toOAuthError()`). */
  error?: AnyTokenRulesError
}

/**
 * A rule loaded by {@link loadRule}: call it like the rule itself. It runs the rule in the real
 * sandbox and calls `callback` with exactly the arguments the rule passed to its own callback,
 * then resolves with them (so `await rule(user, context, callback)` works, and so does
 * `const [err, user, context] = await rule(user, context)`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { loadRule, makeContext, makeUser, type LoadedRule } from '@tokenrules/testing'
 *
 * const rule: LoadedRule = loadRule(`function addRoles(user, context, callback) {
 *   context.accessToken['https://example.com/roles'] = user.app_metadata.roles;
 *   context.accessToken.roles = user.app_metadata.roles;
 *   callback(null, user, context);
 * }`)
 * try {
 *   const [err, , context] = await rule(makeUser({ app_metadata: { roles: ['editor'] } }), makeContext())
 *   assert.equal(err, null)
 *   assert.equal(rule.ruleName, 'addRoles')
 *   // The raw context keeps every claim the rule set; the engine's result has them after the claims policy.
 *   assert.deepEqual(context, makeContext({ accessToken: { 'https://example.com/roles': ['editor'], roles: ['editor'] } }))
 *   assert.deepEqual(rule.lastRun?.result?.accessToken.claims, { 'https://example.com/roles': ['editor'] })
 * } finally {
 *   await rule.close()
 * }
 * ```
 */
export interface LoadedRule extends AsyncDisposable {
  (user: Record<string, any>, context: Record<string, any>, callback?: RuleCallback): Promise<unknown[]>
  /** The rule's name. */
  readonly ruleName: string
  /** The file it was read from, when it was. */
  readonly file: string | undefined
  /** The engine's own outcome of the last call: claims after the policy, logs, warnings, or its typed error. */
  readonly lastRun: LoadedRuleRun | undefined
  /** Release the rule's engine (its isolate). The rule stays usable: the next call starts a new one. */
  close(): Promise<void>
}

/** Option names of {@link LoadRuleOptions}: the only keys `loadRule`'s options may have. */
const OPTION_KEYS = new Set([
  'configuration',
  'global',
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
  'name',
])
/** Classic harness globals the sandbox already provides. */
const PROVIDED_GLOBALS = new Set(['UnauthorizedError', 'require', 'console', 'globalThis', 'module', 'exports'])
/** Modules served by a capability: never bundled automatically. */
const HTTP_MODULES = new Set(['request', 'axios', 'node-fetch'])
const CRYPTO_MODULES = new Set(['crypto', 'jsonwebtoken'])
const ENGINE_BUILTINS = new Set(['url', 'querystring', 'buffer'])
/** Errors that say the test is set up wrong, not what the rule did: they reject instead of calling back. */
const SETUP_ERRORS = new Set(['ERR_CONFIG_INVALID', 'ERR_INPUT_INVALID', 'ERR_RULE_COMPILE', 'ERR_ENGINE_CLOSED', 'ERR_ENGINE_INTERNAL'])

/**
 * Load one rule to call it directly, like the `loadRule(name, globals, stubs)` helpers of classic
 * Auth0 rule test suites — but the rule runs in the real sandbox. Two ways to call it, told apart
 * by the number of arguments, never by key names:
 *
 * - `loadRule(fileOrSource, options?)` with {@link LoadRuleOptions} (`globals`, `modules`,
 *   `configuration`, `global`, `hooks`, `clock`, …). The rule's extra globals go under `globals`
 *   (`loadRule(file, { globals: { limits: … } })` is a global called `limits`); a key that is not an
 *   option name throws a `TypeError` that says so.
 * - `loadRule(fileOrSource, globals, stubs)`, the classic harness's signature (three arguments;
 *   `stubs` may be `{}`): `globals` is what the rule sees as globals (`configuration`, `global`,
 *   `auth0`, and any stub, whatever its name; `UnauthorizedError`, `require` and `console` are the
 *   sandbox's own), `stubs` are modules `require` returns. As in those harnesses, other modules the
 *   rule requires are loaded from your `node_modules` (bundled into the sandbox), unless you list
 *   `modules.packages` yourself.
 *
 * `fileOrSource` is a path (absolute, or relative to the working directory; `.js` optional), a
 * `file:` URL, or the rule's source text.
 *
 * The callback receives exactly what the rule passed: the same number of arguments, the error as
 * the rule made it (an `UnauthorizedError` is an instance of the package's `UnauthorizedError`, an
 * `Error` keeps its class name, message and properties, a string stays a string), and the raw
 * `user` and `context` before any token policy (claims are not namespaced-checked, a redirect is
 * not refused: `runRules` does that). A rule that passes back the objects it received gets the
 * test's own objects back, updated in place. A rule that throws (or rejects) calls back with that
 * error. When the engine ends the run itself (a timeout, a failed metadata update), the callback
 * receives the engine's error (`err.code`). A rule that does not compile, or input the engine
 * refuses, rejects the call instead.
 *
 * Each loaded rule has its own engine (one isolate), created on the first call and kept between
 * calls, so `global` persists between them as on Auth0. Release it with `await using`,
 * `rule.close()`, or `closeAll()` (the vitest entry does that after each file).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { loadRule, makeContext, makeUser, UnauthorizedError } from '@tokenrules/testing'
 *
 * await using rule = loadRule(`function (user, context, callback) {
 *   if (!user.email_verified) return callback(new UnauthorizedError('Verify your email.'));
 *   callback(null, user, context);
 * }`)
 * const [err] = await rule(makeUser({ email_verified: false }), makeContext())
 * assert.ok(err instanceof UnauthorizedError)
 * assert.equal(err.message, 'Verify your email.')
 * const user = makeUser()
 * const [ok, sameUser] = await rule(user, makeContext())
 * assert.equal(ok, null)
 * assert.equal(sameUser, user)
 * ```
 */
export function loadRule(fileOrSource: string | URL, options?: LoadRuleOptions): LoadedRule
export function loadRule(fileOrSource: string | URL, globals: Record<string, unknown> | undefined, stubs: Record<string, unknown> | undefined): LoadedRule
export function loadRule(fileOrSource: string | URL, ...rest: LoadRuleArguments): LoadedRule {
  if (isClassic(rest)) return loadWith(fileOrSource, fromClassic(rest[0] ?? {}, rest[1] ?? {}), true)
  return loadWith(fileOrSource, { ...checkedOptions(rest[0], 'loadRule') }, false)
}

/** What follows the rule in a `loadRule` call: options, or the classic harness's globals and stubs. */
type LoadRuleArguments = [options?: LoadRuleOptions | undefined] | [globals: Record<string, unknown> | undefined, stubs: Record<string, unknown> | undefined]

function isClassic(rest: LoadRuleArguments): rest is [globals: Record<string, unknown> | undefined, stubs: Record<string, unknown> | undefined] {
  return rest.length >= 2
}

/**
 * A `loadRule` bound to a folder and default options, for suites that load rules by name, like
 * classic harnesses' `loadRule('add-roles')`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { createRuleLoader, makeContext, makeUser } from '@tokenrules/testing'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'rules-'))
 * try {
 *   await writeFile(join(dir, '04-add-tier.js'), `function (user, context, callback) {
 *     context.accessToken['https://example.com/tier'] = configuration.TIER;
 *     callback(null, user, context);
 *   }`)
 *   const loadRule = createRuleLoader({ dir, configuration: { TIER: 'gold' } })
 *   await using rule = loadRule('add-tier') // 04-add-tier.js (add-tier.js would do too)
 *   const context = makeContext()
 *   await rule(makeUser(), context)
 *   assert.equal(rule.file, join(dir, '04-add-tier.js'))
 *   assert.deepEqual(context.accessToken, { 'https://example.com/tier': 'gold' })
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export function createRuleLoader(defaults: LoadRuleOptions & { dir: string | URL }): typeof loadRule {
  const { dir, ...shared } = defaults
  const base = toPath(dir)
  checkedOptions(shared, 'createRuleLoader')
  return function loadRule(name: string | URL, ...rest: LoadRuleArguments): LoadedRule {
    const target = typeof name === 'string' && !looksLikeSource(name) && !isAbsolute(name) ? findRuleFile(base, name) : name
    if (isClassic(rest)) {
      const stubs = rest[1] ?? {}
      return loadWith(target, { ...mergeOptions(shared, fromClassic(rest[0] ?? {}, stubs)), classicStubs: stubs }, true)
    }
    return loadWith(target, mergeOptions(shared, checkedOptions(rest[0], 'loadRule')), false)
  }
}

/** `name` in `dir`: the file itself, with `.js` added, or the file whose rule name it is (`add-roles` → `04-add-roles.js`). */
function findRuleFile(dir: string, name: string): string {
  const direct = join(dir, name)
  if (existsSync(direct) || existsSync(`${direct}.js`)) return direct
  const files = readdirSync(dir).filter((file) => extname(file) === '.js')
  const found = files.find((file) => ruleNameOf(file) === name || basename(file, '.js') === name)
  if (found === undefined) throw new TypeError(`No rule '${name}' in ${dir} (its .js files: ${files.join(', ') || 'none'})`)
  return join(dir, found)
}

function loadWith(fileOrSource: string | URL, options: LoadRuleOptions & { classicStubs?: Record<string, unknown> }, classic: boolean): LoadedRule {
  const rule = readRule(fileOrSource)
  if (options.name !== undefined) rule.name = options.name
  return new RuleHandle(rule, options, classic).callable
}

function mergeOptions(a: LoadRuleOptions, b: LoadRuleOptions): LoadRuleOptions {
  return {
    ...a,
    ...b,
    globals: { ...a.globals, ...b.globals },
    modules: a.modules === undefined && b.modules === undefined ? undefined : { ...a.modules, ...b.modules, host: { ...a.modules?.host, ...b.modules?.host } },
    hooks: { ...a.hooks, ...b.hooks },
  }
}

function readRule(fileOrSource: string | URL): RuleFile {
  if (typeof fileOrSource === 'string' && looksLikeSource(fileOrSource)) {
    const named = /^\s*(?:(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*(?:async\s+)?function\s*([A-Za-z_$][\w$]*)\s*\(/.exec(fileOrSource)
    return { name: named?.[1] ?? 'rule', script: fileOrSource }
  }
  return readRuleFileSync(toPath(fileOrSource))
}

/** The keys of the engine's `auth0` option (EngineOptions['auth0']). */
const AUTH0_OPTION_KEYS: ReadonlySet<string> = new Set(['domain', 'accessToken', 'managementApi'])

/**
 * `options` when every key is an option name. The classic harness's globals passed alone (the old
 * two-argument shape, `loadRule(file, { configuration, myStub })`) throw here: what a key means
 * never depends on which other keys sit beside it.
 */
function checkedOptions(options: LoadRuleOptions | undefined, caller: string): LoadRuleOptions {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${caller}: the options must be an object, not ${options === null ? 'null' : typeof options}.`)
  const unknown = Object.keys(options).filter((key) => !OPTION_KEYS.has(key))
  const { auth0 } = options as { auth0?: unknown }
  // The option is the engine's (`domain`, `accessToken`, `managementApi`); an object of stubs
  // (`users.updateAppMetadata`, …) is a global.
  if (isPlainObject(auth0) && Object.keys(auth0).some((key) => !AUTH0_OPTION_KEYS.has(key))) unknown.push('auth0')
  if (unknown.length === 0) return options
  const names = unknown.map((key) => `'${key}'`).join(', ')
  throw new TypeError(
    `${caller}: ${names} ${unknown.length === 1 ? 'is not an option' : 'are not options'} (the options are ${[...OPTION_KEYS].join(', ')}). ` +
      `Put the rule's globals under globals (loadRule(file, { globals: { ${unknown[0]}: … } })), or pass the classic harness's three arguments (loadRule(file, globals, stubs)).`,
  )
}

/** The classic harness's `globals` and `stubs` as options. */
function fromClassic(globals: Record<string, unknown>, stubs: Record<string, unknown>): LoadRuleOptions & { classicStubs: Record<string, unknown> } {
  const options: LoadRuleOptions & { classicStubs: Record<string, unknown> } = { globals: {}, classicStubs: stubs }
  const extra: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(globals)) {
    if (key === 'configuration') options.configuration = value as Record<string, string>
    else if (key === 'global') options.global = value as Record<string, unknown>
    else if (!PROVIDED_GLOBALS.has(key)) extra[key] = value
  }
  options.globals = extra
  return options
}

class RuleHandle {
  readonly callable: LoadedRule
  readonly #rule: RuleFile
  readonly #options: LoadRuleOptions & { classicStubs?: Record<string, unknown> }
  readonly #autoModules: boolean
  #engine: Promise<Engine> | undefined
  #queue: Promise<void> = Promise.resolve()
  #captured: CapturedCall | undefined
  #lastRun: LoadedRuleRun | undefined

  constructor(rule: RuleFile, options: LoadRuleOptions & { classicStubs?: Record<string, unknown> }, classic: boolean) {
    this.#rule = rule
    this.#options = options
    this.#autoModules = classic || options.modules?.packages === undefined
    const handle = this
    const callable = function rule(user: Record<string, any>, context: Record<string, any>, callback?: RuleCallback) {
      return handle.call(user, context, callback)
    }
    Object.defineProperties(callable, {
      ruleName: { get: () => this.#rule.name, enumerable: true },
      file: { get: () => this.#rule.file, enumerable: true },
      lastRun: { get: () => this.#lastRun, enumerable: true },
      close: { value: () => this.close() },
      [Symbol.asyncDispose]: { value: () => this.close() },
    })
    this.callable = callable as unknown as LoadedRule
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

  async call(user: Record<string, any>, context: Record<string, any>, callback: RuleCallback | undefined): Promise<unknown[]> {
    if (user === null || typeof user !== 'object') throw new TypeError('loadRule: user must be an object.')
    if (context === null || typeof context !== 'object') throw new TypeError('loadRule: context must be an object.')
    const previous = this.#queue
    let release!: () => void
    this.#queue = new Promise((resolve) => (release = resolve))
    await previous
    let args: unknown[]
    try {
      args = await this.#runOnce(user, context)
    } finally {
      release()
    }
    if (callback !== undefined) await callback(...args)
    return args
  }

  async #runOnce(user: Record<string, any>, context: Record<string, any>): Promise<unknown[]> {
    const engine = await this.#engineFor()
    this.#captured = undefined
    let result: RunResult | undefined
    let error: AnyTokenRulesError | undefined
    try {
      result = await engine.run({ user: withRequiredUser(user), context: withRequiredContext(context) }, { includeContext: true })
    } catch (thrown) {
      if (!isTokenRulesError(thrown)) throw thrown
      error = thrown
    }
    this.#lastRun = error === undefined ? { result: result as RunResult } : { error }
    const captured = this.#captured as CapturedCall | undefined
    this.#captured = undefined
    if (error !== undefined && SETUP_ERRORS.has(error.code)) throw error
    return callbackArguments(captured, result, error, user, context)
  }

  #engineFor(): Promise<Engine> {
    if (this.#engine === undefined) {
      const created = this.#createEngine()
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

  async #createEngine(): Promise<Engine> {
    const rule = this.#rule
    const capture = (payload: unknown) => {
      this.#captured = payload as CapturedCall
    }
    const options = engineOptionsFor(
      [{ ...rule, script: withCapture(rule.script) }],
      { ...this.#options, modules: this.#modules() },
      { [CAPTURE_GLOBAL]: capture },
      { prelude: false },
    )
    try {
      return await createEngine(options)
    } catch (error) {
      throw fixCompileLine(error, rule)
    }
  }

  /** The modules option: the test's, classic stubs, and the installed packages the rule requires. */
  #modules(): TestEngineOptions['modules'] {
    const given = this.#options.modules
    const stubs = this.#options.classicStubs ?? {}
    const resolveFrom = given?.resolveFrom ?? (this.#rule.file === undefined ? process.cwd() : dirname(this.#rule.file))
    const host: Record<string, unknown> = { ...given?.host }
    const packages = new Set(given?.packages ?? [])
    let crypto = given?.crypto
    for (const [name, value] of Object.entries(stubs)) {
      if (CRYPTO_MODULES.has(name) && isInstalled(name, value, resolveFrom)) crypto = true
      else if (!HTTP_MODULES.has(name) && !CRYPTO_MODULES.has(name) && isInstalled(name, value, resolveFrom)) packages.add(name)
      else host[name] = value
    }
    if (this.#autoModules) {
      for (const name of requiredNames(this.#rule.script)) {
        if (Object.hasOwn(host, name) || packages.has(name) || HTTP_MODULES.has(name)) continue
        if (CRYPTO_MODULES.has(name)) crypto ??= true
        else if (ENGINE_BUILTINS.has(name)) packages.add(name)
        else if (!builtinModules.includes(name) && !name.startsWith('node:') && resolvable(name, resolveFrom)) packages.add(name)
      }
    }
    const modules: NonNullable<TestEngineOptions['modules']> = { ...given, host, packages: [...packages], resolveFrom }
    if (crypto !== undefined) modules.crypto = crypto
    return modules
  }
}

/** The names in `require('name')` / `require('name@1.2.3')` calls written in the rule. */
function requiredNames(script: string): string[] {
  return [...new Set(requiredModules(script).map((m) => m.name))]
}

function resolvable(name: string, from: string): boolean {
  try {
    createRequire(join(from, '__tokenrules_resolve__.js')).resolve(name)
    return true
  } catch {
    return false
  }
}

/** Whether `value` is the installed package `name` itself (as the test `require`d or imported it). */
function isInstalled(name: string, value: unknown, from: string): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false
  try {
    const require = createRequire(join(from, '__tokenrules_resolve__.js'))
    if (builtinModules.includes(name)) return require(name) === value
    const entry = require.resolve(name)
    const cached = require.cache[entry]
    return cached !== undefined && (cached.exports === value || (cached.exports as { default?: unknown }).default === value)
  } catch {
    return false
  }
}

/** Classic tests may build users and contexts without the fields the engine requires. */
function withRequiredUser(user: Record<string, any>): User {
  return typeof user.user_id === 'string' && user.user_id !== '' ? { ...user, user_id: user.user_id } : { ...user, user_id: makeUser().user_id }
}
function withRequiredContext(context: Record<string, any>): Context {
  const { protocol, clientID } = context
  return {
    ...context,
    protocol: typeof protocol === 'string' && protocol !== '' ? protocol : 'oauth2-password',
    clientID: typeof clientID === 'string' && clientID !== '' ? clientID : makeContext().clientID,
  }
}

/** The arguments the rule passed to its callback, as the test's callback receives them. */
function callbackArguments(
  captured: CapturedCall | undefined,
  result: RunResult | undefined,
  error: AnyTokenRulesError | undefined,
  user: Record<string, any>,
  context: Record<string, any>,
): unknown[] {
  if (captured?.kind === 'throw' && captured.error !== undefined && captured.failed === undefined) {
    return [rebuildError(captured.error, error)]
  }
  if (captured?.kind === 'callback' && captured.failed === undefined && captured.err !== undefined) {
    const argc = captured.argc ?? 3
    // The wrapper copied the objects when the rule called back; the engine judges the callback
    // later (once the rule's synchronous code has returned, or a microtask later) and builds the
    // token from the objects as they are then. So a change the rule makes after calling back (in
    // the same synchronous code, or before the engine accepted) is in the token: on success, the
    // engine's own user and context are what the test gets back.
    const engineUser = result?.user
    const engineContext = result?.context
    // Which of the rule's objects the engine went on with: the one it received unless it passed another.
    const keptUser = argc < 2 || captured.userSame === true || captured.passedUser === null || captured.passedUser === undefined
    const keptContext = argc < 3 || captured.contextSame === true || captured.passedContext === null || captured.passedContext === undefined
    syncInto(user, keptUser && engineUser !== undefined ? engineUser : captured.user)
    syncInto(context, keptContext && engineContext !== undefined ? engineContext : captured.context)
    const args: unknown[] = [rebuildError(captured.err, error)]
    if (captured.userSame === true) args.push(user)
    else args.push(!keptUser && engineUser !== undefined ? engineUser : captured.passedUser)
    if (captured.contextSame === true) args.push(context)
    else args.push(!keptContext && engineContext !== undefined ? engineContext : captured.passedContext)
    return args.slice(0, argc)
  }
  // The wrapper could not report (nothing was called back, or the arguments could not be copied):
  // fall back on the engine's outcome.
  if (error !== undefined) return [engineErrorAsArgument(error)]
  const argc = captured?.argc ?? 3
  if (result === undefined) return [null]
  syncInto(user, result.user)
  if (result.context !== undefined) syncInto(context, result.context)
  return [null, user, context].slice(0, argc)
}

/** The engine's error as a rule's callback would have passed it. */
function engineErrorAsArgument(error: AnyTokenRulesError): unknown {
  switch (error.code) {
    case 'ERR_RULE_UNAUTHORIZED':
      return withCause(new UnauthorizedError(error.message), error)
    case 'ERR_RULE_DENIED':
      return withCause(new Error(error.message), error)
    case 'ERR_RULE_EXCEPTION': {
      const err = withCause(new Error(error.message), error)
      if (error.guestStack !== undefined) err.stack = error.guestStack
      return err
    }
    default:
      return error
  }
}

const ERROR_CLASSES: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
}

/** An error as the rule made it, rebuilt on the host. */
function rebuildError(described: DescribedError, engineError: AnyTokenRulesError | undefined): unknown {
  switch (described.kind) {
    case 'null':
      return null
    case 'undefined':
      return undefined
    case 'string':
    case 'value':
    case 'object':
      return described.value
    case 'error': {
      const unauthorized = described.unauthorized || engineError?.code === 'ERR_RULE_UNAUTHORIZED'
      const Ctor = ERROR_CLASSES[described.name] ?? Error
      // The engine reads the error's message when it accepts the callback, as the token endpoint's
      // error_description does: a message changed after calling back is the one the client sees.
      const message = engineError?.code === 'ERR_RULE_DENIED' || engineError?.code === 'ERR_RULE_UNAUTHORIZED' ? engineError.message : described.message
      const err: Error = unauthorized ? new UnauthorizedError(message) : new Ctor(message)
      if (!unauthorized && err.name !== described.name) {
        Object.defineProperty(err, 'name', { value: described.name, writable: true, configurable: true, enumerable: false })
      }
      for (const [key, value] of Object.entries(described.props)) {
        if (unauthorized && (key === 'code' || key === 'description' || key === 'statusCode')) continue
        if (key === 'message') continue
        ;(err as unknown as Record<string, unknown>)[key] = value
      }
      if (described.stack !== undefined) err.stack = described.stack
      return engineError === undefined ? err : withCause(err, engineError)
    }
  }
}

function withCause<E extends Error>(err: E, cause: unknown): E {
  Object.defineProperty(err, 'cause', { value: cause, writable: true, configurable: true, enumerable: false })
  return err
}

/**
 * Make `target` hold `source` (the rule's copy of it), in place, keeping the identity of nested
 * objects and arrays that exist on both sides: a classic test that holds `context.idToken` sees the
 * rule's claims in it.
 */
function syncInto(target: unknown, source: unknown): void {
  if (Array.isArray(target) && Array.isArray(source)) {
    target.length = source.length
    for (let i = 0; i < source.length; i++) target[i] = merged(target[i], source[i])
    return
  }
  if (!isPlainObject(target) || !isPlainObject(source)) return
  for (const key of Object.keys(target)) if (!Object.hasOwn(source, key)) delete target[key]
  for (const key of Object.keys(source)) {
    Object.defineProperty(target, key, { value: merged(target[key], source[key]), enumerable: true, writable: true, configurable: true })
  }
}

function merged(current: unknown, next: unknown): unknown {
  if ((isPlainObject(current) && isPlainObject(next)) || (Array.isArray(current) && Array.isArray(next))) {
    syncInto(current, next)
    return current
  }
  return next
}

/** A compile error at the line the wrapper adds belongs to the rule's last line. */
function fixCompileLine(error: unknown, rule: RuleFile): unknown {
  if (!(error instanceof RuleCompileError) || error.line === undefined) return error
  const lines = rule.script.split('\n').length
  if (error.line <= lines) return error
  const line = Math.max(1, error.line - CAPTURE_EXTRA_LINES)
  return new RuleCompileError(error.message.replace(`(line ${error.line})`, `(line ${line})`), { rule: error.rule, line, cause: error.cause })
}
