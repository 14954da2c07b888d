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
  flat: false,
  // The callback methods skip holes in C++ without calling back: as long a loop as the others.
  // (An array-like's callbacks see the copy as their third argument.)
  forEach: false,
  map: false,
  filter: false,
  some: false,
  every: false,
  reduce: false,
  reduceRight: false,
  fill: true,
  reverse: true,
  copyWithin: true,
  sort: true,
  splice: true,
  shift: true,
  unshift: true,
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
      // Write the copy back; splice, shift and unshift change the length too.
      const after = copy.length
      const end = after > length ? after : length
      for (let k = 0; k < end; k++) {
        if (k < after && k in copy) o[k] = copy[k]
        else delete o[k]
      }
      if (after !== length) o.length = after
      return result === copy ? o : result
    },
  }[name]
  ObjectDefineProperty(guarded, 'length', { value: original.length, configurable: true })
  ObjectDefineProperty(ArrayPrototype, name, { value: guarded, writable: true, enumerable: false, configurable: true })
}

// flat walks nested arrays in C++ too (`[new Array(2 ** 32 - 1)].flat()`): every array it would
// descend into is held to the same length first, in JavaScript. flatMap is map, then that flat.
const guardedFlat = ArrayPrototype.flat
const guardedMap = ArrayPrototype.map
/** @param {any} value @param {number} depth */
function checkNested(value, depth) {
  if (depth < 1 || !ArrayIsArray(value)) return
  const length = lengthOf(value)
  if (length > MAX_NATIVE_LOOP_LENGTH) throw tooLong('flat')
  for (let k = 0; k < length; k++) if (k in value) checkNested(value[k], depth - 1)
}
ObjectDefineProperty(ArrayPrototype, 'flat', {
  value: {
    flat: function () {
      const depthArg = arguments.length > 0 ? arguments[0] : undefined
      const depth = depthArg === undefined ? 1 : +depthArg
      const receiver = ArrayIsArray(this) ? this : this === null || this === undefined ? this : ObjectCtor(this)
      if (receiver !== null && receiver !== undefined) {
        const length = lengthOf(receiver)
        for (let k = 0; k < length; k++) if (k in receiver) checkNested(receiver[k], depth > 0 ? (depth < 64 ? MathFloor(depth) : 64) : 0)
      }
      return ReflectApply(guardedFlat, this, arguments)
    },
  }.flat,
  writable: true,
  enumerable: false,
  configurable: true,
})
const checkedFlat = ArrayPrototype.flat
ObjectDefineProperty(checkedFlat, 'length', { value: 0, configurable: true })
ObjectDefineProperty(ArrayPrototype, 'flatMap', {
  value: {
    flatMap: function (callback) {
      const mapped = ReflectApply(guardedMap, this, arguments)
      return ReflectApply(checkedFlat, mapped, [1])
    },
  }.flatMap,
  writable: true,
  enumerable: false,
  configurable: true,
})

// Array.from of an array-like (no iterator) walks `length` in C++ as well.
const ArrayFromOriginal = ArrayCtor.from
ObjectDefineProperty(ArrayCtor, 'from', {
  value: {
    from: function (items) {
      if (items !== null && items !== undefined && typeof items !== 'string') {
        const o = ObjectCtor(items)
        if (o[SymbolIterator] === undefined || o[SymbolIterator] === null) {
          if (lengthOf(o) > MAX_NATIVE_LOOP_LENGTH)
            throw new RangeErrorCtor('Array.from refuses an array-like longer than ' + MAX_NATIVE_LOOP_LENGTH + ' elements in the sandbox.')
        }
      }
      return ReflectApply(ArrayFromOriginal, this, arguments)
    },
  }.from,
  writable: true,
  enumerable: false,
  configurable: true,
})
