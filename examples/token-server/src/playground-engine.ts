import { fork, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { RuleDefinition } from '@tokenrules/engine'

/** Limits of the playground's engine; {@link PLAYGROUND_LIMITS} are the demo's. */
export interface PlaygroundLimits {
  /** The engine's budget of one run (`limits.timeoutMs`). */
  timeoutMs: number
  /** The isolate's heap (`limits.memoryLimitMb`). */
  memoryLimitMb: number
  maxLogEntries: number
  /** Largest `user` a run may return, as JSON characters (`limits.maxUserBytes`). */
  maxUserBytes: number
  /**
   * From handing a run to the engine process to its answer (engine start, compile, run). Past it
   * the process is killed, whatever its threads are doing, and a fresh one is forked.
   */
  runDeadlineMs: number
  /** The engine process's resident memory; past it the process ends itself and is replaced. */
  processMemoryMb: number
  /** How long a fresh engine process may take to start. */
  startTimeoutMs: number
}

/** One run's input, already checked by the playground's handler. */
export interface PlaygroundInput {
  rules: RuleDefinition[]
  user: Record<string, unknown>
  context: Record<string, unknown>
  configuration: Record<string, string>
}

/** What a run came to. */
export type PlaygroundAnswer =
  /** The engine's answer: `{ ok: true, result }` or `{ ok: false, error }` (the rules' outcome). */
  | { kind: 'outcome'; body: Record<string, unknown> }
  /** The run outlived `runDeadlineMs`; its process was killed. */
  | { kind: 'timeout'; deadlineMs: number }
  /** The engine process ended during the run (its memory bound, a V8 catastrophe, a crash), or could not start. */
  | { kind: 'failed'; reason: string }

/** @internal The messages between {@link PlaygroundEngine} and `playground-worker.ts`. */
export type ParentMessage = { type: 'run'; id: number; input: PlaygroundInput }
/** @internal */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; answer: Record<string, unknown> }
  | { type: 'failure'; id: number; message: string }
  | { type: 'retire'; reason: string }

/** Counters of {@link PlaygroundEngine.stats}. */
export interface PlaygroundEngineStats {
  /** Engine processes forked so far. */
  processesStarted: number
  /** Processes killed because a run outlived its deadline. */
  killedAtDeadline: number
  /** Processes killed because their resident memory passed `processMemoryMb` (watched from outside, on Linux). */
  killedForMemory: number
  /** Processes that ended on their own during or after a run (memory bound, catastrophe, crash). */
  ended: number
  runs: number
}

/** How often a running child's resident memory is read. */
const MEMORY_WATCH_MS = 100

/** A process's resident set in MB, from `/proc` (Linux); `undefined` where there is none. */
async function residentMb(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined || process.platform !== 'linux') return undefined
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]
    return kb === undefined ? undefined : Number(kb) / 1024
  } catch {
    return undefined
  }
}

/** The line of a dead child's stderr that says what went wrong (an error's first line, or the last line), after a space. */
function lastError(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const line = lines.findLast((l) => /^[A-Za-z]*Error\b|^Error \[/.test(l)) ?? lines.at(-1)
  return line === undefined ? '' : ` ${line}`
}

const WORKER = fileURLToPath(new URL('./playground-worker.ts', import.meta.url))
/** The package's root: `--import tsx` resolves from here. */
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url))

interface Child {
  process: ChildProcess
  ready: Promise<void>
  /** Why it ended, once it has. */
  ended: string | undefined
  /** Called when the child ends. */
  onEnd: ((reason: string) => void) | undefined
  stderr: string
  /** Runs it was given: a child that served runs is replaced at once when it ends; one that ended idle is replaced by the next run. */
  runs: number
}

/**
 * The playground's engine: one child process (`playground-worker.ts`) that runs one run at a time
 * in a fresh `createEngine` of one isolate with small limits. The parent's only work per run is
 * one IPC message each way, so no rule can block the server's event loop; and since a run that
 * outlives `runDeadlineMs` gets its process killed (`SIGKILL`, which stops threads that V8 itself
 * cannot), no rule can wedge the playground: the next run gets a fresh process.
 *
 * Runs are serial: {@link run} waits for the run before it. The playground's handler queues and
 * bounds the callers.
 */
export class PlaygroundEngine {
  readonly #limits: PlaygroundLimits
  #child: Child | undefined
  #nextId = 1
  #turn: Promise<unknown> = Promise.resolve()
  #closed = false
  readonly #stats: PlaygroundEngineStats = { processesStarted: 0, killedAtDeadline: 0, killedForMemory: 0, ended: 0, runs: 0 }

  constructor(limits: PlaygroundLimits) {
    this.#limits = limits
  }

  get stats(): PlaygroundEngineStats {
    return { ...this.#stats }
  }

  /** Fork the engine process now rather than at the first run (so the first run does not pay its start). */
  warm(): void {
    if (!this.#closed) this.#current()
  }

  /** Resolves once an engine process is up and has served its warm-up run; rejects if it could not start. */
  async ready(): Promise<void> {
    if (this.#closed) throw new Error('The playground is closed.')
    await this.#current().ready
  }

  /** Run once, after the runs before it. Never rejects: every failure is a {@link PlaygroundAnswer}. */
  run(input: PlaygroundInput): Promise<PlaygroundAnswer> {
    const turn = this.#turn.then(() => this.#runNow(input))
    this.#turn = turn
    return turn
  }

  /** Kill the engine process; later runs answer `failed`. */
  close(): void {
    this.#closed = true
    if (this.#child !== undefined) this.#kill(this.#child, 'The playground is closed.')
  }

  async #runNow(input: PlaygroundInput): Promise<PlaygroundAnswer> {
    if (this.#closed) return { kind: 'failed', reason: 'The playground is closed.' }
    const child = this.#current()
    try {
      await child.ready
    } catch (error) {
      return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) }
    }
    this.#stats.runs++
    child.runs++
    const id = this.#nextId++
    const deadlineMs = this.#limits.runDeadlineMs
    return new Promise<PlaygroundAnswer>((resolve) => {
      const finish = (answer: PlaygroundAnswer) => {
        clearTimeout(timer)
        child.process.off('message', onMessage)
        child.onEnd = undefined
        resolve(answer)
      }
      const timer = setTimeout(() => {
        this.#stats.killedAtDeadline++
        finish({ kind: 'timeout', deadlineMs })
        this.#kill(child, `The run outlived its ${deadlineMs} ms deadline.`)
      }, deadlineMs)
      const onMessage = (message: WorkerMessage) => {
        if (message.type === 'result' && message.id === id) finish({ kind: 'outcome', body: message.answer })
        if (message.type === 'failure' && message.id === id) finish({ kind: 'failed', reason: message.message })
      }
      child.process.on('message', onMessage)
      child.onEnd = (reason) => finish({ kind: 'failed', reason })
      if (child.ended !== undefined) return finish({ kind: 'failed', reason: child.ended })
      child.process.send({ type: 'run', id, input } satisfies ParentMessage, (error) => {
        if (error !== null && error !== undefined) finish({ kind: 'failed', reason: `The engine process did not take the run: ${error.message}` })
      })
    })
  }

  /** The live engine process, forking one when there is none. */
  #current(): Child {
    if (this.#child !== undefined && this.#child.ended === undefined) return this.#child
    this.#stats.processesStarted++
    const limits = this.#limits
    const processMemoryMb = limits.processMemoryMb
    const spawned = fork(WORKER, [JSON.stringify(limits)], {
      cwd: PACKAGE_ROOT,
      // The child's own heap is small too; the isolate's heap is `memoryLimitMb`, apart from it.
      execArgv: [
        '--no-node-snapshot',
        '--conditions=@tokenrules/source',
        '--import',
        'tsx',
        `--max-old-space-size=${Math.max(128, Math.floor(processMemoryMb / 2))}`,
      ],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    })
    const child: Child = { process: spawned, ready: Promise.resolve(), ended: undefined, onEnd: undefined, stderr: '', runs: 0 }
    // Kept for the reason a start failed; the tail only.
    spawned.stderr?.on('data', (chunk: Buffer) => (child.stderr = (child.stderr + chunk.toString()).slice(-8000)))
    let retired: string | undefined
    spawned.on('message', (message: WorkerMessage) => {
      if (message.type === 'retire') retired = message.reason
    })
    const end = (reason: string) => {
      if (child.ended !== undefined) return
      child.ended = reason
      child.onEnd?.(reason)
      this.#replace(child)
    }
    // The child checks its own memory, but its main thread may be the one a rule has stuck, or it
    // may not have got as far as checking: watch it from outside too, for its whole life.
    const watch = setInterval(() => {
      void residentMb(spawned.pid).then((rss) => {
        if (rss === undefined || rss <= limits.processMemoryMb || child.ended !== undefined) return
        this.#stats.killedForMemory++
        this.#kill(child, `The engine process used more than the playground's ${limits.processMemoryMb} MB of memory (${Math.round(rss)} MB).`)
      })
    }, MEMORY_WATCH_MS)
    watch.unref()
    spawned.once('exit', (code, signal) => {
      clearInterval(watch)
      if (child.ended === undefined) this.#stats.ended++
      end(retired ?? `The engine process ended (${signal ?? `exit code ${code}`}).${lastError(child.stderr)}`)
    })
    spawned.once('error', (error) => end(`The engine process failed: ${error.message}`))
    child.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#kill(child, `The engine process did not start within ${limits.startTimeoutMs} ms.`)
      }, limits.startTimeoutMs)
      const onReady = (message: WorkerMessage) => {
        if (message.type !== 'ready') return
        clearTimeout(timer)
        spawned.off('message', onReady)
        child.onEnd = undefined
        resolve()
      }
      spawned.on('message', onReady)
      child.onEnd = (reason) => {
        clearTimeout(timer)
        reject(new Error(reason))
      }
    })
    // A start failure is answered to the run that waits for it; nobody else needs to hear it.
    child.ready.catch(() => undefined)
    this.#child = child
    return child
  }

  #kill(child: Child, reason: string): void {
    if (child.ended !== undefined) return
    if (this.#child === child) this.#child = undefined
    // SIGKILL: the one stop that also ends threads parked in native code.
    child.process.kill('SIGKILL')
    child.ended = reason
    child.onEnd?.(reason)
    this.#replace(child)
  }

  /** A process that served runs ended: fork its successor now, so the next run does not wait for a start. */
  #replace(ended: Child): void {
    if (this.#closed || ended.runs === 0) return
    setImmediate(() => {
      if (!this.#closed && (this.#child === undefined || this.#child.ended !== undefined)) this.#current()
    })
  }
}
