// Node-compatible globals rules expect, built inside the sandbox on top of the host bridge: `Buffer`
// (lazily), `TextEncoder`/`TextDecoder`, `atob`/`btoa`, `URL`/`URLSearchParams`, `FormData` and the web `crypto` subset.
// Whatever needs the host (randomness, URL parsing) goes through `callHost` to a capability.

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

// ---- FormData: the web standard's, text fields only (the sandbox has no Blob or File) -----------------
// Node's global since 18, which Auth0's Actions runtime has. `fetch` sends it as multipart/form-data
// (http.js, fetchBody), with a boundary in undici's form.
/** @constructor */
function FormData(form) {
  if (new.target === undefined) throw new TypeErrorCtor("Class constructor FormData cannot be invoked without 'new'")
  if (form !== undefined) throw new TypeErrorCtor("Failed to construct 'FormData': parameter 1 is not of type 'HTMLFormElement'.")
  define(this, '_list', [])
}
// A field's value: a string (a Blob, which Node would keep as a file, cannot be made here).
function formDataEntry(method, args, name, value, filename) {
  if (args.length < 2) throw new TypeErrorCtor("Failed to execute '" + method + "' on 'FormData': 2 arguments required, but only " + args.length + ' present.')
  if (filename !== undefined) {
    throw new TypeErrorCtor(
      "Failed to execute '" + method + "' on 'FormData': parameter 2 is not of type 'Blob' (a file name needs a Blob, which the sandbox does not have).",
    )
  }
  return [StringCtor(name), StringCtor(value)]
}
const FDP = FormData.prototype
FDP.append = function (name, value, filename) {
  push(this._list, formDataEntry('append', arguments, name, value, filename))
}
FDP.set = function (name, value, filename) {
  const entry = formDataEntry('set', arguments, name, value, filename)
  let found = false
  define(
    this,
    '_list',
    ArrayPrototypeFilter(this._list, function (p) {
      if (p[0] !== entry[0]) return true
      if (found) return false
      found = true
      p[1] = entry[1]
      return true
    }),
  )
  if (!found) push(this._list, entry)
}
FDP.delete = function (name) {
  const key = StringCtor(name)
  define(
    this,
    '_list',
    ArrayPrototypeFilter(this._list, function (p) {
      return p[0] !== key
    }),
  )
}
FDP.get = USP.get
FDP.getAll = USP.getAll
FDP.has = function (name) {
  return this.get(name) !== null // live: the form's own get
}
FDP.forEach = USP.forEach
FDP.keys = USP.keys
FDP.values = USP.values
FDP.entries = USP.entries
FDP[SymbolIterator] = USP.entries
ObjectDefineProperty(
  FDP,
  SymbolToStringTag,
  /** @type {PropertyDescriptor} */ ({ __proto__: null, value: 'FormData', writable: false, enumerable: false, configurable: true }),
)
/**
 * The multipart/form-data body of `form` as the Fetch standard (and undici) write it: names with
 * CR, LF and `"` escaped, values with every line break as CRLF.
 * @param {any} form
 */
function formDataMultipart(form) {
  let digits = StringCtor(MathFloor(MathRandom() * 1e11))
  while (digits.length < 11) digits = '0' + digits
  const boundary = '----formdata-undici-0' + digits
  let body = ''
  const list = form._list
  for (let i = 0; i < list.length; i++) {
    const name = StringPrototypeReplace(StringPrototypeReplace(StringPrototypeReplace(list[i][0], /\n/g, '%0A'), /\r/g, '%0D'), /"/g, '%22')
    const value = StringPrototypeReplace(list[i][1], /\r\n|\r|\n/g, '\r\n')
    body += '--' + boundary + '\r\nContent-Disposition: form-data; name="' + name + '"\r\n\r\n' + value + '\r\n'
  }
  return { bytes: body + '--' + boundary + '--\r\n', type: 'multipart/form-data; boundary=' + boundary }
}

const globalShims = {
  TextEncoder: TextEncoder,
  TextDecoder: TextDecoder,
  atob: atob,
  btoa: btoa,
  URL: URL,
  URLSearchParams: URLSearchParams,
  FormData: FormData,
  crypto: { getRandomValues: getRandomValues, randomUUID: randomUUID },
}
const globalShimNames = ObjectKeys(globalShims)
for (let i = 0; i < globalShimNames.length; i++) {
  ObjectDefineProperty(G, globalShimNames[i], { value: globalShims[globalShimNames[i]], writable: true, enumerable: false, configurable: true })
}
