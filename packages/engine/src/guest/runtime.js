// The engine's code inside the sandbox: the runs, the globals rules see, the serializer of their
// result, and the host's entry, `dispatch`. It follows primordials.js and uses only what was
// captured there, so that rules which replace `JSON.stringify`, patch `Array.prototype`, or plant
// setters on `Object.prototype` cannot change what the engine does.
//
// Nothing created here is reachable from rules: no global names, and every function is strict, so
// `fn.caller`, `arguments.callee` and CallSite `getFunction`/`getThis` reveal nothing. Messages to
// the host go through `notify` (an ignored callback): `timer`, `immediate`, `clear`, `done`. The
// result is serialized here, under the run's time limit, by a serializer that reads own data
// properties only (getters, `toJSON`, proxies' side effects all run inside the sandbox).

/** @type {SandboxSettings} */
const settings = JSONParse(settingsJson)
// One cell of memory shared with the host: 1 + the index (in registration order) of the rule that
// runs now, 0 between rules. The host reads it when the isolate dies under a rule (memory limit),
// where nothing can be asked of the guest any more.
const runningRule = new Int32ArrayCtor(runningRuleBuffer)

// A descriptor's own "value" (never Object.prototype.value, which a rule may have planted).
function isData(d) {
  return ObjectHasOwn(d, 'value')
}
function own(obj, key) {
  // The value of an own data property, or undefined. Never runs a getter.
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) return undefined
  const d = ObjectGetOwnPropertyDescriptor(obj, key)
  return d !== undefined && isData(d) ? d.value : undefined
}
// Descriptors without a prototype: a rule may have planted Object.prototype.get or .set, which
// would otherwise turn every descriptor the engine writes into an invalid one.
function define(obj, key, value) {
  ObjectDefineProperty(obj, key, /** @type {PropertyDescriptor} */ ({ __proto__: null, value: value, writable: true, enumerable: true, configurable: true }))
}
function push(arr, value) {
  ObjectDefineProperty(
    arr,
    arr.length,
    /** @type {PropertyDescriptor} */ ({ __proto__: null, value: value, writable: true, enumerable: true, configurable: true }),
  )
}
// The time value of a Date (NaN for an invalid one), or undefined for any other non-array object
// whose prototype is proto. Plain objects are not Dates (a Date moved onto Object.prototype reads
// as the {} it claims to be, as JSON.stringify would say): only other objects pay for the brand
// check, whose caught TypeError costs microseconds in the isolate.
function dateTimeOf(value, proto) {
  if (proto === ObjectPrototype || proto === null) return undefined
  try {
    return ReflectApply(DateGetTime, value, [])
  } catch (e) {
    return undefined
  }
}
// An object the engine can read a user or context from (not a revoked proxy, an array or a Date).
function isPlainTarget(value) {
  if (value === null || typeof value !== 'object') return false
  try {
    if (ArrayIsArray(value)) return false
  } catch (e) {
    return false
  }
  let proto
  try {
    proto = ObjectGetPrototypeOf(value)
  } catch (e) {
    proto = undefined
  }
  return dateTimeOf(value, proto) === undefined
}
function safeString(value, max) {
  let s
  try {
    s = typeof value === 'string' ? value : StringCtor(value)
  } catch (e) {
    s = '[unprintable ' + typeof value + ']'
  }
  if (typeof s !== 'string') s = '[unprintable]'
  return s.length > max ? ReflectApply(StringSlice, s, [0, max]) + '…' : s
}
function now() {
  return ReflectApply(DateNow, undefined, [])
}

// ---- the globals rules see ---------------------------------------------------------------------
const unauthorizedBrand = new WeakSetCtor()

/**
 * @constructor
 * @param {unknown} [message]
 */
function UnauthorizedError(message) {
  if (new.target === undefined) return new UnauthorizedError(message)
  const text = message === undefined ? '' : safeString(message, 4096)
  define(this, 'name', 'UnauthorizedError')
  define(this, 'message', text)
  define(this, 'code', 'unauthorized')
  define(this, 'description', text)
  define(this, 'statusCode', 401)
  ErrorCaptureStackTrace(this, UnauthorizedError)
  ReflectApply(WeakSetAdd, unauthorizedBrand, [this])
}
UnauthorizedError.prototype = ObjectCreate(ErrorPrototype, {
  constructor: { value: UnauthorizedError, writable: true, configurable: true },
  name: { value: 'UnauthorizedError', writable: true, configurable: true },
})

function deepFreeze(value) {
  if (value !== null && typeof value === 'object') {
    const keys = ObjectKeys(value)
    for (let i = 0; i < keys.length; i++) deepFreeze(value[keys[i]])
    ObjectFreeze(value)
  }
  return value
}

function lockGlobal(name, value) {
  ObjectDefineProperty(G, name, { value: value, writable: false, enumerable: false, configurable: false })
}
lockGlobal('configuration', deepFreeze(settings.configuration))
lockGlobal('UnauthorizedError', UnauthorizedError)
ObjectDefineProperty(G, 'global', { value: G, writable: true, enumerable: false, configurable: true })
// Nothing that can block a thread or share memory with another one.
delete (/** @type {any} */ (G).SharedArrayBuffer)
if (typeof Atomics === 'object') {
  const A = /** @type {any} */ (Atomics)
  delete A.wait
  delete A.waitAsync
}
// WebAssembly, and shared or resizable memory: memory.js.

// ---- runs ----------------------------------------------------------------------------------------
const rules = [] // [{ name, fn }] in pipeline order
const noBrowser = settings.noBrowserProtocols
let run = null // the one run this isolate serves at a time
let timerSeq = 0

// Warnings are kept once each (same code, rule and message: a rule calling back 150,000 times
// warns once) and at most settings.caps.maxWarnings of them, then one WARNINGS_TRUNCATED.
function warn(r, w) {
  const key = w.code + '\u0000' + (typeof w.rule === 'string' ? w.rule : '') + '\u0000' + w.message
  if (ReflectApply(MapHas, r.warningKeys, [key])) return
  if (r.warnings.length >= settings.caps.maxWarnings) {
    if (!r.warningsTruncated) {
      r.warningsTruncated = true
      push(r.warnings, { code: 'WARNINGS_TRUNCATED', message: 'More than ' + settings.caps.maxWarnings + ' distinct warnings; the rest were dropped.' })
    }
    return
  }
  ReflectApply(MapSet, r.warningKeys, [key, true])
  push(r.warnings, w)
}

// A per-run cap reached (settings.caps, settings.maxTimers): an Error the rule may catch, with
// code ERR_RUN_LIMIT and the name of the cap.
function runLimit(limit, message) {
  const err = new RangeErrorCtor(message)
  define(err, 'code', 'ERR_RUN_LIMIT')
  define(err, 'limit', limit)
  return err
}

function logLine(level, args) {
  const r = run
  if (!runOpen(r)) return
  if (r.logs.length >= settings.maxLogEntries) {
    if (!r.logsTruncated) {
      r.logsTruncated = true
      warn(r, { code: 'LOGS_TRUNCATED', message: 'More than ' + settings.maxLogEntries + ' log lines; the rest were dropped.' })
    }
    return
  }
  let message = ''
  let next = 0
  // Node's format directives in a first string argument: %s %d %i %f %j %o %O %c %%.
  if (typeof args[0] === 'string') {
    const format = args[0]
    next = 1
    let i = 0
    while (i < format.length && message.length <= 8192) {
      const c = format[i]
      const d = format[i + 1]
      if (c === '%' && d === '%') {
        message += '%'
        i += 2
        continue
      }
      if (c === '%' && (d === 's' || d === 'd' || d === 'i' || d === 'f' || d === 'j' || d === 'o' || d === 'O' || d === 'c') && next < args.length) {
        const a = args[next++]
        if (d === 'd' || d === 'i' || d === 'f') {
          const n = typeof a === 'number' ? a : typeof a === 'string' ? +a : NaN
          message += safeString(d === 'i' && n === n ? (n < 0 ? -MathFloor(-n) : MathFloor(n)) : n, 64)
        } else if (d === 's') message += typeof a === 'string' ? a : formatArg(a)
        else if (d !== 'c') message += formatArg(a)
        i += 2
        continue
      }
      message += c
      i++
    }
  }
  for (let i = next; i < args.length && message.length <= 8192; i++) {
    const text = typeof args[i] === 'string' ? args[i] : formatArg(args[i])
    message = message === '' && i === 0 ? text : message + ' ' + text
  }
  push(r.logs, { level: level, rule: r.currentRule, message: safeString(message, 8192), atMs: now() - r.startedAt })
}
function formatArg(a) {
  if (a !== null && typeof a === 'object' && !ArrayIsArray(a) && isError(a)) {
    const d = describeThrown(a)
    return d.stack !== undefined ? d.stack : d.message
  }
  let text
  try {
    text = serialize(a, 'log', false, 8192)
  } catch (e) {
    text = undefined
  }
  return text === undefined ? safeString(a, 8192) : text
}
const consoleObject = {
  log: function log() {
    logLine('log', arguments)
  },
  info: function info() {
    logLine('info', arguments)
  },
  warn: function warn() {
    logLine('warn', arguments)
  },
  error: function error() {
    logLine('error', arguments)
  },
  debug: function debug() {
    logLine('debug', arguments)
  },
}
ObjectDefineProperty(G, 'console', { value: consoleObject, writable: true, enumerable: false, configurable: true })

// Timers: the host keeps the clock; the sandbox keeps the functions.
function addTimer(kind, fn, delay, args) {
  const r = run
  if (!runOpen(r)) return 0
  if (typeof fn !== 'function') throw new TypeErrorCtor('The "callback" argument must be of type function.')
  if (ReflectApply(MapSize, r.timers, []) >= settings.maxTimers) throw runLimit('maxTimers', 'Too many timers in one run (limit ' + settings.maxTimers + ').')
  let ms = +delay
  if (!(ms >= 1) || ms !== ms) ms = 1
  if (ms > 2147483647) ms = 1
  const id = ++timerSeq
  const timer = { fn: fn, args: args, ms: ms, repeat: kind === 'interval', rule: r.currentRule, failed: r.currentFailed }
  ReflectApply(MapSet, r.timers, [id, timer])
  if (r.bg !== null) trackTimer(r, id, timer)
  if (kind === 'immediate') notify('immediate', r.id, id, 0)
  else notify('timer', r.id, id, ms)
  return id
}
function rest(args, from) {
  const out = []
  for (let i = from; i < args.length; i++) push(out, args[i])
  return out
}
function removeTimer(id) {
  const r = run
  if (r === null) return
  const n = typeof id === 'number' ? id : +id
  if (ReflectApply(MapHas, r.timers, [n])) {
    ReflectApply(MapDelete, r.timers, [n])
    if (r.bg !== null) taskEnded(r, ReflectApply(MapGet, r.bg.timerTasks, [n]), 'cleared', undefined)
    notify('clear', r.id, n, 0)
  }
}
function setTimeout(fn, delay) {
  return addTimer('timeout', fn, delay, rest(arguments, 2))
}
function setInterval(fn, delay) {
  return addTimer('interval', fn, delay, rest(arguments, 2))
}
function setImmediate(fn) {
  return addTimer('immediate', fn, 0, rest(arguments, 1))
}
function clearTimeout(id) {
  removeTimer(id)
}
function queueMicrotask(fn) {
  if (typeof fn !== 'function') throw new TypeErrorCtor('The "callback" argument must be of type function.')
  QueueMicrotask(function microtask() {
    fn()
  })
}
const timerGlobals = {
  setTimeout,
  setInterval,
  setImmediate,
  clearTimeout,
  clearInterval: clearTimeout,
  clearImmediate: clearTimeout,
  queueMicrotask,
}
const timerNames = ObjectKeys(timerGlobals)
for (let i = 0; i < timerNames.length; i++) {
  ObjectDefineProperty(G, timerNames[i], { value: timerGlobals[timerNames[i]], writable: true, enumerable: false, configurable: true })
}

// ---- errors coming out of rules ----------------------------------------------------------------
function isError(value) {
  try {
    let p = ObjectGetPrototypeOf(value)
    for (let depth = 0; p !== null && depth < 64; depth++) {
      if (p === ErrorPrototype) return true
      p = ObjectGetPrototypeOf(p)
    }
  } catch (e) {
    /* a revoked proxy, say */
  }
  return false
}
function describeThrown(value) {
  // Reads a thrown value without trusting it: no getter of the value decides the outcome.
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return { message: safeString(value, 4096), stack: undefined }
  }
  // Getters of the thrown value may run here: we are inside the run's time limit, and nothing
  // they return decides the outcome (that comes from brands the engine set itself).
  let message
  try {
    const m = value.message
    message = typeof m === 'string' ? m : m === undefined ? '' : safeString(m, 4096)
  } catch (e) {
    message = ''
  }
  let stack
  try {
    const s = value.stack
    if (typeof s === 'string') stack = safeString(s, 16384)
  } catch (e) {
    stack = undefined
  }
  if (message === '') {
    try {
      const n = value.name
      if (typeof n === 'string') message = n
    } catch (e) {
      /* keep '' */
    }
  }
  return { message: safeString(message, 4096), stack: stack }
}
function classifyCallbackError(err, rule) {
  if (typeof err === 'string') return { code: 'ERR_RULE_DENIED', message: safeString(err, 4096), rule: rule }
  if (err !== null && typeof err === 'object') {
    let branded = false
    try {
      branded = ReflectApply(WeakSetHas, unauthorizedBrand, [err])
    } catch (e) {
      branded = false
    }
    const d = describeThrown(err)
    return { code: branded ? 'ERR_RULE_UNAUTHORIZED' : 'ERR_RULE_DENIED', message: d.message, rule: rule }
  }
  return { code: 'ERR_RULE_DENIED', message: safeString(err, 4096), rule: rule }
}
function classifyThrown(value, rule) {
  let moduleError = false
  if (value !== null && typeof value === 'object') {
    try {
      moduleError = ReflectApply(WeakSetHas, moduleErrorBrand, [value])
    } catch (e) {
      moduleError = false
    }
  }
  const d = describeThrown(value)
  if (moduleError) return { code: 'ERR_MODULE_NOT_ALLOWED', message: d.message, module: own(value, 'moduleName'), rule: rule }
  return { code: 'ERR_RULE_EXCEPTION', message: d.message, stack: d.stack, rule: rule }
}

// ---- serialization: own data only, inside the time limit -----------------------------------------
// The engine's own exceptions, told apart by brand: 'instanceof' would consult a thrown proxy's traps.
const internalErrors = new WeakSetCtor()
function internal(e) {
  ReflectApply(WeakSetAdd, internalErrors, [e])
  return e
}
function isInternal(e) {
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return false
  return ReflectApply(WeakSetHas, internalErrors, [e])
}
/** @constructor */
function ResultError(message, path) {
  define(this, 'message', message)
  define(this, 'path', pathText(path))
  define(this, 'keys', pathKeys(path))
  internal(this)
}
// The same path as keys, its string root first (metadata copies start at a bare key).
function pathKeys(path) {
  const up = []
  let p = path
  while (typeof p !== 'string') {
    push(up, p.key)
    p = p.up
  }
  const keys = [p]
  for (let i = up.length - 1; i >= 0; i--) push(keys, up[i])
  return keys
}
// Paths are built only when an error needs one: a string, or { up, key } below it.
function pathText(path) {
  if (typeof path === 'string') return path
  return pathText(path.up) + '[' + (typeof path.key === 'number' ? path.key : JSONStringify(path.key)) + ']'
}
/** @constructor */
function SizeError() {
  internal(this)
}
/** @constructor */
function TooLargeError(path) {
  define(this, 'path', path)
  internal(this)
}
const UNLIMITED = 1e15

function serialize(value, path, strict, budget) {
  const state = { strict: strict, budget: budget, used: 0, seen: [] }
  return ser(value, path, state, 0)
}
function charge(state, text) {
  state.used += text.length
  if (state.used > state.budget) throw new SizeError()
  return text
}
function ser(value, path, state, depth) {
  switch (typeof value) {
    case 'string':
      // Check the length first: a rope from 'x'.repeat(5e7) must not be flattened to find out.
      if (state.used + value.length + 2 > state.budget) throw new SizeError()
      return charge(state, JSONStringify(value))
    case 'number':
      if (NumberIsFinite(value)) return charge(state, JSONStringify(value))
      if (state.strict) throw new ResultError('is a non-finite number (' + StringCtor(value) + '), which JSON cannot represent', path)
      return charge(state, 'null')
    case 'boolean':
      return charge(state, value ? 'true' : 'false')
    case 'undefined':
    case 'function':
    case 'symbol':
      if (state.strict) throw new ResultError('is ' + (typeof value === 'undefined' ? 'undefined' : 'a ' + typeof value) + ', which is not JSON', path)
      return undefined
    case 'bigint':
      throw new ResultError('is a BigInt, which is not JSON', path)
  }
  if (value === null) return charge(state, 'null')
  if (depth > 64) throw new ResultError('is nested more than 64 levels deep', path)
  for (let i = 0; i < state.seen.length; i++) {
    if (state.seen[i] === value) throw new ResultError('is a circular reference', path)
  }
  // A Date becomes its ISO string, as JSON.stringify would do.
  const isArray = ArrayIsArray(value)
  const proto = isArray ? ArrayPrototype : ObjectGetPrototypeOf(value)
  const time = isArray ? undefined : dateTimeOf(value, proto)
  if (time !== undefined) {
    if (time !== time) return charge(state, 'null')
    return charge(state, JSONStringify(ReflectApply(DateToISOString, value, [])))
  }
  push(state.seen, value)
  let out
  if (isArray) {
    const lengthDesc = ObjectGetOwnPropertyDescriptor(value, 'length')
    const length = lengthDesc === undefined ? 0 : lengthDesc.value
    out = charge(state, '[')
    for (let i = 0; i < length; i++) {
      const d = ObjectGetOwnPropertyDescriptor(value, i)
      const p = { up: path, key: i }
      let item
      // A hole or an `undefined` element is null, as JSON.stringify writes it and Auth0 issued it
      // (deployed rules build claims with a .map that returns nothing for some items).
      if (d === undefined) {
        item = charge(state, 'null')
      } else if (!isData(d)) {
        if (state.strict) throw new ResultError('is a getter, which is not JSON', p)
        item = 'null'
      } else if (d.value === undefined) {
        item = charge(state, 'null')
      } else {
        item = ser(d.value, p, state, depth + 1)
        if (item === undefined) item = charge(state, 'null')
      }
      out += (i === 0 ? '' : charge(state, ',')) + item
    }
    out += charge(state, ']')
  } else {
    if (state.strict) {
      if (proto !== ObjectPrototype && proto !== null) {
        throw new ResultError('is an object that is not plain JSON (a class instance, Map, RegExp, boxed value…)', path)
      }
    }
    const keys = ObjectKeys(value)
    out = charge(state, '{')
    let first = true
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      const d = ObjectGetOwnPropertyDescriptor(value, key)
      if (d === undefined || !d.enumerable) continue
      const p = { up: path, key: key }
      if (!isData(d)) {
        if (state.strict) throw new ResultError('is a getter, which is not JSON', p)
        continue
      }
      if (key === '__proto__' && state.strict) throw new ResultError('is a __proto__ key, which the engine never copies', p)
      if (d.value === undefined) continue
      const item = ser(d.value, p, state, depth + 1)
      if (item === undefined) continue
      out += (first ? '' : charge(state, ',')) + charge(state, JSONStringify(key)) + charge(state, ':') + item
      first = false
    }
    out += charge(state, '}')
  }
  state.seen.length = state.seen.length - 1
  return out
}

// The custom claims of one token: name → JSON text, each validated on its own.
function serializeClaims(token, path, r) {
  if (token === undefined || token === null) return '{}'
  if (typeof token !== 'object' || ArrayIsArray(token)) {
    throw new ResultError('must be an object', path)
  }
  const keys = ObjectKeys(token)
  // One budget for all claims of the token (names included): the host enforces the exact limit on
  // the claims it keeps; this stops a rule from making the engine copy megabytes first.
  const state = { strict: true, budget: settings.maxClaimsBytes * 4, used: 0, seen: [] }
  let out = '{'
  let first = true
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    if (key === 'scope' && path === 'context.accessToken') continue
    const d = ObjectGetOwnPropertyDescriptor(token, key)
    if (d === undefined || !d.enumerable) continue
    const p = path + '[' + JSONStringify(key) + ']'
    if (!isData(d)) throw new ResultError('is a getter, which is not JSON', p)
    if (d.value === undefined) continue
    const name = JSONStringify(key)
    let text
    try {
      charge(state, name)
      text = ser(d.value, p, state, 0)
    } catch (e) {
      if (isInternal(e) && e instanceof SizeError) throw new TooLargeError(path)
      throw e
    }
    out += (first ? '' : ',') + name + ':' + text
    first = false
  }
  return out + '}'
}

function outputsOf(r) {
  const user = r.user
  const context = r.context
  let text
  try {
    text = '"user":' + ser(user, 'user', { strict: false, budget: settings.maxUserBytes, used: 0, seen: [] }, 0)
  } catch (e) {
    if (isInternal(e) && e instanceof SizeError) throw new ResultError('is larger than ' + settings.maxUserBytes + ' characters as JSON', 'user')
    throw e
  }
  if (r.includeContext) {
    try {
      text += ',"context":' + ser(context, 'context', { strict: false, budget: settings.maxUserBytes, used: 0, seen: [] }, 0)
    } catch (e) {
      if (isInternal(e) && e instanceof SizeError) throw new ResultError('is larger than ' + settings.maxUserBytes + ' characters as JSON', 'context')
      throw e
    }
  }
  const at = own(context, 'accessToken')
  text += ',"accessToken":' + serializeClaims(at, 'context.accessToken', r)
  const scope = at !== null && typeof at === 'object' ? own(at, 'scope') : undefined
  if (scope !== undefined && scope !== null) {
    if (typeof scope === 'string') text += ',"scope":' + JSONStringify(scope)
    else if (ArrayIsArray(scope)) {
      const lengthDesc = ObjectGetOwnPropertyDescriptor(scope, 'length')
      const length = lengthDesc === undefined ? 0 : lengthDesc.value
      for (let i = 0; i < length; i++) {
        if (typeof own(scope, i) !== 'string') throw new ResultError('must be a string', 'context.accessToken.scope[' + i + ']')
      }
      text += ',"scope":' + ser(scope, 'context.accessToken.scope', { strict: true, budget: settings.maxClaimsBytes, used: 0, seen: [] }, 0)
    } else {
      throw new ResultError('must be a space-separated string or an array of strings', 'context.accessToken.scope')
    }
  }
  text += ',"idToken":' + serializeClaims(own(context, 'idToken'), 'context.idToken', r)
  const mfa = own(context, 'multifactor')
  if (mfa !== undefined && mfa !== null) {
    if (typeof mfa !== 'object') throw new ResultError('must be an object with a provider', 'context.multifactor')
    const provider = own(mfa, 'provider')
    if (typeof provider !== 'string' || provider === '') throw new ResultError('must be a non-empty string', 'context.multifactor.provider')
    const remember = own(mfa, 'allowRememberBrowser')
    if (remember !== undefined && typeof remember !== 'boolean') throw new ResultError('must be a boolean', 'context.multifactor.allowRememberBrowser')
    // Auth0: left out, the browser may be remembered (30 days); only an explicit false asks every time.
    text += ',"multifactor":{"provider":' + JSONStringify(provider) + ',"allowRememberBrowser":' + (remember === false ? 'false' : 'true') + '}'
  }
  const redirect = redirectOf(context)
  if (redirect !== undefined) text += ',"redirect":{"url":' + JSONStringify(redirect) + '}'
  const primary = own(context, 'primaryUser')
  if (primary !== undefined && primary !== r.inputPrimaryUser) {
    if (typeof primary !== 'string') throw new ResultError('must be a string', 'context.primaryUser')
    text += ',"primaryUser":' + JSONStringify(primary)
  }
  return text
}
function redirectOf(context) {
  const redirect = own(context, 'redirect')
  if (redirect === undefined || redirect === null) return undefined
  if (typeof redirect !== 'object') throw new ResultError('must be an object with a url', 'context.redirect')
  const url = own(redirect, 'url')
  if (typeof url !== 'string' || url === '') throw new ResultError('must be a non-empty string', 'context.redirect.url')
  return url
}

function trailer(r) {
  let rulesText = '['
  for (let i = 0; i < r.timings.length; i++) {
    const t = r.timings[i]
    rulesText += (i === 0 ? '' : ',') + '{"name":' + JSONStringify(t.name) + ',"durationMs":' + JSONStringify(t.durationMs) + '}'
  }
  return ',"logs":' + plain(r.logs) + ',"warnings":' + plain(r.warnings) + ',"rules":' + rulesText + ']' + actionsTrailer(r)
}

// JSON of the engine's own bookkeeping, without JSON.stringify (which would consult toJSON).
function plain(value) {
  return ser(value, 'internal', { strict: false, budget: UNLIMITED, used: 0, seen: [] }, 0)
}

function finish(r, failure) {
  if (r.finished) return
  r.finished = true
  let text = ''
  if (failure === null) {
    try {
      text = '{"ok":true,' + outputsOf(r)
    } catch (e) {
      if (isInternal(e) && e instanceof ResultError)
        failure = { code: 'ERR_RULE_RESULT_INVALID', message: e.path + ' ' + e.message + '.', path: e.path, rule: null }
      else if (isInternal(e) && e instanceof TooLargeError)
        failure = { code: 'ERR_CLAIMS_TOO_LARGE', message: 'Custom claims are far larger than the limit.', path: e.path, rule: null }
      else {
        // A proxy trap of the rules' threw while the engine read the result.
        failure = { code: 'ERR_RULE_RESULT_INVALID', message: 'Reading the result threw: ' + describeThrown(e).message, path: '', rule: null }
      }
    }
  }
  if (failure !== null) text = '{"ok":false,"error":' + ser(failure, 'error', { strict: false, budget: UNLIMITED, used: 0, seen: [] }, 0)
  text += trailer(r)
  // Work the rules left behind (timers, host operations such as HTTP requests) after they called
  // back (a token, or a denial of theirs): it goes on in the background after the answer, until it
  // is done or the host cuts it (limits.backgroundMs). A run the engine failed (an exception, an
  // invalid result, a failed metadata write) is over, work and all.
  const calledBack = failure === null || failure.code === 'ERR_RULE_DENIED' || failure.code === 'ERR_RULE_UNAUTHORIZED'
  if (calledBack && hasOpenWork(r)) {
    startBackground(r)
    text += BACKGROUND_MARK
  } else {
    r.timers = new MapCtor()
    r.fns = new MapCtor()
    r.pending = new MapCtor()
    r.holds = 0
    run = null
  }
  text += '}'
  // A run that ends inside 'start' (every rule called back synchronously) answers as the entry's
  // return value: one trip to the host instead of two.
  if (startingRun === r.id) syncResult = text
  else notify('done', r.id, text)
  lastDone = { id: r.id, text: text }
}
let startingRun = 0
let syncResult
// The last finished run's answer, for a host whose call returned no value (isolated-vm turns an
// unhandled rejection left behind by a rule into a failure of the whole call).
/** @type {{ id: number, text: string | undefined }} */
let lastDone = { id: 0, text: undefined }
function result(runId) {
  return lastDone.id === runId ? lastDone.text : undefined
}

function startRule(r) {
  if (r.finished) return
  if (r.index >= rules.length) {
    // The rules are done: the post-login actions follow (guest/actions.js), then the result.
    if (actions.length > 0) startActions(r)
    else complete(r)
    return
  }
  const rule = rules[r.index]
  const startedAt = now()
  // The callback does as little as it can where the rule calls it (maybe at the very edge of the
  // stack): it records the arguments; 'accept' judges them from a fresh stack.
  const state = { called: false, accepted: false, durationMs: 0, err: undefined, user: undefined, context: undefined }
  setCurrentRule(r, rule.name)
  function callback(err, user, context) {
    if (r.finished) return
    if (state.called) {
      warn(r, {
        code: 'CALLBACK_CALLED_TWICE',
        rule: rule.name,
        message: "Rule '" + rule.name + "' called its callback more than once; later calls were ignored.",
      })
      return
    }
    state.called = true
    state.durationMs = now() - startedAt
    state.err = err
    state.user = user
    state.context = context
    QueueMicrotask(accept)
  }
  function accept() {
    if (r.finished || state.accepted) return
    state.accepted = true
    push(r.timings, { name: rule.name, durationMs: state.durationMs })
    const err = state.err,
      user = state.user,
      context = state.context
    if (err !== null && err !== undefined) {
      finish(r, classifyCallbackError(err, rule.name))
      return
    }
    if (user !== undefined && user !== null) {
      if (!isPlainTarget(user)) {
        finish(r, { code: 'ERR_RULE_RESULT_INVALID', message: "Rule '" + rule.name + "' passed a user that is not an object.", path: 'user', rule: rule.name })
        return
      }
      r.user = user
    }
    if (context !== undefined && context !== null) {
      if (!isPlainTarget(context)) {
        finish(r, {
          code: 'ERR_RULE_RESULT_INVALID',
          message: "Rule '" + rule.name + "' passed a context that is not an object.",
          path: 'context',
          rule: rule.name,
        })
        return
      }
      r.context = context
    }
    if (r.noBrowser) {
      let redirect
      try {
        redirect = redirectOf(r.context)
      } catch (e) {
        redirect = 'invalid'
      }
      if (redirect !== undefined) {
        finish(r, { code: 'ERR_REDIRECT_UNSUPPORTED', message: 'redirect', rule: rule.name })
        return
      }
    }
    r.index++
    startRule(r)
  }
  function failed(thrown) {
    if (r.finished) return
    // A callback made where even scheduling its judgement overflowed the stack: judge it now.
    if (state.called && !state.accepted) QueueMicrotask(accept)
    if (state.called) {
      warn(r, {
        code: 'RULE_THREW_AFTER_CALLBACK',
        rule: rule.name,
        message: "Rule '" + rule.name + "' threw after calling its callback: " + describeThrown(thrown).message,
      })
      return
    }
    finish(r, classifyThrown(thrown, rule.name))
  }
  r.currentFailed = failed
  let returned
  try {
    returned = ReflectApply(rule.fn, undefined, [r.user, r.context, callback])
  } catch (e) {
    failed(e)
    return
  }
  // The rule called back before returning: judge the callback now, from this (shallow) frame. This
  // also picks up a callback whose own scheduling overflowed the stack and whose error the rule
  // swallowed.
  if (state.called && !state.accepted) accept()
  if (returned !== null && typeof returned === 'object') {
    // Only a genuine promise is awaited; PromiseThen throws for anything else, thenables included.
    try {
      ReflectApply(PromiseThen, returned, [stranded, failed])
    } catch (e) {
      /* not a promise */
    }
  }
  function stranded() {
    if (state.called && !state.accepted) QueueMicrotask(accept)
  }
}

function start(runId, inputJson, includeContext) {
  const input = JSONParse(inputJson)
  const context = input.context
  if (own(context, 'accessToken') === undefined) define(context, 'accessToken', {})
  if (own(context, 'idToken') === undefined) define(context, 'idToken', {})
  const protocol = own(context, 'protocol')
  let isNoBrowser = false
  for (let i = 0; i < noBrowser.length; i++) if (noBrowser[i] === protocol) isNoBrowser = true
  run = {
    id: runId,
    user: input.user,
    context: context,
    index: 0,
    finished: false,
    currentRule: null,
    startedAt: now(),
    timings: [],
    logs: [],
    warnings: [],
    logsTruncated: false,
    warningKeys: new MapCtor(),
    warningsTruncated: false,
    metadataUpdates: 0,
    timers: new MapCtor(),
    noBrowser: isNoBrowser,
    inputPrimaryUser: own(context, 'primaryUser'),
    currentFailed: null,
    fns: new MapCtor(),
    fnSeq: 0,
    pending: new MapCtor(),
    includeContext: includeContext === 1,
    deferred: false,
    holds: 0,
    bg: null,
  }
  runningRule[0] = 0
  startingRun = runId
  try {
    startRule(run)
  } finally {
    startingRun = 0
  }
  const text = syncResult
  syncResult = undefined
  return text
}

function fire(runId, timerId) {
  const r = run
  if (r === null || r.id !== runId || !runOpen(r)) return
  const t = ReflectApply(MapGet, r.timers, [timerId])
  if (t === undefined) return
  if (t.repeat) notify('timer', r.id, timerId, t.ms)
  else ReflectApply(MapDelete, r.timers, [timerId])
  const threw = callOnBehalf(r, t, t.args)
  if (r.bg !== null && run === r) {
    const task = ReflectApply(MapGet, r.bg.timerTasks, [timerId])
    if (threw !== undefined) taskEnded(r, task, 'failed', threw)
    else if (!t.repeat) taskEnded(r, task, 'completed', undefined)
  }
}

// Call a function a rule left behind (a timer's, a callback given to a host function) as that
// rule: its logs, timers and uncaught throw belong to it. A throw fails the run if the rule has not
// called back yet, else it is a warning (in the background report once the pipeline is over).
// Returns the description of what it threw, if it threw.
function callOnBehalf(r, owner, args) {
  const previousRule = r.currentRule
  const previousFailed = r.currentFailed
  setCurrentRule(r, owner.rule)
  r.currentFailed = owner.failed
  try {
    ReflectApply(owner.fn, undefined, args)
    return undefined
  } catch (e) {
    if (r.bg === null) {
      owner.failed(e)
      return describeThrown(e).message
    }
    const message = describeThrown(e).message
    warn(r, {
      code: 'RULE_THREW_AFTER_CALLBACK',
      rule: owner.rule,
      message: "Rule '" + owner.rule + "' threw after calling its callback: " + message,
    })
    return message
  } finally {
    setCurrentRule(r, previousRule)
    r.currentFailed = previousFailed
  }
}

// ---- background work: what the rules left running when the pipeline ended ------------------------
// Auth0 let it finish (the webtask lived on after the callback); here it goes on after the answer,
// in the same run (same caps, same host budget, the same isolate, which serves no other run
// meanwhile), until nothing is left or the host cuts it at limits.backgroundMs. Every timer and
// host operation outstanding at the end, or started afterwards, is a task of the report.
const BACKGROUND_MARK = ',"background":true'
/** Tasks a report lists; past it, `truncated` and the rest only counted. */
const MAX_BACKGROUND_TASKS = 100
// Whether a run takes work: while its rules run, or in its background.
function runOpen(r) {
  return r !== null && (!r.finished || r.bg !== null)
}
// Timers, host operations in flight, and work a client has queued but not yet handed to the host.
function hasOpenWork(r) {
  return ReflectApply(MapSize, r.timers, []) > 0 || ReflectApply(MapSize, r.pending, []) > 0 || r.holds > 0
}
// Work a client library queued for a later microtask, which then goes to the host: request sends
// on the next tick, axios at the end of its interceptor chain, Node's http once its stream ends.
// Until it is released it is open work of the run, like a timer, so a rule that starts a request
// and calls back at once (auth0/rules' HubSpot, Salesforce, Intercom and Segment templates) does not
// end the run before the request left; after the callback it goes on in the background. Returns
// the release, which only counts once and does nothing once the run is gone.
function holdRun() {
  const r = run
  if (!runOpen(r)) return releaseNothing
  r.holds++
  let held = true
  return function release() {
    if (!held) return
    held = false
    if (run === r) r.holds--
  }
}
function releaseNothing() {}
/** @param {() => void} fn */
function deferWork(fn) {
  const release = holdRun()
  QueueMicrotask(function deferred() {
    try {
      fn()
    } finally {
      release()
    }
  })
}
function startBackground(r) {
  r.bg = {
    startedAt: now(),
    tasks: [],
    dropped: 0,
    timerTasks: new MapCtor(),
    opTasks: new MapCtor(),
    logsFrom: r.logs.length,
    warningsFrom: r.warnings.length,
  }
  ReflectApply(MapForEach, r.timers, [
    function (t, id) {
      trackTimer(r, id, t)
    },
  ])
  ReflectApply(MapForEach, r.pending, [
    function (p, opId) {
      trackOperation(r, opId, p)
    },
  ])
}
function newTask(r, rule, kind) {
  const bg = r.bg
  if (bg.tasks.length >= MAX_BACKGROUND_TASKS) {
    bg.dropped++
    return undefined
  }
  const task = { rule: rule, kind: kind, outcome: undefined, message: undefined, status: undefined }
  push(bg.tasks, task)
  return task
}
function trackTimer(r, id, timer) {
  ReflectApply(MapSet, r.bg.timerTasks, [id, newTask(r, timer.rule, 'timer')])
}
function trackOperation(r, opId, op) {
  const kind = op.id === '$http' ? 'http' : op.id === '$auth0.updateAppMetadata' || op.id === '$auth0.updateUserMetadata' ? 'metadata' : 'host'
  ReflectApply(MapSet, r.bg.opTasks, [opId, newTask(r, op.rule, kind)])
}
function taskEnded(r, task, outcome, message) {
  if (task === undefined || task.outcome !== undefined) return
  task.outcome = outcome
  if (message !== undefined) task.message = safeString(message, 1024)
}
// A host operation settled after the pipeline: its promise settles; a failure the host reports
// ({"f": …}, a refused metadata write say) rejects it with that code, as there is no outcome to fail.
function settleInBackground(r, opId, p, res) {
  const task = ReflectApply(MapGet, r.bg.opTasks, [opId])
  // What its reactions log or start belongs to the rule that started it.
  setCurrentRule(r, p.rule)
  const f = own(res, 'f')
  const e = own(res, 'e')
  if (f !== undefined) {
    const err = new ErrorCtor(safeString(own(f, 'message'), 4096))
    define(err, 'code', StringCtor(own(f, 'code')))
    taskEnded(r, task, 'failed', err.message)
    p.reject(err)
    return
  }
  if (e !== undefined) {
    const err = hostError(e)
    taskEnded(r, task, 'failed', describeThrown(err).message)
    p.reject(err)
    return
  }
  const value = decodeValue(own(res, 'v'))
  if (task !== undefined && p.id === '$http') {
    const status = own(value, 'status')
    if (typeof status === 'number') task.status = status
  }
  taskEnded(r, task, 'completed', undefined)
  p.resolve(value)
}
// Host → guest, after each entry of a background: end it when nothing is left. Asked once the
// entry has returned, so that every promise reaction it caused has run (and started what it starts).
function idle(runId) {
  const r = run
  if (r === null || r.id !== runId || r.bg === null) return
  if (!hasOpenWork(r)) endBackground(r, 'settled', true)
}
// Host → guest: the grace is over. Returns the report; what is still open is cut.
function cut(runId) {
  const r = run
  if (r === null || r.id !== runId || r.bg === null) return undefined
  return endBackground(r, 'grace', false)
}
// Forget the run and report its background: `end` says why it ended.
function endBackground(r, end, viaNotify) {
  const bg = r.bg
  let tasks = '['
  for (let i = 0; i < bg.tasks.length; i++) {
    const t = bg.tasks[i]
    tasks +=
      (i === 0 ? '' : ',') +
      '{"rule":' +
      plain(t.rule) +
      ',"kind":' +
      JSONStringify(t.kind) +
      ',"outcome":' +
      JSONStringify(t.outcome === undefined ? 'cut' : t.outcome) +
      (t.message === undefined ? '' : ',"message":' + JSONStringify(t.message)) +
      (t.status === undefined ? '' : ',"status":' + JSONStringify(t.status)) +
      '}'
  }
  const logs = []
  for (let i = bg.logsFrom; i < r.logs.length; i++) push(logs, r.logs[i])
  const warnings = []
  for (let i = bg.warningsFrom; i < r.warnings.length; i++) push(warnings, r.warnings[i])
  const text =
    '{"end":' +
    JSONStringify(end) +
    ',"durationMs":' +
    JSONStringify(now() - bg.startedAt) +
    ',"tasks":' +
    tasks +
    '],"untracked":' +
    JSONStringify(bg.dropped) +
    ',"logs":' +
    plain(logs) +
    ',"warnings":' +
    plain(warnings) +
    '}'
  r.bg = null
  r.timers = new MapCtor()
  r.fns = new MapCtor()
  r.pending = new MapCtor()
  r.holds = 0
  if (run === r) run = null
  runningRule[0] = 0
  if (viaNotify) notify('background', r.id, text)
  return text
}

// After a timeout or a host-side abort: forget the run, return what it logged.
function abort(runId) {
  const r = run
  if (r === null || r.id !== runId) return '{"logs":[],"warnings":[]}'
  r.finished = true
  r.bg = null
  run = null
  return '{"logs":' + plain(r.logs) + ',"warnings":' + plain(r.warnings) + ',"rule":' + plain(r.currentRule) + '}'
}

function register(name, fn) {
  if (typeof fn !== 'function') return false
  push(rules, { name: name, fn: fn })
  ReflectApply(MapSet, ruleIndex, [name, rules.length])
  return true
}

const ruleIndex = new MapCtor() // rule name -> 1 + its index in registration order
function setCurrentRule(r, name) {
  r.currentRule = name
  runningRule[0] = name === null ? 0 : ReflectApply(MapGet, ruleIndex, [name])
}

// ---- the host's entry -----------------------------------------------------------------------------
function dispatch(op, a, b, c) {
  switch (op) {
    case 'start':
      return start(a, b, c)
    case 'fire':
      return fire(a, b)
    case 'settle':
      return settle(a, b, c)
    case 'callGuest':
      return callGuest(a, b, c)
    case 'abort':
      return abort(a)
    case 'idle':
      return idle(a)
    case 'cut':
      return cut(a)
    case 'result':
      return result(a)
    case 'register':
      return register(a, b)
    case 'registerAction':
      return registerAction(a, b)
  }
  throw new TypeErrorCtor('unknown operation')
}
