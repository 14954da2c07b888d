import type { RunCaps } from '../guest/contract.js'

/**
 * The engine's own per-run lists, each capped so that a rule cannot make the engine keep an
 * unbounded amount on its behalf (docs/security.md, class 18). Logs are capped by the option
 * `limits.maxLogEntries`; timers by `MAX_TIMERS` (engine.ts); the rest here. Past a cap:
 * - warnings: identical ones (same code, rule and message) are kept once; past `maxWarnings`
 *   distinct ones, one `WARNINGS_TRUNCATED` warning and the rest dropped;
 * - metadata updates, pending host operations, callbacks: the call that would pass the cap throws
 *   (or, for metadata, rejects) an Error with `code: 'ERR_RUN_LIMIT'` and `limit` naming the cap,
 *   which the rule may catch; uncaught it is an exception of the rule (`ERR_RULE_EXCEPTION`).
 */
export const RUN_CAPS: Readonly<RunCaps> = Object.freeze({
  maxWarnings: 100,
  maxMetadataUpdates: 100,
  maxPendingHostOperations: 1_000,
  maxCallbacks: 1_000,
})
