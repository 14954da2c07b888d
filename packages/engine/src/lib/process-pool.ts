/**
 * `isolation: 'process'`: the isolates of one rule set live in a child process this supervisor
 * starts and replaces; the host functions stay here. Why: a rule can start native code V8 cannot
 * interrupt, and the thread running it can only be stopped by ending its process (lib/parked.ts).
 *
 * One child serves the new runs at a time. When a thread parks there, V8 hits a fatal error, or a
 * run is not answered by its deadline, the supervisor starts a fresh child for the new runs and ends
 * the old one once its runs are answered (at most a run's budget later), which takes its threads
 * with it. A child that dies answers its runs with `ERR_ENGINE_INTERNAL`.
 */

import { fork, type ChildProcess } from 'node:child_process'
import { EngineInternalError, RuleCompileError } from '../errors.js'
import type { RuleDefinition } from '../options.js'
import type { PoolCounters } from '../stats.js'
import { RunBudget } from './budget.js'
import type { ChildMessage, SupervisorMessage } from './process-protocol.js'
import { errorAnswer, RunHost, runContext } from './run-host.js'
import type { BackgroundEnd, SandboxOutcome, SandboxShared } from './sandbox.js'
import type { RunSubject } from './host-bridge.js'

/** Past the run's deadline, how long the supervisor waits for the child's answer before answering itself. */
const ANSWER_GRACE_MS = 1_500
/** Delay before retrying to start a child after a start failed. */
const RESPAWN_RETRY_MS = 1_000

interface Options {
  size: number
  memoryLimitMb: number
  timeoutMs: number
  backgroundMs: number
  maxParkedThreads: number
  onCatastrophe?: ((message: string) => void) | undefined
}

interface Child {
  proc: ChildProcess
  ready: boolean
  /** No new runs: a fresh child takes them; this one ends when its runs are answered. */
  retiring: boolean
  runs: Set<number>
  isolates: number
  counters: Partial<PoolCounters>
}

interface ParentRun {
  key: number
  inputJson: string
  includeContext: boolean
  child: Child | undefined
  host: RunHost
  settled: boolean
  abort: AbortController | undefined
  metadataUpdates: unknown[]
  watchdog: NodeJS.Timeout | undefined
  /** The run's deadline: its budget's, then its background's. */
  deadline: number
  /** Set once the run was answered with work still running in the child: ends it. */
  background: { resolve: (end: BackgroundEnd) => void; from: number } | undefined
  resolve: (outcome: SandboxOutcome) => void
  reject: (error: unknown) => void
}

const COUNTERS = ['isolatesCreated', 'recycled', 'catastrophes', 'parked'] as const

/** The child's entry: the .ts source under a TypeScript loader (the workspace, tests), else the built .js. */
function childEntry(): { path: URL; execArgv: string[] } {
  const source = import.meta.url.endsWith('.ts')
  const path = new URL(source ? './process-child.ts' : './process-child.js', import.meta.url)
  return { path, execArgv: ['--no-node-snapshot', ...(source ? ['--import', import.meta.resolve('tsx')] : [])] }
}

export class ProcessPool {
  readonly #shared: SandboxShared
  readonly #rules: readonly RuleDefinition[]
  readonly #options: Options
  readonly #runs = new Map<number, ParentRun>()
  readonly #waiting: ParentRun[] = []
  readonly #children = new Set<Child>()
  /** Counters of children that have ended. */
  readonly #ended: Record<(typeof COUNTERS)[number], number> = { isolatesCreated: 0, recycled: 0, catastrophes: 0, parked: 0 }
  #current: Child | undefined
  #nextKey = 1
  #runsStarted = 0
  #closing = false
  #idle: (() => void) | undefined

  private constructor(shared: SandboxShared, rules: readonly RuleDefinition[], options: Options) {
    this.#shared = shared
    this.#rules = rules
    this.#options = options
  }

  /** Start the child and compile `rules` there; rejects with the child's RuleCompileError. */
  static async create(shared: SandboxShared, rules: readonly RuleDefinition[], options: Options): Promise<ProcessPool> {
    const pool = new ProcessPool(shared, rules, options)
    await pool.#spawn()
    return pool
  }

  /** Isolates alive in the child that takes new runs. */
  get size(): number {
    return this.#current?.ready === true ? this.#current.isolates : 0
  }

  /** Counters for `Engine.stats`, over every child this pool has had. */
  get counters(): PoolCounters {
    const out: PoolCounters = { runs: this.#runsStarted, ...this.#ended }
    for (const child of this.#children) for (const name of COUNTERS) out[name] += child.counters[name] ?? 0
    return out
  }

  #spawn(): Promise<Child> {
    const { path, execArgv } = childEntry()
    const proc = fork(path, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const child: Child = { proc, ready: false, retiring: false, runs: new Set(), isolates: 0, counters: {} }
    this.#children.add(child)
    this.#current = child
    return new Promise((resolve, reject) => {
      proc.on('message', (message: ChildMessage) => {
        if (message.t === 'ready') {
          child.ready = true
          child.isolates = message.isolates
          child.counters = message.counters
          this.#reference()
          resolve(child)
          this.#pump()
        } else if (message.t === 'init-failed') {
          const e = message.error
          reject(
            e.name === 'RuleCompileError'
              ? new RuleCompileError(e.message, { rule: e.rule, line: e.line })
              : new EngineInternalError(`The isolates' process could not start: ${e.message}`),
          )
          proc.kill('SIGKILL')
        } else {
          this.#onMessage(child, message)
        }
      })
      proc.on('exit', (code, signal) => {
        if (!child.ready) reject(new EngineInternalError(`The isolates' process ended before it was ready (${signal ?? `exit code ${String(code)}`}).`))
        this.#onExit(child, signal ?? `exit code ${String(code)}`)
      })
      const init: SupervisorMessage = {
        t: 'init',
        shared: {
          settings: this.#shared.settings,
          bufferSource: this.#shared.bufferSource,
          cryptoSource: this.#shared.cryptoSource,
          actionSources: this.#shared.actionSources,
        },
        runBudgetBytes: this.#shared.registry.runBudgetBytes,
        rules: this.#rules.map((rule) => ({ name: rule.name, script: rule.script })),
        size: this.#options.size,
        memoryLimitMb: this.#options.memoryLimitMb,
        timeoutMs: this.#options.timeoutMs,
        backgroundMs: this.#options.backgroundMs,
        maxParkedThreads: this.#options.maxParkedThreads,
      }
      proc.send(init)
    })
  }

  /** Keep the event loop alive only while runs are in flight, as isolates in this process would. */
  #reference(): void {
    const busy = this.#runs.size > 0
    for (const child of this.#children) {
      const channel = child.proc.channel as { ref?: () => void; unref?: () => void } | undefined
      if (busy) {
        child.proc.ref()
        channel?.ref?.()
      } else {
        child.proc.unref()
        channel?.unref?.()
      }
    }
  }

  /** Run once in the current child. */
  execute(inputJson: string, includeContext = false, subject?: RunSubject): Promise<SandboxOutcome> {
    return new Promise((resolve, reject) => {
      const key = this.#nextKey++
      const deadline = performance.now() + this.#options.timeoutMs
      const metadataUpdates: unknown[] = []
      const run: ParentRun = {
        key,
        inputJson,
        includeContext,
        child: undefined,
        settled: false,
        abort: undefined,
        metadataUpdates,
        watchdog: undefined,
        deadline,
        background: undefined,
        resolve,
        reject,
        host: undefined as unknown as RunHost,
      }
      run.host = new RunHost(
        this.#shared.registry,
        runContext(() => run.deadline, run, metadataUpdates, subject),
        new RunBudget(this.#shared.registry.runBudgetBytes),
        {
          settled: () => run.settled,
          enter: (kind, a, b) => this.#send(run.child, { t: 'enter', key, kind, a, b }),
        },
      )
      this.#runsStarted++
      this.#runs.set(key, run)
      this.#reference()
      this.#waiting.push(run)
      this.#pump()
    })
  }

  #pump(): void {
    const child = this.#current
    if (child === undefined || !child.ready || child.retiring) return
    for (const run of this.#waiting.splice(0)) {
      run.child = child
      child.runs.add(run.key)
      // The child answers by the run's deadline (plus its grace); past that, something is wrong there.
      run.watchdog = setTimeout(() => {
        this.#answer(run, { kind: 'failed', failure: 'timeout', rule: undefined, logs: undefined, warnings: undefined, cause: undefined })
        this.#retire(child)
      }, this.#options.timeoutMs + ANSWER_GRACE_MS)
      this.#send(child, { t: 'run', key: run.key, inputJson: run.inputJson, includeContext: run.includeContext })
    }
  }

  #send(child: Child | undefined, message: SupervisorMessage): void {
    if (child !== undefined && child.proc.connected) child.proc.send(message)
  }

  #onMessage(child: Child, message: ChildMessage): void {
    switch (message.t) {
      case 'call': {
        const run = this.#runs.get(message.key)
        const answer = (text: string) => this.#send(child, { t: 'answer', call: message.call, text })
        if (run === undefined || run.settled || run.child !== child) return answer(errorAnswer(new Error('The run is over.')))
        if (message.style === 'invoke') return answer(run.host.invoke(message.id, message.argsText))
        void run.host.await(message.id, message.argsText).then(answer)
        return
      }
      case 'outcome': {
        child.isolates = message.isolates
        child.counters = message.counters
        const run = this.#runs.get(message.key)
        if (run === undefined) return
        const outcome = message.outcome
        if (outcome.kind === 'done' && message.background && run.child === child) this.#startBackground(run, child, outcome.payload)
        else if (outcome.kind === 'done') this.#answer(run, { ...outcome, metadataUpdates: run.metadataUpdates })
        else {
          const cause = outcome.cause as { name?: string; message?: string } | undefined
          const error = cause?.message === undefined ? undefined : Object.assign(new Error(cause.message), { name: cause.name ?? 'Error' })
          this.#answer(run, { ...outcome, cause: error })
        }
        return
      }
      case 'background': {
        const run = this.#runs.get(message.key)
        const background = run?.background
        if (run === undefined || background === undefined || run.child !== child) return
        this.#finish(run, () => background.resolve({ text: message.text, end: message.end, metadataUpdates: run.metadataUpdates.slice(background.from) }))
        return
      }
      case 'run-failed': {
        const run = this.#runs.get(message.key)
        if (run !== undefined && !run.settled) this.#finish(run, () => run.reject(new EngineInternalError(message.message)))
        return
      }
      case 'catastrophe':
        child.counters = message.counters
        try {
          this.#options.onCatastrophe?.(message.message)
        } catch {
          // A host hook never changes what the engine does.
        }
        // The thread is lost to this process: let a fresh one take the new runs.
        this.#retire(child)
        return
    }
  }

  /**
   * The child answered with work still running there: the caller gets the answer now; the run stays
   * open (its host calls answered, its work delivered) until the child reports its end, or, past
   * the background's grace plus ANSWER_GRACE_MS, the child counts as wedged and is replaced.
   */
  #startBackground(run: ParentRun, child: Child, payload: string): void {
    clearTimeout(run.watchdog)
    const from = run.metadataUpdates.length
    let resolveEnd!: (end: BackgroundEnd) => void
    const ended = new Promise<BackgroundEnd>((resolve) => (resolveEnd = resolve))
    run.background = { resolve: resolveEnd, from }
    run.deadline = performance.now() + this.#options.backgroundMs
    run.watchdog = setTimeout(() => {
      this.#finish(run, () => undefined)
      this.#retire(child)
    }, this.#options.backgroundMs + ANSWER_GRACE_MS)
    run.resolve({ kind: 'done', payload, metadataUpdates: run.metadataUpdates.slice(0, from), background: ended })
  }

  #answer(run: ParentRun, outcome: SandboxOutcome): void {
    this.#finish(run, () => run.resolve(outcome))
  }

  #finish(run: ParentRun, give: () => void): void {
    if (run.settled) return
    run.settled = true
    clearTimeout(run.watchdog)
    run.abort?.abort()
    this.#runs.delete(run.key)
    const child = run.child
    child?.runs.delete(run.key)
    give()
    // A background that did not report (its child ended or wedged): it ended with its isolates.
    const background = run.background
    background?.resolve({ text: undefined, end: 'recycled', metadataUpdates: run.metadataUpdates.slice(background.from) })
    if (child !== undefined && child.retiring && child.runs.size === 0) this.#end(child)
    this.#reference()
    if (this.#idle !== undefined && this.#runs.size === 0) this.#idle()
  }

  /** Move new runs to a fresh child; end `child` once its runs are answered. */
  #retire(child: Child): void {
    if (child.retiring) return
    child.retiring = true
    if (child.runs.size === 0) this.#end(child)
    if (this.#current === child && !this.#closing) this.#respawn()
  }

  #respawn(): void {
    this.#spawn().catch((error: unknown) => {
      // No child could start: the waiting runs fail now rather than wait for ever; retry later.
      for (const run of this.#waiting.splice(0)) {
        this.#finish(run, () => run.reject(new EngineInternalError('No sandbox process is available to run the rules.', { cause: error })))
      }
      this.#current = undefined
      if (!this.#closing) setTimeout(() => this.#respawn(), RESPAWN_RETRY_MS).unref()
    })
  }

  #end(child: Child): void {
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL')
  }

  #onExit(child: Child, how: string): void {
    this.#children.delete(child)
    // Its parked threads ended with it; the other counters are history.
    for (const name of COUNTERS) if (name !== 'parked') this.#ended[name] += child.counters[name] ?? 0
    for (const key of child.runs) {
      const run = this.#runs.get(key)
      if (run !== undefined) this.#finish(run, () => run.reject(new EngineInternalError(`The isolates' process ended while the rules ran (${how}).`)))
    }
    if (this.#current === child) {
      this.#current = undefined
      if (!this.#closing && child.ready) this.#respawn()
    }
  }

  /** Let running runs finish, then end every child. */
  async close(): Promise<void> {
    if (this.#runs.size > 0) await new Promise<void>((resolve) => (this.#idle = resolve))
    this.#closing = true
    for (const child of [...this.#children]) {
      child.retiring = true
      this.#send(child, { t: 'close' })
      const ended = new Promise<void>((resolve) => child.proc.once('exit', () => resolve()))
      const timer = setTimeout(() => this.#end(child), 2_000)
      await ended
      clearTimeout(timer)
    }
  }
}
