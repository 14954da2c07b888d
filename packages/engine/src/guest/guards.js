// ---- guards on built-ins that loop in native code V8 cannot interrupt ---------------------------------
// Array.prototype's search, fill, join and reorder methods walk `length` in C++ without a
// termination check when the receiver is an array-like or a holey array: `includes` on
// `{ length: 2 ** 53 - 1 }` runs for ever, and neither isolated-vm's timeout nor disposing the
// isolate stops it (its thread parks; see lib/parked.ts on the host). So the guarded methods give
// V8's loop only what it can finish:
// - a genuine array, whose `length` is a data property no rule can turn into a getter, at most
//   MAX_NATIVE_LOOP_LENGTH long (a dense array that long is past the default heap already);
// - for any other receiver (an array-like, `arguments`, a string), a genuine array copied from it
//   in JavaScript (interruptible, and counted against the rule's own CPU and heap), `length` read
//   once; a method that changes its receiver writes the copy back.
// What no guard covers is still answered by the host at the run's deadline; this keeps the common
// forms from costing a thread.

/** Longest receiver the guarded methods accept: 2^25 elements. */
const MAX_NATIVE_LOOP_LENGTH = 33554432
/** The guarded methods; `true` for those that change their receiver. */
const GUARDED_ARRAY_METHODS = {
  includes: false,
  indexOf: false,
  lastIndexOf: false,
  join: false,
  toLocaleString: false,
  toSorted: false,
  toReversed: false,
  toSpliced: false,
  with: false,
  fill: true,
  reverse: true,
  copyWithin: true,
  sort: true,
}
/** @param {string} name */
function tooLong(name) {
  return new RangeErrorCtor('Array.prototype.' + name + ' refuses a receiver longer than ' + MAX_NATIVE_LOOP_LENGTH + ' elements in the sandbox.')
}
/** ToLength of `o.length`, read once (a rule's getter runs here, interruptibly). */
function lengthOf(o) {
  const n = +o.length
  return n > 0 ? (n < 9007199254740991 ? MathFloor(n) : 9007199254740991) : 0
}
const guardedNames = ObjectKeys(GUARDED_ARRAY_METHODS)
for (let i = 0; i < guardedNames.length; i++) {
  const name = guardedNames[i]
  const mutates = GUARDED_ARRAY_METHODS[name]
  const original = ArrayPrototype[name]
  if (typeof original !== 'function') continue
  const guarded = {
    [name]: function () {
      // null and undefined: the original throws its own TypeError.
      if (this === null || this === undefined) return ReflectApply(original, this, arguments)
      if (ArrayIsArray(this)) {
        if (lengthOf(this) > MAX_NATIVE_LOOP_LENGTH) throw tooLong(name)
        return ReflectApply(original, this, arguments)
      }
      const o = ObjectCtor(this)
      const length = lengthOf(o)
      if (length > MAX_NATIVE_LOOP_LENGTH) throw tooLong(name)
      const copy = new ArrayCtor(length)
      for (let k = 0; k < length; k++) if (k in o) copy[k] = o[k]
      const result = ReflectApply(original, copy, arguments)
      if (!mutates) return result
      for (let k = 0; k < length; k++) {
        if (k in copy) o[k] = copy[k]
        else delete o[k]
      }
      return o
    },
  }[name]
  ObjectDefineProperty(guarded, 'length', { value: original.length, configurable: true })
  ObjectDefineProperty(ArrayPrototype, name, { value: guarded, writable: true, enumerable: false, configurable: true })
}
