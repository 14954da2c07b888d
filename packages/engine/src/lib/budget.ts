/**
 * What the host holds on one run's behalf, counted (docs/security.md, class 15). The isolate's
 * `memoryLimit` counts nothing on the host's side of the boundary, yet a rule decides what the host
 * decodes and keeps for it: the arguments of every host call (request bodies, hash inputs, values
 * for the integrator's functions), held for as long as the call is in flight (an HTTP request, a
 * metadata hook, for seconds), and the metadata updates the run keeps until it is answered.
 *
 * Each run has a budget of {@link hostBudgetBytes}: a quarter of `limits.memoryLimitMb`. A call's
 * argument text is charged at {@link BYTES_PER_CHAR} per character before it is parsed, and given
 * back when the call returns or settles; a metadata update keeps its call's charge until the run
 * ends. A call that would pass the budget is never decoded: the run fails with
 * `ERR_RULE_MEMORY_LIMIT` (a {@link HostMemoryError}), whatever the rule catches.
 *
 * One decode runs at a time in the whole process (host calls run on the main thread, one after
 * another), so the transient copy JSON.parse makes is bounded by one call's text, not by the
 * number of runs; what is held across turns of the event loop is what the budget counts.
 */

import { RunFailure } from './capabilities/run-failure.js'

/** Bytes charged per character of a host call's JSON text: V8 keeps a string of any character as UTF-16. */
export const BYTES_PER_CHAR = 2

/** The budget of one run's host-side bytes: a quarter of the isolate's heap limit. */
export function hostBudgetBytes(memoryLimitMb: number): number {
  return Math.floor((memoryLimitMb * 1024 * 1024) / 4)
}

/** A run asked the host to hold more than its budget; the run fails with `ERR_RULE_MEMORY_LIMIT`. */
export class HostMemoryError extends RunFailure {
  constructor(message: string) {
    super('ERR_RULE_MEMORY_LIMIT', message)
  }
}

/** One run's host-side bytes. */
export class RunBudget {
  readonly limit: number
  #used = 0

  constructor(limitBytes: number) {
    this.limit = limitBytes
  }

  /** Bytes charged now. */
  get used(): number {
    return this.#used
  }

  /**
   * Charge `text` (what `what` hands the host) until the returned charge is released. Throws a
   * {@link HostMemoryError} when the run's budget cannot hold it, before anything is parsed.
   */
  charge(text: string, what: string): Charge {
    const bytes = text.length * BYTES_PER_CHAR
    if (this.#used + bytes > this.limit) {
      const limitMb = Math.round((this.limit * 4) / (1024 * 1024))
      throw new HostMemoryError(
        `${what} would make the host hold ${bytes} bytes for this run; ${this.limit - this.#used} of its ${this.limit} are left (a quarter of memoryLimitMb ${limitMb}).`,
      )
    }
    this.#used += bytes
    return new Charge(bytes, (n) => (this.#used -= n))
  }
}

/** What one host call holds of its run's budget. */
export class Charge {
  #bytes: number
  readonly #giveBack: (bytes: number) => void
  #kept = false

  constructor(bytes: number, giveBack: (bytes: number) => void) {
    this.#bytes = bytes
    this.#giveBack = giveBack
  }

  /** The call is over: give its bytes back, unless {@link keep} kept them. Safe to call twice. */
  release(): void {
    if (this.#kept || this.#bytes === 0) return
    this.#giveBack(this.#bytes)
    this.#bytes = 0
  }

  /** What the call handed over stays with the run until it is answered (a recorded metadata update). */
  keep(): void {
    this.#kept = true
  }
}

/** A charge of nothing, for decoding without a budget (the host's own values, tests). */
export const NO_CHARGE: Charge = new Charge(0, () => undefined)
