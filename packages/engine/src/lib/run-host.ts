/**
 * The host half of one run: answers the guest's host calls (decoding their arguments, calling the
 * capability or the integrator's function, encoding the answer) and delivers later work (a promise
 * that settled, a callback the host called) back into the run. The in-process sandbox and the
 * supervisor of `isolation: 'process'` both use it, so a host call means the same on either side of
 * a process boundary.
 */

import { RunFailure } from './capabilities/run-failure.js'
import type { RunBudget } from './budget.js'
import { decodeFromGuest, encodeError, encodeForGuest, withCharge, type CallContext, type HostRegistry, type RunSubject } from './host-bridge.js'
import { chargeTurn, nextTurn, turnSpent } from './turn-budget.js'

/** How the host half reaches its run's guest. */
export interface RunChannel {
  /** Whether the run has ended: nothing more is delivered. */
  settled(): boolean
  /** Enter the guest: call guest function `a` with the JSON arguments `b`, or settle operation `a` with answer `b`. */
  enter(kind: 'callGuest' | 'settle', a: number, b: string): void
}

/**
 * The context every host call of a run gets: what is left of its budget, an abort signal made on
 * first use (most runs make no host call that can be cancelled; a run that already ended hands out
 * an aborted one), where a persisted metadata update is recorded, and whom the run is for. The
 * deadline is read on each call: a run answered with work still running has its background's.
 */
export function runContext(
  deadline: () => number,
  run: { abort: AbortController | undefined; settled: boolean },
  metadataUpdates: unknown[],
  subject?: RunSubject,
): CallContext {
  return {
    subject,
    remainingMs: () => Math.max(0, deadline() - performance.now()),
    get signal() {
      if (run.abort === undefined) {
        run.abort = new AbortController()
        if (run.settled) run.abort.abort()
      }
      return run.abort.signal
    },
    record: (_kind, value) => void metadataUpdates.push(value),
  }
}

/** A thrown host value as the guest's answer text. */
export function errorAnswer(error: unknown): string {
  return error instanceof RunFailure
    ? JSON.stringify({ f: { code: error.code, message: error.message, keys: error.keys } })
    : JSON.stringify({ e: encodeError(error) })
}

export class RunHost {
  #opSeq = 0
  readonly #registry: HostRegistry
  readonly #context: CallContext
  readonly #budget: RunBudget
  readonly #channel: RunChannel

  constructor(registry: HostRegistry, context: CallContext, budget: RunBudget, channel: RunChannel) {
    this.#registry = registry
    this.#context = context
    this.#budget = budget
    this.#channel = channel
  }

  /**
   * A rule called a host function, synchronously. Answers JSON text: `{"v": value}`, `{"p": opId}`
   * for a promise settled later through the channel, `{"e": error}`, or `{"f": failure}` for a
   * failure that ends the run; `{"y":1}` when this turn of the event loop has done its share of host
   * work (lib/turn-budget.ts): the guest then calls again through {@link afterTurn}.
   */
  invoke(id: unknown, argsText: unknown, mayYield = true): string {
    if (mayYield && turnSpent()) return '{"y":1}'
    const started = performance.now()
    try {
      return this.#invoke(id, argsText)
    } finally {
      chargeTurn(performance.now() - started)
    }
  }

  /** A call {@link invoke} answered with yield, made again once the event loop has turned. */
  async afterTurn(id: unknown, argsText: unknown): Promise<string> {
    await nextTurn()
    return this.invoke(id, argsText, false)
  }

  #invoke(id: unknown, argsText: unknown): string {
    const entry = typeof id === 'string' ? this.#registry.get(id) : undefined
    if (entry === undefined || typeof argsText !== 'string') return errorAnswer(new Error(`Unknown host function ${String(id)}.`))
    let decoded: ReturnType<typeof decodeFromGuest> | undefined
    try {
      decoded = decodeFromGuest(
        argsText,
        (fnId, callArgs) => {
          if (!this.#channel.settled()) this.#channel.enter('callGuest', fnId, encodeForGuest(callArgs, true))
        },
        this.#budget,
      )
      const args = decoded.value as unknown[]
      const lenient = decoded.callbacks > 0
      const value = entry(args, withCharge(this.#context, decoded.charge))
      if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function') {
        const opId = ++this.#opSeq
        const charge = decoded.charge
        decoded = undefined
        Promise.resolve(value)
          .finally(() => charge.release())
          .then(
            (result) => this.#settle(opId, () => `{"v":${encodeForGuest(result)}}`),
            (error: unknown) => this.#settle(opId, () => errorAnswer(error)),
          )
        return `{"p":${opId}}`
      }
      return `{"v":${encodeForGuest(value, lenient)}}`
    } catch (error) {
      return errorAnswer(error)
    } finally {
      decoded?.charge.release()
    }
  }

  /**
   * A rule called a host function whose work is asynchronous, and its thread waits for the answer
   * (`hostAwait`): `{"v": value}`, `{"e": error}` or `{"f": failure}`, never a pending operation.
   */
  async await(id: unknown, argsText: unknown): Promise<string> {
    const entry = typeof id === 'string' ? this.#registry.get(id) : undefined
    if (entry === undefined || typeof argsText !== 'string') return errorAnswer(new Error(`Unknown host function ${String(id)}.`))
    let decoded: ReturnType<typeof decodeFromGuest> | undefined
    try {
      decoded = decodeFromGuest(argsText, () => undefined, this.#budget)
      return `{"v":${encodeForGuest(await entry(decoded.value as unknown[], this.#context))}}`
    } catch (error) {
      return errorAnswer(error)
    } finally {
      decoded?.charge.release()
    }
  }

  #settle(opId: number, answer: () => string): void {
    if (this.#channel.settled()) return
    let text: string
    try {
      text = answer()
    } catch (error) {
      text = errorAnswer(error)
    }
    this.#channel.enter('settle', opId, text)
  }
}
