/** tokenrules' engine on the workload, measured on the main thread (its isolates run on isolated-vm's threads). */
import { availableParallelism } from 'node:os'
import { createEngine, isTokenRulesError, type Engine, type RunInput } from '@tokenrules/engine'
import type { FullReport } from './contender-worker.js'
import { MB, median, settledRss, summarize } from './stats.js'
import { configuration, deniedInput, input, rules, tenRules, type BenchRule, type Outcome } from './workload.js'

export interface EngineReport extends FullReport {
  throughputCores: number
  coldDefaultMs: { first: number; median: number }
  memoryDefault: { perEngineMb: number; engines: number; isolatesPerEngine: number }
}

export interface EngineBenchOptions {
  durationMs: number
  latencySamples: number
  tenants: number
}

const cores = availableParallelism()

function engineFor(ruleSet: readonly BenchRule[], concurrency?: number): Promise<Engine> {
  return createEngine({ rules: [...ruleSet], configuration, ...(concurrency === undefined ? {} : { concurrency }) })
}

export async function runEngine(engine: Engine, runInput: object): Promise<Outcome> {
  try {
    const result = await engine.run(runInput as RunInput)
    return { ok: true, accessToken: result.accessToken.claims, idToken: result.idToken.claims, scope: result.accessToken.scope }
  } catch (error) {
    if (isTokenRulesError(error) && error.code === 'ERR_RULE_UNAUTHORIZED') return { ok: false, error: `unauthorized: ${error.message}` }
    if (isTokenRulesError(error)) return { ok: false, error: `${error.code}: ${error.message}` }
    throw error
  }
}

async function coldStarts(times: number, concurrency?: number): Promise<{ first: number; median: number }> {
  const cold: number[] = []
  for (let i = 0; i < times; i++) {
    const t = performance.now()
    const engine = await engineFor(tenRules, concurrency)
    cold.push(performance.now() - t)
    await engine.close()
  }
  return { first: cold[0] as number, median: median(cold) }
}

/** Sequential runs for `durationMs`: throughput at concurrency 1. */
/** After `warmup` runs, the wall time of each of `count` sequential runs, in µs. */
async function warmLatenciesUs(engine: Engine, warmup: number, count: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await engine.run(input as RunInput)
  const samples: number[] = []
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    await engine.run(input as RunInput)
    samples.push((performance.now() - t) * 1000)
  }
  return samples
}

async function sequentialThroughput(engine: Engine, durationMs: number): Promise<number> {
  let runs = 0
  const start = performance.now()
  const end = start + durationMs
  while (performance.now() < end) {
    await engine.run(input as RunInput)
    runs++
  }
  return runs / ((performance.now() - start) / 1000)
}

/** `inFlight` runs always outstanding for `durationMs`. */
export async function concurrentThroughput(engine: Engine, inFlight: number, durationMs: number): Promise<number> {
  let runs = 0
  const start = performance.now()
  const end = start + durationMs
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await engine.run(input as RunInput)
        runs++
      }
    }),
  )
  return runs / ((performance.now() - start) / 1000)
}

export async function benchEngine(options: EngineBenchOptions): Promise<EngineReport> {
  const coldMs = await coldStarts(10, 1)
  const coldDefaultMs = await coldStarts(5)
  const t0 = performance.now()
  const fresh = await engineFor(tenRules, 1)
  await fresh.run(input as RunInput)
  const firstResultMs = performance.now() - t0
  await fresh.close()

  const sequential = await engineFor(rules, 1)
  const outcome = await runEngine(sequential, input)
  const deniedOutcome = await runEngine(sequential, deniedInput)
  const samples = await warmLatenciesUs(sequential, 1000, options.latencySamples)
  const throughputC1 = await sequentialThroughput(sequential, options.durationMs)
  await sequential.close()

  const parallel = await engineFor(rules, cores)
  await concurrentThroughput(parallel, cores, 300)
  const throughputCores = await concurrentThroughput(parallel, cores, options.durationMs)
  await parallel.close()

  const before = await settledRss()
  const tenants: Engine[] = []
  for (let i = 0; i < options.tenants; i++) {
    const engine = await engineFor(rules, 1)
    await engine.run(input as RunInput)
    tenants.push(engine)
  }
  const after = await settledRss()
  for (const engine of tenants) await engine.close()

  const defaultCount = Math.max(1, Math.floor(options.tenants / 4))
  const beforeDefault = await settledRss()
  const defaults: Engine[] = []
  for (let i = 0; i < defaultCount; i++) {
    const engine = await engineFor(rules)
    await Promise.all(Array.from({ length: cores }, () => engine.run(input as RunInput)))
    defaults.push(engine)
  }
  const afterDefault = await settledRss()
  for (const engine of defaults) await engine.close()

  return {
    outcome,
    deniedOutcome,
    latencyUs: summarize(samples),
    throughputC1,
    throughputCores,
    coldMs,
    coldDefaultMs,
    firstResultMs,
    memory: { perEngineMb: (after - before) / MB / options.tenants, hundredMb: ((after - before) / MB) * (100 / options.tenants), tenants: options.tenants },
    memoryDefault: { perEngineMb: (afterDefault - beforeDefault) / MB / defaultCount, engines: defaultCount, isolatesPerEngine: cores },
  }
}

/** One isolation mode's figures on the bench workload. */
export interface IsolationFigures {
  p50Us: number
  p99Us: number
  throughputC1: number
  throughputCores: number
  coldMs: number
}

/**
 * The cost of `isolation: 'process'` (the isolates in a supervised child process, issue 14) next
 * to `isolation: 'thread'`, measured alternately in one run so that machine noise hits both.
 */
export async function benchIsolation(options: { durationMs: number; latencySamples: number }): Promise<Record<'thread' | 'process', IsolationFigures>> {
  const measure = async (isolation: 'thread' | 'process'): Promise<IsolationFigures> => {
    const t0 = performance.now()
    const sequential = await createEngine({ rules: [...rules], configuration, concurrency: 1, isolation })
    await sequential.run(input as RunInput)
    const coldMs = performance.now() - t0
    const samples = await warmLatenciesUs(sequential, 500, options.latencySamples)
    const throughputC1 = await sequentialThroughput(sequential, options.durationMs)
    await sequential.close()
    const parallel = await createEngine({ rules: [...rules], configuration, concurrency: cores, isolation })
    await concurrentThroughput(parallel, cores, 300)
    const throughputCores = await concurrentThroughput(parallel, cores, options.durationMs)
    await parallel.close()
    const { p50, p99 } = summarize(samples)
    return { p50Us: p50, p99Us: p99, throughputC1, throughputCores, coldMs }
  }
  const thread = await measure('thread')
  const processFigures = await measure('process')
  return { thread, process: processFigures }
}
