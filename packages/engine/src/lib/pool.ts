import { EngineInternalError } from '../errors.js'
import type { RuleDefinition } from '../options.js'
import type { PoolCounters } from '../stats.js'
import { Sandbox, type RemoteHost, type SandboxOutcome, type SandboxShared } from './sandbox.js'
import type { RunSubject } from './host-bridge.js'

interface Slot {
  sandbox: Sandbox | undefined
  busy: boolean
  /** The key of the run in it (host functions in another process), 0 for none. */
  key: number
}

interface Queued {
  inputJson: string
  includeContext: boolean
  subject: RunSubject | undefined
  key: number
  resolve: (outcome: SandboxOutcome) => void
  reject: (error: unknown) => void
}

/** Delay before retrying to replace an isolate whose re-creation failed. */
const RESPAWN_RETRY_MS = 1_000

/**
 * A fixed number of sandboxes compiled with one rule set. Each serves one run at a time; runs wait
 * in a queue for an idle one. A sandbox that died (memory limit, crash) is replaced in the
 * background; runs that were not in it never notice.
 */
export class SandboxPool {
  readonly #slots: Slot[]
  readonly #queue: Queued[] = []
  readonly #create: () => Promise<Sandbox>
  readonly #timeoutMs: number
  readonly #backgroundMs: number
  #closing = false
  #idle: (() => void) | undefined
  /** Counters for `Engine.stats`. */
  readonly counters: PoolCounters

  private constructor(sandboxes: Sandbox[], create: () => Promise<Sandbox>, timeoutMs: number, backgroundMs: number, counters: PoolCounters) {
    this.counters = counters
    this.#slots = sandboxes.map((sandbox) => ({ sandbox, busy: false, key: 0 }))
    this.#create = create
    this.#timeoutMs = timeoutMs
    this.#backgroundMs = backgroundMs
  }

  /** Compile `rules` into `size` isolates. The first compile reports rule errors; the rest run in parallel. */
  static async create(
    shared: SandboxShared,
    rules: readonly RuleDefinition[],
    options: {
      size: number
      memoryLimitMb: number
      timeoutMs: number
      /** How long a run's background work may go on after its answer (`limits.backgroundMs`). */
      backgroundMs: number
      maxParkedThreads: number
      onCatastrophe?: ((message: string, parked?: boolean) => void) | undefined
      /** The host functions, when they live in another process (`isolation: 'process'`). */
      remote?: RemoteHost | undefined
    },
  ): Promise<SandboxPool> {
    const counters: PoolCounters = { isolatesCreated: 0, recycled: 0, runs: 0, catastrophes: 0, parked: 0 }
    const onCatastrophe = (message: string, parked = false, returned?: Promise<unknown>) => {
      if (parked) {
        counters.parked++
        // A thread that comes back after all is parked no more.
        const back = () => void counters.parked--
        returned?.then(back, back)
      } else counters.catastrophes++
      try {
        options.onCatastrophe?.(message, parked)
      } catch {
        // A host hook never changes what the engine does.
      }
    }
    const create = (): Promise<Sandbox> => {
      counters.isolatesCreated++
      return Sandbox.create(shared, rules, options.memoryLimitMb, onCatastrophe, options.maxParkedThreads, options.remote)
    }
    const first = await create()
    const rest = await Promise.allSettled(Array.from({ length: options.size - 1 }, create))
    const sandboxes = [first]
    for (const r of rest) {
      if (r.status === 'fulfilled') sandboxes.push(r.value)
    }
    if (sandboxes.length < options.size) {
      for (const s of sandboxes) s.dispose()
      const failed = rest.find((r) => r.status === 'rejected')
      throw new EngineInternalError('Could not create the rule set’s isolates.', { cause: failed?.reason })
    }
    return new SandboxPool(sandboxes, create, options.timeoutMs, options.backgroundMs, counters)
  }

  /** Sandboxes alive now. */
  get size(): number {
    return this.#slots.filter((s) => s.sandbox !== undefined).length
  }

  /** Run once in the next idle sandbox. */
  execute(inputJson: string, includeContext = false, subject?: RunSubject, key = 0): Promise<SandboxOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ inputJson, includeContext, subject, key, resolve, reject })
      this.#pump()
    })
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return
      const sandbox = slot.sandbox
      if (slot.busy || sandbox === undefined) continue
      const job = this.#queue.shift() as Queued
      slot.busy = true
      this.counters.runs++
      slot.key = job.key
      void sandbox.execute(job.inputJson, this.#timeoutMs, job.includeContext, job.key, job.subject, this.#backgroundMs).then((outcome) => {
        const free = () => {
          slot.busy = false
          slot.key = 0
          if (sandbox.dead) this.#replace(slot, sandbox)
          this.#pump()
          this.#checkIdle()
        }
        job.resolve(outcome)
        // Answered with work still running: the sandbox serves no other run until it ended.
        if (outcome.kind === 'done' && outcome.background !== undefined) void outcome.background.then(free, free)
        else free()
      })
    }
  }

  /** Work for the run `key` from the process that holds the host functions (see Sandbox.deliver). */
  deliver(key: number, kind: 'callGuest' | 'settle', a: number, b: string): void {
    for (const slot of this.#slots) if (slot.key === key) slot.sandbox?.deliver(key, kind, a, b)
  }

  #replace(slot: Slot, dead: Sandbox): void {
    dead.dispose()
    slot.sandbox = undefined
    if (this.#closing) return
    this.counters.recycled++
    this.#create().then(
      (fresh) => {
        if (this.#closing) return fresh.dispose()
        slot.sandbox = fresh
        this.#pump()
      },
      (error: unknown) => {
        // No isolate could be made (the host is out of memory, say). Runs that have no live
        // sandbox left fail now instead of waiting for ever; the slot is retried later.
        if (this.#slots.every((s) => s.sandbox === undefined)) {
          for (const job of this.#queue.splice(0)) {
            job.reject(new EngineInternalError('No sandbox is available to run the rules.', { cause: error }))
          }
        }
        setTimeout(() => this.#replace(slot, dead), RESPAWN_RETRY_MS).unref()
      },
    )
  }

  #checkIdle(): void {
    if (this.#idle !== undefined && this.#queue.length === 0 && this.#slots.every((s) => !s.busy)) this.#idle()
  }

  /** Let queued and running runs finish, then release every isolate. */
  async close(): Promise<void> {
    if (this.#queue.length > 0 || this.#slots.some((s) => s.busy)) {
      await new Promise<void>((resolve) => (this.#idle = resolve))
    }
    this.#closing = true
    for (const slot of this.#slots) {
      slot.sandbox?.dispose()
      slot.sandbox = undefined
    }
  }
}
