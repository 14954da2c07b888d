/**
 * The speed targets of issue 19, each read off one `pnpm bench` run as a ratio (so that the noise
 * of the machine hits both sides) with whether it is met. Nothing here is asserted: the bench
 * prints the table and writes it to results/; docs/benchmarks.md keeps the reading.
 */
import type { EndpointReport } from './endpoint-bench.js'

/** One target: what is compared, the measured ratio (or figure), the bound, and whether it holds. */
export interface Target {
  target: string
  measured: string
  ratio: number
  bound: string
  met: boolean
}

/** A contender's figures, as the bench's table has them. */
export interface Figures {
  p50Us: number
  p99Us: number
  throughputC1: number
  throughputCores: number
}

const x = (value: number) => `${value.toFixed(2)}×`
const us = (value: number) => `${value.toFixed(1)} µs`
const perSecond = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`

/** At most `bound` times: `ratio = mine / theirs`. */
function atMost(target: string, mine: number, theirs: number, bound: number, show: (value: number) => string): Target {
  const ratio = mine / theirs
  return { target, measured: `${show(mine)} vs ${show(theirs)}`, ratio, bound: `≤ ${x(bound)}`, met: ratio <= bound }
}

/** At least `bound` times: `ratio = mine / theirs`. */
function atLeast(target: string, mine: number, theirs: number, bound: number, show: (value: number) => string): Target {
  const ratio = mine / theirs
  return { target, measured: `${show(mine)} vs ${show(theirs)}`, ratio, bound: `≥ ${x(bound)}`, met: ratio >= bound }
}

/**
 * The engine's targets against the other rows of the same run: the bare isolate, node:vm and the
 * three sandboxes it must beat; its own tail and its scaling with `cores` runs in flight.
 */
export function sandboxTargets(rows: Readonly<Record<string, Figures>>, cores: number): Target[] {
  const row = (name: string): Figures => {
    const found = rows[name]
    if (found === undefined) throw new Error(`the bench has no row '${name}'`)
    return found
  }
  const engine = row('tokenrules engine')
  const bare = row('isolated-vm, bare harness')
  const nodeVm = row('node:vm')
  const out: Target[] = [
    atMost('warm p50 vs the bare isolate', engine.p50Us, bare.p50Us, 1.5, us),
    atMost('warm p50 vs node:vm', engine.p50Us, nodeVm.p50Us, 8, us),
  ]
  for (const name of ['quickjs-emscripten', 'vm2', 'ses Compartment']) {
    // "Faster than": strictly below 1× at p50, strictly above at runs/s.
    const other = row(name)
    const p50 = atMost(`warm p50 vs ${name}`, engine.p50Us, other.p50Us, 1, us)
    out.push({ ...p50, bound: '< 1.00×', met: p50.ratio < 1 })
    const rate = atLeast(`runs/s with ${cores} in flight vs ${name}`, engine.throughputCores, other.throughputCores, 1, perSecond)
    out.push({ ...rate, bound: '> 1.00×', met: rate.ratio > 1 })
  }
  out.push(atMost('p99 vs p50', engine.p99Us, engine.p50Us, 4, us))
  out.push(atLeast(`runs/s with ${cores} in flight vs 1`, engine.throughputCores, engine.throughputC1, 2, perSecond))
  out.push(atLeast(`runs/s with ${cores} in flight vs 10,000/s`, engine.throughputCores, 10_000, 1, perSecond))
  return out
}

/** The token endpoint with the 5 rules against the endpoint with no engine, at the bench's cheap hashing. */
export function endpointTargets(report: EndpointReport): Target[] {
  const find = (name: string) => {
    const found = report.variants.find((variant) => variant.name === name)
    if (found === undefined) throw new Error(`the endpoint bench has no variant '${name}'`)
    return found
  }
  const none = find('no rules engine (pass-through), N=2^4')
  const rules = find('engine, 5 rules, N=2^4')
  const ms = (value: number) => `${value.toFixed(2)} ms`
  const p50 = (variant: typeof none) => variant.latencyRun?.latencyMs.p50 ?? Number.NaN
  return [
    atMost('endpoint p50 (c=1), 5 rules vs no engine', p50(rules), p50(none), 1.05, ms),
    atLeast('endpoint req/s under load, 5 rules vs no engine', rules.throughputRun.requestsPerSecond, none.throughputRun.requestsPerSecond, 0.95, perSecond),
  ]
}

/** The targets as console.table rows. */
export function targetTable(targets: readonly Target[]): Record<string, Record<string, string>> {
  return Object.fromEntries(targets.map((t) => [t.target, { measured: t.measured, ratio: x(t.ratio), target: t.bound, met: t.met ? 'met' : 'NOT MET' }]))
}
