import { dirname } from 'node:path'
import { pipelineOrder, type EngineOptions, type RuleDefinition } from '@tokenrules/engine'
import { resolveClock, resolveRandom, type RandomOption } from './determinism.js'
import { PROPS_GLOBAL, SEED_GLOBAL, withPrelude } from './lib/guest-wrapper.js'
import { callableProps, liveStub, liveStubs } from './lib/stubs.js'
import type { RuleFile } from './rule-sources.js'

/**
 * The pipeline budget in tests, in milliseconds (the engine's production default is 20 s): below
 * vitest's 5 s test timeout, so a rule that never calls back fails the test with
 * `ERR_RULE_TIMEOUT` instead of a vitest timeout. `limits.timeoutMs` overrides it.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { runRules, TEST_TIMEOUT_MS } from '@tokenrules/testing'
 *
 * assert.equal(TEST_TIMEOUT_MS, 2_000)
 * const forgetful = `function (user, context, callback) {
 *   if (user.app_metadata.legacy) return; // forgot the callback
 *   callback(null, user, context);
 * }`
 * await assert.rejects(
 *   runRules({ rules: [forgetful], user: { app_metadata: { legacy: true } }, limits: { timeoutMs: TEST_TIMEOUT_MS / 40 } }),
 *   { code: 'ERR_RULE_TIMEOUT', timeoutMs: 50 },
 * )
 * ```
 */
export const TEST_TIMEOUT_MS = 2_000

/**
 * `auth0.domain` as rules see it in tests (the `auth0` option overrides it).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { runRules, TEST_AUTH0_DOMAIN } from '@tokenrules/testing'
 *
 * const result = await runRules({
 *   rules: [`function (user, context, callback) {
 *     context.idToken['https://example.com/issuer'] = 'https://' + auth0.domain + '/';
 *     callback(null, user, context);
 *   }`],
 * })
 * assert.equal(result.idToken.claims['https://example.com/issuer'], `https://${TEST_AUTH0_DOMAIN}/`)
 * ```
 */
export const TEST_AUTH0_DOMAIN = 'acme.auth.example.com'

/**
 * The engine options a test may set. Everything is passed to `createEngine` as it is, with test
 * defaults: one isolate, a {@link TEST_TIMEOUT_MS} budget, a fixed clock and seeded randomness,
 * `auth0.domain` set, and host stubs that may be class instances. `runRules`, `createRuleRunner`
 * and `loadRule` all take them.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { fixedClock, loadRule, makeContext, makeUser, runRules, type TestEngineOptions } from '@tokenrules/testing'
 *
 * const script = `function (user, context, callback) {
 *   const trialEnds = Date.parse(user.app_metadata.trial_ends);
 *   context.accessToken['https://example.com/plan'] = Date.now() < trialEnds ? 'trial' : configuration.FALLBACK_PLAN;
 *   callback(null, user, context);
 * }`
 * const options: TestEngineOptions = { configuration: { FALLBACK_PLAN: 'free' }, clock: fixedClock('2025-03-01T00:00:00Z') }
 * const user = { app_metadata: { trial_ends: '2025-02-01T00:00:00Z' } }
 *
 * const result = await runRules({ rules: [script], user, ...options })
 * assert.deepEqual(result.accessToken.claims, { 'https://example.com/plan': 'free' })
 * await using rule = loadRule(script, options)
 * const context = makeContext()
 * await rule(makeUser(user), context)
 * assert.deepEqual(context.accessToken, { 'https://example.com/plan': 'free' })
 * ```
 */
export interface TestEngineOptions {
  /** The rules' `configuration` (string keys to string values). */
  configuration?: Readonly<Record<string, string>> | undefined
  /**
   * Initial contents of the rules' `global` object (JSON data, functions, objects of functions),
   * e.g. a cached token: `global: { cachedToken: 'abc' }`.
   */
  global?: Readonly<Record<string, unknown>> | undefined
  /** Extra globals: host stubs (functions, `vi.fn()` mocks, objects of functions) or JSON data. */
  globals?: Readonly<Record<string, unknown>> | undefined
  /** What `require` may load; `modules.host` takes stubs of modules (`{ request: { get: vi.fn() } }`). */
  modules?: EngineOptions['modules']
  /** `auth0.domain`; default {@link TEST_AUTH0_DOMAIN}. */
  auth0?: EngineOptions['auth0']
  /**
   * `updateAppMetadata` / `updateUserMetadata` (a `vi.fn()` records what rules persist), `onLog`,
   * `onRuleError`. By default the metadata hooks accept every update (the result's
   * `metadataUpdates` lists them); the engine alone would fail such a run for want of a store.
   */
  hooks?: EngineOptions['hooks']
  /** The namespace policy of custom claims (default `required`, dropping violations with a warning). */
  claims?: EngineOptions['claims']
  /** Default: `timeoutMs` {@link TEST_TIMEOUT_MS}; the engine's other defaults. */
  limits?: EngineOptions['limits']
  /** `exposeExceptionMessages`: put a thrown exception's message in the OAuth `error_description` (default `false`, a generic text). */
  errors?: EngineOptions['errors']
  /** What `Date.now()` returns in rules, in milliseconds since the epoch. Default: {@link FIXED_NOW} always; `Date.now` for the real clock. */
  clock?: (() => number) | undefined
  /** Randomness behind `Math.random()` and `crypto`, numbers in [0, 1). Default: {@link seededRandom}; `Math.random` for unseeded randomness. */
  random?: RandomOption | undefined
  /** Isolates. Default 1. */
  concurrency?: number | undefined
}

/**
 * The `createEngine` options for a test's rule set. The first rule in pipeline order gets the
 * prelude (seeding `global`, properties of callable stubs) when it needs one, unless the caller
 * wrapped the rules itself (`prelude: false`).
 */
export function engineOptionsFor(
  rules: readonly RuleFile[],
  options: TestEngineOptions,
  extraGlobals: Record<string, unknown> = {},
  { prelude = true }: { prelude?: boolean } = {},
): EngineOptions {
  const globals: Record<string, unknown> = { ...liveStubs(options.globals), ...extraGlobals }
  let definitions: RuleDefinition[] = rules.map(({ file: _file, ...rule }) => rule)
  const props = { globals: callableProps(options.globals), modules: callableProps(options.modules?.host) }
  const hasProps = Object.keys(props.globals).length > 0 || Object.keys(props.modules).length > 0
  if (options.global !== undefined) globals[SEED_GLOBAL] = liveStub(options.global)
  if (hasProps) globals[PROPS_GLOBAL] = props
  if (prelude && (options.global !== undefined || hasProps)) {
    const first = pipelineOrder(definitions)[0]
    if (first !== undefined) definitions = definitions.map((rule) => (rule === first ? { ...rule, script: withPrelude(rule.script) } : rule))
  }
  const firstFile = rules.find((rule) => rule.file !== undefined)?.file
  const modules =
    options.modules === undefined && firstFile === undefined
      ? undefined
      : {
          ...options.modules,
          host: liveStubs(options.modules?.host),
          resolveFrom: options.modules?.resolveFrom ?? (firstFile === undefined ? undefined : dirname(firstFile)),
        }
  const engineOptions: EngineOptions = {
    rules: definitions,
    concurrency: options.concurrency ?? 1,
    limits: { timeoutMs: TEST_TIMEOUT_MS, ...options.limits },
    auth0: { domain: TEST_AUTH0_DOMAIN, ...options.auth0 },
    globals,
    clock: resolveClock(options.clock),
    random: resolveRandom(options.random),
  }
  if (modules !== undefined) engineOptions.modules = withoutUndefined(modules)
  if (options.configuration !== undefined) engineOptions.configuration = options.configuration
  engineOptions.hooks = { updateAppMetadata: acceptUpdate, updateUserMetadata: acceptUpdate, ...options.hooks }
  if (options.claims !== undefined) engineOptions.claims = options.claims
  if (options.errors !== undefined) engineOptions.errors = options.errors
  return engineOptions
}

/** The default metadata store of tests: every update succeeds (and appears in `result.metadataUpdates`). */
async function acceptUpdate(): Promise<void> {}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
