/**
 * `pnpm bench`: tokenrules' engine side by side with node:vm, a plain call, quickjs-emscripten,
 * vm2 and ses, on one 5-rule workload, then the token endpoint under autocannon. One process,
 * bounded (about two minutes), loopback only. Prints tables and writes JSON under
 * examples/bench/results/. Nothing here is asserted: see docs/benchmarks.md for the reading.
 *
 * Flags: --quick (shorter runs), --no-endpoint, --no-contenders, --no-isolation, --engine-only (warm engine loop
 * only, for `--cpu-prof`).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { createEngine, type RunInput } from '@tokenrules/engine'
import type { FullReport, WorkerTask } from './contender-worker.js'
import { benchEngine, benchIsolation, concurrentThroughput, type EngineReport } from './engine-bench.js'
import { benchEndpoint, type EndpointReport } from './endpoint-bench.js'
import { benchRawIsolate } from './raw-isolate-bench.js'
import { endpointTargets, sandboxTargets, targetTable, type Target } from './targets.js'
import { configuration, input, rules, type Outcome } from './workload.js'

const args = new Set(process.argv.slice(2))
const quick = args.has('--quick')
const durationMs = quick ? 500 : 1500
const latencySamples = quick ? 1000 : 5000
const tenants = quick ? 20 : 100
const cores = availableParallelism()
const CONTENDERS = ['plain function', 'node:vm', 'quickjs-emscripten', 'vm2', 'ses Compartment']

if (args.has('--engine-only')) {
  // For profiling: the warm path at concurrency 1 and at the number of cores, nothing else.
  const engine = await createEngine({ rules, configuration, concurrency: cores })
  for (let i = 0; i < 1000; i++) await engine.run(input as RunInput)
  let n = 0
  const end = performance.now() + 3000
  while (performance.now() < end) {
    await engine.run(input as RunInput)
    n++
  }
  console.log(`engine, concurrency 1: ${(n / 3).toFixed(0)} runs/s`)
  console.log(`engine, concurrency ${cores}: ${(await concurrentThroughput(engine, cores, 3000)).toFixed(0)} runs/s`)
  await engine.close()
  process.exit(0)
}

const workerUrl = new URL('./boot-worker.mjs', import.meta.url)
const entry = new URL('./contender-worker.ts', import.meta.url).href

function inWorker<T>(task: WorkerTask, onReady?: (worker: Worker) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: task })
    worker.on('message', (message: T | { ready: true }) => {
      if (typeof message === 'object' && message !== null && 'ready' in message) return onReady?.(worker)
      resolve(message as T)
      void worker.terminate()
    })
    worker.once('error', reject)
  })
}

/** `cores` workers, each with its own instance, all released at once: throughput on every core. */
async function parallelThroughput(contender: string): Promise<number> {
  const workers: Worker[] = []
  let ready!: () => void
  const allReady = new Promise<void>((resolve) => (ready = resolve))
  const task: WorkerTask = { entry, contender, task: 'throughput', durationMs, latencySamples, tenants }
  const results = Array.from({ length: cores }, () =>
    inWorker<{ runs: number; seconds: number }>(task, (worker) => {
      workers.push(worker)
      if (workers.length === cores) ready()
    }),
  )
  await allReady
  for (const worker of workers) worker.postMessage('go')
  const done = await Promise.all(results)
  return done.reduce((sum, r) => sum + r.runs / r.seconds, 0)
}

function canonical(outcome: Outcome): string {
  const sort = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sort)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k, sort((value as Record<string, unknown>)[k])]),
          )
        : value
  return JSON.stringify(sort(outcome.ok ? { ok: true, accessToken: outcome.accessToken, idToken: outcome.idToken, scope: outcome.scope } : { ok: false }))
}

interface Row {
  contender: string
  note: string
  sameResult: boolean
  p50Us: number
  p99Us: number
  p50VsNodeVm: number
  throughputC1: number
  throughputCores: number
  throughputCoresVsNodeVm: number
  coldMedianMs: number
  coldFirstMs: number
  firstResultMs: number
  memoryPerEngineMb: number
  memoryHundredEnginesMb: number
}

const cpu = cpus()[0]?.model ?? 'unknown'
const started = Date.now()
const loadBefore = loadavg()
console.log(
  `tokenrules bench — Node ${process.version}, ${cores} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB; ` +
    `load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} (other work on the machine skews every figure)`,
)

const rows: Row[] = []
const targets: Target[] = []
let engineReport: EngineReport | undefined
if (!args.has('--no-contenders')) {
  console.log('… tokenrules engine')
  engineReport = await benchEngine({ durationMs, latencySamples: Math.min(latencySamples, 3000), tenants })
  console.log('… isolated-vm, bare harness')
  const raw = await benchRawIsolate({ durationMs, latencySamples: Math.min(latencySamples, 3000), tenants })
  const reports: Record<string, FullReport & { throughputCores: number }> = {}
  for (const name of CONTENDERS) {
    console.log(`… ${name}`)
    const full = await inWorker<FullReport>({ entry, contender: name, task: 'full', durationMs, latencySamples, tenants })
    reports[name] = { ...full, throughputCores: await parallelThroughput(name) }
  }
  const { contenders } = await import('./contenders.js')
  const expected = canonical(engineReport.outcome)
  const expectedDenied = canonical(engineReport.deniedOutcome)
  const nodeVm = reports['node:vm'] as FullReport & { throughputCores: number }
  const all: [string, string, FullReport & { throughputCores: number }][] = [
    ['tokenrules engine', `isolated-vm, ${cores} isolates; async apply per run`, engineReport],
    ['isolated-vm, bare harness', "the engine's floor: same isolate and apply, none of the engine's guest runtime or host checks", raw],
    ...CONTENDERS.map((name) => [name, contenders[name]?.note ?? '', reports[name]] as [string, string, FullReport & { throughputCores: number }]),
  ]
  for (const [name, note, r] of all) {
    rows.push({
      contender: name,
      note,
      sameResult: canonical(r.outcome) === expected && canonical(r.deniedOutcome) === expectedDenied,
      p50Us: r.latencyUs.p50,
      p99Us: r.latencyUs.p99,
      p50VsNodeVm: r.latencyUs.p50 / nodeVm.latencyUs.p50,
      throughputC1: r.throughputC1,
      throughputCores: r.throughputCores,
      throughputCoresVsNodeVm: r.throughputCores / nodeVm.throughputCores,
      coldMedianMs: r.coldMs.median,
      coldFirstMs: r.coldMs.first,
      firstResultMs: r.firstResultMs,
      memoryPerEngineMb: r.memory.perEngineMb,
      memoryHundredEnginesMb: r.memory.hundredMb,
    })
  }
  const f = (x: number, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
  console.log(`\nWarm 5-rule run, JSON in and out; throughput with ${cores} = cores in flight (sync contenders: one worker thread per core)`)
  console.table(
    Object.fromEntries(
      rows.map((r) => [
        r.contender,
        {
          'p50 µs': f(r.p50Us, 1),
          'p99 µs': f(r.p99Us, 1),
          'p50 ×node:vm': f(r.p50VsNodeVm, 1),
          'runs/s c=1': f(r.throughputC1),
          [`runs/s c=${cores}`]: f(r.throughputCores),
          [`c=${cores} ×node:vm`]: f(r.throughputCoresVsNodeVm, 2),
          'cold 10 rules ms': f(r.coldMedianMs, 2),
          'MB/engine': f(Math.max(0, r.memoryPerEngineMb), 2),
          'MB/100 engines': f(Math.max(0, r.memoryHundredEnginesMb), 0),
          'same result': r.sameResult ? 'yes' : 'NO',
        },
      ]),
    ),
  )
  console.log(
    `the boundary alone (an async apply of a function that returns the same JSON text, nothing else): p50 ${f(raw.hop.p50Us, 1)} µs, ` +
      `${f(raw.hop.throughputCores)} runs/s with ${cores} in flight`,
  )
  targets.push(...sandboxTargets(Object.fromEntries(rows.map((r) => [r.contender, r])), cores))
  console.log(
    `engine: cold createEngine (10 rules) median ${f(engineReport.coldMs.median, 1)} ms at concurrency 1, ${f(engineReport.coldDefaultMs.median, 1)} ms at concurrency ${cores} (default); ` +
      `first result ${f(engineReport.firstResultMs, 1)} ms; idle engine at default concurrency ${f(engineReport.memoryDefault.perEngineMb, 1)} MB (${engineReport.memoryDefault.isolatesPerEngine} isolates)`,
  )
}

let isolation: Awaited<ReturnType<typeof benchIsolation>> | undefined
if (!args.has('--no-isolation')) {
  console.log("\n… isolation: 'thread' vs 'process' (the isolates in a supervised child process)")
  isolation = await benchIsolation({ durationMs, latencySamples: Math.min(latencySamples, 3000) })
  const f = (x: number, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
  const { thread: t, process: p } = isolation
  console.table({
    "isolation: 'thread'": {
      'p50 µs': f(t.p50Us, 1),
      'p99 µs': f(t.p99Us, 1),
      'runs/s c=1': f(t.throughputC1),
      [`runs/s c=${cores}`]: f(t.throughputCores),
      'cold ms': f(t.coldMs, 1),
    },
    "isolation: 'process'": {
      'p50 µs': f(p.p50Us, 1),
      'p99 µs': f(p.p99Us, 1),
      'runs/s c=1': f(p.throughputC1),
      [`runs/s c=${cores}`]: f(p.throughputCores),
      'cold ms': f(p.coldMs, 1),
    },
  })
  console.log(
    `process ÷ thread: p50 ${f(p.p50Us / t.p50Us, 2)}×, p99 ${f(p.p99Us / t.p99Us, 2)}×, runs/s c=1 ${f(p.throughputC1 / t.throughputC1, 2)}×, c=${cores} ${f(p.throughputCores / t.throughputCores, 2)}×, cold ${f(p.coldMs / t.coldMs, 1)}×`,
  )
}

let endpoint: EndpointReport | undefined
if (!args.has('--no-endpoint')) {
  console.log('\n… token endpoint (autocannon over loopback)')
  endpoint = await benchEndpoint({ durationSeconds: quick ? 2 : 5, connections: cores * 4 })
  targets.push(...endpointTargets(endpoint))
}

if (targets.length > 0) {
  console.log(`\nTargets (issue 19), as ratios in this run: ${targets.filter((t) => t.met).length} of ${targets.length} met`)
  console.table(targetTable(targets))
}

const out = {
  date: new Date().toISOString(),
  machine: {
    node: process.version,
    cores,
    cpu,
    totalMemGiB: totalmem() / 2 ** 30,
    platform: `${process.platform} ${process.arch}`,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
  },
  settings: { quick, durationMs, latencySamples, tenants },
  isolation,
  targets,
  contenders: rows,
  engine: engineReport,
  endpoint,
  elapsedSeconds: (Date.now() - started) / 1000,
}
const dir = fileURLToPath(new URL('../results/', import.meta.url))
mkdirSync(dir, { recursive: true })
const file = `${dir}bench-${out.date.replace(/[:.]/g, '-')}.json`
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`)
writeFileSync(`${dir}latest.json`, `${JSON.stringify(out, null, 2)}\n`)
console.log(`\nwrote ${file} (and results/latest.json) in ${out.elapsedSeconds.toFixed(0)} s`)
