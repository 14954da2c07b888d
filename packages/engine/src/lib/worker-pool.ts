/**
 * Host work a rule starts that cannot be made cheap by a size bound nor moved into the isolate: RSA
 * signatures (a 4096-bit signature costs the CPU milliseconds, a 16384-bit one near a second). It
 * runs on a few worker threads, never on the main thread, where every tenant's runs and every HTTP
 * request wait their turn.
 *
 * One pool per process (engines share it), of `min(2, cores)` threads started on first use; a
 * thread that has nothing to do does not keep the process alive. Every job carries its run's
 * deadline and abort signal: a job still queued then is refused, and a thread still working on one
 * is terminated (and replaced on the next job), so no job outlives its run.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

/**
 * A job: call the host capability `id` with `args` (data: strings, Buffers, plain objects), as
 * registered by the function `register` that the module at `module` (a file URL) exports. The
 * worker imports the module once and registers its capabilities into a table of its own; the
 * capabilities must be pure functions of their arguments (no `CallContext` in a worker).
 */
export interface WorkerJob {
  module: string
  register: string
  id: string
  args: unknown[]
}

/** The worker's source (CommonJS, evaluated): one job at a time, answered with its number. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const tables = new Map()
async function table(module, register) {
  const key = module + '#' + register
  if (!tables.has(key)) {
    const calls = new Map()
    const exports = await import(module)
    exports[register]({ register: (id, entry) => calls.set(id, entry) })
    tables.set(key, calls)
  }
  return tables.get(key)
}
parentPort.on('message', async (job) => {
  try {
    const entry = (await table(job.module, job.register)).get(job.id)
    if (entry === undefined) throw new Error('No capability ' + job.id + ' in ' + job.module)
    parentPort.postMessage({ n: job.n, value: await entry(job.args, undefined) })
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error))
    const props = {}
    for (const key of Object.keys(e)) if (typeof e[key] === 'string' || typeof e[key] === 'number') props[key] = e[key]
    parentPort.postMessage({ n: job.n, error: { name: String(e.name), message: String(e.message), props } })
  }
})
`

/** The error a job gets when its run's deadline passed or the run ended before it was done. */
export class WorkerJobCancelled extends Error {
  constructor(reason: 'deadline' | 'aborted') {
    super(reason === 'deadline' ? "The run's deadline passed before the signature was computed." : 'The run ended before the signature was computed.')
    this.name = 'Error'
  }
}

interface Pending {
  n: number
  job: WorkerJob
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
  signal: AbortSignal | undefined
  onAbort: () => void
  slot: Slot | undefined
}

interface Slot {
  worker: Worker
  busy: Pending | undefined
}

export class WorkerPool {
  readonly #size: number
  readonly #slots: Slot[] = []
  readonly #queue: Pending[] = []
  #next = 0

  constructor(size: number) {
    this.#size = Math.max(1, size)
  }

  /** Threads running now (for tests and stats). */
  get threads(): number {
    return this.#slots.length
  }

  /** Run `job` on a worker; rejects with {@link WorkerJobCancelled} at `timeoutMs` or when `signal` aborts. */
  run(job: WorkerJob, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) return reject(new WorkerJobCancelled('aborted'))
      const pending: Pending = {
        n: ++this.#next,
        job,
        resolve,
        reject,
        timer: setTimeout(() => this.#cancel(pending, 'deadline'), Math.max(0, timeoutMs)),
        signal,
        onAbort: () => this.#cancel(pending, 'aborted'),
        slot: undefined,
      }
      signal?.addEventListener('abort', pending.onAbort, { once: true })
      this.#queue.push(pending)
      this.#pump()
    })
  }

  /** Hand queued jobs to idle threads, starting threads up to the pool's size. */
  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.busy === undefined)
      if (slot === undefined && this.#slots.length < this.#size) slot = this.#spawn()
      if (slot === undefined) return
      const pending = this.#queue.shift() as Pending
      slot.busy = pending
      pending.slot = slot
      slot.worker.ref()
      slot.worker.postMessage({ n: pending.n, ...pending.job })
    }
  }

  #spawn(): Slot {
    // No execArgv of the parent's (a test runner's loaders): the worker imports plain modules.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] })
    const slot: Slot = { worker, busy: undefined }
    worker.unref()
    worker.on('message', (message: { n: number; value?: unknown; error?: { name: string; message: string; props: Record<string, unknown> } }) => {
      const pending = slot.busy
      if (pending === undefined || pending.n !== message.n) return
      this.#finish(pending)
      slot.busy = undefined
      worker.unref()
      if (message.error !== undefined) pending.reject(rebuildError(message.error))
      else pending.resolve(message.value)
      this.#pump()
    })
    // A thread that dies (terminated at a deadline, or crashed) leaves the pool; its job fails.
    const gone = (error?: Error) => {
      const at = this.#slots.indexOf(slot)
      if (at !== -1) this.#slots.splice(at, 1)
      const pending = slot.busy
      slot.busy = undefined
      if (pending !== undefined) {
        this.#finish(pending)
        pending.reject(error ?? new Error('The signing thread stopped.'))
      }
      this.#pump()
    }
    worker.on('error', gone)
    worker.on('exit', () => gone())
    this.#slots.push(slot)
    return slot
  }

  #finish(pending: Pending): void {
    clearTimeout(pending.timer)
    pending.signal?.removeEventListener('abort', pending.onAbort)
  }

  #cancel(pending: Pending, reason: 'deadline' | 'aborted'): void {
    this.#finish(pending)
    const queued = this.#queue.indexOf(pending)
    if (queued !== -1) {
      this.#queue.splice(queued, 1)
      pending.reject(new WorkerJobCancelled(reason))
      return
    }
    const slot = pending.slot
    if (slot === undefined || slot.busy !== pending) return
    // The job cannot be interrupted: its thread goes, and a new one starts for the next job.
    slot.busy = undefined
    const at = this.#slots.indexOf(slot)
    if (at !== -1) this.#slots.splice(at, 1)
    void slot.worker.terminate()
    pending.reject(new WorkerJobCancelled(reason))
    this.#pump()
  }
}

/** A worker's error as the main thread's: TypeError and RangeError stay what they are, with their own string and number properties (a `code`). */
function rebuildError(e: { name: string; message: string; props: Record<string, unknown> }): Error {
  const error = e.name === 'TypeError' ? new TypeError(e.message) : e.name === 'RangeError' ? new RangeError(e.message) : new Error(e.message)
  for (const [key, value] of Object.entries(e.props)) Object.defineProperty(error, key, { value, enumerable: true, writable: true, configurable: true })
  return error
}

/**
 * Register, on the main thread, the capabilities `ids` of the module `module` (a file URL) as
 * calls of `register`'s entries on the process's worker pool, each bounded by its run's deadline.
 */
export function registerOffThread(
  registry: { register(id: string, entry: (args: unknown[], context: OffThreadContext) => unknown): void },
  module: string,
  register: string,
  ids: readonly string[],
): void {
  for (const id of ids) {
    registry.register(id, (args, context) => workerPool().run({ module, register, id, args }, context.remainingMs(), context.signal))
  }
}

/** What an off-thread call needs of its run. */
export interface OffThreadContext {
  remainingMs(): number
  readonly signal: AbortSignal
}

let shared: WorkerPool | undefined

/** The process's pool, `min(2, cores)` threads. */
export function workerPool(): WorkerPool {
  shared ??= new WorkerPool(Math.min(2, availableParallelism()))
  return shared
}
