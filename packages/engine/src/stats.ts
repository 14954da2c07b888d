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
}
