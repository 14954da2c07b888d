/**
 * Deterministic time and randomness for tests. Every run of `runRules`, `createRuleRunner` and
 * `loadRule` sees {@link FIXED_NOW} as `Date.now()` and a {@link seededRandom} sequence behind
 * `Math.random()` and the `crypto` module's random bytes and UUIDs, unless the test passes its own
 * `clock` (`Date.now` for the real one) / `random` (`Math.random` for unseeded randomness): each a
 * function, as the engine's options of the same names take them.
 *
 * @module
 */

/**
 * The instant rules see by default in tests (`Date.now()`, `new Date()`), in milliseconds since
 * the epoch: 2025-01-15T09:30:00.000Z. `makeUser` uses it for `last_login` and `updated_at`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { FIXED_NOW, runRules } from '@tokenrules/testing'
 *
 * const result = await runRules({
 *   rules: [`function (user, context, callback) {
 *     context.idToken['https://example.com/checked_at'] = new Date().toISOString();
 *     callback(null, user, context);
 *   }`],
 * })
 * assert.equal(FIXED_NOW, Date.parse('2025-01-15T09:30:00.000Z'))
 * assert.equal(result.idToken.claims['https://example.com/checked_at'], new Date(FIXED_NOW).toISOString())
 * ```
 */
export const FIXED_NOW: number = Date.UTC(2025, 0, 15, 9, 30, 0)

/**
 * The seed of the default random sequence: without a `random` option, rules draw from
 * `seededRandom(DEFAULT_SEED)`, fresh for each engine, so every run of a test draws the same numbers.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { DEFAULT_SEED, runRules, seededRandom } from '@tokenrules/testing'
 *
 * const rules = [`function (user, context, callback) {
 *   context.accessToken['https://example.com/sample'] = Math.random();
 *   callback(null, user, context);
 * }`]
 * const result = await runRules({ rules })
 * const first = seededRandom(DEFAULT_SEED)()
 * assert.equal(result.accessToken.claims['https://example.com/sample'], first)
 * assert.deepEqual((await runRules({ rules })).accessToken.claims, result.accessToken.claims)
 * ```
 */
export const DEFAULT_SEED = 0x5eed

/**
 * A clock, for the `clock` option: a function that returns milliseconds since the epoch, the same
 * `clock: () => number` as the engine's option (`Date.now` is the real clock).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { runRules, type ClockOption } from '@tokenrules/testing'
 *
 * const afterExpiry: ClockOption = () => Date.parse('2030-01-01T00:00:00Z')
 * const login = runRules({
 *   rules: [`function (user, context, callback) {
 *     if (Date.now() > Date.parse(user.app_metadata.subscription_ends)) return callback(new UnauthorizedError('Your subscription has ended.'));
 *     callback(null, user, context);
 *   }`],
 *   user: { app_metadata: { subscription_ends: '2029-12-31T23:59:59Z' } },
 *   clock: afterExpiry,
 * })
 * await assert.rejects(login, { code: 'ERR_RULE_UNAUTHORIZED', message: 'Your subscription has ended.' })
 * ```
 */
export type ClockOption = () => number
/**
 * A source of numbers in [0, 1), for the `random` option: {@link seededRandom} (the default),
 * `Math.random` for unseeded randomness, or any `() => number`, as the engine's `random` option.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { runRules, type RandomOption } from '@tokenrules/testing'
 *
 * const rules = [`function (user, context, callback) {
 *   context.idToken['https://example.com/variant'] = Math.random() < 0.1 ? 'new-checkout' : 'classic';
 *   callback(null, user, context);
 * }`]
 * const lucky: RandomOption = () => 0.05
 * const result = await runRules({ rules, random: lucky })
 * assert.deepEqual(result.idToken.claims, { 'https://example.com/variant': 'new-checkout' })
 * ```
 */
export type RandomOption = () => number

/**
 * A clock that always reads `at` (milliseconds, an ISO string or a Date).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { fixedClock, runRules } from '@tokenrules/testing'
 *
 * const clock = fixedClock('2030-06-01T12:00:00Z')
 * assert.equal(clock(), 1906545600000)
 * const result = await runRules({
 *   rules: [`function (user, context, callback) {
 *     context.idToken['https://example.com/year'] = new Date().getUTCFullYear();
 *     callback(null, user, context);
 *   }`],
 *   clock,
 * })
 * assert.deepEqual(result.idToken.claims, { 'https://example.com/year': 2030 })
 * ```
 */
export function fixedClock(at: number | string | Date = FIXED_NOW): () => number {
  const ms = toMillis(at)
  return () => ms
}

/**
 * A clock that starts at `start` and that the test moves forward with `advance(ms)` (for rules that
 * compare `Date.now()` with a stored timestamp).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createRuleRunner, manualClock } from '@tokenrules/testing'
 *
 * const clock = manualClock('2025-01-15T09:30:00Z')
 * await using runner = await createRuleRunner({
 *   rules: [`function (user, context, callback) {
 *     const fresh = Date.now() - context.authentication.methods[0].timestamp < 5 * 60 * 1000;
 *     context.accessToken['https://example.com/fresh_auth'] = fresh;
 *     callback(null, user, context);
 *   }`],
 *   clock,
 * })
 * const login = { context: { authentication: { methods: [{ name: 'pwd', timestamp: clock() }] } } }
 * assert.equal((await runner.run(login)).accessToken.claims['https://example.com/fresh_auth'], true)
 * clock.advance(10 * 60_000)
 * assert.equal(new Date(clock()).toISOString(), '2025-01-15T09:40:00.000Z')
 * assert.equal((await runner.run(login)).accessToken.claims['https://example.com/fresh_auth'], false)
 * ```
 */
export function manualClock(start: number | string | Date = FIXED_NOW): (() => number) & { advance(ms: number): void; set(at: number | string | Date): void } {
  let now = toMillis(start)
  const clock = () => now
  return Object.assign(clock, {
    advance(ms: number) {
      now += ms
    },
    set(at: number | string | Date) {
      now = toMillis(at)
    },
  })
}

/**
 * A reproducible sequence of numbers in [0, 1) (mulberry32). Two sources with the same seed give
 * the same sequence, so ids a rule draws (`crypto.randomUUID()`, `Math.random()`) are the same on
 * every run of a test.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { runRules, seededRandom } from '@tokenrules/testing'
 *
 * const a = seededRandom(42)
 * const b = seededRandom(42)
 * assert.equal(a(), b())
 * const rules = [`function (user, context, callback) {
 *   context.accessToken['https://example.com/session_id'] = require('crypto').randomUUID();
 *   callback(null, user, context);
 * }`]
 * const run = () => runRules({ rules, random: seededRandom(7), modules: { crypto: true } })
 * assert.deepEqual((await run()).accessToken.claims, (await run()).accessToken.claims)
 * ```
 */
export function seededRandom(seed: number = DEFAULT_SEED): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The engine's `clock` option for a test: the fixed clock unless the test chose one. */
export function resolveClock(option: (() => number) | undefined): () => number {
  if (option === undefined) return fixedClock()
  if (typeof option !== 'function') {
    // `'real'` was the kit's own spelling of the real clock; the clock is spelled one way everywhere now.
    throw new TypeError(
      `clock must be a function returning milliseconds since the epoch (Date.now for the real clock), not ${JSON.stringify(option) ?? typeof option}.`,
    )
  }
  return option
}

/** The engine's `random` option for a test: a fresh seeded sequence unless the test chose one. */
export function resolveRandom(option: RandomOption | undefined): () => number {
  if (option === undefined) return seededRandom()
  if (typeof option !== 'function') {
    // `'real'` was the kit's own spelling of unseeded randomness; `random` is a function, as in the engine.
    throw new TypeError(
      `random must be a function returning numbers in [0, 1) (Math.random for unseeded randomness), not ${JSON.stringify(option) ?? typeof option}.`,
    )
  }
  return option
}

function toMillis(at: number | string | Date): number {
  const ms = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : at.getTime()
  if (!Number.isFinite(ms)) throw new TypeError(`Not a valid instant: ${String(at)}`)
  return ms
}
