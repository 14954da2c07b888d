// ---- intrinsics, captured before any rule runs ----------------------------------------------------
// The one place of the guest that may touch a built-in as rules see it: it runs first, before any
// rule, and keeps what every other file calls. After it, guest code calls only these (the lint of
// test/guest/capture-discipline.test.ts fails on any other call of a built-in).
const G = globalThis
const ReflectGetOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor
/**
 * The getter of an accessor property, captured.
 * @param {object} obj
 * @param {PropertyKey} key
 * @returns {(this: any) => any}
 */
function getterOf(obj, key) {
  const d = ReflectGetOwnPropertyDescriptor(obj, key)
  return /** @type {(this: any) => any} */ (d === undefined ? undefined : d.get)
}
const ReflectApply = Reflect.apply
const ObjectCreate = Object.create
const ObjectDefineProperty = Object.defineProperty
const ObjectFreeze = Object.freeze
const ObjectGetPrototypeOf = Object.getPrototypeOf
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor
const ObjectKeys = Object.keys
const ObjectHasOwn = Object.hasOwn
const ObjectPrototype = Object.prototype
const ObjectCtor = Object
const ArrayIsArray = Array.isArray
const ArrayCtor = Array
const ArrayPrototype = Array.prototype
const JSONStringify = JSON.stringify
const JSONParse = JSON.parse
const StringCtor = String
const StringSlice = String.prototype.slice
const DateNow = Date.now
const DateGetTime = Date.prototype.getTime
const DateToISOString = Date.prototype.toISOString
const NumberIsFinite = Number.isFinite
const MathFloor = Math.floor
const ErrorCtor = Error
const ErrorCaptureStackTrace = Error.captureStackTrace
const ErrorPrototype = Error.prototype
const TypeErrorCtor = TypeError
const WeakSetCtor = WeakSet
const WeakSetAdd = WeakSet.prototype.add
const WeakSetHas = WeakSet.prototype.has
const MapCtor = Map
const MapGet = Map.prototype.get
const MapSet = Map.prototype.set
const MapDelete = Map.prototype.delete
const MapHas = Map.prototype.has
const MapSize = getterOf(Map.prototype, 'size')
const PromiseThen = Promise.prototype.then
// A settled promise of our own whose own 'constructor' is undefined, so that 'then' on it never
// consults Promise.prototype.constructor or Promise[Symbol.species], which rules can replace.
const settledPromise = Promise.resolve()
Object.defineProperty(settledPromise, 'constructor', { value: undefined })
function QueueMicrotask(fn) {
  ReflectApply(PromiseThen, settledPromise, [fn])
}
const FunctionToString = Function.prototype.toString

const PromiseCtor = Promise
const MapForEach = Map.prototype.forEach
const ArrayBufferIsView = ArrayBuffer.isView
const TypedArrayTag = getterOf(ObjectGetPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)
const TypedArrayBuffer = getterOf(ObjectGetPrototypeOf(Uint8Array.prototype), 'buffer')
const TypedArrayOffset = getterOf(ObjectGetPrototypeOf(Uint8Array.prototype), 'byteOffset')
const TypedArrayLength = getterOf(ObjectGetPrototypeOf(Uint8Array.prototype), 'byteLength')
const Uint8ArrayCtor = Uint8Array
const Int32ArrayCtor = Int32Array
const StringFromCharCode = String.fromCharCode
const StringCharCodeAt = String.prototype.charCodeAt
const StringIndexOf = String.prototype.indexOf
const StringLastIndexOf = String.prototype.lastIndexOf
const RegExpExec = RegExp.prototype.exec
const IndirectEval = eval
const PromiseReject = Promise.reject

// Methods as plain functions of their receiver, `StringPrototypeReplace(s, a, b)`, as Node's
// primordials: `bind.bind(call)` calls the captured method, whatever Function.prototype.call or a
// prototype later holds.
const FunctionPrototypeCall = Function.prototype.call
const FunctionPrototypeBind = Function.prototype.bind
/** @type {(fn: Function) => (self: any, ...args: any[]) => any} */
const uncurryThis = ReflectApply(FunctionPrototypeBind, FunctionPrototypeBind, [FunctionPrototypeCall])
const StringPrototypeReplace = uncurryThis(String.prototype.replace)
const StringPrototypeToLowerCase = uncurryThis(String.prototype.toLowerCase)
const StringPrototypeToUpperCase = uncurryThis(String.prototype.toUpperCase)
const StringPrototypeSplit = uncurryThis(String.prototype.split)
const StringPrototypeTrim = uncurryThis(String.prototype.trim)
const StringPrototypeIndexOf = uncurryThis(String.prototype.indexOf)
const ArrayPrototypeForEach = uncurryThis(Array.prototype.forEach)
const ArrayPrototypeMap = uncurryThis(Array.prototype.map)
const ArrayPrototypeFilter = uncurryThis(Array.prototype.filter)
const ArrayPrototypeJoin = uncurryThis(Array.prototype.join)
const ArrayPrototypeSort = uncurryThis(Array.prototype.sort)
const ArrayPrototypeSome = uncurryThis(Array.prototype.some)
const ArrayPrototypeIndexOf = uncurryThis(Array.prototype.indexOf)
const ArrayBufferPrototypeSlice = uncurryThis(ArrayBuffer.prototype.slice)
const PromisePrototypeThen = uncurryThis(Promise.prototype.then)
const PromiseResolve = Promise.resolve
const RegExpPrototypeTest = uncurryThis(RegExp.prototype.test)
const RegExpPrototypeExec = uncurryThis(RegExp.prototype.exec)
const NumberPrototypeToString = uncurryThis(Number.prototype.toString)
const DateCtor = Date
const DatePrototypeToString = Date.prototype.toString
const DateUTC = Date.UTC
const DateParse = Date.parse
const ReflectConstruct = Reflect.construct
const MathRandom = Math.random
const RangeErrorCtor = RangeError
const URIErrorCtor = URIError
const EncodeURIComponent = encodeURIComponent
// The method of the `hostAwait` input (an isolated-vm Reference no rule can reach), called on it.
const HostAwaitApply = hostAwait.applySyncPromise
const DecodeURIComponent = decodeURIComponent
// jsonwebtoken (jwt.js): Object.assign copies options as jsonwebtoken does (getters run once).
const ObjectAssign = Object.assign
const ObjectPrototypeToString = uncurryThis(Object.prototype.toString)
const NumberIsInteger = Number.isInteger
const ParseFloat = parseFloat
const RegExpCtor = RegExp
const StringPrototypeStartsWith = uncurryThis(String.prototype.startsWith)
// Memory outside the heap limit (memory.js): the constructors it wraps, and what it calls on them.
const ArrayBufferCtor = ArrayBuffer
const ArrayBufferResizable = getterOf(ArrayBuffer.prototype, 'resizable')
const ArrayBufferMaxByteLength = getterOf(ArrayBuffer.prototype, 'maxByteLength')
const ArrayBufferTransfer = ArrayBuffer.prototype.transfer
const ArrayBufferTransferToFixedLength = ArrayBuffer.prototype.transferToFixedLength
const ArrayBufferByteLength = getterOf(ArrayBuffer.prototype, 'byteLength')
const TypedArraySet = ObjectGetPrototypeOf(Uint8Array.prototype).set
const FinalizationRegistryCtor = FinalizationRegistry
const FinalizationRegistryRegister = FinalizationRegistry.prototype.register
const FinalizationRegistryUnregister = FinalizationRegistry.prototype.unregister
const WeakMapCtor = WeakMap
const WeakMapGet = WeakMap.prototype.get
const WeakMapSet = WeakMap.prototype.set
const NumberCtor = Number
const SymbolSpecies = Symbol.species
const ReflectOwnKeys = Reflect.ownKeys
const SymbolIterator = Symbol.iterator
// The HTTP clients (http.js, node-http.js).
const ArrayFrom = Array.from
const ArrayValues = uncurryThis(Array.prototype.values)
const SymbolToStringTag = Symbol.toStringTag
const PromiseAll = Promise.all
const SyntaxErrorCtor = SyntaxError
// Node's built-ins (node.js): a refused module is a Proxy; process.hrtime.bigint; util.inspect.custom.
const ProxyCtor = Proxy
const ReflectGet = Reflect.get
const BigIntCtor = BigInt
const SymbolFor = Symbol.for
const ParseInt = parseInt
