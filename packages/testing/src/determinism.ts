/**
 * Deterministic time and randomness for tests. Every run of `runRules`, `createRuleRunner` and
 * `loadRule` sees {@link FIXED_NOW} as `Date.now()` and a {@link seededRandom} sequence behind
 * `Math.random()` and the `crypto` module's random bytes and UUIDs, unless the test passes its own
 * `clock` / `random` (or `'real'`).
 *
 * @module
 */

/** The instant rules see by default in tests: 2025-01-15T09:30:00.000Z. */
export const FIXED_NOW: number = Date.UTC(2025, 0, 15, 9, 30, 0)

/** The seed of the default random sequence. */
export const DEFAULT_SEED = 0x5eed

/** A clock or `'real'` (the engine's default: the host's real clock). */
export type ClockOption = (() => number) | 'real'
/** A source of numbers in [0, 1) or `'real'` (the engine's default: the platform's randomness). */
export type RandomOption = (() => number) | 'real'

/**
 * A clock that always reads `at` (milliseconds, an ISO string or a Date).
 *
 * @example
 * ```ts
 * import { fixedClock } from '@tokenrules/testing'
 *
 * const clock = fixedClock('2030-06-01T12:00:00Z')
 * clock() // 1906545600000
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
 * import { manualClock } from '@tokenrules/testing'
 *
 * const clock = manualClock('2025-01-15T09:30:00Z')
 * clock.advance(60_000)
 * new Date(clock()).toISOString() // '2025-01-15T09:31:00.000Z'
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
 * import { seededRandom } from '@tokenrules/testing'
 *
 * const a = seededRandom(42)
 * const b = seededRandom(42)
 * a() === b() // true
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
export function resolveClock(option: ClockOption | undefined): (() => number) | undefined {
  if (option === 'real') return undefined
  return option ?? fixedClock()
}

/** The engine's `random` option for a test: a fresh seeded sequence unless the test chose one. */
export function resolveRandom(option: RandomOption | undefined): (() => number) | undefined {
  if (option === 'real') return undefined
  return option ?? seededRandom()
}

function toMillis(at: number | string | Date): number {
  const ms = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : at.getTime()
  if (!Number.isFinite(ms)) throw new TypeError(`Not a valid instant: ${String(at)}`)
  return ms
}
