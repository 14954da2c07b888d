/**
 * How much host work rules may do in one turn of the main thread's event loop. A guest's
 * synchronous host calls are answered by isolated-vm on the main thread, one task each; when a
 * rule calls in a tight loop, its next call can be queued before the main thread leaves isolated-vm's
 * task queue, so many calls run back to back in one turn, however cheap each is. Every host call's
 * time is charged here; once a turn has spent {@link TURN_BUDGET_MS}, a synchronous call is answered
 * `{"y":1}` (yield) instead, and the guest makes it again through `hostAwait`, answered after the
 * loop has turned (`setImmediate`): the rule's thread waits, the main thread serves everyone else.
 */

/** Host work (ms) that one turn of the event loop may do for rules before calls wait for the next turn. */
export const TURN_BUDGET_MS = 10

let spent = 0
let resetting = false

/** Whether this turn has spent its budget: the caller should answer `{"y":1}`. */
export function turnSpent(): boolean {
  return spent >= TURN_BUDGET_MS
}

/** Charge `ms` of host work to this turn (reset when the loop next reaches its check phase). */
export function chargeTurn(ms: number): void {
  spent += ms
  if (!resetting) {
    resetting = true
    setImmediate(() => {
      spent = 0
      resetting = false
    })
  }
}

/** Resolves once the event loop has turned (after the reset of the turn's budget). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
