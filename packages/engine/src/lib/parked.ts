/**
 * Isolate threads this process lost to native code V8 cannot interrupt.
 *
 * Some built-ins loop in C++ without a termination check (an array-like with `length` 2^53−1 handed
 * to `Array.prototype.lastIndexOf`, a global `replace` building a huge result): neither
 * isolated-vm's `timeout` nor `isolate.dispose()` stops them. The engine answers the run at its
 * deadline and replaces the isolate at once; the old thread keeps its heap and a core until the
 * loop ends, if ever. It is *parked*. Parked threads are counted per process, because they are the
 * process's resource, and bounded: past the bound the engine refuses to make new isolates (the
 * process must be restarted), rather than leaking threads and heaps until the host falls over. A
 * thread V8 gave up on (a fatal out-of-memory error, `hooks.onCatastrophicError`) counts too.
 */

let parked = 0
let parkedEver = 0

/** Threads parked now, in this process (every engine counts here). */
export function parkedThreads(): number {
  return parked
}

/** Threads that have parked since the process started (some may have come back since). */
export function parkedThreadsEver(): number {
  return parkedEver
}

/** Count a thread V8 gave up on (a fatal out-of-memory error): it never comes back. */
export function parkForGood(): void {
  parked++
  parkedEver++
}

/** Count `call` as parked until it settles, if it ever does. */
export function park(call: Promise<unknown>): void {
  parked++
  parkedEver++
  const back = () => void parked--
  call.then(back, back)
}
