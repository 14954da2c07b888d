/**
 * The floor of the engine's design: isolated-vm with the contenders' bare harness (no guest
 * runtime, no validation, no claims policy), entered with one async `apply` per run like the
 * engine. Measured on the main thread. Shows what the isolate boundary itself costs.
 */
import { availableParallelism } from 'node:os'
import ivm from 'isolated-vm'
import type { FullReport } from './contender-worker.js'
import { harnessSource } from './runner.js'
import { MB, median, settledRss, summarize } from './stats.js'
import { configuration, deniedInput, input, rules, tenRules, type BenchRule, type Outcome } from './workload.js'

interface RawIsolate {
  run(input: object): Promise<Outcome>
  dispose(): void
}

async function create(ruleSet: readonly BenchRule[]): Promise<RawIsolate> {
  const isolate = new ivm.Isolate({ memoryLimit: 128 })
  const context = await isolate.createContext()
  const fn = (await context.eval(harnessSource(ruleSet, configuration), { reference: true, timeout: 1000 })) as ivm.Reference<(json: string) => string>
  return {
    async run(value) {
      const text = (await fn.apply(undefined, [JSON.stringify(value)], { timeout: 1000 })) as string
      return JSON.parse(text) as Outcome
    },
    dispose() {
      fn.release()
      context.release()
      isolate.dispose()
    },
  }
}

/** Something that serves one run per call: an isolate with the harness, or the boundary alone. */
interface Lane {
  run(input: object): Promise<unknown>
}

/** After 1,000 warm-up runs, the wall time of each of `count` sequential runs, in µs. */
async function latencies(lane: Lane, count: number): Promise<number[]> {
  for (let i = 0; i < 1000; i++) await lane.run(input)
  const samples: number[] = []
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    await lane.run(input)
    samples.push((performance.now() - t) * 1000)
  }
  return samples
}

async function rate(lanes: readonly Lane[], durationMs: number): Promise<number> {
  let runs = 0
  const start = performance.now()
  const end = start + durationMs
  await Promise.all(
    lanes.map(async (lane) => {
      while (performance.now() < end) {
        await lane.run(input)
        runs++
      }
    }),
  )
  return runs / ((performance.now() - start) / 1000)
}

export async function benchRawIsolate(options: {
  durationMs: number
  latencySamples: number
  tenants: number
}): Promise<FullReport & { throughputCores: number; hop: HopFigures }> {
  const cold: number[] = []
  for (let i = 0; i < 10; i++) {
    const t = performance.now()
    const instance = await create(tenRules)
    cold.push(performance.now() - t)
    instance.dispose()
  }
  const t0 = performance.now()
  const fresh = await create(tenRules)
  await fresh.run(input)
  const firstResultMs = performance.now() - t0
  fresh.dispose()

  const instance = await create(rules)
  const outcome = await instance.run(input)
  const deniedOutcome = await instance.run(deniedInput)
  const samples = await latencies(instance, options.latencySamples)
  const throughputC1 = await rate([instance], options.durationMs)
  const lanes = [instance]
  for (let i = 1; i < availableParallelism(); i++) lanes.push(await create(rules))
  await rate(lanes, 300)
  const throughputCores = await rate(lanes, options.durationMs)
  for (const lane of lanes) lane.dispose()

  const hop = await boundaryAlone(options)

  const before = await settledRss()
  const tenants: RawIsolate[] = []
  for (let i = 0; i < options.tenants; i++) {
    const tenant = await create(rules)
    await tenant.run(input)
    tenants.push(tenant)
  }
  const after = await settledRss()
  for (const tenant of tenants) tenant.dispose()
  return {
    outcome,
    deniedOutcome,
    latencyUs: summarize(samples),
    throughputC1,
    throughputCores,
    coldMs: { first: cold[0] as number, median: median(cold) },
    firstResultMs,
    memory: { perEngineMb: (after - before) / MB / options.tenants, hundredMb: ((after - before) / MB) * (100 / options.tenants), tenants: options.tenants },
    hop,
  }
}

/** The boundary alone: one async `apply` per run of a function that hands the JSON text back, nothing else. */
export interface HopFigures {
  p50Us: number
  throughputCores: number
}

async function boundaryAlone(options: { durationMs: number; latencySamples: number }): Promise<HopFigures> {
  const text = JSON.stringify(input)
  const lanes = await Promise.all(
    Array.from({ length: availableParallelism() }, async () => {
      const isolate = new ivm.Isolate({ memoryLimit: 128 })
      const context = await isolate.createContext()
      const fn = (await context.eval('(function (json) { return json })', { reference: true })) as ivm.Reference<(json: string) => string>
      return { isolate, context, fn }
    }),
  )
  try {
    const hops: Lane[] = lanes.map(({ fn }) => ({ run: () => fn.apply(undefined, [text], { timeout: 1000 }) }))
    const samples = await latencies(hops[0] as Lane, options.latencySamples)
    return { p50Us: summarize(samples).p50, throughputCores: await rate(hops, options.durationMs) }
  } finally {
    for (const lane of lanes) {
      lane.fn.release()
      lane.context.release()
      lane.isolate.dispose()
    }
  }
}
