// ---- memory outside the heap limit -----------------------------------------------------------------
// isolated-vm's `memoryLimit` counts the V8 heap and fixed-length ArrayBuffers (its allocator), and
// nothing else. Measured (test/hostile/uncounted-memory.test.ts), a rule at a 32 MB limit could make
// the process hold, uncounted: resizable ArrayBuffers (V8 reserves `maxByteLength` and commits pages
// as they grow, outside the allocator), WebAssembly memories, growable SharedArrayBuffers, and what
// ICU keeps behind Intl objects (about 30 KB per DateTimeFormat; a copy of the text behind every
// Intl.Segmenter segments object and iterator).
//
// So the guest counts each of them against one budget per isolate, `settings.offHeapBytes` (the
// heap limit again, in bytes), before V8 allocates it: a resizable ArrayBuffer its maxByteLength, a
// WebAssembly memory its maximum, an Intl object a fixed estimate, a segmented text two bytes per
// character. What is counted is given back when the object is collected (a FinalizationRegistry).
// A rule that asks for more fails its run with ERR_RULE_MEMORY_LIMIT, whatever it catches, and the
// host recycles the isolate after that run, as after a heap breach; it also recycles it after a run
// that leaves more than half of the budget counted, since V8 may not collect an idle isolate's
// garbage for many runs. SharedArrayBuffer is unreachable
// (runtime.js deletes it, shared WebAssembly memory is refused here); WebAssembly itself is there
// only when the integrator enables it (engine option `webAssembly`).

const MIB = 1024 * 1024
const offHeap = { used: 0, limit: settings.offHeapBytes }
// The held value: the bytes one object counted, or a share of bytes several objects hold together
// (a WebAssembly instance and the memories it exports).
const offHeapRegistry = new FinalizationRegistryCtor(function released(held) {
  if (typeof held === 'number') offHeap.used -= held
  else if (--held.live === 0) offHeap.used -= held.bytes
})

/**
 * Count `bytes` before they are allocated; past the budget, fail the run and throw.
 * @param {number} bytes
 * @param {string} what
 */
function reserve(bytes, what) {
  if (offHeap.used + bytes <= offHeap.limit) {
    offHeap.used += bytes
    // What was counted comes back only after V8 collects it, which an idle isolate may not do for
    // many runs: past half the budget, the host replaces the isolate once this run is answered (the
    // run itself goes on), so that garbage never adds up to a failure of a later run.
    const r = run
    if (offHeap.used > offHeap.limit / 2 && r !== null && !r.finished && r.recycleNoted !== true) {
      r.recycleNoted = true
      notify('memory', r.id, 0)
    }
    return
  }
  const limitMb = MathFloor(offHeap.limit / MIB)
  const message =
    what +
    ' would hold ' +
    bytes +
    ' bytes outside the heap; the isolate has ' +
    (offHeap.limit - offHeap.used) +
    ' of its ' +
    offHeap.limit +
    ' (memoryLimitMb ' +
    limitMb +
    ') left.'
  const r = run
  if (r !== null && r.finished && r.bg !== null) {
    // Background work past the budget: it ends here, and the isolate is recycled after it.
    notify('memory', r.id, 0)
    endBackground(r, 'memory-limit', true)
  } else if (r !== null && !r.finished) {
    // The host recycles the isolate once this run is answered: what the rule holds goes with it.
    r.recycleNoted = true
    notify('memory', r.id, 0)
    const rule = r.currentRule
    finish(r, {
      code: 'ERR_RULE_MEMORY_LIMIT',
      message: (rule === null ? 'A rule' : "Rule '" + rule + "'") + ' exceeded the memory limit: ' + message,
      rule: rule,
    })
  }
  throw new RangeErrorCtor(message)
}
/**
 * Give back what `obj` counted when it is collected.
 * @param {object} obj
 * @param {number | { bytes: number, live: number }} held
 */
function track(obj, held) {
  ReflectApply(FinalizationRegistryRegister, offHeapRegistry, [obj, held, obj])
}
/** @param {object} obj */
function untrack(obj) {
  return ReflectApply(FinalizationRegistryUnregister, offHeapRegistry, [obj])
}
/**
 * A byte count as V8's ToIndex would read it (NaN is 0), for counting; V8 still checks the range.
 * @param {number} n
 */
function countOf(n) {
  return n >= 0 ? MathFloor(n) : 0
}
// A wrapper function that looks like what it replaces: its name and length, and the same prototype.
function like(wrapper, real) {
  ObjectDefineProperty(wrapper, 'name', { value: real.name, writable: false, enumerable: false, configurable: true })
  ObjectDefineProperty(wrapper, 'length', { value: real.length, writable: false, enumerable: false, configurable: true })
  if (ObjectHasOwn(real, 'prototype')) {
    ObjectDefineProperty(wrapper, 'prototype', { value: real.prototype, writable: false, enumerable: false, configurable: false })
    ObjectDefineProperty(real.prototype, 'constructor', { value: wrapper, writable: true, enumerable: false, configurable: true })
  }
  return wrapper
}
function method(obj, name, fn) {
  ObjectDefineProperty(obj, name, { value: fn, writable: true, enumerable: false, configurable: true })
}

// A host call the host refused to take on (its arguments past the run's host-side budget,
// lib/budget.ts) answers {"f": {code, message}}: the run fails with that code, and the rule's code,
// which cannot go on, gets an Error it may catch without changing the outcome.
function failedOnHost(r, res) {
  const f = own(res, 'f')
  if (f === undefined) return
  const message = safeString(own(f, 'message'), 4096)
  if (!r.finished) finish(r, { code: StringCtor(own(f, 'code')), message: message, rule: r.currentRule })
  else if (r.bg !== null) endBackground(r, 'memory-limit', true)
  throw new ErrorCtor(message)
}

// ---- resizable ArrayBuffers ----------------------------------------------------------------------
// `maxByteLength` is read once (one getter call, one valueOf), and V8 gets a copy holding that
// number: what was counted is what V8 reserves.
/** @param {unknown} options */
function maxByteLengthOf(options) {
  if (options === null || (typeof options !== 'object' && typeof options !== 'function')) return undefined
  const raw = /** @type {any} */ (options).maxByteLength
  if (raw === undefined) return undefined
  return typeof raw === 'bigint' ? raw : NumberCtor(raw)
}
const countedArrayBuffer = like(function ArrayBuffer(length, options) {
  if (new.target === undefined) throw new TypeErrorCtor("Constructor ArrayBuffer requires 'new'")
  const max = maxByteLengthOf(options)
  if (max === undefined) return ReflectConstruct(ArrayBufferCtor, [length], new.target)
  const bytes = typeof max === 'number' ? countOf(max) : 0
  reserve(bytes, 'A resizable ArrayBuffer')
  let buffer
  try {
    buffer = ReflectConstruct(ArrayBufferCtor, [length, { __proto__: null, maxByteLength: max }], new.target)
  } catch (e) {
    offHeap.used -= bytes
    throw e
  }
  track(buffer, bytes)
  return buffer
}, ArrayBufferCtor)
method(countedArrayBuffer, 'isView', ArrayBufferIsView)
ObjectDefineProperty(countedArrayBuffer, SymbolSpecies, {
  get: function species() {
    return this
  },
  enumerable: false,
  configurable: true,
})
ObjectDefineProperty(G, 'ArrayBuffer', { value: countedArrayBuffer, writable: true, enumerable: false, configurable: true })
// transfer() of a resizable buffer makes another one with the same maxByteLength (and detaches this
// one): the count moves to the new buffer. transferToFixedLength() makes a fixed-length one, which
// isolated-vm counts, and gives this one's count back.
method(ArrayBufferCtor.prototype, 'transfer', function transfer() {
  if (!ReflectApply(ArrayBufferResizable, this, [])) return ReflectApply(ArrayBufferTransfer, this, arguments)
  const bytes = ReflectApply(ArrayBufferMaxByteLength, this, [])
  const moved = untrack(this)
  if (!moved) reserve(bytes, 'A resizable ArrayBuffer')
  let out
  try {
    out = ReflectApply(ArrayBufferTransfer, this, arguments)
  } catch (e) {
    if (moved) track(this, bytes)
    else offHeap.used -= bytes
    throw e
  }
  track(out, bytes)
  return out
})
method(ArrayBufferCtor.prototype, 'transferToFixedLength', function transferToFixedLength() {
  const resizable = ReflectApply(ArrayBufferResizable, this, [])
  const bytes = resizable ? ReflectApply(ArrayBufferMaxByteLength, this, []) : 0
  const out = ReflectApply(ArrayBufferTransferToFixedLength, this, arguments)
  if (resizable && untrack(this)) offHeap.used -= bytes
  return out
})

// ---- Intl ------------------------------------------------------------------------------------------
// What ICU holds per object, rounded up from measurements at a 32 MB limit (a DateTimeFormat about
// 29 KB, a Collator under 2 KB, the others under 1 KB).
const INTL_COST = { DateTimeFormat: 32 * 1024, other: 4 * 1024 }
if (typeof Intl === 'object' && Intl !== null) {
  const I = /** @type {any} */ (Intl)
  // V8's own, non-standard, holding a copy of the text it is given: not for rules.
  delete I.v8BreakIterator
  const names = ReflectOwnKeys(I)
  for (let i = 0; i < names.length; i++) {
    const name = names[i]
    if (typeof name !== 'string') continue
    const Real = I[name]
    if (typeof Real !== 'function' || !ObjectHasOwn(Real, 'prototype')) continue
    const cost = name === 'DateTimeFormat' ? INTL_COST.DateTimeFormat : INTL_COST.other
    // DateTimeFormat, NumberFormat and Collator may be called without `new` (ECMA-402's legacy).
    const callable = name === 'DateTimeFormat' || name === 'NumberFormat' || name === 'Collator'
    const counted = like(function () {
      if (new.target === undefined && !callable) throw new TypeErrorCtor('Constructor Intl.' + name + " requires 'new'")
      reserve(cost, 'An Intl.' + name)
      let obj
      try {
        obj = ReflectConstruct(Real, arguments, new.target === undefined ? Real : new.target)
      } catch (e) {
        offHeap.used -= cost
        throw e
      }
      track(obj, cost)
      return obj
    }, Real)
    const statics = ReflectOwnKeys(Real)
    for (let j = 0; j < statics.length; j++) {
      const key = statics[j]
      if (key === 'prototype' || key === 'name' || key === 'length') continue
      ObjectDefineProperty(counted, key, /** @type {PropertyDescriptor} */ (ObjectGetOwnPropertyDescriptor(Real, key)))
    }
    ObjectDefineProperty(I, name, { value: counted, writable: true, enumerable: false, configurable: true })
  }
  // A segments object and each of its iterators keep their own copy of the text (UTF-16).
  const Segmenter = I.Segmenter
  if (typeof Segmenter === 'function') {
    const realSegment = Segmenter.prototype.segment
    const segmentsProto = ObjectGetPrototypeOf(ReflectApply(realSegment, new Segmenter(), ['']))
    const realIterator = segmentsProto[SymbolIterator]
    const textLength = new WeakMapCtor()
    method(Segmenter.prototype, 'segment', function segment(input) {
      const text = StringCtor(input)
      const cost = INTL_COST.other + 2 * text.length
      reserve(cost, 'Intl.Segmenter.prototype.segment')
      let out
      try {
        out = ReflectApply(realSegment, this, [text])
      } catch (e) {
        offHeap.used -= cost
        throw e
      }
      ReflectApply(WeakMapSet, textLength, [out, text.length])
      track(out, cost)
      return out
    })
    ObjectDefineProperty(Segmenter.prototype.segment, 'length', { value: 1, writable: false, enumerable: false, configurable: true })
    method(segmentsProto, SymbolIterator, function () {
      const length = ReflectApply(WeakMapGet, textLength, [this])
      const cost = INTL_COST.other + 2 * (length === undefined ? 0 : length)
      reserve(cost, 'An Intl.Segmenter iterator')
      let out
      try {
        out = ReflectApply(realIterator, this, [])
      } catch (e) {
        offHeap.used -= cost
        throw e
      }
      track(out, cost)
      return out
    })
    ObjectDefineProperty(segmentsProto[SymbolIterator], 'name', { value: '[Symbol.iterator]', writable: false, enumerable: false, configurable: true })
  }
}

// ---- WebAssembly -----------------------------------------------------------------------------------
// Absent unless the integrator enables it. Enabled, every memory a rule can make counts its
// maximum before it exists: `new WebAssembly.Memory` needs a `maximum`, and a module's own memories
// are read from its bytes (a copy, compiled as checked) and need one too; shared memory (which
// would hand SharedArrayBuffer back) and 64-bit memories are refused.
const WASM_PAGE = 65536
if (typeof WebAssembly === 'object') {
  const W = /** @type {any} */ (WebAssembly)
  if (!settings.webAssembly) delete (/** @type {any} */ (G).WebAssembly)
  else {
    const RealMemory = W.Memory
    const RealModule = W.Module
    const RealInstance = W.Instance
    const moduleExports = RealModule.exports
    const moduleMemory = new WeakMapCtor() // module -> bytes of the memories it defines
    try {
      // The SharedArrayBuffer constructor, reachable from a shared memory's buffer: gone.
      const sabProto = ObjectGetPrototypeOf(ReflectConstruct(RealMemory, [{ initial: 0, maximum: 1, shared: true }]).buffer)
      delete sabProto.constructor
    } catch (e) {
      /* no shared memory in this V8 */
    }

    // The descriptor is read once, each property once (a getter that answers differently on each
    // read is read one time); V8 gets a copy holding what was checked.
    const Memory = like(function Memory(descriptor) {
      if (new.target === undefined) throw new TypeErrorCtor("WebAssembly.Memory must be invoked with 'new'")
      if (descriptor === null || (typeof descriptor !== 'object' && typeof descriptor !== 'function'))
        throw new TypeErrorCtor('WebAssembly.Memory(): Argument 0 must be a memory descriptor')
      const d = /** @type {any} */ (descriptor)
      const copy = { __proto__: null, initial: d.initial, maximum: d.maximum, shared: d.shared, address: d.address, index: d.index }
      if (copy.shared) throw new TypeErrorCtor('Shared WebAssembly memory is not available to rules.')
      if ((copy.address !== undefined && copy.address !== 'i32') || (copy.index !== undefined && copy.index !== 'i32'))
        throw new TypeErrorCtor('64-bit WebAssembly memory is not available to rules.')
      if (copy.maximum === undefined) throw new RangeErrorCtor('WebAssembly.Memory needs a maximum in the sandbox (its pages count against the memory limit).')
      const pages = NumberCtor(copy.maximum)
      const clean = { __proto__: null, initial: NumberCtor(copy.initial), maximum: pages }
      const bytes = countOf(pages) * WASM_PAGE
      reserve(bytes, 'A WebAssembly.Memory')
      let memory
      try {
        memory = ReflectConstruct(RealMemory, [clean], new.target)
      } catch (e) {
        offHeap.used -= bytes
        throw e
      }
      track(memory, bytes)
      return memory
    }, RealMemory)

    // A copy of a BufferSource's bytes, made without calling anything of the rule's.
    const copyBytes = (source) => {
      let view = bytesOf(source)
      if (view === undefined) {
        try {
          view = new Uint8ArrayCtor(source, 0, ReflectApply(ArrayBufferByteLength, source, []))
        } catch (e) {
          throw new TypeErrorCtor('WebAssembly: the argument must be an ArrayBuffer or a typed array.')
        }
      }
      const copy = new Uint8ArrayCtor(view.length)
      ReflectApply(TypedArraySet, copy, [view])
      return copy
    }
    // The bytes of the memories a module defines (its memory section), or a TypeError.
    const definedMemoryBytes = (bytes) => {
      let at = 8
      let total = 0
      const u32 = () => {
        let value = 0
        let shift = 0
        for (;;) {
          if (at >= bytes.length) throw new TypeErrorCtor('WebAssembly: a truncated module.')
          const b = bytes[at++]
          value += (b & 127) * 2 ** shift
          if ((b & 128) === 0) return value
          shift += 7
          if (shift > 35) throw new TypeErrorCtor('WebAssembly: a malformed module.')
        }
      }
      while (at < bytes.length) {
        const id = bytes[at++]
        const size = u32()
        const end = at + size
        if (id === 5) {
          const count = u32()
          for (let i = 0; i < count; i++) {
            const flags = u32()
            if ((flags & 2) !== 0) throw new TypeErrorCtor('Shared WebAssembly memory is not available to rules.')
            if (flags > 1) throw new TypeErrorCtor('64-bit or custom-page WebAssembly memory is not available to rules.')
            u32()
            if ((flags & 1) === 0)
              throw new RangeErrorCtor("WebAssembly: a module's memory needs a maximum in the sandbox (its pages count against the memory limit).")
            total += u32() * WASM_PAGE
          }
        }
        at = end
      }
      return total
    }
    const compileModule = (source, newTarget) => {
      const bytes = copyBytes(source)
      const memoryBytes = definedMemoryBytes(bytes)
      const module = ReflectConstruct(RealModule, [bytes], newTarget)
      ReflectApply(WeakMapSet, moduleMemory, [module, memoryBytes])
      return module
    }
    const Module = like(function Module(bytes) {
      if (new.target === undefined) throw new TypeErrorCtor("WebAssembly.Module must be invoked with 'new'")
      return compileModule(bytes, new.target)
    }, RealModule)
    method(Module, 'exports', moduleExports)
    method(Module, 'imports', RealModule.imports)
    method(Module, 'customSections', RealModule.customSections)

    // An instance holds the memories its module defines; they live as long as it, or as the
    // memories it exports: counted until all of these are collected.
    const makeInstance = (module, imports, newTarget) => {
      const bytes = ReflectApply(WeakMapGet, moduleMemory, [module])
      if (bytes === undefined) throw new TypeErrorCtor('WebAssembly.Instance(): Argument 0 must be a WebAssembly.Module')
      if (bytes > 0) reserve(bytes, "A WebAssembly module's memory")
      let instance
      try {
        instance = ReflectConstruct(RealInstance, imports === undefined ? [module] : [module, imports], newTarget)
      } catch (e) {
        offHeap.used -= bytes
        throw e
      }
      if (bytes > 0) {
        const share = { bytes: bytes, live: 1 }
        track(instance, share)
        const list = moduleExports(module)
        const exported = instance.exports
        const seen = new WeakSetCtor()
        for (let i = 0; i < list.length; i++) {
          if (list[i].kind !== 'memory') continue
          const memory = exported[list[i].name]
          if (memory === null || typeof memory !== 'object' || ReflectApply(WeakSetHas, seen, [memory])) continue
          ReflectApply(WeakSetAdd, seen, [memory])
          share.live++
          ReflectApply(FinalizationRegistryRegister, offHeapRegistry, [memory, share])
        }
      }
      return instance
    }
    const Instance = like(function Instance(module, imports) {
      if (new.target === undefined) throw new TypeErrorCtor("WebAssembly.Instance must be invoked with 'new'")
      return makeInstance(module, imports, new.target)
    }, RealInstance)

    const settled = (fn) =>
      new PromiseCtor(function (resolve, reject) {
        try {
          resolve(fn())
        } catch (e) {
          reject(e)
        }
      })
    method(W, 'Memory', Memory)
    method(W, 'Module', Module)
    method(W, 'Instance', Instance)
    method(W, 'compile', function compile(bytes) {
      return settled(() => compileModule(bytes, RealModule))
    })
    method(W, 'instantiate', function instantiate(source, imports) {
      return settled(() => {
        if (ReflectApply(WeakMapGet, moduleMemory, [source]) !== undefined) return makeInstance(source, imports, RealInstance)
        const module = compileModule(source, RealModule)
        return { __proto__: ObjectPrototype, module: module, instance: makeInstance(module, imports, RealInstance) }
      })
    })
    delete W.compileStreaming
    delete W.instantiateStreaming
  }
}
