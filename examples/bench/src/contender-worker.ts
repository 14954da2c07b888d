/**
 * Measures one contender in a worker thread of its own (fresh JIT state; ses's `lockdown()`
 * freezes only this thread's realm). Same process, same machine, same workload as the engine.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { contenders } from './contenders.js'
import { MB, median, settledRss, summarize } from './stats.js'
import { configuration, deniedInput, input, rules, tenRules, type Outcome } from './workload.js'

export interface WorkerTask {
  entry: string
  contender: string
  task: 'full' | 'throughput'
  durationMs: number
  latencySamples: number
  tenants: number
}

export interface FullReport {
  outcome: Outcome
  deniedOutcome: Outcome
  latencyUs: { p50: number; p99: number; mean: number; n: number }
  throughputC1: number
  coldMs: { first: number; median: number }
  firstResultMs: number
  memory: { perEngineMb: number; hundredMb: number; tenants: number }
}

const task = workerData as WorkerTask
const port = parentPort
if (port === null) throw new Error('contender-worker runs as a worker thread')
const contender = contenders[task.contender]
if (contender === undefined) throw new Error(`unknown contender ${task.contender}`)
await contender.prepare?.()

function countFor(run: () => void, durationMs: number): { runs: number; seconds: number } {
  let runs = 0
  const start = performance.now()
  const end = start + durationMs
  let now = start
  while (now < end) {
    for (let i = 0; i < 64; i++) run()
    runs += 64
    now = performance.now()
  }
  return { runs, seconds: (now - start) / 1000 }
}

if (task.task === 'throughput') {
  const instance = contender.create(rules, configuration)
  for (let i = 0; i < 2000; i++) instance.run(input)
  port.postMessage({ ready: true })
  port.once('message', () => {
    const { runs, seconds } = countFor(() => instance.run(input), task.durationMs)
    port.postMessage({ runs, seconds })
  })
} else {
  // Cold start first, while nothing is warm: create with 10 rules, ten times.
  const cold: number[] = []
  for (let i = 0; i < 10; i++) {
    const t = performance.now()
    const instance = contender.create(tenRules, configuration)
    cold.push(performance.now() - t)
    instance.dispose()
  }
  const t0 = performance.now()
  const fresh = contender.create(tenRules, configuration)
  fresh.run(input)
  const firstResultMs = performance.now() - t0
  fresh.dispose()

  const instance = contender.create(rules, configuration)
  const outcome = instance.run(input)
  const deniedOutcome = instance.run(deniedInput)
  for (let i = 0; i < 3000; i++) instance.run(input)
  const samples: number[] = []
  for (let i = 0; i < task.latencySamples; i++) {
    const t = performance.now()
    instance.run(input)
    samples.push((performance.now() - t) * 1000)
  }
  const { runs, seconds } = countFor(() => instance.run(input), task.durationMs)

  const before = await settledRss()
  const tenants = []
  for (let i = 0; i < task.tenants; i++) {
    const tenant = contender.create(rules, configuration)
    tenant.run(input)
    tenants.push(tenant)
  }
  const after = await settledRss()
  for (const tenant of tenants) tenant.dispose()
  instance.dispose()

  const report: FullReport = {
    outcome,
    deniedOutcome,
    latencyUs: summarize(samples),
    throughputC1: runs / seconds,
    coldMs: { first: cold[0] as number, median: median(cold) },
    firstResultMs,
    memory: { perEngineMb: (after - before) / MB / task.tenants, hundredMb: ((after - before) / MB) * (100 / task.tenants), tenants: task.tenants },
  }
  port.postMessage(report)
}
