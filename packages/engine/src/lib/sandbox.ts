import ivm from 'isolated-vm'
import { EngineInternalError, RuleCompileError } from '../errors.js'
import type { RuleDefinition } from '../options.js'
import type { SandboxSettings } from '../guest/contract.js'
import { GUEST_RUNTIME, guestArguments } from './guest-source.js'
import { RunBudget } from './budget.js'
import type { HostRegistry, RunSubject } from './host-bridge.js'
import { errorAnswer, RunHost, runContext } from './run-host.js'
import { classifyIsolateFailure, compileErrorLine, type IsolateFailure } from './ivm-failures.js'
import { park, parkedThreads, parkForGood } from './parked.js'

export type { SandboxSettings }

/** What the host side of every sandbox of one rule set shares. */
export interface SandboxShared {
  settings: SandboxSettings
  registry: HostRegistry
  /** The `buffer` package bundle, the sandbox's lazy `Buffer`. */
  bufferSource: string
  /** The `@noble/hashes` bundle, the sandbox's lazy hashes and HMAC. */
  cryptoSource: string
  /** The post-login actions' code, in order (their settings are `settings.actions`). */
  actionSources: readonly { name: string; code: string }[]
}

/**
 * Host functions that live in another process (`isolation: 'process'`, in its child): every host
 * call of a run is answered from there, by the run's key.
 */
export type RemoteHost = (key: number, id: string, argsText: string, style: 'invoke' | 'await') => Promise<string>

/**
 * How the background of a run ended (guest/runtime.js): the guest's report as JSON text, or none when
 * the isolate could not give one (`end` then says why).
 */
export interface BackgroundEnd {
  text: string | undefined
  end: 'grace' | 'memory-limit' | 'recycled'
  /** Metadata persisted after the answer. */
  metadataUpdates: unknown[]
}

/** How one run in a sandbox ended. */
export type SandboxOutcome =
  /** `background`: the rules left work running; it settles after the answer, and the sandbox serves no other run until then. */
  | { kind: 'done'; payload: string; metadataUpdates: unknown[]; background?: Promise<BackgroundEnd> | undefined }
  | { kind: 'failed'; failure: IsolateFailure; rule: string | undefined; logs: unknown; warnings: unknown; cause: unknown }

/** Longest a rule script may take to evaluate to its function at load. */
const EVALUATE_TIMEOUT_MS = 1_000
/** Longest the engine's own bookkeeping call (collecting logs after a failure) may take. */
const ABORT_TIMEOUT_MS = 250
/**
 * How long past its limit a call into the guest may run before its isolate is disposed. Generous:
 * on a busy machine isolated-vm's own timeout can take a while to bite, and a kill costs `global`.
 */
const KILL_GRACE_MS = 1_000
/**
 * How long past its deadline a run may wait for the guest to return before it is answered anyway.
 * A guest call that ignores both isolated-vm's timeout and the kill (native code V8 cannot
 * interrupt) must not hold the answer: the run is answered from what the host knows, and the
 * sandbox is replaced at once.
 */
const SETTLE_GRACE_MS = 250
/**
 * How long a call may go on after its isolate was disposed before its thread counts as parked.
 * Generous: on a saturated machine a terminated thread can take a second or more to be scheduled
 * and notice, and a park is an alarm (`hooks.onCatastrophicError`).
 */
const PARK_GRACE_MS = 3_000
/** How the guest marks a result whose run goes on in the background (guest/runtime.js). */
const BACKGROUND_MARK = ',"background":true}'

interface ActiveRun {
  runId: number
  deadline: number
  timers: Map<number, NodeJS.Timeout | NodeJS.Immediate>
  settled: boolean
  resolve: (outcome: SandboxOutcome) => void
  watchdog: NodeJS.Timeout | undefined
  /** Aborted when the run ends: cancels its HTTP requests. Created on first use. */
  abort: AbortController | undefined
  metadataUpdates: unknown[]
  /** The host half of the run: answers its host calls (lib/run-host.ts). */
  host: RunHost
  /** The run's key with the supervisor, when the host functions are remote. */
  key: number
  /** Milliseconds the run's background may take after the answer (`limits.backgroundMs`). */
  backgroundMs: number
  /** Set once the run was answered with work still running: ends it. */
  background: { resolve: (end: BackgroundEnd) => void; from: number } | undefined
}

/**
 * One isolate with one context: the guest runtime plus the compiled rule set. Serves one run at a
 * time (the pool hands out idle sandboxes), so a fault can only ever belong to the run in it.
 */
export class Sandbox {
  readonly #isolate: ivm.Isolate
  readonly #dispatch: ivm.Reference<(...args: unknown[]) => unknown>
  readonly #registry: HostRegistry
  #active: ActiveRun | undefined
  #tail: Promise<unknown> = Promise.resolve()
  #runSeq = 0
  #dead = false
  #killed = false
  #disposedByHost = false
  /** The call into the guest that has not returned yet, if any. */
  #inFlight: Promise<unknown> | undefined
  /** Rejects the call in flight when its thread parked: the host stops waiting for it. */
  #abandon: ((reason: Error) => void) | undefined
  #parked = false
  /** Shared with the guest: 1 + the index in `#ruleNames` of the rule running now, 0 for none. */
  readonly #runningRule: Int32Array
  /** The rules' names, in the order they are compiled and registered in the guest. */
  readonly #ruleNames: readonly string[]
  #onCatastrophe: (message: string, parked?: boolean, returned?: Promise<unknown>) => void = () => undefined
  #remote: RemoteHost | undefined

  private constructor(
    isolate: ivm.Isolate,
    dispatch: ivm.Reference<(...args: unknown[]) => unknown>,
    registry: HostRegistry,
    runningRule: Int32Array,
    ruleNames: readonly string[],
  ) {
    this.#isolate = isolate
    this.#dispatch = dispatch
    this.#registry = registry
    this.#runningRule = runningRule
    this.#ruleNames = ruleNames
  }

  /** The rule the guest said runs now, read from shared memory: works when the isolate is gone. */
  #ruleRunning(): string | undefined {
    return this.#ruleNames[(this.#runningRule[0] ?? 0) - 1]
  }

  /** A new isolate with the guest runtime and `rules` compiled. Throws `RuleCompileError`. */
  static async create(
    shared: SandboxShared,
    rules: readonly RuleDefinition[],
    memoryLimitMb: number,
    onCatastrophe: (message: string, parked?: boolean, returned?: Promise<unknown>) => void = () => undefined,
    maxParkedThreads = Infinity,
    remote?: RemoteHost,
  ): Promise<Sandbox> {
    if (parkedThreads() >= maxParkedThreads) {
      throw new EngineInternalError(
        `Refusing to create an isolate: ${parkedThreads()} isolate threads of this process are parked in native code a rule started (limits.maxParkedThreads is ${maxParkedThreads}). Restart the process, or use isolation: 'process'.`,
      )
    }
    let sandbox: Sandbox | undefined
    const runningRule = new Int32Array(new SharedArrayBuffer(4))
    // Some allocations V8 cannot survive even in an isolate (a 40 MB property key at a 64 MB
    // limit): without this callback isolated-vm aborts the whole process.
    const isolate = new ivm.Isolate({
      memoryLimit: memoryLimitMb,
      onCatastrophicError: (message: string) => {
        if (sandbox !== undefined) sandbox.#catastrophe()
        onCatastrophe(message)
      },
    })
    try {
      const context = await isolate.createContext()
      const notify = new ivm.Callback(
        (kind: unknown, runId: unknown, a: unknown, b: unknown) => {
          if (sandbox !== undefined) sandbox.#onNotify(kind, runId, a, b)
        },
        { ignored: true },
      )
      // Synchronous for the guest: it waits while the host function runs on the main thread.
      const invoke = new ivm.Callback((runId: unknown, id: unknown, args: unknown) => (sandbox === undefined ? undefined : sandbox.#onInvoke(runId, id, args)))
      // Synchronous for the guest too, but the host's work is asynchronous: the guest's thread waits
      // (applySyncPromise), the main thread goes on.
      const hostAwait = new ivm.Reference((runId: unknown, id: unknown, args: unknown, style: unknown) =>
        sandbox === undefined ? errorAnswer(new Error('The run is over.')) : sandbox.#onAwait(runId, id, args, style),
      )
      const dispatch = (await context.evalClosure(
        GUEST_RUNTIME,
        guestArguments({
          notify,
          settingsJson: JSON.stringify(shared.settings),
          hostInvoke: invoke,
          bufferSource: shared.bufferSource,
          cryptoSource: shared.cryptoSource,
          hostAwait,
          runningRuleBuffer: new ivm.ExternalCopy(runningRule.buffer).copyInto({ release: true }),
        }),
        { result: { reference: true }, timeout: EVALUATE_TIMEOUT_MS },
      )) as unknown as ivm.Reference<(...args: unknown[]) => unknown>
      sandbox = new Sandbox(isolate, dispatch, shared.registry, runningRule, [
        ...rules.map((rule) => rule.name),
        ...shared.actionSources.map((action) => action.name),
      ])
      sandbox.#onCatastrophe = onCatastrophe
      sandbox.#remote = remote
      for (const rule of rules) await sandbox.#compile(context, rule)
      for (const action of shared.actionSources) await sandbox.#compileAction(context, action)
      return sandbox
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose()
      throw error
    }
  }

  async #compile(context: ivm.Context, rule: RuleDefinition): Promise<void> {
    const filename = `rule:${rule.name}`
    const script = await compileRule(this.#isolate, rule, filename)
    let fn: unknown
    try {
      fn = await script.run(context, { reference: true, timeout: EVALUATE_TIMEOUT_MS })
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      throw new RuleCompileError(`Rule '${rule.name}' failed while evaluating: ${message}`, { rule: rule.name, cause: error })
    } finally {
      script.release()
    }
    // isolated-vm hands primitives back as they are, objects and functions as References.
    const kind = fn instanceof ivm.Reference ? fn.typeof : fn === null ? 'null' : typeof fn
    if (!(fn instanceof ivm.Reference) || kind !== 'function') {
      if (fn instanceof ivm.Reference) fn.release()
      throw new RuleCompileError(`Rule '${rule.name}' must evaluate to a function (user, context, callback); it evaluates to ${kind}.`, { rule: rule.name })
    }
    await this.#dispatch.apply(undefined, ['register', rule.name, fn.derefInto()], { timeout: EVALUATE_TIMEOUT_MS })
    fn.release()
  }

  /** Compile an action's module into its factory, `(exports, require, module) => …`, and register it. */
  async #compileAction(context: ivm.Context, action: { name: string; code: string }): Promise<void> {
    const script = await compileAction(this.#isolate, action)
    let fn: unknown
    try {
      fn = await script.run(context, { reference: true, timeout: EVALUATE_TIMEOUT_MS })
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      throw new RuleCompileError(`Action '${action.name}' failed while evaluating: ${message}`, { rule: action.name, cause: error })
    } finally {
      script.release()
    }
    if (!(fn instanceof ivm.Reference) || fn.typeof !== 'function') {
      if (fn instanceof ivm.Reference) fn.release()
      throw new EngineInternalError(`Action '${action.name}' did not compile to a module function.`)
    }
    await this.#dispatch.apply(undefined, ['registerAction', action.name, fn.derefInto()], { timeout: EVALUATE_TIMEOUT_MS })
    fn.release()
  }

  /**
   * V8 lost control of the isolate (a fatal out-of-memory). Its thread never comes back: answer the
   * run in it now, as a memory-limit failure, and never use the isolate again.
   */
  #catastrophe(): void {
    this.#dead = true
    // Its thread is as lost as one in native code: it counts against limits.maxParkedThreads.
    if (!this.#parked) {
      this.#parked = true
      parkForGood()
    }
    const run = this.#active
    if (run === undefined || run.settled) return
    if (run.background !== undefined) return this.#endBackground(run, undefined, 'memory-limit')
    run.settled = true
    this.#stopTimers(run)
    this.#active = undefined
    run.resolve({ kind: 'failed', failure: 'memory-limit', rule: this.#ruleRunning(), logs: undefined, warnings: undefined, cause: undefined })
  }

  /** Whether the isolate is gone (memory limit, crash, disposal, a wedged call); the pool replaces it. */
  get dead(): boolean {
    return this.#dead || this.#isolate.isDisposed
  }

  /** Whether this sandbox's thread is parked in native code (see lib/parked.ts). */
  get parked(): boolean {
    return this.#parked
  }

  /** Run the pipeline once. Never rejects: every ending is an outcome. */
  execute(inputJson: string, timeoutMs: number, includeContext: boolean, key = 0, subject?: RunSubject, backgroundMs = 0): Promise<SandboxOutcome> {
    return new Promise((resolve) => {
      const metadataUpdates: unknown[] = []
      const deadline = performance.now() + timeoutMs
      const run: ActiveRun = {
        runId: ++this.#runSeq,
        key,
        backgroundMs,
        background: undefined,
        deadline,
        timers: new Map(),
        settled: false,
        resolve,
        watchdog: undefined,
        abort: undefined,
        metadataUpdates,
        host: undefined as unknown as RunHost,
      }
      run.host = new RunHost(
        this.#registry,
        runContext(() => run.deadline, run, metadataUpdates, subject),
        new RunBudget(this.#registry.runBudgetBytes),
        {
          settled: () => run.settled,
          enter: (kind, a, b) => this.#enter(run, [kind, run.runId, a, b]),
        },
      )
      this.#active = run
      // Awaited work (timers, promises that never settle) is outside isolated-vm's timeout.
      run.watchdog = setTimeout(() => this.#fail(run, 'timeout', undefined), timeoutMs)
      this.#enter(run, ['start', run.runId, inputJson, includeContext ? 1 : 0])
    })
  }

  /** Enter the guest for `run`, one call at a time, with what is left of its budget. */
  #enter(run: ActiveRun, args: (string | number)[]): void {
    // Entries are serialized: a host callback that fires during a guest call waits its turn.
    this.#tail = this.#tail.then(async () => {
      if (run.settled) return
      const remaining = Math.floor(run.deadline - performance.now())
      if (remaining < 1) return this.#fail(run, 'timeout', undefined)
      try {
        const value = await this.#call(args, remaining)
        // A run that ended inside 'start' answers with its result as the return value.
        if (args[0] === 'start' && typeof value === 'string') this.#done(run, value, true)
      } catch (error) {
        let failure = this.#killed ? 'timeout' : classifyIsolateFailure(error, this.#isolate.isDisposed)
        // isolated-vm may dispose an isolate over its memory limit between two calls (a collection
        // after the last one): the next call then only reads "Isolate is disposed". The engine did
        // not dispose it, so the memory limit did.
        if (failure === 'disposed' && !this.#disposedByHost) failure = 'memory-limit'
        // After the answer a stray rejection of the rules' changes nothing: the background goes on.
        if (run.background !== undefined && failure !== 'other') return this.#fail(run, failure, error)
        // A rule's stray rejection fails the call, but the run may have finished inside it.
        if (failure === 'other' && args[0] === 'start' && !run.settled) {
          const text = await this.#call(['result', run.runId], ABORT_TIMEOUT_MS).catch(() => undefined)
          if (typeof text === 'string') return this.#done(run, text)
        }
        if (run.background === undefined) return this.#fail(run, failure, error)
      }
      // Work of a background may have been the last: ask once this entry's promise reactions ran.
      if (run.background !== undefined && !run.settled && (args[0] === 'fire' || args[0] === 'settle' || args[0] === 'callGuest')) {
        this.#enter(run, ['idle', run.runId])
      }
    })
  }

  /**
   * One call into the guest. isolated-vm's `timeout` does not cover everything a call may run:
   * copying an unhandled rejection's value out of the isolate runs the rule's getters with no
   * limit. A call that outlives its limit by KILL_GRACE_MS therefore loses its isolate, which stops
   * the guest code wherever it is; the pool replaces the isolate.
   */
  async #call(args: (string | number)[], timeoutMs: number): Promise<unknown> {
    if (this.#parked) throw new Error('The isolate thread is parked.')
    const call = this.#dispatch.apply(undefined, args, { timeout: timeoutMs })
    this.#inFlight = call
    const killer = setTimeout(() => {
      this.#killed = true
      this.#kill()
    }, timeoutMs + KILL_GRACE_MS)
    try {
      // The call's own settling, or an abandonment (its thread parked), whichever comes first.
      return await new Promise<unknown>((resolve, reject) => {
        this.#abandon = reject
        call.then(resolve, reject)
      })
    } finally {
      clearTimeout(killer)
      this.#inFlight = undefined
      this.#abandon = undefined
    }
  }

  /** Dispose the isolate; if the call in flight still does not return, its thread is parked. */
  #kill(): void {
    this.#dead = true
    this.#disposedByHost = true
    try {
      if (!this.#isolate.isDisposed) this.#isolate.dispose()
    } catch {
      // An isolate V8 gave up on may refuse even this.
    }
    const call = this.#inFlight
    if (call === undefined) return
    let returned = false
    call.then(
      () => (returned = true),
      () => (returned = true),
    )
    setTimeout(() => {
      if (returned || this.#inFlight !== call || this.#parked) return
      this.#parked = true
      park(call)
      this.#abandon?.(new Error('The isolate thread is parked in native code.'))
      this.#onCatastrophe(
        `An isolate thread is parked in native code a rule started (the run was answered with ERR_RULE_TIMEOUT and the isolate replaced); ${parkedThreads()} parked in this process.`,
        true,
        call,
      )
    }, PARK_GRACE_MS).unref()
  }

  /**
   * Answer `run` with `answer()` once the tail of guest calls reaches it, but no later than its
   * deadline plus SETTLE_GRACE_MS: a guest call stuck where no timeout reaches must not hold the
   * answer. An answer given early marks the sandbox dead, so the pool replaces it at once.
   */
  #answer(run: ActiveRun, after: () => Promise<SandboxOutcome> | SandboxOutcome, early: () => SandboxOutcome): void {
    let answered = false
    const give = (outcome: SandboxOutcome) => {
      if (answered) return
      answered = true
      clearTimeout(bound)
      if (this.#active === run) this.#active = undefined
      run.resolve(outcome)
    }
    const bound = setTimeout(
      () => {
        if (answered) return
        this.#dead = true
        give(early())
      },
      Math.max(0, run.deadline - performance.now()) + SETTLE_GRACE_MS,
    )
    this.#tail = this.#tail.then(async () => give(await after()))
  }

  #fail(run: ActiveRun, failure: IsolateFailure, cause: unknown): void {
    if (run.settled) return
    if (run.background !== undefined) {
      // After the answer: out of time is the end of the grace; a lost isolate ends the background.
      if (failure === 'timeout') return this.#cut(run)
      this.#dead = true
      return this.#endBackground(run, undefined, failure === 'memory-limit' ? 'memory-limit' : 'recycled')
    }
    run.settled = true
    this.#stopTimers(run)
    if (failure === 'memory-limit' || failure === 'disposed') this.#dead = true
    const outcome = (collected: { logs?: unknown; warnings?: unknown; rule?: unknown }): SandboxOutcome => ({
      kind: 'failed',
      failure,
      rule: typeof collected.rule === 'string' ? collected.rule : this.#ruleRunning(),
      logs: collected.logs,
      warnings: collected.warnings,
      cause,
    })
    // Collect what the run logged, then forget it in the guest, before the next run may start.
    this.#answer(
      run,
      async () => {
        let collected: { logs?: unknown; warnings?: unknown; rule?: unknown } = {}
        if (!this.#isolate.isDisposed && !this.#parked) {
          try {
            const text = await this.#call(['abort', run.runId], ABORT_TIMEOUT_MS)
            if (typeof text === 'string') collected = JSON.parse(text) as typeof collected
          } catch {
            // The guest runtime itself is wedged: never reuse this isolate.
            this.#dead = true
          }
        }
        return outcome(collected)
      },
      () => outcome({}),
    )
  }

  /**
   * The guest finished the run; answer once the current call into the guest has returned. `returned`:
   * the answer is that call's return value, so it has returned, and the run is answered now.
   */
  #done(run: ActiveRun, payload: string, returned = false): void {
    if (run.settled || run.background !== undefined) return
    if (payload.endsWith(BACKGROUND_MARK)) return this.#startBackground(run, payload)
    run.settled = true
    this.#stopTimers(run)
    const outcome = (): SandboxOutcome => ({ kind: 'done', payload, metadataUpdates: run.metadataUpdates })
    if (!returned) return this.#answer(run, outcome, outcome)
    if (this.#active === run) this.#active = undefined
    run.resolve(outcome())
  }

  /**
   * The rules finished with work still running (timers, HTTP requests…): answer now, let the work
   * go on for `backgroundMs` at most, in this isolate, which takes no other run until it ends.
   */
  #startBackground(run: ActiveRun, payload: string): void {
    clearTimeout(run.watchdog)
    const from = run.metadataUpdates.length
    let resolveEnd!: (end: BackgroundEnd) => void
    const ended = new Promise<BackgroundEnd>((resolve) => (resolveEnd = resolve))
    run.background = { resolve: resolveEnd, from }
    run.deadline = performance.now() + run.backgroundMs
    run.watchdog = setTimeout(() => this.#cut(run), run.backgroundMs)
    run.resolve({ kind: 'done', payload, metadataUpdates: run.metadataUpdates.slice(0, from), background: ended })
    this.#enter(run, ['idle', run.runId])
  }

  /**
   * The grace is over: the guest reports and forgets the run, once the call in flight returned, but
   * no later than SETTLE_GRACE_MS from now (a call stuck where no timeout reaches loses its isolate).
   */
  #cut(run: ActiveRun): void {
    if (run.settled || run.background === undefined) return
    let given = false
    const give = (text: string | undefined) => {
      if (given) return
      given = true
      clearTimeout(bound)
      this.#endBackground(run, text, text === undefined ? 'recycled' : 'grace')
    }
    const bound = setTimeout(() => {
      this.#dead = true
      give(undefined)
    }, SETTLE_GRACE_MS + KILL_GRACE_MS)
    this.#tail = this.#tail.then(async () => {
      if (run.settled) return give(undefined)
      let text: string | undefined
      if (!this.#isolate.isDisposed && !this.#parked) {
        try {
          const value = await this.#call(['cut', run.runId], ABORT_TIMEOUT_MS)
          if (typeof value === 'string') text = value
        } catch {
          // The guest runtime itself is wedged: never reuse this isolate.
          this.#dead = true
        }
      } else this.#dead = true
      give(text)
    })
  }

  /** The background ended: the run is over, its host work cancelled, the sandbox free. */
  #endBackground(run: ActiveRun, text: string | undefined, end: BackgroundEnd['end']): void {
    if (run.settled || run.background === undefined) return
    run.settled = true
    this.#stopTimers(run)
    if (this.#active === run) this.#active = undefined
    // Without the guest's report the guest's state is unknown: never reuse the isolate.
    if (text === undefined) this.#dead = true
    run.background.resolve({ text, end, metadataUpdates: run.metadataUpdates.slice(run.background.from) })
  }

  #stopTimers(run: ActiveRun): void {
    clearTimeout(run.watchdog)
    run.abort?.abort()
    for (const timer of run.timers.values()) {
      clearTimeout(timer as NodeJS.Timeout)
      clearImmediate(timer as NodeJS.Immediate)
    }
    run.timers.clear()
  }

  /** Messages from the guest runtime. Anything malformed or for another run is ignored. */
  #onNotify(kind: unknown, runId: unknown, a: unknown, b: unknown): void {
    const run = this.#active
    if (run === undefined || run.settled || run.runId !== runId) return
    switch (kind) {
      case 'done':
        if (typeof a === 'string') this.#done(run, a)
        return
      case 'timer':
      case 'immediate': {
        if (typeof a !== 'number' || typeof b !== 'number') return
        const fire = (): void => {
          run.timers.delete(a)
          this.#enter(run, ['fire', run.runId, a])
        }
        run.timers.set(a, kind === 'timer' ? setTimeout(fire, b) : setImmediate(fire))
        return
      }
      case 'memory':
        // The guest's memory outside the heap is past its budget (guest/memory.js): recycle, as after a heap breach.
        this.#dead = true
        return
      case 'background':
        // The guest ended the run's background itself (nothing left, or past a budget) and reports it.
        if (typeof a === 'string') this.#endBackground(run, a, 'grace')
        return
      case 'clear': {
        const timer = typeof a === 'number' ? run.timers.get(a) : undefined
        if (timer === undefined) return
        clearTimeout(timer as NodeJS.Timeout)
        clearImmediate(timer as NodeJS.Immediate)
        run.timers.delete(a as number)
        return
      }
    }
  }

  /**
   * A rule called a host function (synchronously, through the guest runtime): the run's host half
   * answers (lib/run-host.ts).
   */
  #onInvoke(runId: unknown, id: unknown, argsText: unknown): string {
    const run = this.#active
    if (run === undefined || run.settled || run.runId !== runId) return errorAnswer(new Error('The run is over.'))
    return run.host.invoke(id, argsText)
  }

  /**
   * A rule called a host function whose work is asynchronous (RSA signatures on the worker pool),
   * or any host function when they live in another process, through `hostAwait`: the guest's
   * thread waits for the answer, the main thread does not.
   */
  async #onAwait(runId: unknown, id: unknown, argsText: unknown, style?: unknown): Promise<string> {
    const run = this.#active
    if (run === undefined || run.settled || run.runId !== runId) return errorAnswer(new Error('The run is over.'))
    if (this.#remote !== undefined) {
      if (typeof id !== 'string' || typeof argsText !== 'string') return errorAnswer(new Error(`Unknown host function ${String(id)}.`))
      return this.#remote(run.key, id, argsText, style === 1 || style === 2 ? 'invoke' : 'await')
    }
    // 2: a synchronous call the host answered with yield (lib/turn-budget.ts), made again.
    if (style === 2) return run.host.afterTurn(id, argsText)
    return run.host.await(id, argsText)
  }

  /**
   * Work for the run `key` from the process that holds the host functions: a callback the host
   * called, or an operation that settled. Ignored unless that run is the one in this sandbox.
   */
  deliver(key: number, kind: 'callGuest' | 'settle', a: number, b: string): void {
    const run = this.#active
    if (run === undefined || run.settled || run.key !== key) return
    this.#enter(run, [kind, run.runId, a, b])
  }

  /** Release the isolate. Safe to call twice. */
  dispose(): void {
    this.#dead = true
    this.#disposedByHost = true
    if (this.#active !== undefined) this.#fail(this.#active, 'disposed', undefined)
    try {
      this.#dispatch.release()
    } catch {
      // An isolate V8 gave up on may refuse even this; it is unreachable either way.
    }
    this.#kill()
  }
}

const TRAILING_SEMICOLON = /;(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*$/

/**
 * Compile a rule as the expression Auth0 stores: `function (user, context, callback) { … }`, named
 * or not, `async` or not, with comments around it and, often, a trailing semicolon.
 */
async function compileRule(isolate: ivm.Isolate, rule: RuleDefinition, filename: string): Promise<ivm.Script> {
  // The opening parenthesis shares line 1 with the source, so line numbers stay the author's.
  try {
    return await isolate.compileScript(`(${rule.script}\n)`, { filename })
  } catch (first) {
    const stripped = rule.script.replace(TRAILING_SEMICOLON, '')
    if (stripped !== rule.script) {
      try {
        return await isolate.compileScript(`(${stripped}\n)`, { filename })
      } catch {
        // Report the first error: it is about the source as written.
      }
    }
    throw compileError(rule, filename, first)
  }
}

/**
 * Compile an action as the CommonJS module Auth0 runs: its code inside a function of `exports`,
 * `require` and `module`, whose first line is the code's first line (line numbers stay the author's).
 */
async function compileAction(isolate: ivm.Isolate, action: { name: string; code: string }): Promise<ivm.Script> {
  const filename = `action:${action.name}`
  try {
    return await isolate.compileScript(`(function (exports, require, module) {${action.code}\n})`, { filename })
  } catch (error) {
    throw compileError({ name: action.name, script: action.code }, filename, error, 'Action')
  }
}

function compileError(rule: RuleDefinition, filename: string, error: unknown, what = 'Rule'): RuleCompileError {
  const raw = error instanceof Error ? error.message : String(error)
  // An error at the end of input points at the closing line the engine added: report the last line.
  const found = compileErrorLine(error, filename)
  const lines = rule.script.split('\n').length
  const line = found === undefined ? undefined : Math.min(found, lines)
  const text = raw.replace(/\s*\[[^\]]*\]\s*$/, '')
  const where = line === undefined ? '' : ` (line ${line})`
  return new RuleCompileError(`${what} '${rule.name}' does not compile: ${text}${where}`, { rule: rule.name, line, cause: error })
}
