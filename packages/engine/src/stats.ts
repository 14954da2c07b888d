/**
 * What an engine's pool of isolates has done since the rule set in service was compiled: the
 * counters `EngineStats` (`engine.stats`) extends.
 */
export interface PoolCounters {
  /** Isolates created (at creation and to replace dead ones). */
  isolatesCreated: number
  /** Isolates replaced after a memory-limit kill or a crash. */
  recycled: number
  /** Runs started. */
  runs: number
  /**
   * Isolates V8 gave up on (a fatal out-of-memory inside the sandbox). Each leaves a parked thread
   * behind: drain the process and restart it soon (see `hooks.onCatastrophicError`).
   */
  catastrophes: number
  /**
   * Isolate threads of this engine parked now: a rule started native code V8 cannot interrupt, the
   * run was answered with `ERR_RULE_TIMEOUT` and the isolate replaced, but the thread goes on
   * until that code ends (a thread that comes back is no longer counted). `limits.maxParkedThreads` bounds them per process; `hooks.onCatastrophicError`
   * hears of each.
   */
  parked: number
}
