// Node-compatible APIs rules expect, built inside the sandbox on top of the host bridge: `Buffer`,
// `TextEncoder`/`TextDecoder`, `atob`/`btoa`, `URL`/`URLSearchParams`, the web `crypto` subset,
// and the built-in modules `crypto`, `jsonwebtoken`, `url`, `querystring`, `buffer`, `request`,
// `axios`, `node-fetch` (and the global `fetch`). Whatever needs the host (hashes, randomness, URL
// parsing, HTTP) goes through `callHost` to a capability the integrator granted.

// ---- Buffer, lazily: the buffer package's bundle, evaluated on first use ---------------------------------
let BufferCtor
function loadBuffer() {
  if (BufferCtor === undefined) {
    /** @type {{ exports: any }} */
    /** @type {{ exports: any }} */
    const cjs = { exports: {} }
    ReflectApply(IndirectEval(bufferSource), undefined, [
      cjs,
      cjs.exports,
      function () {
        return {}
      },
    ])
    BufferCtor = cjs.exports.Buffer
    addBase64url(BufferCtor)
  }
  return BufferCtor
}
// The buffer package predates Node's 'base64url' encoding: translate it to and from base64.
function addBase64url(B) {
  const toB64 = function (s) {
    return StringPrototypeReplace(StringPrototypeReplace(StringCtor(s), /-/g, '+'), /_/g, '/')
  }
  const proto = B.prototype
  const toString = proto.toString
  proto.toString = function (encoding, start, end) {
    if (typeof encoding === 'string' && StringPrototypeToLowerCase(encoding) === 'base64url') {
      return StringPrototypeReplace(
        StringPrototypeReplace(StringPrototypeReplace(ReflectApply(toString, this, ['base64', start, end]), /=+$/, ''), /\+/g, '-'),
        /\//g,
        '_',
      )
    }
    return ReflectApply(toString, this, arguments)
  }
  const from = B.from
  B.from = function (value, encoding, length) {
    if (typeof value === 'string' && typeof encoding === 'string' && StringPrototypeToLowerCase(encoding) === 'base64url')
      return ReflectApply(from, B, [toB64(value), 'base64'])
    return ReflectApply(from, B, arguments)
  }
  const byteLength = B.byteLength
  B.byteLength = function (value, encoding) {
    if (typeof value === 'string' && typeof encoding === 'string' && StringPrototypeToLowerCase(encoding) === 'base64url')
      return ReflectApply(byteLength, B, [toB64(value), 'base64'])
    return ReflectApply(byteLength, B, arguments)
  }
  const isEncoding = B.isEncoding
  B.isEncoding = function (encoding) {
    return (typeof encoding === 'string' && StringPrototypeToLowerCase(encoding) === 'base64url') || ReflectApply(isEncoding, B, [encoding])
  }
}
function lazyGlobal(name, load) {
  ObjectDefineProperty(G, name, {
    get: function () {
      const v = load()
      define(G, name, v)
      return v
    },
    set: function (v) {
      define(G, name, v)
    },
    enumerable: false,
    configurable: true,
  })
}
lazyGlobal('Buffer', loadBuffer)

// ---- text and base64 -------------------------------------------------------------------------------
function utf8Encode(text) {
  const s = StringCtor(text)
  const out = []
  for (let i = 0; i < s.length; i++) {
    let c = ReflectApply(StringCharCodeAt, s, [i])
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = ReflectApply(StringCharCodeAt, s, [i + 1])
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
        i++
      } else c = 0xfffd
    } else if (c >= 0xd800 && c < 0xe000) c = 0xfffd
    if (c < 0x80) push(out, c)
    else if (c < 0x800) {
      push(out, 0xc0 | (c >> 6))
      push(out, 0x80 | (c & 63))
    } else if (c < 0x10000) {
      push(out, 0xe0 | (c >> 12))
      push(out, 0x80 | ((c >> 6) & 63))
      push(out, 0x80 | (c & 63))
    } else {
      push(out, 0xf0 | (c >> 18))
      push(out, 0x80 | ((c >> 12) & 63))
      push(out, 0x80 | ((c >> 6) & 63))
      push(out, 0x80 | (c & 63))
    }
  }
  const bytes = new Uint8ArrayCtor(out.length)
  for (let i = 0; i < out.length; i++) bytes[i] = out[i]
  return bytes
}
// The WHATWG UTF-8 decoder: one U+FFFD per maximal invalid subpart, as TextDecoder and Node do.
function utf8Decode(input) {
  const bytes = input === undefined ? new Uint8ArrayCtor(0) : bytesOf(input) || new Uint8ArrayCtor(input)
  let out = ''
  let needed = 0,
    seen = 0,
    code = 0,
    lower = 0x80,
    upper = 0xbf
  const emit = function (c) {
    if (c >= 0x10000) {
      c -= 0x10000
      out += StringFromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 1023))
    } else out += StringFromCharCode(c)
  }
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    if (needed === 0) {
      if (b < 0x80) {
        emit(b)
        continue
      }
      if (b >= 0xc2 && b <= 0xdf) {
        needed = 1
        code = b & 0x1f
      } else if (b >= 0xe0 && b <= 0xef) {
        if (b === 0xe0) lower = 0xa0
        if (b === 0xed) upper = 0x9f
        needed = 2
        code = b & 0xf
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b === 0xf0) lower = 0x90
        if (b === 0xf4) upper = 0x8f
        needed = 3
        code = b & 0x7
      } else emit(0xfffd)
      continue
    }
    if (b < lower || b > upper) {
      needed = 0
      seen = 0
      code = 0
      lower = 0x80
      upper = 0xbf
      emit(0xfffd)
      i--
      continue
    }
    lower = 0x80
    upper = 0xbf
    code = (code << 6) | (b & 0x3f)
    if (++seen === needed) {
      emit(code)
      needed = 0
      seen = 0
      code = 0
    }
  }
  if (needed !== 0) emit(0xfffd)
  return out
}
function TextEncoder() {
  if (new.target === undefined) throw new TypeErrorCtor("Class constructor TextEncoder cannot be invoked without 'new'")
  define(this, 'encoding', 'utf-8')
}
TextEncoder.prototype.encode = function encode(text) {
  return utf8Encode(text === undefined ? '' : text)
}
TextEncoder.prototype.encodeInto = function encodeInto(text, destination) {
  const s = StringCtor(text)
  const dest = bytesOf(destination)
  if (dest === undefined) throw new TypeErrorCtor('The "dest" argument must be an instance of Uint8Array.')
  let read = 0,
    written = 0
  for (let i = 0; i < s.length; i++) {
    const c = ReflectApply(StringCharCodeAt, s, [i])
    const pair =
      c >= 0xd800 &&
      c < 0xdc00 &&
      i + 1 < s.length &&
      ReflectApply(StringCharCodeAt, s, [i + 1]) >= 0xdc00 &&
      ReflectApply(StringCharCodeAt, s, [i + 1]) < 0xe000
    const encoded = utf8Encode(pair ? ReflectApply(StringSlice, s, [i, i + 2]) : s[i])
    if (written + encoded.length > dest.length) break
    for (let j = 0; j < encoded.length; j++) dest[written + j] = encoded[j]
    written += encoded.length
    read += pair ? 2 : 1
    if (pair) i++
  }
  return { read: read, written: written }
}
function TextDecoder(label, options) {
  if (new.target === undefined) throw new TypeErrorCtor("Class constructor TextDecoder cannot be invoked without 'new'")
  const l = label === undefined ? 'utf-8' : StringPrototypeToLowerCase(StringPrototypeTrim(StringCtor(label)))
  if (l !== 'utf-8' && l !== 'utf8' && l !== 'unicode-1-1-utf-8') throw new RangeErrorCtor('The "' + l + '" encoding is not supported')
  define(this, 'encoding', 'utf-8')
  define(this, 'fatal', !!(options && options.fatal))
  define(this, 'ignoreBOM', !!(options && options.ignoreBOM))
}
TextDecoder.prototype.decode = function decode(input) {
  let text = utf8Decode(input)
  if (this.fatal && StringPrototypeIndexOf(text, '\ufffd') !== -1 && utf8Decode(utf8Encode(text)) === text) {
    // Only a U+FFFD the decoder produced is an error; one encoded in the input is not.
    const bytes = input === undefined ? new Uint8ArrayCtor(0) : bytesOf(input) || new Uint8ArrayCtor(input)
    const reencoded = utf8Encode(text)
    let same = reencoded.length === bytes.length
    for (let i = 0; same && i < bytes.length; i++) if (bytes[i] !== reencoded[i]) same = false
    if (!same) {
      const err = new TypeErrorCtor('The encoded data was not valid for encoding utf-8')
      define(err, 'code', 'ERR_ENCODING_INVALID_ENCODED_DATA')
      throw err
    }
  }
  if (!this.ignoreBOM && ReflectApply(StringCharCodeAt, text, [0]) === 0xfeff) text = ReflectApply(StringSlice, text, [1])
  return text
}
function btoa(text) {
  const s = StringCtor(text)
  const bytes = new Uint8ArrayCtor(s.length)
  for (let i = 0; i < s.length; i++) {
    const c = ReflectApply(StringCharCodeAt, s, [i])
    if (c > 255) throw new ErrorCtor('Invalid character')
    bytes[i] = c
  }
  return bytesToBase64(bytes)
}
function invalidCharacter() {
  const err = new ErrorCtor('The string to be decoded is not correctly encoded.')
  define(err, 'name', 'InvalidCharacterError')
  define(err, 'code', 5)
  return err
}
function atob(text) {
  if (arguments.length === 0) throw new TypeErrorCtor('The "data" argument must be specified')
  // The forgiving-base64 decode of the HTML standard.
  let s = StringPrototypeReplace(StringCtor(text), /[\t\n\f\r ]/g, '')
  if (s.length % 4 === 0) s = StringPrototypeReplace(s, /==?$/, '')
  if (s.length % 4 === 1 || RegExpPrototypeTest(/[^A-Za-z0-9+/]/, s)) throw invalidCharacter()
  const bytes = base64ToBytes(s)
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += StringFromCharCode(bytes[i])
  return out
}

// ---- URL and URLSearchParams: parsing is Node's, on the host ---------------------------------------------
const URL_PARTS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash']
function formEncode(s) {
  return StringPrototypeReplace(StringPrototypeReplace(EncodeURIComponent(s), /%20/g, '+'), /[!'()~]/g, function (c) {
    return '%' + StringPrototypeToUpperCase(NumberPrototypeToString(ReflectApply(StringCharCodeAt, c, [0]), 16))
  })
}
// application/x-www-form-urlencoded parsing: '+' is a space, valid %XX are bytes, the rest stays.
function formDecode(s) {
  const text = StringPrototypeReplace(s, /\+/g, ' ')
  const bytes = utf8Encode(text)
  const out = new Uint8ArrayCtor(bytes.length)
  let n = 0
  const hex = function (c) {
    return c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1
  }
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 37 && i + 2 < bytes.length && hex(bytes[i + 1]) !== -1 && hex(bytes[i + 2]) !== -1) {
      out[n++] = hex(bytes[i + 1]) * 16 + hex(bytes[i + 2])
      i += 2
    } else out[n++] = bytes[i]
  }
  return utf8Decode(new Uint8ArrayCtor(ReflectApply(TypedArrayBuffer, out, []), 0, n))
}
/** @constructor */
/** @constructor */
function URLSearchParams(init) {
  if (new.target === undefined) throw new TypeErrorCtor("Class constructor URLSearchParams cannot be invoked without 'new'")
  define(this, '_list', [])
  define(this, '_url', null)
  if (init === undefined || init === null) return
  if (typeof init === 'object' && init instanceof URLSearchParams) {
    const l = init._list
    for (let i = 0; i < l.length; i++) push(this._list, [l[i][0], l[i][1]])
    return
  }
  if (typeof init === 'object') {
    if (typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) push(this._list, [StringCtor(pair[0]), StringCtor(pair[1])])
      return
    }
    const keys = ObjectKeys(init)
    for (let i = 0; i < keys.length; i++) push(this._list, [keys[i], StringCtor(init[keys[i]])])
    return
  }
  let s = StringCtor(init)
  if (s[0] === '?') s = ReflectApply(StringSlice, s, [1])
  const parts = StringPrototypeSplit(s, '&')
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === '') continue
    const eq = StringPrototypeIndexOf(parts[i], '=')
    push(
      this._list,
      eq === -1
        ? [formDecode(parts[i]), '']
        : [formDecode(ReflectApply(StringSlice, parts[i], [0, eq])), formDecode(ReflectApply(StringSlice, parts[i], [eq + 1]))],
    )
  }
}
const USP = URLSearchParams.prototype
USP._update = function () {
  if (this._url !== null) this._url._setSearch(this.toString()) // live: the params' own toString
}
USP.append = function (k, v) {
  push(this._list, [StringCtor(k), StringCtor(v)])
  this._update()
}
USP.delete = function (k) {
  const key = StringCtor(k)
  define(
    this,
    '_list',
    ArrayPrototypeFilter(this._list, function (p) {
      return p[0] !== key
    }),
  )
  this._update()
}
USP.get = function (k) {
  const key = StringCtor(k)
  for (let i = 0; i < this._list.length; i++) if (this._list[i][0] === key) return this._list[i][1]
  return null
}
USP.getAll = function (k) {
  const key = StringCtor(k)
  return ArrayPrototypeMap(
    ArrayPrototypeFilter(this._list, function (p) {
      return p[0] === key
    }),
    function (p) {
      return p[1]
    },
  )
}
USP.has = function (k) {
  return this.get(k) !== null // live: the params' own get
}
USP.set = function (k, v) {
  const key = StringCtor(k),
    value = StringCtor(v)
  let found = false
  define(
    this,
    '_list',
    ArrayPrototypeFilter(this._list, function (p) {
      if (p[0] !== key) return true
      if (found) return false
      found = true
      p[1] = value
      return true
    }),
  )
  if (!found) push(this._list, [key, value])
  this._update()
}
USP.sort = function () {
  ArrayPrototypeSort(this._list, function (a, b) {
    return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
  })
  this._update()
}
USP.forEach = function (fn, thisArg) {
  for (let i = 0; i < this._list.length; i++) ReflectApply(fn, thisArg, [this._list[i][1], this._list[i][0], this])
}
USP.keys = function () {
  return ArrayPrototypeMap(this._list, function (p) {
    return p[0]
  })[Symbol.iterator]()
}
USP.values = function () {
  return ArrayPrototypeMap(this._list, function (p) {
    return p[1]
  })[Symbol.iterator]()
}
USP.entries = function () {
  return ArrayPrototypeMap(this._list, function (p) {
    return [p[0], p[1]]
  })[Symbol.iterator]()
}
USP[Symbol.iterator] = USP.entries
USP.toString = function () {
  return ArrayPrototypeJoin(
    ArrayPrototypeMap(this._list, function (p) {
      return formEncode(p[0]) + '=' + formEncode(p[1])
    }),
    '&',
  )
}
ObjectDefineProperty(USP, 'size', {
  get: function () {
    return this._list.length
  },
})

function URL(input, base) {
  if (new.target === undefined) throw new TypeErrorCtor("Class constructor URL cannot be invoked without 'new'")
  const parts = callHost('$url.parse', [StringCtor(input), base === undefined ? undefined : StringCtor(base)])
  define(this, '_parts', parts)
  const params = new URLSearchParams(parts.search)
  define(params, '_url', this)
  define(this, '_params', params)
}
URL.canParse = function (input, base) {
  try {
    new URL(input, base)
    return true
  } catch (e) {
    return false
  }
}
URL.prototype._setSearch = function (search) {
  define(this, '_parts', callHost('$url.set', [this._parts.href, 'search', search]))
}
for (let i = 0; i < URL_PARTS.length; i++) {
  const part = URL_PARTS[i]
  ObjectDefineProperty(URL.prototype, part, {
    get: function () {
      return this._parts[part]
    },
    set:
      part === 'origin'
        ? undefined
        : function (value) {
            define(this, '_parts', callHost('$url.set', [this._parts.href, part, StringCtor(value)]))
            if (part === 'href' || part === 'search') {
              const params = new URLSearchParams(this._parts.search)
              define(params, '_url', this)
              define(this, '_params', params)
            }
          },
    enumerable: true,
    configurable: true,
  })
}
ObjectDefineProperty(URL.prototype, 'searchParams', {
  get: function () {
    return this._params
  },
  enumerable: true,
  configurable: true,
})
URL.prototype.toString = function () {
  return this._parts.href
}
URL.prototype.toJSON = function () {
  return this._parts.href
}

// ---- web crypto subset -------------------------------------------------------------------------------
function getRandomValues(array) {
  const bytes = bytesOf(array)
  if (bytes === undefined) throw new TypeErrorCtor('The "typedArray" argument must be an integer-typed array.')
  if (bytes.length > 65536) throw new ErrorCtor('The requested length exceeds 65,536 bytes')
  const random = callHost('$crypto.randomBytes', [bytes.length])
  for (let i = 0; i < bytes.length; i++) bytes[i] = random[i]
  return array
}
function randomUUID() {
  return callHost('$crypto.randomUUID', [])
}

const globalShims = {
  TextEncoder: TextEncoder,
  TextDecoder: TextDecoder,
  atob: atob,
  btoa: btoa,
  URL: URL,
  URLSearchParams: URLSearchParams,
  crypto: { getRandomValues: getRandomValues, randomUUID: randomUUID },
}
const globalShimNames = ObjectKeys(globalShims)
for (let i = 0; i < globalShimNames.length; i++) {
  ObjectDefineProperty(G, globalShimNames[i], { value: globalShims[globalShimNames[i]], writable: true, enumerable: false, configurable: true })
}

// ---- built-in modules ------------------------------------------------------------------------------
function toBytes(data, encoding) {
  const B = loadBuffer()
  if (typeof data === 'string') return B.from(data, encoding === undefined ? 'utf8' : encoding)
  const bytes = bytesOf(data)
  if (bytes === undefined) throw new TypeErrorCtor('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.')
  return bytes
}
function digestOutput(bytes, encoding) {
  const buf = toBuffer(bytes)
  return encoding === undefined || encoding === 'buffer' ? buf : buf.toString(encoding) // live: the buffer package's Buffer
}
function Hash(algorithm, key) {
  define(this, '_alg', StringCtor(algorithm))
  define(this, '_key', key)
  define(this, '_chunks', [])
  define(this, '_done', false)
}
Hash.prototype.update = function update(data, encoding) {
  if (this._done) throw new ErrorCtor('Digest already called')
  push(this._chunks, toBytes(data, encoding))
  return this
}
Hash.prototype.digest = function digest(encoding) {
  if (this._done) throw new ErrorCtor('Digest already called')
  define(this, '_done', true)
  const bytes = this._key === undefined ? callHost('$crypto.hash', [this._alg, this._chunks]) : callHost('$crypto.hmac', [this._alg, this._key, this._chunks])
  return digestOutput(bytes, encoding)
}
function randomBytes(size, callback) {
  const n = +size
  if (!(n >= 0 && n <= 65536 * 16)) throw new RangeErrorCtor('The value of "size" is out of range.')
  const buf = toBuffer(callHost('$crypto.randomBytes', [n]))
  if (typeof callback === 'function') {
    QueueMicrotask(function () {
      callback(null, buf)
    })
    return undefined
  }
  return buf
}
const cryptoModule = {
  createHash: function createHash(algorithm) {
    return new Hash(algorithm, undefined)
  },
  createHmac: function createHmac(algorithm, key) {
    return new Hash(algorithm, toBytes(key))
  },
  randomBytes: randomBytes,
  randomUUID: randomUUID,
  randomInt: function randomInt(min, max) {
    if (max === undefined) {
      max = min
      min = 0
    }
    return callHost('$crypto.randomInt', [min, max])
  },
  timingSafeEqual: function timingSafeEqual(a, b) {
    return callHost('$crypto.timingSafeEqual', [toBytes(a), toBytes(b)])
  },
  getRandomValues: getRandomValues,
  webcrypto: { getRandomValues: getRandomValues, randomUUID: randomUUID },
  getHashes: function getHashes() {
    return callHost('$crypto.getHashes', [])
  },
}

// The time rules see: the integrator's clock when one is set.
function ruleNow() {
  return settings.clock && run !== null ? callHost('$clock', []) : now()
}

// jsonwebtoken: sign / verify / decode, HS256/384/512 and RS256/384/512, backed by the host's crypto.
function JwtError(name, message, extra) {
  const err = new ErrorCtor(message)
  define(err, 'name', name)
  if (extra !== undefined) {
    const k = ObjectKeys(extra)
    for (let i = 0; i < k.length; i++) define(err, k[i], extra[k[i]])
  }
  return err
}
function base64url(bytes) {
  return StringPrototypeReplace(StringPrototypeReplace(StringPrototypeReplace(bytesToBase64(bytes), /=+$/, ''), /\+/g, '-'), /\//g, '_')
}
function timespan(value, iat, name) {
  if (typeof value === 'number') return iat + value
  if (typeof value !== 'string') throw JwtError('Error', '"' + name + '" should be a number of seconds or string representing a timespan')
  const m = RegExpPrototypeExec(
    /^(-?\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|yrs?|years?)?$/i,
    StringPrototypeTrim(value),
  )
  if (m === null) throw JwtError('Error', '"' + name + '" should be a number of seconds or string representing a timespan')
  const n = +m[1]
  const unit = StringPrototypeToLowerCase(m[2] || 'ms')
  const seconds =
    unit === 'ms'
      ? n / 1000
      : unit[0] === 's'
        ? n
        : unit[0] === 'm'
          ? n * 60
          : unit[0] === 'h'
            ? n * 3600
            : unit[0] === 'd'
              ? n * 86400
              : unit[0] === 'w'
                ? n * 604800
                : n * 31557600
  return MathFloor(iat + seconds)
}
function jwtKey(key) {
  if (typeof key === 'string') return key
  const bytes = bytesOf(key)
  if (bytes !== undefined) return bytes
  if (key !== null && typeof key === 'object' && typeof key.key === 'string') return key.key
  throw JwtError('Error', 'secretOrPrivateKey must have a value')
}
/** jsonwebtoken's convention: with a callback, the value reaches it a microtask later; else it is returned. */
function jwtAnswer(callback, value) {
  if (typeof callback !== 'function') return value
  QueueMicrotask(function () {
    callback(null, value)
  })
  return undefined
}
/** jsonwebtoken's convention: with a callback, the error reaches it a microtask later; else it is thrown. */
function jwtFail(callback, error) {
  if (typeof callback !== 'function') throw error
  QueueMicrotask(function () {
    callback(error)
  })
  return undefined
}
function jwtSign(payload, secret, options, callback) {
  if (typeof options === 'function') {
    callback = options
    options = {}
  }
  options = options || {}
  try {
    const alg = options.algorithm || 'HS256'
    if (alg === 'none') throw JwtError('Error', 'alg none is not allowed')
    const header = { alg: alg, typ: 'JWT' }
    if (options.keyid !== undefined) header.kid = options.keyid
    if (options.header) {
      const hk = ObjectKeys(options.header)
      for (let i = 0; i < hk.length; i++) header[hk[i]] = options.header[hk[i]]
    }
    let body
    if (typeof payload === 'string') body = payload
    else {
      const claims = {}
      const pk = ObjectKeys(payload || {})
      for (let i = 0; i < pk.length; i++) claims[pk[i]] = payload[pk[i]]
      const iat = typeof claims.iat === 'number' ? claims.iat : MathFloor(ruleNow() / 1000)
      if (!options.noTimestamp) claims.iat = iat
      if (options.expiresIn !== undefined) claims.exp = timespan(options.expiresIn, iat, 'expiresIn')
      if (options.notBefore !== undefined) claims.nbf = timespan(options.notBefore, iat, 'notBefore')
      if (options.audience !== undefined) claims.aud = options.audience
      if (options.issuer !== undefined) claims.iss = options.issuer
      if (options.subject !== undefined) claims.sub = options.subject
      if (options.jwtid !== undefined) claims.jti = options.jwtid
      body = JSONStringify(claims)
    }
    const input = base64url(utf8Encode(JSONStringify(header))) + '.' + base64url(utf8Encode(body))
    const token = input + '.' + callHost('$jwt.sign', [alg, input, jwtKey(secret)])
    return jwtAnswer(callback, token)
  } catch (e) {
    return jwtFail(callback, e)
  }
}
function jwtDecode(token, options) {
  if (typeof token !== 'string') return null
  const parts = StringPrototypeSplit(token, '.')
  if (parts.length !== 3) return null
  try {
    const header = JSONParse(utf8Decode(base64ToBytes(parts[0])))
    const text = utf8Decode(base64ToBytes(parts[1]))
    let payload
    try {
      payload = JSONParse(text)
    } catch (e) {
      payload = text
    }
    if (options && options.complete) return { header: header, payload: payload, signature: parts[2] }
    return payload
  } catch (e) {
    return null
  }
}
function jwtVerify(token, secret, options, callback) {
  if (typeof options === 'function') {
    callback = options
    options = {}
  }
  options = options || {}
  try {
    if (typeof token !== 'string' || token === '') throw JwtError('JsonWebTokenError', 'jwt must be provided')
    const parts = StringPrototypeSplit(token, '.')
    if (parts.length !== 3) throw JwtError('JsonWebTokenError', 'jwt malformed')
    const decoded = jwtDecode(token, { complete: true })
    if (decoded === null) throw JwtError('JsonWebTokenError', 'invalid token')
    const alg = decoded.header.alg
    const allowed =
      options.algorithms ||
      (typeof secret === 'string' && StringPrototypeIndexOf(secret, '-----BEGIN') === 0 ? ['RS256', 'RS384', 'RS512'] : ['HS256', 'HS384', 'HS512'])
    // live: options.algorithms is the rule's (an array, for jsonwebtoken; whatever it is, its own indexOf).
    if (alg === 'none' || allowed.indexOf(alg) === -1) throw JwtError('JsonWebTokenError', 'invalid algorithm') // live: see above
    if (parts[2] === '') throw JwtError('JsonWebTokenError', 'jwt signature is required')
    if (!callHost('$jwt.verify', [alg, parts[0] + '.' + parts[1], parts[2], jwtKey(secret)])) throw JwtError('JsonWebTokenError', 'invalid signature')
    const payload = decoded.payload
    const clock = options.clockTimestamp !== undefined ? options.clockTimestamp : MathFloor(ruleNow() / 1000)
    const tolerance = options.clockTolerance || 0
    if (typeof payload === 'object' && payload !== null) {
      if (payload.nbf !== undefined && !options.ignoreNotBefore && payload.nbf > clock + tolerance) {
        throw JwtError('NotBeforeError', 'jwt not active', { date: ReflectConstruct(DateCtor, [payload.nbf * 1000]) })
      }
      if (payload.exp !== undefined && !options.ignoreExpiration && clock >= payload.exp + tolerance) {
        throw JwtError('TokenExpiredError', 'jwt expired', { expiredAt: ReflectConstruct(DateCtor, [payload.exp * 1000]) })
      }
      if (options.audience !== undefined) {
        const wanted = ArrayIsArray(options.audience) ? options.audience : [options.audience]
        const got = ArrayIsArray(payload.aud) ? payload.aud : [payload.aud]
        if (
          !ArrayPrototypeSome(wanted, function (a) {
            return ArrayPrototypeIndexOf(got, a) !== -1
          })
        )
          throw JwtError('JsonWebTokenError', 'jwt audience invalid. expected: ' + ArrayPrototypeJoin(wanted, ' or '))
      }
      if (options.issuer !== undefined) {
        const issuers = ArrayIsArray(options.issuer) ? options.issuer : [options.issuer]
        if (ArrayPrototypeIndexOf(issuers, payload.iss) === -1)
          throw JwtError('JsonWebTokenError', 'jwt issuer invalid. expected: ' + ArrayPrototypeJoin(issuers, ','))
      }
      if (options.subject !== undefined && payload.sub !== options.subject)
        throw JwtError('JsonWebTokenError', 'jwt subject invalid. expected: ' + options.subject)
    }
    const result = options.complete ? decoded : payload
    return jwtAnswer(callback, result)
  } catch (e) {
    return jwtFail(callback, e)
  }
}
const jwtModule = { sign: jwtSign, verify: jwtVerify, decode: jwtDecode }

// ---- HTTP: one host bridge, four client styles --------------------------------------------------------------
function httpCall(spec) {
  return callHost('$http', [spec])
}
function bodyOf(body, headers) {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string') return body
  if (body instanceof URLSearchParams) {
    if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8'
    return body.toString()
  }
  const bytes = bytesOf(body)
  if (bytes !== undefined) return toBuffer(bytes)
  if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json'
  return JSONStringify(body)
}
function hasHeader(headers, name) {
  const keys = ObjectKeys(headers)
  for (let i = 0; i < keys.length; i++) if (StringPrototypeToLowerCase(keys[i]) === name) return true
  return false
}
function plainHeaders(h) {
  const out = {}
  if (h === undefined || h === null) return out
  if (typeof h.forEach === 'function' && !ArrayIsArray(h) && typeof h.get === 'function') {
    // prettier-ignore
    h.forEach(function (v, k) { out[k] = StringCtor(v) }) // live: the rule's Headers or Map
    return out
  }
  if (ArrayIsArray(h)) {
    for (let i = 0; i < h.length; i++) out[h[i][0]] = StringCtor(h[i][1])
    return out
  }
  const keys = ObjectKeys(h)
  for (let i = 0; i < keys.length; i++)
    if (h[keys[i]] !== undefined) out[keys[i]] = ArrayIsArray(h[keys[i]]) ? ArrayPrototypeJoin(h[keys[i]], ', ') : StringCtor(h[keys[i]])
  return out
}
// Query strings as the libraries build them: request (qs) writes a[0]=1, axios writes a[]=1.
function withQuery(url, params, arrayStyle) {
  if (params === undefined || params === null) return url
  const qs = encodeParams(params, arrayStyle)
  if (qs === '') return url
  return url + (StringPrototypeIndexOf(url, '?') === -1 ? '?' : '&') + qs
}
function encodeParams(params, arrayStyle) {
  let qs
  if (params instanceof URLSearchParams) qs = params.toString()
  else {
    const parts = []
    const add = function (key, value) {
      if (value === undefined || value === null) return
      if (ArrayIsArray(value)) {
        for (let i = 0; i < value.length; i++) add(arrayStyle === 'indices' ? key + '[' + i + ']' : key + '[]', value[i])
        return
      }
      if (typeof value === 'object' && !(value instanceof Date)) {
        const keys = ObjectKeys(value)
        for (let i = 0; i < keys.length; i++) add(key + '[' + keys[i] + ']', value[keys[i]])
        return
      }
      push(parts, EncodeURIComponent(key) + '=' + EncodeURIComponent(value instanceof Date ? ReflectApply(DateToISOString, value, []) : StringCtor(value)))
    }
    const keys = ObjectKeys(params)
    for (let i = 0; i < keys.length; i++) add(keys[i], params[keys[i]])
    qs = ArrayPrototypeJoin(parts, '&')
  }
  return qs
}
// user:pass@ in a URL becomes a Basic authorization header, as request and axios do.
function moveCredentials(url, headers) {
  const m = RegExpPrototypeExec(/^([a-z][a-z0-9+.-]*:\/\/)([^@\/?#]*)@/i, url)
  if (m === null) return url
  const colon = StringPrototypeIndexOf(m[2], ':')
  const decode = function (s) {
    try {
      return DecodeURIComponent(s)
    } catch (e) {
      return s
    }
  }
  const user = decode(colon === -1 ? m[2] : ReflectApply(StringSlice, m[2], [0, colon]))
  const pass = colon === -1 ? '' : decode(ReflectApply(StringSlice, m[2], [colon + 1]))
  if (!hasHeader(headers, 'authorization')) headers['authorization'] = 'Basic ' + bytesToBase64(utf8Encode(user + ':' + pass))
  return m[1] + ReflectApply(StringSlice, url, [m[0].length])
}
function Headers(init) {
  if (new.target === undefined) throw new TypeErrorCtor("Class constructor Headers cannot be invoked without 'new'")
  define(this, '_map', {})
  const plain = plainHeaders(init)
  const keys = ObjectKeys(plain)
  for (let i = 0; i < keys.length; i++) this._map[StringPrototypeToLowerCase(keys[i])] = plain[keys[i]]
}
Headers.prototype.get = function (name) {
  const v = this._map[StringPrototypeToLowerCase(StringCtor(name))]
  return v === undefined ? null : v
}
Headers.prototype.has = function (name) {
  return this._map[StringPrototypeToLowerCase(StringCtor(name))] !== undefined
}
Headers.prototype.set = function (name, value) {
  this._map[StringPrototypeToLowerCase(StringCtor(name))] = StringCtor(value)
}
Headers.prototype.append = function (name, value) {
  const k = StringPrototypeToLowerCase(StringCtor(name))
  this._map[k] = this._map[k] === undefined ? StringCtor(value) : this._map[k] + ', ' + value
}
Headers.prototype.delete = function (name) {
  delete this._map[StringPrototypeToLowerCase(StringCtor(name))]
}
Headers.prototype.forEach = function (fn, thisArg) {
  const keys = ArrayPrototypeSort(ObjectKeys(this._map))
  for (let i = 0; i < keys.length; i++) ReflectApply(fn, thisArg, [this._map[keys[i]], keys[i], this])
}
Headers.prototype.entries = function () {
  const m = this._map
  return ArrayPrototypeMap(ArrayPrototypeSort(ObjectKeys(m)), function (k) {
    return [k, m[k]]
  })[Symbol.iterator]()
}
Headers.prototype.keys = function () {
  return ArrayPrototypeSort(ObjectKeys(this._map))[Symbol.iterator]()
}
Headers.prototype.values = function () {
  const m = this._map
  return ArrayPrototypeMap(ArrayPrototypeSort(ObjectKeys(m)), function (k) {
    return m[k]
  })[Symbol.iterator]()
}
Headers.prototype[Symbol.iterator] = Headers.prototype.entries
Headers.prototype.raw = function () {
  const out = {}
  const m = this._map
  ArrayPrototypeForEach(ObjectKeys(m), function (k) {
    out[k] = [m[k]]
  })
  return out
}

function Response(res) {
  define(this, '_res', res)
  define(this, '_used', false)
  define(this, 'status', res.status)
  define(this, 'statusText', res.statusText)
  define(this, 'ok', res.status >= 200 && res.status < 300)
  define(this, 'url', res.url)
  define(this, 'redirected', res.redirected === true)
  define(this, 'headers', new Headers(res.headers))
}
Response.prototype._consume = function () {
  if (this._used) return ReflectApply(PromiseReject, PromiseCtor, [new TypeErrorCtor('Body is unusable: Body has already been read')])
  define(this, '_used', true)
  return ReflectApply(PromiseResolve, PromiseCtor, [this._res.body])
}
Response.prototype.text = function () {
  return PromisePrototypeThen(this._consume(), function (b) {
    return utf8Decode(b)
  })
}
Response.prototype.json = function () {
  return PromisePrototypeThen(this.text(), function (t) {
    return JSONParse(t)
  })
}
Response.prototype.arrayBuffer = function () {
  return PromisePrototypeThen(this._consume(), function (b) {
    return ArrayBufferPrototypeSlice(
      ReflectApply(TypedArrayBuffer, b, []),
      ReflectApply(TypedArrayOffset, b, []),
      ReflectApply(TypedArrayOffset, b, []) + b.length,
    )
  })
}
Response.prototype.buffer = function () {
  return PromisePrototypeThen(this._consume(), function (b) {
    return toBuffer(b)
  })
}
Response.prototype.clone = function () {
  return new Response(this._res)
}

function fetchShim(input, init) {
  try {
    init = init || {}
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input && typeof input.url === 'string' ? input.url : StringCtor(input)
    const headers = plainHeaders(init.headers)
    const spec = {
      url: url,
      method: StringPrototypeToUpperCase(init.method || 'GET'),
      headers: headers,
      body: bodyOf(init.body, headers),
      redirect: init.redirect || 'follow',
    }
    return PromisePrototypeThen(httpCall(spec), function (res) {
      return new Response(res)
    })
  } catch (e) {
    return ReflectApply(PromiseReject, PromiseCtor, [e])
  }
}
fetchShim.Headers = Headers
fetchShim.Response = Response
fetchShim.default = fetchShim

// axios
function AxiosError(message, code, config, response) {
  const err = new ErrorCtor(message)
  define(err, 'name', 'AxiosError')
  define(err, 'code', code)
  define(err, 'config', config)
  define(err, 'isAxiosError', true)
  if (response !== undefined) {
    define(err, 'response', response)
    define(err, 'status', response.status)
  }
  return err
}
function axiosRequest(defaults, config) {
  const c = {}
  const dk = ObjectKeys(defaults || {}),
    ck = ObjectKeys(config || {})
  for (let i = 0; i < dk.length; i++) c[dk[i]] = defaults[dk[i]]
  for (let i = 0; i < ck.length; i++) c[ck[i]] = config[ck[i]]
  c.headers = plainHeaders(defaults && defaults.headers)
  const extra = plainHeaders(config && config.headers)
  ArrayPrototypeForEach(ObjectKeys(extra), function (k) {
    c.headers[k] = extra[k]
  })
  try {
    let url = c.url || ''
    if (c.baseURL && !RegExpPrototypeTest(/^[a-z][a-z0-9+.-]*:/i, url))
      url = StringPrototypeReplace(c.baseURL, /\/+$/, '') + '/' + StringPrototypeReplace(url, /^\/+/, '')
    url = moveCredentials(withQuery(url, c.params, 'brackets'), c.headers)
    if (c.auth) c.headers['authorization'] = 'Basic ' + bytesToBase64(utf8Encode(c.auth.username + ':' + c.auth.password))
    if (!hasHeader(c.headers, 'accept')) c.headers['accept'] = 'application/json, text/plain, */*'
    const method = StringPrototypeToUpperCase(c.method || 'get')
    const body = c.data === undefined ? undefined : bodyOf(c.data, c.headers)
    return PromisePrototypeThen(
      httpCall({
        url: url,
        method: method,
        headers: c.headers,
        body: body,
        timeoutMs: c.timeout || undefined,
        redirect: c.maxRedirects === 0 ? 'manual' : 'follow',
      }),
      function (res) {
        const text = utf8Decode(res.body)
        let data = text
        if (c.responseType === 'arraybuffer') data = toBuffer(res.body)
        else if (c.responseType !== 'text' && text !== '') {
          try {
            data = JSONParse(text)
          } catch (e) {
            data = text
          }
        }
        const response = { data: data, status: res.status, statusText: res.statusText, headers: res.headers, config: c, request: {} }
        const valid = typeof c.validateStatus === 'function' ? c.validateStatus(res.status) : res.status >= 200 && res.status < 300
        if (!valid) throw AxiosError('Request failed with status code ' + res.status, res.status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST', c, response)
        return response
      },
      function (e) {
        throw AxiosError(e.message, e.code || 'ERR_NETWORK', c, undefined)
      },
    )
  } catch (e) {
    return ReflectApply(PromiseReject, PromiseCtor, [e])
  }
}
function makeAxios(defaults) {
  const instance = function axios(urlOrConfig, config) {
    if (typeof urlOrConfig === 'string') {
      const c = config || {}
      c.url = urlOrConfig
      return axiosRequest(defaults, c)
    }
    return axiosRequest(defaults, urlOrConfig)
  }
  ArrayPrototypeForEach(['get', 'delete', 'head', 'options'], function (m) {
    instance[m] = function (url, config) {
      const c = config || {}
      c.url = url
      c.method = m
      return axiosRequest(defaults, c)
    }
  })
  ArrayPrototypeForEach(['post', 'put', 'patch'], function (m) {
    instance[m] = function (url, data, config) {
      const c = config || {}
      c.url = url
      c.method = m
      c.data = data
      return axiosRequest(defaults, c)
    }
  })
  instance.request = function (config) {
    return axiosRequest(defaults, config)
  }
  instance.create = function (more) {
    const merged = {}
    ArrayPrototypeForEach(ObjectKeys(defaults || {}), function (k) {
      merged[k] = defaults[k]
    })
    ArrayPrototypeForEach(ObjectKeys(more || {}), function (k) {
      merged[k] = more[k]
    })
    return makeAxios(merged)
  }
  instance.defaults = defaults || {}
  instance.isAxiosError = function (e) {
    return e !== null && typeof e === 'object' && e.isAxiosError === true
  }
  instance.default = instance
  return instance
}

// request (callback style)
function requestCall(defaults, uri, options, callback) {
  if (typeof options === 'function') {
    callback = options
    options = undefined
  }
  let o = {}
  ArrayPrototypeForEach(ObjectKeys(defaults || {}), function (k) {
    o[k] = defaults[k]
  })
  if (typeof uri === 'object' && uri !== null)
    ArrayPrototypeForEach(ObjectKeys(uri), function (k) {
      o[k] = uri[k]
    })
  else o.uri = uri
  if (options)
    ArrayPrototypeForEach(ObjectKeys(options), function (k) {
      o[k] = options[k]
    })
  const done = typeof callback === 'function' ? callback : function () {}
  try {
    let url = o.uri || o.url
    if (url instanceof URL) url = url.href
    if (o.baseUrl) url = StringPrototypeReplace(o.baseUrl, /\/+$/, '') + '/' + StringPrototypeReplace(StringCtor(url), /^\/+/, '')
    const headers = plainHeaders(o.headers)
    url = moveCredentials(withQuery(StringCtor(url), o.qs, 'indices'), headers)
    let body
    if (o.form !== undefined) {
      body = typeof o.form === 'string' ? o.form : encodeParams(o.form, 'indices')
      if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/x-www-form-urlencoded'
    } else if (o.json !== undefined && o.json !== false && typeof o.json === 'object') {
      body = JSONStringify(o.json)
      if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json'
    } else if (o.body !== undefined) {
      body = o.json === true && typeof o.body === 'object' ? JSONStringify(o.body) : o.body
      if (o.json === true && !hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json'
    }
    if (o.json && !hasHeader(headers, 'accept')) headers['accept'] = 'application/json'
    if (o.auth) {
      if (o.auth.bearer) headers['authorization'] = 'Bearer ' + o.auth.bearer
      else
        headers['authorization'] = 'Basic ' + bytesToBase64(utf8Encode((o.auth.user || o.auth.username || '') + ':' + (o.auth.pass || o.auth.password || '')))
    }
    const method = StringPrototypeToUpperCase(o.method || 'GET')
    PromisePrototypeThen(
      httpCall({
        url: url,
        method: method,
        headers: headers,
        body: body === undefined ? undefined : bodyOf(body, headers),
        timeoutMs: o.timeout || undefined,
        redirect: o.followRedirect === false ? 'manual' : 'follow',
      }),
      function (res) {
        let resBody = o.encoding === null ? toBuffer(res.body) : utf8Decode(res.body)
        if (o.json && typeof resBody === 'string' && resBody !== '') {
          try {
            resBody = JSONParse(resBody)
          } catch (e) {
            /* keep text */
          }
        }
        const response = { statusCode: res.status, statusMessage: res.statusText, headers: res.headers, body: resBody, request: { uri: { href: res.url } } }
        done(null, response, resBody)
      },
      function (e) {
        done(e)
      },
    )
  } catch (e) {
    QueueMicrotask(function () {
      done(e)
    })
  }
  return {
    abort: function () {},
    on: function () {
      return this
    },
  }
}
function makeRequest(defaults) {
  const request = function request(uri, options, callback) {
    return requestCall(defaults, uri, options, callback)
  }
  ArrayPrototypeForEach(
    [
      ['get', 'GET'],
      ['post', 'POST'],
      ['put', 'PUT'],
      ['patch', 'PATCH'],
      ['del', 'DELETE'],
      ['delete', 'DELETE'],
      ['head', 'HEAD'],
    ],
    function (m) {
      request[m[0]] = function (uri, options, callback) {
        if (typeof options === 'function') {
          callback = options
          options = {}
        }
        const o = {}
        ArrayPrototypeForEach(ObjectKeys(options || {}), function (k) {
          o[k] = options[k]
        })
        o.method = m[1]
        return requestCall(defaults, uri, o, callback)
      }
    },
  )
  request.defaults = function (more) {
    const merged = {}
    ArrayPrototypeForEach(ObjectKeys(defaults || {}), function (k) {
      merged[k] = defaults[k]
    })
    ArrayPrototypeForEach(ObjectKeys(more || {}), function (k) {
      merged[k] = more[k]
    })
    return makeRequest(merged)
  }
  return request
}

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
const querystringModule = {
  parse: function parse(text, sep, eq) {
    return callHost('$querystring.parse', [StringCtor(text), sep, eq])
  },
  stringify: function stringify(value, sep, eq) {
    return callHost('$querystring.stringify', [value, sep, eq])
  },
  escape: function escape(text) {
    return callHost('$querystring.escape', [StringCtor(text)])
  },
  unescape: function unescape(text) {
    return callHost('$querystring.unescape', [StringCtor(text)])
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
      return fetchShim
    case 'axios':
      return makeAxios({})
    case 'request':
      return makeRequest({})
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
}
