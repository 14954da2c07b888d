// The `url` and `querystring` modules, `require` of the built-in modules, and the integrator's clock,
// randomness and global `fetch` settings.

const urlModule = {
  URL: URL,
  URLSearchParams: URLSearchParams,
  parse: function parse(text, parseQuery) {
    return callHost('$url.legacyParse', [StringCtor(text), parseQuery === true])
  },
  format: function format(value) {
    return callHost('$url.format', [typeof value === 'object' && value instanceof URL ? value.href : value])
  },
  resolve: function resolve(from, to) {
    return callHost('$url.resolve', [StringCtor(from), StringCtor(to)])
  },
}
// ---- querystring: Node's algorithm (lib/querystring.js), computed here in the isolate ---------------
function qsEscape(text) {
  try {
    return EncodeURIComponent(typeof text === 'string' ? text : StringCtor(text))
  } catch (e) {
    // Node's: a lone surrogate is URIError [ERR_INVALID_URI] 'URI malformed'.
    const err = new URIErrorCtor('URI malformed')
    define(err, 'code', 'ERR_INVALID_URI')
    throw err
  }
}
function hexValue(c) {
  return c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1
}
// Node's unescapeBuffer: valid %XX are bytes, '+' a space when asked, any other character its
// code's low byte (Node writes char codes into a Buffer); then read as UTF-8.
function qsUnescapeBytes(s, decodeSpaces) {
  const out = new Uint8ArrayCtor(s.length)
  let o = 0
  for (let i = 0; i < s.length; i++) {
    const c = ReflectApply(StringCharCodeAt, s, [i])
    if (c === 43 && decodeSpaces) {
      out[o++] = 32
      continue
    }
    if (c === 37 && i < s.length - 2) {
      const high = hexValue(ReflectApply(StringCharCodeAt, s, [i + 1]))
      const low = high === -1 ? -1 : hexValue(ReflectApply(StringCharCodeAt, s, [i + 2]))
      if (low !== -1) {
        out[o++] = high * 16 + low
        i += 2
        continue
      }
    }
    out[o++] = c & 255
  }
  return utf8Decode(new Uint8ArrayCtor(ReflectApply(TypedArrayBuffer, out, []), 0, o))
}
function qsUnescape(s, decodeSpaces) {
  const text = StringCtor(s)
  try {
    return DecodeURIComponent(text)
  } catch (e) {
    return qsUnescapeBytes(text, decodeSpaces === true)
  }
}
function qsStringifyValue(v) {
  if (typeof v === 'string') return v.length > 0 ? qsEscape(v) : ''
  // Numbers from 1e21 on are written with a '+', which is escaped.
  if (typeof v === 'number' && NumberIsFinite(v)) return v < 1e21 && v > -1e21 ? '' + v : qsEscape('' + v)
  if (typeof v === 'bigint') return '' + v
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  return ''
}
function qsStringify(obj, sep, eq) {
  sep = sep || '&'
  eq = eq || '='
  if (obj === null || typeof obj !== 'object') return ''
  const keys = ObjectKeys(obj)
  let fields = ''
  for (let i = 0; i < keys.length; i++) {
    const v = obj[keys[i]]
    const ks = qsStringifyValue(keys[i]) + eq
    if (ArrayIsArray(v)) {
      if (v.length === 0) continue
      if (fields) fields += sep
      for (let j = 0; j < v.length; j++) {
        if (j) fields += sep
        fields += ks + qsStringifyValue(v[j])
      }
    } else {
      if (fields) fields += sep
      fields += ks + qsStringifyValue(v)
    }
  }
  return fields
}
// Node's parse: pairs split at `sep`, key and value at the first `eq`, '+' a space, at most 1,000
// pairs; a part is decoded only if it holds a valid %XX (decodeURIComponent, else unescapeBytes).
// Repeated keys collect into an array. Keys are own data properties ('__proto__' is a key).
function qsParse(qs, sep, eq) {
  const obj = {}
  if (typeof qs !== 'string' || qs.length === 0) return obj
  const sepText = sep ? StringCtor(sep) : '&'
  const eqText = eq ? StringCtor(eq) : '='
  const add = function (key, value, keyEncoded, valueEncoded) {
    if (key.length > 0 && keyEncoded) key = qsUnescape(key, false)
    if (value.length > 0 && valueEncoded) value = qsUnescape(value, false)
    const d = ObjectGetOwnPropertyDescriptor(obj, key)
    if (d === undefined) define(obj, key, value)
    else if (ArrayIsArray(d.value)) push(d.value, value)
    else define(obj, key, [d.value, value])
  }
  let pairs = 1000
  let lastPos = 0
  let sepIdx = 0
  let eqIdx = 0
  let key = ''
  let value = ''
  let keyEncoded = false
  let valueEncoded = false
  let encodeCheck = 0
  for (let i = 0; i < qs.length; i++) {
    const code = ReflectApply(StringCharCodeAt, qs, [i])
    if (code === ReflectApply(StringCharCodeAt, sepText, [sepIdx])) {
      if (++sepIdx === sepText.length) {
        const end = i - sepIdx + 1
        if (eqIdx < eqText.length) {
          if (lastPos < end) key += ReflectApply(StringSlice, qs, [lastPos, end])
          else if (key.length === 0) {
            if (--pairs === 0) return obj
            lastPos = i + 1
            sepIdx = eqIdx = 0
            continue
          }
        } else if (lastPos < end) value += ReflectApply(StringSlice, qs, [lastPos, end])
        add(key, value, keyEncoded, valueEncoded)
        if (--pairs === 0) return obj
        keyEncoded = valueEncoded = false
        key = value = ''
        encodeCheck = 0
        lastPos = i + 1
        sepIdx = eqIdx = 0
      }
      continue
    }
    sepIdx = 0
    if (eqIdx < eqText.length) {
      if (code === ReflectApply(StringCharCodeAt, eqText, [eqIdx])) {
        if (++eqIdx === eqText.length) {
          const end = i - eqIdx + 1
          if (lastPos < end) key += ReflectApply(StringSlice, qs, [lastPos, end])
          encodeCheck = 0
          lastPos = i + 1
        }
        continue
      }
      eqIdx = 0
      if (!keyEncoded) {
        if (code === 37) {
          encodeCheck = 1
          continue
        } else if (encodeCheck > 0) {
          if (hexValue(code) !== -1) {
            if (++encodeCheck === 3) keyEncoded = true
            continue
          }
          encodeCheck = 0
        }
      }
      if (code === 43) {
        if (lastPos < i) key += ReflectApply(StringSlice, qs, [lastPos, i])
        key += ' '
        lastPos = i + 1
        continue
      }
      // As Node: any other character of a key goes on to the value's check below.
    }
    if (code === 43) {
      if (lastPos < i) value += ReflectApply(StringSlice, qs, [lastPos, i])
      value += ' '
      lastPos = i + 1
    } else if (!valueEncoded) {
      if (code === 37) encodeCheck = 1
      else if (encodeCheck > 0) {
        if (hexValue(code) !== -1) {
          if (++encodeCheck === 3) valueEncoded = true
        } else encodeCheck = 0
      }
    }
  }
  if (lastPos < qs.length) {
    if (eqIdx < eqText.length) key += ReflectApply(StringSlice, qs, [lastPos])
    else if (sepIdx < sepText.length) value += ReflectApply(StringSlice, qs, [lastPos])
  } else if (eqIdx === 0 && key.length === 0) return obj
  add(key, value, keyEncoded, valueEncoded)
  return obj
}
const querystringModule = {
  parse: function parse(text, sep, eq) {
    return qsParse(text, sep, eq)
  },
  stringify: function stringify(value, sep, eq) {
    return qsStringify(value, sep, eq)
  },
  escape: function escape(text) {
    return qsEscape(text)
  },
  unescape: function unescape(text, decodeSpaces) {
    return qsUnescape(text, decodeSpaces)
  },
  unescapeBuffer: function unescapeBuffer(text, decodeSpaces) {
    return loadBuffer().from(qsUnescapeBytes(StringCtor(text), decodeSpaces === true))
  },
}
urlModule.default = urlModule
querystringModule.decode = querystringModule.parse
querystringModule.encode = querystringModule.stringify

function builtinModule(name) {
  switch (name) {
    case 'crypto':
    case 'node:crypto':
      return cryptoModule
    case 'jsonwebtoken':
      return jwtModule
    case 'url':
    case 'node:url':
      return urlModule
    case 'querystring':
    case 'node:querystring':
      return querystringModule
    case 'buffer':
    case 'node:buffer':
      return { Buffer: loadBuffer() }
    case 'node-fetch':
      return nodeFetchModule
    case 'axios':
      return axiosModule()
    case 'request':
      return requestModule()
    case 'request-promise':
    case 'request-promise-native':
      return requestPromiseModule()
    case 'http':
    case 'node:http':
      return nodeHttpModule('http')
    case 'https':
    case 'node:https':
      return nodeHttpModule('https')
    case 'request-promise/errors':
    case 'request-promise-native/errors':
    case 'request-promise-core/errors':
      return requestErrors
  }
  throw moduleError(name, "Cannot require '" + name + "': no such built-in module.")
}
// The integrator's clock and randomness (deterministic tests): Date and Math.random ask the host.
if (settings.clock) {
  const RealDate = DateCtor
  const clockNow = function now() {
    return run === null ? ReflectApply(DateNow, undefined, []) : callHost('$clock', [])
  }
  const FakeDate = function Date() {
    if (new.target === undefined) return ReflectApply(DatePrototypeToString, ReflectConstruct(RealDate, [clockNow()]), [])
    return ReflectConstruct(RealDate, arguments.length === 0 ? [clockNow()] : arguments, new.target)
  }
  FakeDate.prototype = RealDate.prototype
  FakeDate.now = clockNow
  FakeDate.UTC = DateUTC
  FakeDate.parse = DateParse
  ObjectDefineProperty(RealDate.prototype, 'constructor', { value: FakeDate, writable: true, enumerable: false, configurable: true })
  ObjectDefineProperty(G, 'Date', { value: FakeDate, writable: true, enumerable: false, configurable: true })
}
if (settings.random) {
  Math.random = function random() {
    return run === null ? MathRandom() : callHost('$random', [])
  }
}
if (settings.fetch) {
  ObjectDefineProperty(G, 'fetch', { value: fetchShim, writable: true, enumerable: false, configurable: true })
  ObjectDefineProperty(G, 'Headers', { value: Headers, writable: true, enumerable: false, configurable: true })
  // The legacy global `request` Auth0 gave rules without a require: require('request') itself.
  ObjectDefineProperty(G, 'request', { value: requestModule(), writable: true, enumerable: false, configurable: true })
}
// The legacy globals Auth0's rules sandbox gave every rule without a require, from the modules the
// integrator allows: `_` (lodash), `async`, `jwt` (jsonwebtoken). Deployed rules call `_.find(…)` or
// `async.each(…)` bare. Each is `require(name)` itself, loaded on first read (a rule that never
// reads `_` never evaluates lodash); a rule may assign over it. Absent when the module is not allowed.
/** @param {string} global @param {string} name */
function legacyGlobal(global, name) {
  if (!hasOwnData(allowedModules, name)) return
  ObjectDefineProperty(G, global, {
    get: function () {
      // Undefined while the module loads: lodash reads `root._` (its noConflict) as it starts.
      ObjectDefineProperty(G, global, { value: undefined, writable: true, enumerable: false, configurable: true })
      let value
      try {
        value = ReflectApply(require, undefined, [name])
      } catch (e) {
        legacyGlobal(global, name)
        throw e
      }
      ObjectDefineProperty(G, global, { value: value, writable: true, enumerable: false, configurable: true })
      return value
    },
    set: function (value) {
      ObjectDefineProperty(G, global, { value: value, writable: true, enumerable: false, configurable: true })
    },
    enumerable: false,
    configurable: true,
  })
}
legacyGlobal('_', 'lodash')
legacyGlobal('async', 'async')
legacyGlobal('jwt', 'jsonwebtoken')
