/**
 * Shared settings of the property-based tests: a fixed seed (override with FUZZ_SEED, printed by
 * fast-check with every counterexample) and a bounded number of runs (FUZZ_RUNS scales them).
 */
import fc from 'fast-check'

export const SEED = Number(process.env.FUZZ_SEED ?? 20_261_122)
const SCALE = Number(process.env.FUZZ_RUNS_SCALE ?? 1)

/** fast-check parameters: the fixed seed and `numRuns` (scaled by FUZZ_RUNS_SCALE). */
export function params(numRuns: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns: Math.max(1, Math.round(numRuns * SCALE)), endOnFailure: true }
}

/** Keys that have meaning to JavaScript objects, mixed with arbitrary ones. */
export const trickyKey = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'valueOf',
      'then',
      'toJSON',
      'hasOwnProperty',
      '__defineGetter__',
      'length',
      '',
    ),
  },
)

/** A JSON value whose objects may have own `__proto__`/`constructor` keys (built with Object.fromEntries). */
export const trickyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(trickyKey, tie('value')), { maxLength: 4 }).map((entries) => Object.fromEntries(entries)),
  ),
})).value

/** Own property names of the host's prototypes, to prove that nothing polluted them. */
export function hostPrototypes(): string {
  const names = (o: object) => Reflect.ownKeys(o).map(String).sort().join(',')
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype, Promise.prototype, Error.prototype].map(names).join('|')
}

/** Replace the value at one path of `value` (objects and arrays), or add a key there. */
export function mutate(value: unknown, path: readonly number[], replacement: unknown, addKey: string | undefined): unknown {
  if (value === null || typeof value !== 'object') return replacement
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value)
  if (entries.length === 0 || path.length === 0) {
    if (addKey === undefined || Array.isArray(value)) return replacement
    return Object.fromEntries([...entries, [addKey, replacement]])
  }
  const index = (path[0] as number) % entries.length
  const next = entries.map(([k, v], i): [string, unknown] => [k, i === index ? mutate(v, path.slice(1), replacement, addKey) : v])
  return Array.isArray(value) ? next.map(([, v]) => v) : Object.fromEntries(next)
}
