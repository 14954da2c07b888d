// ---- HTTP: one host bridge, the clients rules use -----------------------------------------------------------
// `fetch`/node-fetch v2, axios 1.x, request 2.88 with request-promise 4, and Node's http/https
// (node-http.js) build what the real client would send, and hand it to `$http`, which applies the
// integrator's policy (modules.http) to every request and every redirect. What a client cannot do
// here (sockets, proxies, agents, streaming uploads) is refused with a typed error or inert.
function httpCall(spec) {
  // A body that cannot fit in one host call is refused before it is encoded (base64 of megabytes
  // costs the rule's time for nothing), with the bridge's own error.
  const b = spec.body
  const chars = b === undefined || b === null ? 0 : typeof b === 'string' ? b.length : MathFloor(((bytesOf(b) || new Uint8ArrayCtor(0)).length * 4) / 3)
  if (chars > settings.maxHostCallChars) {
    const err = new RangeErrorCtor(
      'The arguments of this call are too large for the sandbox: more than ' +
        settings.maxHostCallChars +
        ' characters once encoded (bytes count 4/3, as base64).',
    )
    define(err, 'code', 'ERR_HOST_ARGUMENT_TOO_LARGE')
    throw err
  }
  return callHost('$http', [spec])
}
function rejected(e) {
  return ReflectApply(PromiseReject, PromiseCtor, [e])
}
function resolved(v) {
  return ReflectApply(PromiseResolve, PromiseCtor, [v])
}
// A non-enumerable own property (internal state, and methods as classes have them).
function hide(obj, key, value) {
  ObjectDefineProperty(obj, key, /** @type {PropertyDescriptor} */ ({ __proto__: null, value: value, writable: true, enumerable: false, configurable: true }))
}
function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false
  const proto = ObjectGetPrototypeOf(v)
  return proto === null || proto === ObjectPrototype
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
  if (body instanceof ArrayBufferCtor) return toBuffer(new Uint8ArrayCtor(body))
  if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json'
  return JSONStringify(body)
}
function hasHeader(headers, name) {
  return headerKey(headers, name) !== undefined
}
// The key under which `headers` holds `name` (any case), or undefined.
function headerKey(headers, name) {
  const keys = ObjectKeys(headers)
  for (let i = 0; i < keys.length; i++) if (StringPrototypeToLowerCase(keys[i]) === name) return keys[i]
  return undefined
}
function setHeaderOnce(headers, name, value) {
  if (!hasHeader(headers, StringPrototypeToLowerCase(name))) headers[name] = value
}
function plainHeaders(h) {
  const out = {}
  if (h === undefined || h === null) return out
  if (h instanceof Headers) {
    const list = headerList(h, 'entries')
    for (let i = 0; i < list.length; i++) out[list[i][0]] = list[i][1]
    return out
  }
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
// The response's headers as Node's clients give them: lower-case names, Set-Cookie as an array.
function nodeHeaders(res) {
  const out = {}
  const keys = ObjectKeys(res.headers)
  for (let i = 0; i < keys.length; i++) out[StringPrototypeToLowerCase(keys[i])] = res.headers[keys[i]]
  const cookies = res.setCookie
  if (ArrayIsArray(cookies) && cookies.length > 0) out['set-cookie'] = cookies
  else if (out['set-cookie'] !== undefined) out['set-cookie'] = [out['set-cookie']]
  return out
}
function basic(user, pass) {
  return 'Basic ' + bytesToBase64(utf8Encode(StringCtor(user) + ':' + StringCtor(pass)))
}
function tryDecode(s) {
  try {
    return DecodeURIComponent(s)
  } catch (e) {
    return s
  }
}
// A URL's user:password@ as { url without them, user, pass }, or undefined: every client sends
// them as Basic authentication, never in the URL.
function urlCredentials(url) {
  const m = RegExpPrototypeExec(/^([a-z][a-z0-9+.-]*:\/\/)([^@\/?#]*)@/i, url)
  if (m === null) return undefined
  const colon = StringPrototypeIndexOf(m[2], ':')
  return {
    url: m[1] + ReflectApply(StringSlice, url, [m[0].length]),
    user: tryDecode(colon === -1 ? m[2] : ReflectApply(StringSlice, m[2], [0, colon])),
    pass: colon === -1 ? '' : tryDecode(ReflectApply(StringSlice, m[2], [colon + 1])),
  }
}
// user:pass@ in a URL becomes a Basic authorization header (unless one is set).
function moveCredentials(url, headers) {
  const c = urlCredentials(url)
  if (c === undefined) return url
  if (!hasHeader(headers, 'authorization')) headers['authorization'] = basic(c.user, c.pass)
  return c.url
}
// The error of a failed bridge call as the rule sees it: the host's (code and message) or ours.
function errorCode(e) {
  return e !== null && typeof e === 'object' && typeof e.code === 'string' ? e.code : undefined
}
function urlText(input) {
  if (typeof input === 'string') return input
  if (input instanceof URL) return input.href
  return StringCtor(input)
}

// ---- query strings ----------------------------------------------------------------------------------------
// As the libraries build them: request's qs writes a[0]=1 and %20, axios writes a[]=1 and '+'.
function withQuery(url, qs) {
  if (qs === '') return url
  const hash = StringPrototypeIndexOf(url, '#')
  const base = hash === -1 ? url : ReflectApply(StringSlice, url, [0, hash])
  return base + (StringPrototypeIndexOf(base, '?') === -1 ? '?' : '&') + qs
}
// `nullAsEmpty`: qs.stringify's default (request's `qs` and `form`): a null field is sent as `key=`;
// otherwise (axios's params) it is left out like an undefined one.
function encodeParams(params, arrayStyle, encode, nullAsEmpty) {
  if (params === undefined || params === null) return ''
  if (params instanceof URLSearchParams) return params.toString()
  const enc = encode || EncodeURIComponent
  const parts = []
  const add = function (key, value) {
    if (value === undefined) return
    if (value === null) {
      if (nullAsEmpty === true) push(parts, enc(key) + '=')
      return
    }
    if (ArrayIsArray(value)) {
      for (let i = 0; i < value.length; i++) add(arrayStyle === 'indices' ? key + '[' + i + ']' : arrayStyle === 'repeat' ? key : key + '[]', value[i])
      return
    }
    if (typeof value === 'object' && !(value instanceof DateCtor)) {
      const keys = ObjectKeys(value)
      for (let i = 0; i < keys.length; i++) add(key + '[' + keys[i] + ']', value[keys[i]])
      return
    }
    push(parts, enc(key) + '=' + enc(value instanceof DateCtor ? ReflectApply(DateToISOString, value, []) : StringCtor(value)))
  }
  const keys = ObjectKeys(params)
  for (let i = 0; i < keys.length; i++) add(keys[i], params[keys[i]])
  return ArrayPrototypeJoin(parts, '&')
}
// axios's buildURL encoding: encodeURIComponent, then ':', '$', ',' kept and spaces as '+'.
function axiosEncode(value) {
  let s = EncodeURIComponent(value)
  s = StringPrototypeReplace(s, /%3A/gi, ':')
  s = StringPrototypeReplace(s, /%24/g, '$')
  s = StringPrototypeReplace(s, /%2C/gi, ',')
  return StringPrototypeReplace(s, /%20/g, '+')
}

// ---- a small event emitter (request's Request); node-http.js uses Node's port ----------------------------
function ListenerSet() {}
ListenerSet.prototype = ObjectCreate(null)
function emitterOn(self, name, fn, once) {
  if (typeof fn !== 'function') throw new TypeErrorCtor('The "listener" argument must be of type function.')
  let events = own(self, '_events')
  if (events === undefined) {
    events = new ListenerSet()
    hide(self, '_events', events)
  }
  if (events[name] === undefined) events[name] = []
  push(events[name], { fn: fn, once: once })
  return self
}
const EmitterMethods = {
  on: function on(name, fn) {
    return emitterOn(this, name, fn, false)
  },
  addListener: function addListener(name, fn) {
    return emitterOn(this, name, fn, false)
  },
  once: function once(name, fn) {
    return emitterOn(this, name, fn, true)
  },
  removeListener: function removeListener(name, fn) {
    const events = own(this, '_events')
    if (events !== undefined && events[name] !== undefined)
      events[name] = ArrayPrototypeFilter(events[name], function (l) {
        return l.fn !== fn
      })
    return this
  },
  removeAllListeners: function removeAllListeners(name) {
    const events = own(this, '_events')
    if (events !== undefined) {
      if (name === undefined) hide(this, '_events', new ListenerSet())
      else delete events[name]
    }
    return this
  },
  listeners: function listeners(name) {
    const events = own(this, '_events')
    return events === undefined || events[name] === undefined
      ? []
      : ArrayPrototypeMap(events[name], function (l) {
          return l.fn
        })
  },
  emit: function emit(name) {
    const events = own(this, '_events')
    const list = events === undefined ? undefined : events[name]
    const args = []
    for (let i = 1; i < arguments.length; i++) push(args, arguments[i])
    if (list === undefined || list.length === 0) {
      if (name === 'error') throw args[0]
      return false
    }
    events[name] = ArrayPrototypeFilter(list, function (l) {
      return !l.once
    })
    for (let i = 0; i < list.length; i++) ReflectApply(list[i].fn, this, args)
    return true
  },
}
EmitterMethods.off = EmitterMethods.removeListener
function mixEmitter(proto) {
  const keys = ObjectKeys(EmitterMethods)
  for (let i = 0; i < keys.length; i++) hide(proto, keys[i], EmitterMethods[keys[i]])
}

// ---- fetch and node-fetch v2 -------------------------------------------------------------------------------
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
function checkedHeaderName(name) {
  const n = StringCtor(name)
  if (!RegExpPrototypeTest(HEADER_NAME, n)) throw new TypeErrorCtor(n + ' is not a legal HTTP header name')
  return StringPrototypeToLowerCase(n)
}
function checkedHeaderValue(name, value) {
  return StringPrototypeReplace(StringCtor(value), /^[ \t]+|[ \t]+$/g, '')
}
// node-fetch's check of a value (the global fetch leaves it to the host, as undici's does).
function legalHeaderValues(headers) {
  const keys = ObjectKeys(headers)
  for (let i = 0; i < keys.length; i++)
    if (RegExpPrototypeTest(/[^\t\x20-\x7e\x80-\xff]/, headers[keys[i]])) throw new TypeErrorCtor(headers[keys[i]] + ' is not a legal HTTP header value')
}
// Headers as node-fetch v2's: every value of a name kept (raw()), under the name as first given;
// get() joins them with ', '; iteration sorted by those names, lower-cased.
function headersFind(h, name) {
  const lower = StringPrototypeToLowerCase(name)
  const keys = ObjectKeys(h._map)
  for (let i = 0; i < keys.length; i++) if (StringPrototypeToLowerCase(keys[i]) === lower) return keys[i]
  return undefined
}
function headersAppend(h, name, value) {
  checkedHeaderName(name)
  const v = checkedHeaderValue(name, value)
  const key = headersFind(h, StringCtor(name))
  if (key === undefined) h._map[StringCtor(name)] = [v]
  else push(h._map[key], v)
}
function Headers(init) {
  if (new.target === undefined) throw new TypeErrorCtor("Class constructor Headers cannot be invoked without 'new'")
  const self = /** @type {any} */ (this)
  hide(self, '_map', ObjectCreate(null))
  if (init === undefined || init === null) return
  if (init instanceof Headers) {
    const from = /** @type {any} */ (init)._map
    const keys = ObjectKeys(from)
    for (let i = 0; i < keys.length; i++) self._map[keys[i]] = ArrayPrototypeMap(from[keys[i]], StringCtor)
    return
  }
  if (typeof init !== 'object') throw new TypeErrorCtor('Provided initializer must be an object')
  if (ArrayIsArray(init) || typeof init[SymbolIterator] === 'function') {
    const list = ArrayIsArray(init) ? init : ArrayFrom(init)
    for (let i = 0; i < list.length; i++) {
      const pair = ArrayIsArray(list[i]) ? list[i] : ArrayFrom(list[i])
      if (pair.length !== 2) throw new TypeErrorCtor('Each header pair must be a name/value tuple')
      headersAppend(self, pair[0], pair[1])
    }
    return
  }
  const keys = ObjectKeys(init)
  for (let i = 0; i < keys.length; i++) headersAppend(self, keys[i], init[keys[i]])
}
const HeadersProto = /** @type {any} */ (Headers.prototype)
HeadersProto.get = function (name) {
  checkedHeaderName(name)
  const key = headersFind(this, StringCtor(name))
  return key === undefined ? null : ArrayPrototypeJoin(this._map[key], ', ')
}
HeadersProto.has = function (name) {
  checkedHeaderName(name)
  return headersFind(this, StringCtor(name)) !== undefined
}
HeadersProto.set = function (name, value) {
  checkedHeaderName(name)
  const v = checkedHeaderValue(name, value)
  const key = headersFind(this, StringCtor(name))
  this._map[key === undefined ? StringCtor(name) : key] = [v]
}
HeadersProto.append = function (name, value) {
  headersAppend(this, name, value)
}
HeadersProto.delete = function (name) {
  checkedHeaderName(name)
  const key = headersFind(this, StringCtor(name))
  if (key !== undefined) delete this._map[key]
}
function headerList(h, kind) {
  const m = h._map
  return ArrayPrototypeMap(ArrayPrototypeSort(ObjectKeys(m)), function (k) {
    const name = StringPrototypeToLowerCase(k)
    return kind === 'keys' ? name : kind === 'values' ? ArrayPrototypeJoin(m[k], ', ') : [name, ArrayPrototypeJoin(m[k], ', ')]
  })
}
HeadersProto.forEach = function (fn, thisArg) {
  const list = headerList(this, 'entries')
  for (let i = 0; i < list.length; i++) ReflectApply(fn, thisArg, [list[i][1], list[i][0], this])
}
HeadersProto.entries = function () {
  return ArrayValues(headerList(this, 'entries'))
}
HeadersProto.keys = function () {
  return ArrayValues(headerList(this, 'keys'))
}
HeadersProto.values = function () {
  return ArrayValues(headerList(this, 'values'))
}
HeadersProto[SymbolIterator] = HeadersProto.entries
HeadersProto.raw = function () {
  const out = {}
  const m = this._map
  ArrayPrototypeForEach(ObjectKeys(m), function (k) {
    out[k] = ArrayPrototypeMap(m[k], StringCtor)
  })
  return out
}
ObjectDefineProperty(
  Headers.prototype,
  SymbolToStringTag,
  /** @type {PropertyDescriptor} */ ({ __proto__: null, value: 'Headers', writable: false, enumerable: false, configurable: true }),
)
function responseHeaders(res) {
  const h = /** @type {any} */ (new Headers())
  const keys = ObjectKeys(res.headers)
  for (let i = 0; i < keys.length; i++) {
    const k = StringPrototypeToLowerCase(keys[i])
    if (k !== 'set-cookie') h._map[k] = [StringCtor(res.headers[keys[i]])]
  }
  const cookies = res.setCookie
  if (ArrayIsArray(cookies) && cookies.length > 0) h._map['set-cookie'] = ArrayPrototypeMap(cookies, StringCtor)
  else if (res.headers['set-cookie'] !== undefined) h._map['set-cookie'] = [StringCtor(res.headers['set-cookie'])]
  return h
}

function FetchError(message, type, systemError) {
  define(this, 'message', StringCtor(message))
  define(this, 'type', type)
  if (systemError !== undefined && errorCode(systemError) !== undefined) {
    define(this, 'errno', systemError.code)
    define(this, 'code', systemError.code)
  }
  ReflectApply(ErrorCaptureStackTrace, ErrorCtor, [this, FetchError])
}
FetchError.prototype = ObjectCreate(ErrorPrototype)
hide(FetchError.prototype, 'constructor', FetchError)
hide(FetchError.prototype, 'name', 'FetchError')
function AbortError(message) {
  define(this, 'message', StringCtor(message))
  define(this, 'type', 'aborted')
  ReflectApply(ErrorCaptureStackTrace, ErrorCtor, [this, AbortError])
}
AbortError.prototype = ObjectCreate(ErrorPrototype)
hide(AbortError.prototype, 'constructor', AbortError)
hide(AbortError.prototype, 'name', 'AbortError')

// A body as bytes, with the content type node-fetch gives it.
function fetchBody(body) {
  if (body === undefined || body === null) return { bytes: undefined, type: null }
  if (typeof body === 'string') return { bytes: body, type: 'text/plain;charset=UTF-8' }
  if (body instanceof URLSearchParams) return { bytes: body.toString(), type: 'application/x-www-form-urlencoded;charset=UTF-8' }
  if (body instanceof FormData) return formDataMultipart(body)
  const bytes = bytesOf(body)
  if (bytes !== undefined) return { bytes: toBuffer(bytes), type: null }
  if (body instanceof ArrayBufferCtor) return { bytes: toBuffer(new Uint8ArrayCtor(body)), type: null }
  if (typeof body.pipe === 'function') throw streamBodyError()
  // As node-fetch (and the Fetch standard): any other value is its string.
  return { bytes: StringCtor(body), type: 'text/plain;charset=UTF-8' }
}
// What every client answers a stream as a request body: requests are sent whole here.
function streamBodyError() {
  const err = new TypeErrorCtor('A stream as a request body is not supported in the sandbox: pass a string or a Buffer.')
  define(err, 'code', 'ERR_HTTP_BODY_UNSUPPORTED')
  return err
}
function isStreamLike(v) {
  return v !== null && typeof v === 'object' && typeof v.pipe === 'function'
}
function bodyBytes(b) {
  if (b === undefined || b === null) return new Uint8ArrayCtor(0)
  if (typeof b === 'string') return utf8Encode(b)
  return bytesOf(b)
}

function Response(body, init) {
  if (new.target === undefined) throw new TypeErrorCtor("Class constructor Response cannot be invoked without 'new'")
  const opts = init || {}
  const b = fetchBody(body)
  const headers = /** @type {any} */ (new Headers(opts.headers))
  if (b.type !== null && headersFind(headers, 'content-type') === undefined) headers._map['Content-Type'] = [b.type]
  const status = opts.status === undefined ? 200 : NumberCtor(opts.status)
  initResponse(this, {
    status: status,
    statusText: opts.statusText === undefined ? (status === 200 ? 'OK' : '') : StringCtor(opts.statusText),
    url: opts.url === undefined ? '' : StringCtor(opts.url),
    redirected: false,
    headers: headers,
    body: bodyBytes(b.bytes),
  })
}
function initResponse(self, r) {
  const hidden = function (k, v) {
    hide(self, k, v)
  }
  hidden('_body', r.body)
  hidden('_used', false)
  hidden('_status', r.status)
  hidden('_statusText', r.statusText)
  hidden('_url', r.url)
  hidden('_redirected', r.redirected)
  hidden('_headers', r.headers)
  hidden('_stream', undefined)
  hidden('size', 0)
  hidden('timeout', 0)
}
function fetchResponse(res, url) {
  const r = ObjectCreate(Response.prototype)
  initResponse(r, {
    status: res.status,
    statusText: res.statusText,
    url: res.url || url,
    redirected: res.redirected === true,
    headers: responseHeaders(res),
    body: res.body,
  })
  return r
}
function responseGetter(name, fn) {
  ObjectDefineProperty(Response.prototype, name, /** @type {PropertyDescriptor} */ ({ __proto__: null, get: fn, enumerable: true, configurable: true }))
}
responseGetter('status', function () {
  return this._status
})
responseGetter('statusText', function () {
  return this._statusText
})
responseGetter('ok', function () {
  return this._status >= 200 && this._status < 300
})
responseGetter('url', function () {
  return this._url
})
responseGetter('redirected', function () {
  return this._redirected
})
responseGetter('headers', function () {
  return this._headers
})
responseGetter('bodyUsed', function () {
  return this._used
})
// node-fetch's `body` is a Node Readable of the (already read) bytes.
responseGetter('body', function () {
  if (this._stream === undefined) {
    const bytes = this._body
    const self = this
    const stream = new (nodeBuiltin('stream').Readable)({
      read: function () {
        define(self, '_used', true)
        this.push(bytes.length === 0 ? null : toBuffer(bytes)) // live: the stream port's Readable
        if (bytes.length !== 0) this.push(null) // live: the stream port's Readable
      },
    })
    hide(this, '_stream', stream)
  }
  return this._stream
})
const ResponseProto = /** @type {any} */ (Response.prototype)
ResponseProto._consume = function () {
  if (this._used) return rejected(new TypeErrorCtor('body used already for: ' + this._url))
  hide(this, '_used', true)
  return resolved(this._body)
}
ResponseProto.text = function () {
  return PromisePrototypeThen(this._consume(), function (b) {
    return utf8Decode(b)
  })
}
ResponseProto.json = function () {
  const url = this._url
  return PromisePrototypeThen(this.text(), function (t) {
    try {
      return JSONParse(t)
    } catch (e) {
      throw new FetchError('invalid json response body at ' + url + ' reason: ' + /** @type {any} */ (e).message, 'invalid-json')
    }
  })
}
ResponseProto.arrayBuffer = function () {
  return PromisePrototypeThen(this._consume(), function (b) {
    const bytes = bytesOf(b) || new Uint8ArrayCtor(0)
    return ArrayBufferPrototypeSlice(
      ReflectApply(TypedArrayBuffer, bytes, []),
      ReflectApply(TypedArrayOffset, bytes, []),
      ReflectApply(TypedArrayOffset, bytes, []) + bytes.length,
    )
  })
}
ResponseProto.buffer = function () {
  return PromisePrototypeThen(this._consume(), function (b) {
    return toBuffer(bytesOf(b))
  })
}
ResponseProto.textConverted = Response.prototype.text
ResponseProto.clone = function () {
  if (this._used) throw new ErrorCtor('cannot clone body after it is used')
  const r = ObjectCreate(Response.prototype)
  initResponse(r, {
    status: this._status,
    statusText: this._statusText,
    url: this._url,
    redirected: this._redirected,
    headers: new Headers(this._headers),
    body: this._body,
  })
  return r
}
ObjectDefineProperty(
  Response.prototype,
  SymbolToStringTag,
  /** @type {PropertyDescriptor} */ ({ __proto__: null, value: 'Response', writable: false, enumerable: false, configurable: true }),
)

function Request(input, init) {
  if (new.target === undefined) throw new TypeErrorCtor("Class constructor Request cannot be invoked without 'new'")
  const o = init || {}
  const from = /** @type {any} */ (input instanceof Request ? input : undefined)
  const url = from !== undefined ? from.url : urlText(input)
  const method = StringPrototypeToUpperCase(StringCtor(o.method || (from !== undefined ? from.method : 'GET')))
  const body = o.body !== undefined ? o.body : from !== undefined ? from._bodyInit : undefined
  if (body !== undefined && body !== null && (method === 'GET' || method === 'HEAD')) throw new TypeErrorCtor('Request with GET/HEAD method cannot have body')
  const headers = /** @type {any} */ (new Headers(o.headers !== undefined ? o.headers : from !== undefined ? from.headers : undefined))
  const b = fetchBody(body)
  if (b.type !== null && headersFind(headers, 'content-type') === undefined) headers._map['Content-Type'] = [b.type]
  define(this, 'url', url)
  define(this, 'method', method)
  define(this, 'headers', headers)
  define(this, 'redirect', o.redirect || (from !== undefined ? from.redirect : 'follow'))
  define(this, 'signal', o.signal !== undefined ? o.signal : from !== undefined ? from.signal : null)
  define(this, 'timeout', o.timeout !== undefined ? o.timeout : from !== undefined ? from.timeout : 0)
  define(this, 'size', o.size !== undefined ? o.size : from !== undefined ? from.size : 0)
  define(this, 'follow', o.follow !== undefined ? o.follow : from !== undefined ? from.follow : 20)
  // A form is encoded once, here: its boundary, in the content type, must be the body's.
  hide(this, '_bodyInit', body instanceof FormData ? b.bytes : body)
}
const RequestProto = /** @type {any} */ (Request.prototype)
RequestProto.clone = function () {
  return new Request(this)
}
ObjectDefineProperty(
  Request.prototype,
  SymbolToStringTag,
  /** @type {PropertyDescriptor} */ ({ __proto__: null, value: 'Request', writable: false, enumerable: false, configurable: true }),
)

const FETCH_USER_AGENT = 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)'
// `nodeFetch` adds node-fetch's default headers (Accept, User-Agent, Accept-Encoding); the global
// fetch sends what undici's would.
function fetchWith(nodeFetch) {
  return function fetch(input, init) {
    let req
    try {
      req = new Request(input, init)
    } catch (e) {
      return rejected(e)
    }
    const url = req.url
    return new PromiseCtor(function (resolve, reject) {
      const signal = req.signal
      if (signal !== null && signal !== undefined && signal.aborted) {
        reject(new AbortError('The user aborted a request.'))
        return
      }
      const headers = plainHeaders(req.headers)
      let target = url
      const cred = urlCredentials(url)
      if (cred !== undefined) {
        if (!nodeFetch) {
          reject(new TypeErrorCtor('Request cannot be constructed from a URL that includes credentials: ' + url))
          return
        }
        target = cred.url
        setHeaderOnce(headers, 'authorization', basic(cred.user, cred.pass))
      }
      if (nodeFetch) {
        try {
          legalHeaderValues(headers)
        } catch (e) {
          reject(e)
          return
        }
        setHeaderOnce(headers, 'accept', '*/*')
        setHeaderOnce(headers, 'user-agent', FETCH_USER_AGENT)
        setHeaderOnce(headers, 'accept-encoding', 'gzip,deflate')
      }
      const mode = req.redirect
      let settledByAbort = false
      if (signal !== null && signal !== undefined && typeof signal.addEventListener === 'function') {
        signal.addEventListener('abort', function () {
          settledByAbort = true
          reject(new AbortError('The user aborted a request.'))
        }) // live: the rule's AbortSignal
      }
      PromisePrototypeThen(
        httpCall({
          url: target,
          method: req.method,
          headers: headers,
          body: fetchBody(req._bodyInit).bytes,
          timeoutMs: nodeFetch && req.timeout > 0 ? req.timeout : undefined,
          redirect: mode === 'follow' ? 'follow' : 'manual',
        }),
        function (res) {
          if (settledByAbort) return
          if (mode === 'error' && res.status >= 300 && res.status < 400 && res.headers['location'] !== undefined) {
            reject(new FetchError('uri requested responds with a redirect, redirect mode is set to error: ' + url, 'no-redirect'))
            return
          }
          if (nodeFetch && req.size > 0 && res.body.length > req.size) {
            reject(new FetchError('content size at ' + url + ' over limit: ' + req.size, 'max-size'))
            return
          }
          resolve(fetchResponse(res, url))
        },
        function (e) {
          if (settledByAbort) return
          if (!nodeFetch) {
            reject(e)
            return
          }
          if (errorCode(e) === 'ETIMEDOUT' && req.timeout > 0) reject(new FetchError('network timeout at: ' + url, 'request-timeout'))
          else reject(new FetchError('request to ' + url + ' failed, reason: ' + e.message, 'system', e))
        },
      )
    })
  }
}
const fetchShim = fetchWith(false)
const nodeFetchModule = /** @type {any} */ (fetchWith(true))
nodeFetchModule.Headers = Headers
nodeFetchModule.Response = Response
nodeFetchModule.Request = Request
nodeFetchModule.FetchError = FetchError
nodeFetchModule.AbortError = AbortError
nodeFetchModule.isRedirect = function isRedirect(code) {
  return code === 301 || code === 302 || code === 303 || code === 307 || code === 308
}
nodeFetchModule.Promise = PromiseCtor
nodeFetchModule.default = nodeFetchModule

// ---- axios 1.x ---------------------------------------------------------------------------------------------
const AXIOS_VERSION = '1.21.1'
const AXIOS_METHODS = ['delete', 'get', 'head', 'options', 'post', 'put', 'patch']
function AxiosError(message, code, config, request, response) {
  define(this, 'message', message)
  define(this, 'name', 'AxiosError')
  define(this, 'isAxiosError', true)
  if (code !== undefined && code !== null) define(this, 'code', code)
  if (config !== undefined) define(this, 'config', config)
  if (request !== undefined) define(this, 'request', request)
  if (response !== undefined && response !== null) {
    define(this, 'response', response)
    define(this, 'status', response.status)
  }
  ReflectApply(ErrorCaptureStackTrace, ErrorCtor, [this, AxiosError])
}
AxiosError.prototype = ObjectCreate(ErrorPrototype)
hide(AxiosError.prototype, 'constructor', AxiosError)
hide(AxiosError.prototype, 'toJSON', function toJSON() {
  return {
    message: this.message,
    name: this.name,
    description: this.description,
    number: this.number,
    fileName: this.fileName,
    lineNumber: this.lineNumber,
    columnNumber: this.columnNumber,
    stack: this.stack,
    config: this.config,
    code: this.code,
    status: this.status,
  }
})
ArrayPrototypeForEach(
  [
    'ERR_BAD_OPTION_VALUE',
    'ERR_BAD_OPTION',
    'ECONNABORTED',
    'ETIMEDOUT',
    'ERR_NETWORK',
    'ERR_FR_TOO_MANY_REDIRECTS',
    'ERR_DEPRECATED',
    'ERR_BAD_RESPONSE',
    'ERR_BAD_REQUEST',
    'ERR_CANCELED',
    'ERR_NOT_SUPPORT',
    'ERR_INVALID_URL',
  ],
  function (code) {
    AxiosError[code] = code
  },
)
function CanceledError(message, config, request) {
  ReflectApply(AxiosError, this, [message === undefined || message === null ? 'canceled' : message, 'ERR_CANCELED', config, request])
  define(this, 'name', 'CanceledError')
  define(this, '__CANCEL__', true)
}
CanceledError.prototype = ObjectCreate(AxiosError.prototype)
hide(CanceledError.prototype, 'constructor', CanceledError)
function CancelToken(executor) {
  if (typeof executor !== 'function') throw new TypeErrorCtor('executor must be a function.')
  const token = this
  define(token, 'reason', undefined)
  hide(token, '_listeners', [])
  define(
    token,
    'promise',
    new PromiseCtor(function (resolve) {
      hide(token, '_resolve', resolve)
    }),
  )
  executor(function cancel(message, config, request) {
    if (token.reason !== undefined) return
    define(token, 'reason', new CanceledError(message, config, request))
    token._resolve(token.reason)
    const listeners = token._listeners
    token._listeners = []
    for (let i = 0; i < listeners.length; i++) listeners[i](token.reason)
  })
}
const CancelTokenProto = /** @type {any} */ (CancelToken.prototype)
CancelTokenProto.throwIfRequested = function () {
  if (this.reason !== undefined) throw this.reason
}
CancelTokenProto.subscribe = function (fn) {
  if (this.reason !== undefined) fn(this.reason)
  else push(this._listeners, fn)
}
CancelTokenProto.unsubscribe = function (fn) {
  this._listeners = ArrayPrototypeFilter(this._listeners, function (l) {
    return l !== fn
  })
}
CancelToken.source = function source() {
  let cancel
  const token = new CancelToken(function (c) {
    cancel = c
  })
  return { token: token, cancel: cancel }
}
function InterceptorManager() {
  define(this, 'handlers', [])
}
const InterceptorManagerProto = /** @type {any} */ (InterceptorManager.prototype)
InterceptorManagerProto.use = function (fulfilled, rejectedFn, options) {
  push(this.handlers, {
    fulfilled: fulfilled,
    rejected: rejectedFn,
    synchronous: options ? options.synchronous === true : false,
    runWhen: options ? options.runWhen : null,
  })
  return this.handlers.length - 1
}
InterceptorManagerProto.eject = function (id) {
  if (this.handlers[id]) this.handlers[id] = null
}
InterceptorManagerProto.clear = function () {
  this.handlers = []
}
InterceptorManagerProto.forEach = function (fn) {
  interceptorsEach(this, fn)
}
function interceptorsEach(manager, fn) {
  const handlers = manager.handlers
  for (let i = 0; i < handlers.length; i++) if (handlers[i] !== null) fn(handlers[i])
}
// A response's headers as axios's: lower-case names, Set-Cookie an array, case-insensitive get().
function axiosHeaders(res) {
  const h = nodeHeaders(res)
  hide(h, 'get', function get(name) {
    const k = headerKey(this, StringPrototypeToLowerCase(StringCtor(name)))
    return k === undefined ? undefined : this[k]
  })
  hide(h, 'has', function has(name) {
    return headerKey(this, StringPrototypeToLowerCase(StringCtor(name))) !== undefined
  })
  return h
}
function axiosDefaultTransformRequest(data, headers) {
  if (data === undefined || data === null) return data
  const typeKey = headerKey(headers, 'content-type')
  const contentType = typeKey === undefined ? '' : StringCtor(headers[typeKey])
  if (typeof data === 'string' || bytesOf(data) !== undefined || data instanceof ArrayBufferCtor || isStreamLike(data)) return data
  if (data instanceof URLSearchParams) {
    if (typeKey === undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded;charset=utf-8'
    return data.toString()
  }
  if (typeof data === 'object') {
    if (StringPrototypeIndexOf(contentType, 'application/x-www-form-urlencoded') !== -1) return encodeParams(data, 'brackets', EncodeURIComponent)
    if (typeKey === undefined) headers['Content-Type'] = 'application/json'
    return JSONStringify(data)
  }
  return data
}
function axiosDefaultTransformResponse(data) {
  const config = this
  const transitional = config.transitional || {}
  const forced = transitional.forcedJSONParsing !== false
  const json = config.responseType === 'json'
  if (typeof data === 'string' && data !== '' && ((forced && (config.responseType === undefined || config.responseType === null)) || json)) {
    try {
      return JSONParse(data)
    } catch (e) {
      if (transitional.silentJSONParsing === false || json) {
        if (e instanceof SyntaxErrorCtor) throw new AxiosError(e.message, 'ERR_BAD_RESPONSE', config, undefined, this._response)
        throw e
      }
    }
  }
  return data
}
function axiosDefaults() {
  const headers = { common: { Accept: 'application/json, text/plain, */*', 'Content-Type': undefined } }
  ArrayPrototypeForEach(AXIOS_METHODS, function (m) {
    headers[m] = {}
  })
  return {
    transitional: { silentJSONParsing: true, forcedJSONParsing: true, clarifyTimeoutError: false },
    adapter: ['xhr', 'http', 'fetch'],
    transformRequest: [axiosDefaultTransformRequest],
    transformResponse: [axiosDefaultTransformResponse],
    timeout: 0,
    xsrfCookieName: 'XSRF-TOKEN',
    xsrfHeaderName: 'X-XSRF-TOKEN',
    maxContentLength: -1,
    maxBodyLength: -1,
    env: {},
    validateStatus: function validateStatus(status) {
      return status >= 200 && status < 300
    },
    headers: headers,
  }
}
function deepMerge(a, b) {
  const out = {}
  if (isPlainObject(a))
    ArrayPrototypeForEach(ObjectKeys(a), function (k) {
      out[k] = isPlainObject(a[k])
        ? deepMerge(a[k], undefined)
        : ArrayIsArray(a[k])
          ? ArrayPrototypeMap(a[k], function (x) {
              return x
            })
          : a[k]
    })
  if (isPlainObject(b))
    ArrayPrototypeForEach(ObjectKeys(b), function (k) {
      out[k] = isPlainObject(b[k])
        ? deepMerge(isPlainObject(out[k]) ? out[k] : undefined, b[k])
        : ArrayIsArray(b[k])
          ? ArrayPrototypeMap(b[k], function (x) {
              return x
            })
          : b[k]
    })
  return out
}
// axios's mergeConfig: url, method and data from the call only; headers, auth, params and the
// other objects merged deeply; every other key the call's when it gives one.
function axiosMerge(a, b) {
  const x = a || {}
  const y = b || {}
  const out = {}
  const keys = ObjectKeys(x)
  const more = ObjectKeys(y)
  for (let i = 0; i < more.length; i++) if (ArrayPrototypeIndexOf(keys, more[i]) === -1) push(keys, more[i])
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]
    if (k === 'url' || k === 'method' || k === 'data') {
      if (y[k] !== undefined) out[k] = y[k]
    } else if (k === 'validateStatus') {
      out[k] = k in y ? y[k] : x[k]
    } else if (isPlainObject(y[k]) || (y[k] === undefined && isPlainObject(x[k]))) {
      out[k] = deepMerge(x[k], y[k])
    } else if (y[k] !== undefined) out[k] = y[k]
    else if (x[k] !== undefined) out[k] = x[k]
  }
  return out
}
// The headers actually sent: common, then the method's, then the request's own.
function axiosFlatHeaders(config) {
  const h = config.headers || {}
  const out = {}
  const put = function (src) {
    if (!isPlainObject(src) && !(src instanceof Headers)) return
    const plain = src instanceof Headers ? plainHeaders(src) : src
    const keys = ObjectKeys(plain)
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      if (k === 'common' || ArrayPrototypeIndexOf(AXIOS_METHODS, k) !== -1) continue
      const old = headerKey(out, StringPrototypeToLowerCase(k))
      if (old !== undefined) delete out[old]
      if (plain[k] !== undefined && plain[k] !== null && plain[k] !== false) out[k] = plain[k]
      else if (plain[k] === undefined) continue
    }
  }
  put(h.common)
  put(h[config.method])
  put(h)
  return out
}
function axiosTransform(fns, config, data, headers, status) {
  if (fns === undefined || fns === null) return data
  const list = ArrayIsArray(fns) ? fns : [fns]
  for (let i = 0; i < list.length; i++) data = ReflectApply(list[i], config, [data, headers, status])
  return data
}
function axiosRequestUrl(config) {
  let url = config.url === undefined || config.url === null ? '' : urlText(config.url)
  if (
    config.baseURL && !RegExpPrototypeTest(/^([a-z][a-z\d+\-.]*:)?\/\//i, url) && config.allowAbsoluteUrls !== false
      ? true
      : config.baseURL && config.allowAbsoluteUrls === false
  )
    url = url ? StringPrototypeReplace(config.baseURL, /\/?\/$/, '') + '/' + StringPrototypeReplace(url, /^\/+/, '') : config.baseURL
  let qs = ''
  if (config.params !== undefined && config.params !== null) {
    const ser = config.paramsSerializer
    if (typeof ser === 'function') qs = StringCtor(ser(config.params))
    else if (ser && typeof ser.serialize === 'function') qs = StringCtor(ser.serialize(config.params, ser))
    else {
      const encode = ser && typeof ser.encode === 'function' ? ser.encode : axiosEncode
      const style = ser && ser.indexes === true ? 'indices' : ser && ser.indexes === null ? 'repeat' : 'brackets'
      qs = encodeParams(config.params, style, encode)
    }
  }
  return withQuery(url, qs)
}
function axiosDispatch(config) {
  if (config.cancelToken) config.cancelToken.throwIfRequested()
  if (config.signal && config.signal.aborted) throw new CanceledError(null, config)
  let headers = axiosFlatHeaders(config)
  const data = axiosTransform(config.transformRequest, config, config.data, headers)
  const method = StringPrototypeToUpperCase(config.method)
  let url = axiosRequestUrl(config)
  const cred = urlCredentials(url)
  if (cred !== undefined) url = cred.url
  const auth = config.auth ? { user: config.auth.username || '', pass: config.auth.password || '' } : cred
  if (auth !== undefined) {
    const k = headerKey(headers, 'authorization')
    if (k !== undefined) delete headers[k]
    headers['Authorization'] = basic(auth.user, auth.pass)
  }
  if (config.responseType === 'stream' && typeof nodeBuiltin !== 'function') throw new AxiosError('Unsupported responseType: stream', 'ERR_NOT_SUPPORT', config)
  let body
  if (data !== undefined && data !== null && method !== 'GET' && method !== 'HEAD') {
    if (typeof data === 'string') {
      body = data
      setHeaderOnce(headers, 'Content-Type', 'application/x-www-form-urlencoded')
    } else if (bytesOf(data) !== undefined || data instanceof ArrayBufferCtor) {
      body = toBuffer(bytesOf(data) || new Uint8ArrayCtor(data))
      setHeaderOnce(headers, 'Content-Type', 'application/x-www-form-urlencoded')
    } else if (isStreamLike(data)) throw streamBodyError()
    else throw new AxiosError('Data after transformation must be a string, an ArrayBuffer, a Buffer, or a Stream', 'ERR_BAD_REQUEST', config)
  }
  setHeaderOnce(headers, 'User-Agent', 'axios/' + AXIOS_VERSION)
  setHeaderOnce(headers, 'Accept-Encoding', 'gzip, compress, deflate, br')
  // As axios: the config the response and errors carry holds the headers that were sent.
  config.headers = headers
  const request = {}
  return new PromiseCtor(function (resolve, reject) {
    let done = false
    const cancelled = function (reason) {
      if (done) return
      done = true
      reject(reason instanceof CanceledError ? reason : new CanceledError(null, config, request))
    }
    if (config.cancelToken) config.cancelToken.subscribe(cancelled)
    if (config.signal && typeof config.signal.addEventListener === 'function') config.signal.addEventListener('abort', cancelled) // live: the rule's AbortSignal
    PromisePrototypeThen(
      httpCall({
        url: url,
        method: method,
        headers: headers,
        body: body,
        timeoutMs: config.timeout > 0 ? config.timeout : undefined,
        redirect: config.maxRedirects === 0 ? 'manual' : 'follow',
      }),
      function (res) {
        if (done) return
        done = true
        let responseData
        if (config.responseType === 'arraybuffer') responseData = toBuffer(res.body)
        else if (config.responseType === 'stream')
          responseData = ReflectApply(nodeBuiltin('stream').Readable.from, nodeBuiltin('stream').Readable, [[toBuffer(res.body)]])
        else responseData = utf8Decode(res.body)
        const response = { status: res.status, statusText: res.statusText, headers: axiosHeaders(res), config: config, request: request, data: responseData }
        try {
          hide(config, '_response', response)
          response.data = axiosTransform(config.transformResponse, config, responseData, response.headers, res.status)
        } catch (e) {
          reject(e)
          return
        }
        const validate = config.validateStatus
        if (!validate || validate(res.status)) resolve(response)
        else
          reject(
            new AxiosError(
              'Request failed with status code ' + res.status,
              res.status >= 400 && res.status < 500 ? 'ERR_BAD_REQUEST' : 'ERR_BAD_RESPONSE',
              config,
              request,
              response,
            ),
          )
      },
      function (e) {
        if (done) return
        done = true
        const code = errorCode(e)
        if (code === 'ETIMEDOUT' && config.timeout > 0) {
          const transitional = config.transitional || {}
          const message = config.timeoutErrorMessage ? config.timeoutErrorMessage : 'timeout of ' + config.timeout + 'ms exceeded'
          reject(new AxiosError(message, transitional.clarifyTimeoutError ? 'ETIMEDOUT' : 'ECONNABORTED', config, request))
          return
        }
        const err = new AxiosError(e.message, code || 'ERR_NETWORK', config, request)
        // As axios's AxiosError.from: the cause's name (a system error's 'Error').
        if (e !== null && typeof e === 'object' && typeof e.name === 'string') define(err, 'name', e.name)
        define(err, 'cause', e)
        reject(err)
      },
    )
  })
}
function Axios(instanceConfig) {
  define(this, 'defaults', instanceConfig || {})
  define(this, 'interceptors', { request: new InterceptorManager(), response: new InterceptorManager() })
}
const AxiosProto = /** @type {any} */ (Axios.prototype)
AxiosProto.request = function (configOrUrl, config) {
  try {
    let c = config || {}
    if (typeof configOrUrl === 'string' || configOrUrl instanceof URL) {
      c = axiosMerge({}, c)
      c.url = configOrUrl
    } else c = configOrUrl || {}
    const merged = axiosMerge(this.defaults, c)
    merged.method = StringPrototypeToLowerCase(StringCtor(merged.method || this.defaults.method || 'get'))
    // Request interceptors run last-added first, then the request, then response interceptors in order.
    const before = []
    interceptorsEach(this.interceptors.request, function (h) {
      if (typeof h.runWhen === 'function' && h.runWhen(merged) === false) return
      push(before, h)
    })
    const chain = []
    for (let i = before.length - 1; i >= 0; i--) {
      push(chain, before[i].fulfilled)
      push(chain, before[i].rejected)
    }
    // From here until the adapter sends (or the chain before it fails), the request is open work
    // of the run (runtime.js holdRun): a rule may call back before the chain reaches the host.
    const release = holdRun()
    push(chain, function dispatch(/** @type {any} */ config) {
      release()
      return axiosDispatch(config)
    })
    push(chain, function dispatchFailed(/** @type {unknown} */ e) {
      release()
      throw e
    })
    interceptorsEach(this.interceptors.response, function (h) {
      push(chain, h.fulfilled)
      push(chain, h.rejected)
    })
    let promise = resolved(merged)
    for (let i = 0; i < chain.length; i += 2) promise = PromisePrototypeThen(promise, chain[i], chain[i + 1])
    return promise
  } catch (e) {
    return rejected(e)
  }
}
AxiosProto.getUri = function (config) {
  const merged = axiosMerge(this.defaults, config)
  return axiosRequestUrl(merged)
}
ArrayPrototypeForEach(['delete', 'get', 'head', 'options'], function (m) {
  Axios.prototype[m] = function (url, config) {
    const c = axiosMerge(config || {}, { method: m, url: url, data: (config || {}).data })
    return this.request(c)
  }
})
ArrayPrototypeForEach(['post', 'put', 'patch'], function (m) {
  Axios.prototype[m] = function (url, data, config) {
    return this.request(axiosMerge(config || {}, { method: m, url: url, data: data }))
  }
  Axios.prototype[m + 'Form'] = function (url, data, config) {
    const c = axiosMerge(config || {}, { method: m, url: url, data: data })
    c.headers = deepMerge(c.headers, { 'Content-Type': 'application/x-www-form-urlencoded' })
    return this.request(c)
  }
})
function makeAxios(defaults) {
  const context = new Axios(defaults)
  const instance = function axios(configOrUrl, config) {
    return context.request(configOrUrl, config)
  }
  const methods = ObjectKeys(Axios.prototype)
  for (let i = 0; i < methods.length; i++) {
    const fn = Axios.prototype[methods[i]]
    instance[methods[i]] = function () {
      return ReflectApply(fn, context, arguments)
    }
  }
  instance.defaults = context.defaults
  instance.interceptors = context.interceptors
  instance.create = function create(more) {
    return makeAxios(axiosMerge(context.defaults, more))
  }
  return instance
}
function axiosModule() {
  const axios = /** @type {any} */ (makeAxios(axiosDefaults()))
  axios.Axios = Axios
  axios.AxiosError = AxiosError
  axios.CanceledError = CanceledError
  axios.Cancel = CanceledError
  axios.CancelToken = CancelToken
  axios.VERSION = AXIOS_VERSION
  axios.isCancel = function isCancel(value) {
    return !!(value && value.__CANCEL__)
  }
  axios.isAxiosError = function isAxiosError(payload) {
    return payload !== null && typeof payload === 'object' && payload.isAxiosError === true
  }
  axios.all = function all(promises) {
    return ReflectApply(PromiseAll, PromiseCtor, [promises])
  }
  axios.spread = function spread(callback) {
    return function wrap(arr) {
      return ReflectApply(callback, null, arr)
    }
  }
  axios.mergeConfig = axiosMerge
  axios.default = axios
  return axios
}

// ---- request 2.88 (and request-promise 4) ------------------------------------------------------------------
// `new request.Request(options)` reads its options, then calls `this.init(options)`, which sends on
// the next tick (listeners and request-promise's init interceptor come first) and calls back
// `(err, response, body)` through `this.callback`, as request does.
// RequestError and TransformError: the same shape around a cause, two names (request-promise's errors.js).
/** @param {string} name */
function causeErrorClass(name) {
  const Ctor = function (cause, options, response) {
    define(this, 'name', name)
    define(this, 'message', StringCtor(cause))
    define(this, 'cause', cause)
    define(this, 'error', cause)
    define(this, 'options', options)
    define(this, 'response', response)
    ReflectApply(ErrorCaptureStackTrace, ErrorCtor, [this])
  }
  ObjectDefineProperty(Ctor, 'name', { value: name, writable: false, enumerable: false, configurable: true })
  Ctor.prototype = ObjectCreate(ErrorPrototype)
  hide(Ctor.prototype, 'constructor', Ctor)
  return Ctor
}
const RequestError = causeErrorClass('RequestError')
function StatusCodeError(statusCode, body, options, response) {
  define(this, 'name', 'StatusCodeError')
  define(this, 'statusCode', statusCode)
  define(this, 'message', statusCode + ' - ' + JSONStringify(body))
  define(this, 'error', body)
  define(this, 'options', options)
  define(this, 'response', response)
  ReflectApply(ErrorCaptureStackTrace, ErrorCtor, [this])
}
StatusCodeError.prototype = ObjectCreate(ErrorPrototype)
hide(StatusCodeError.prototype, 'constructor', StatusCodeError)
const TransformError = causeErrorClass('TransformError')
const requestErrors = { RequestError: RequestError, StatusCodeError: StatusCodeError, TransformError: TransformError }

function requestOptionError(self, message) {
  const e = new ErrorCtor(message)
  QueueMicrotask(function () {
    self.emit('error', e)
  })
}
// Whether a 3xx is followed: request follows GET/HEAD/OPTIONS redirects by default, all of them
// with followAllRedirects, none with followRedirect: false.
function requestRedirect(o, method) {
  if (o.followAllRedirects === true) return 'follow'
  if (o.followRedirect === false) return 'manual'
  return method === 'PATCH' || method === 'PUT' || method === 'POST' || method === 'DELETE' ? 'manual' : 'follow'
}
function requestClass(promiseMode) {
  function Request(options) {
    if (!(this instanceof Request)) throw new TypeErrorCtor("Class constructor Request cannot be invoked without 'new'")
    const opts = options || {}
    const reserved = ObjectKeys(Request.prototype)
    const keys = ObjectKeys(opts)
    for (let i = 0; i < keys.length; i++) if (ArrayPrototypeIndexOf(reserved, keys[i]) === -1) this[keys[i]] = opts[keys[i]]
    const self = /** @type {any} */ (this)
    self.readable = true
    self.writable = true
    self.init(opts)
  }
  mixEmitter(Request.prototype)
  const proto = /** @type {any} */ (Request.prototype)
  proto.init = function init(options) {
    const self = /** @type {any} */ (this)
    const o = options || {}
    if (promiseMode && !self._rp_promise) rpInit(self, o)
    if (!self._callback && typeof self.callback === 'function') {
      const cb = self.callback
      self._callback = cb
      self.callback = function () {
        if (self._callbackCalled) return
        self._callbackCalled = true
        ReflectApply(cb, self, arguments)
      }
      self.on('error', function (e) {
        self.callback(e)
      })
      self.on('complete', function (response, body) {
        self.callback(null, response, body)
      })
    }
    self.headers = plainHeaders(self.headers)
    if (!self.method) self.method = o.method || 'GET'
    self.method = StringPrototypeToUpperCase(StringCtor(self.method))
    if (!self.uri && self.url) {
      self.uri = self.url
      delete self.url
    }
    if (self.baseUrl) {
      if (typeof self.baseUrl !== 'string') return requestOptionError(self, 'options.baseUrl must be a string')
      if (typeof self.uri !== 'string') return requestOptionError(self, 'options.uri must be a string when using options.baseUrl')
      if (StringPrototypeIndexOf(self.uri, '//') === 0 || StringPrototypeIndexOf(self.uri, '://') !== -1)
        return requestOptionError(self, 'options.uri must be a path when using options.baseUrl')
      const baseEnds = ReflectApply(StringLastIndexOf, self.baseUrl, ['/']) === self.baseUrl.length - 1
      const uriStarts = StringPrototypeIndexOf(self.uri, '/') === 0
      if (baseEnds && uriStarts) self.uri = self.baseUrl + ReflectApply(StringSlice, self.uri, [1])
      else if (baseEnds || uriStarts) self.uri = self.baseUrl + self.uri
      else if (self.uri === '') self.uri = self.baseUrl
      else self.uri = self.baseUrl + '/' + self.uri
      delete self.baseUrl
    }
    if (!self.uri) return requestOptionError(self, 'options.uri is a required argument')
    if (self.uri instanceof URL) self.uri = self.uri.href
    else if (typeof self.uri === 'object' && typeof self.uri.href === 'string') self.uri = self.uri.href
    // Another scheme (file:, ftp:) goes to the policy, which refuses it as it does for every client.
    if (typeof self.uri !== 'string' || !RegExpPrototypeTest(/^[a-z][a-z0-9+.-]*:/i, self.uri))
      return requestOptionError(self, 'Invalid URI "' + StringCtor(self.uri) + '"')
    const headers = self.headers
    let url = self.uri
    const cred = urlCredentials(url)
    if (cred !== undefined) url = cred.url
    if (o.qs !== undefined && o.qs !== null) url = withQuery(url, encodeParams(o.qs, 'indices', EncodeURIComponent, true))
    let body = o.body
    if (o.form !== undefined) {
      body = typeof o.form === 'string' ? o.form : encodeParams(o.form, 'indices', EncodeURIComponent, true)
      setHeaderOnce(headers, 'content-type', 'application/x-www-form-urlencoded')
    }
    if (o.json !== undefined && o.json !== false) {
      setHeaderOnce(headers, 'accept', 'application/json')
      if (typeof o.json !== 'boolean') {
        body = JSONStringify(o.json)
        setHeaderOnce(headers, 'content-type', 'application/json')
      } else if (body !== undefined) {
        const typeKey = headerKey(headers, 'content-type')
        if (typeKey === undefined || !RegExpPrototypeTest(/^application\/x-www-form-urlencoded\b/, StringCtor(headers[typeKey]))) body = JSONStringify(body)
        setHeaderOnce(headers, 'content-type', 'application/json')
      }
    }
    const auth = o.auth
    if (auth) {
      const bearer = typeof auth.bearer === 'function' ? auth.bearer() : auth.bearer
      if (bearer !== undefined && bearer !== null) headers['authorization'] = 'Bearer ' + bearer
      else
        headers['authorization'] = basic(
          auth.user !== undefined ? auth.user : auth.username !== undefined ? auth.username : '',
          auth.pass !== undefined ? auth.pass : auth.password !== undefined ? auth.password : '',
        )
    } else if (cred !== undefined) setHeaderOnce(headers, 'authorization', basic(cred.user, cred.pass))
    if (isStreamLike(body)) {
      const e = streamBodyError()
      QueueMicrotask(function () {
        self.emit('error', e)
      })
      return
    }
    if (body !== undefined && body !== null && typeof body !== 'string' && bytesOf(body) === undefined)
      return requestOptionError(self, 'Argument error, options.body.')
    self.href = url
    self.body = body
    self._sendSpec = {
      url: url,
      method: self.method,
      headers: headers,
      // Bytes, not a string (the transport would add a text/plain type request never sends); a
      // request other than GET without a body says content-length: 0, as request does.
      body:
        body === undefined || body === null
          ? self.method === 'GET'
            ? undefined
            : toBuffer(new Uint8ArrayCtor(0))
          : toBuffer(typeof body === 'string' ? utf8Encode(body) : bytesOf(body)),
      timeoutMs: o.timeout > 0 ? o.timeout : undefined,
      redirect: requestRedirect(o, self.method),
    }
    deferWork(function () {
      requestSend(self, o)
    })
  }
  proto.setHeader = function setHeader(name, value) {
    const k = headerKey(this.headers, StringPrototypeToLowerCase(StringCtor(name)))
    if (k !== undefined) delete this.headers[k]
    this.headers[name] = value
    return this
  }
  proto.getHeader = function getHeader(name) {
    const k = headerKey(this.headers, StringPrototypeToLowerCase(StringCtor(name)))
    return k === undefined ? undefined : this.headers[k]
  }
  proto.hasHeader = function hasHeader(name) {
    return headerKey(this.headers, StringPrototypeToLowerCase(StringCtor(name))) !== undefined
  }
  proto.removeHeader = function removeHeader(name) {
    const k = headerKey(this.headers, StringPrototypeToLowerCase(StringCtor(name)))
    if (k !== undefined) delete this.headers[k]
    return this
  }
  proto.abort = function abort() {
    const self = /** @type {any} */ (this)
    self._aborted = true
    self.emit('abort')
  }
  // The body, written once the response is complete (nothing streams here).
  proto.pipe = function pipe(dest) {
    const self = this
    self.on('complete', function (response, body) {
      if (typeof dest.write === 'function' && body !== undefined)
        dest.write(typeof body === 'string' || bytesOf(body) !== undefined ? body : JSONStringify(body))
      if (typeof dest.end === 'function') dest.end()
    })
    return dest
  }
  proto.toJSON = function toJSON() {
    return { uri: this.href, method: this.method, headers: this.headers }
  }
  if (promiseMode) {
    ArrayPrototypeForEach(['then', 'catch', 'finally'], function (name) {
      proto[name] = function () {
        const p = this._rp_promise
        return ReflectApply(p[name], p, arguments) // live: our own promise
      }
    })
    proto.promise = function promise() {
      return this._rp_promise
    }
    proto.cancel = function cancel() {
      this.abort()
    }
  }
  return Request
}
// request-promise's plumbing: a promise per request, settled from the callback.
function rpInit(self, o) {
  const options = o
  hide(
    self,
    '_rp_promise',
    new PromiseCtor(function (resolve, reject) {
      hide(self, '_rp_resolve', resolve)
      hide(self, '_rp_reject', reject)
    }),
  )
  // A rejection nobody asked for (a rule that only used the callback) is not unhandled.
  PromisePrototypeThen(self._rp_promise, undefined, function () {})
  const orig = self.callback
  if (typeof options.method === 'string') options.method = StringPrototypeToUpperCase(options.method)
  const method = StringPrototypeToUpperCase(StringCtor(options.method || self.method || 'GET'))
  const transform =
    options.transform ||
    (method === 'HEAD'
      ? function (body, response, full) {
          return full ? response : response.headers
        }
      : undefined)
  options.simple = options.simple !== false
  options.resolveWithFullResponse = options.resolveWithFullResponse === true
  options.transform2xxOnly = options.transform2xxOnly === true
  const settleWith = function (value, fail) {
    PromisePrototypeThen(
      new PromiseCtor(function (resolve) {
        resolve(value())
      }),
      function (v) {
        if (fail !== undefined) self._rp_reject(fail(v))
        else self._rp_resolve(v)
      },
      function (e) {
        self._rp_reject(new TransformError(e, options, self.response))
      },
    )
  }
  self.callback = function (err, response, body) {
    let threw = false
    let thrown
    if (typeof orig === 'function') {
      try {
        ReflectApply(orig, self, [err, response, body])
      } catch (e) {
        threw = true
        thrown = e
      }
    }
    const is2xx = !err && RegExpPrototypeTest(/^2/, '' + response.statusCode)
    if (err) self._rp_reject(new RequestError(err, options, response))
    else if (options.simple && !is2xx) {
      if (typeof transform === 'function' && options.transform2xxOnly === false)
        settleWith(
          function () {
            return transform(body, response, options.resolveWithFullResponse)
          },
          function (transformed) {
            return new StatusCodeError(response.statusCode, body, options, transformed)
          },
        )
      else self._rp_reject(new StatusCodeError(response.statusCode, body, options, response))
    } else if (typeof transform === 'function' && (is2xx || options.transform2xxOnly === false))
      settleWith(function () {
        return transform(body, response, options.resolveWithFullResponse)
      })
    else self._rp_resolve(options.resolveWithFullResponse ? response : body)
    if (threw) throw thrown
  }
}
function requestSend(self, o) {
  if (self._aborted) return
  let call
  try {
    call = httpCall(self._sendSpec)
  } catch (e) {
    // Refused before it left (a body larger than one host call carries): the callback hears it.
    self.emit('error', e)
    return
  }
  PromisePrototypeThen(
    call,
    function (res) {
      if (self._aborted) return
      let body = o.encoding === null ? toBuffer(res.body) : utf8Decode(res.body)
      if (o.encoding === 'utf8' && typeof body === 'string' && body[0] === '\uFEFF') body = ReflectApply(StringSlice, body, [1])
      const empty = res.body.length === 0
      if (self._json || (o.json !== undefined && o.json !== false)) {
        if (empty) body = undefined
        else
          try {
            body = JSONParse(body)
          } catch (e) {
            /* request keeps the text */
          }
      }
      const headers = nodeHeaders(res)
      const response = {
        statusCode: res.status,
        statusMessage: res.statusText,
        headers: headers,
        httpVersion: '1.1',
        rawHeaders: rawHeaderList(headers),
        url: '',
        method: null,
        body: body,
        request: { uri: uriParts(res.url), method: self.method, headers: self.headers, href: res.url },
      }
      hide(response, 'caseless', {
        get: function (name) {
          return headers[StringPrototypeToLowerCase(StringCtor(name))]
        },
        has: function (name) {
          return headers[StringPrototypeToLowerCase(StringCtor(name))] !== undefined ? StringPrototypeToLowerCase(StringCtor(name)) : false
        },
      })
      hide(response, 'toJSON', function toJSON() {
        return {
          statusCode: response.statusCode,
          body: response.body,
          headers: response.headers,
          request: { uri: response.request.uri, method: self.method, headers: self.headers },
        }
      })
      self.response = response
      self.uri = response.request.uri
      self.emit('response', response)
      if (o.encoding === null) self.emit('data', toBuffer(res.body))
      else if (res.body.length > 0) self.emit('data', utf8Decode(res.body))
      self.emit('end')
      self.emit('complete', response, body)
    },
    function (e) {
      if (self._aborted) return
      let err = e
      if (errorCode(e) === 'ETIMEDOUT' && o.timeout > 0) {
        // request's read timeout (the host cannot tell a connect timeout apart).
        err = new ErrorCtor('ESOCKETTIMEDOUT')
        define(err, 'code', 'ESOCKETTIMEDOUT')
        define(err, 'connect', false)
      }
      self.emit('error', err)
    },
  )
}
function rawHeaderList(headers) {
  const out = []
  const keys = ObjectKeys(headers)
  for (let i = 0; i < keys.length; i++) {
    const v = headers[keys[i]]
    if (ArrayIsArray(v))
      for (let j = 0; j < v.length; j++) {
        push(out, keys[i])
        push(out, v[j])
      }
    else {
      push(out, keys[i])
      push(out, v)
    }
  }
  return out
}
function uriParts(href) {
  const u = new URL(href)
  return {
    protocol: u.protocol,
    slashes: true,
    auth: null,
    host: u.host,
    port: u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : NumberCtor(u.port),
    hostname: u.hostname,
    hash: u.hash === '' ? null : u.hash,
    search: u.search === '' ? null : u.search,
    query: u.search === '' ? null : ReflectApply(StringSlice, u.search, [1]),
    pathname: u.pathname,
    path: u.pathname + u.search,
    href: u.href,
  }
}
// request's initParams: (uri, options, callback) in any of its forms, as one options object.
function requestParams(uri, options, callback) {
  if (typeof options === 'function') {
    callback = options
    options = undefined
  }
  const params = {}
  if (options !== null && typeof options === 'object') {
    const keys = ObjectKeys(options)
    for (let i = 0; i < keys.length; i++) params[keys[i]] = options[keys[i]]
    params.uri = uri
  } else if (typeof uri === 'string' || uri instanceof URL) params.uri = uri
  else if (uri !== null && typeof uri === 'object') {
    const keys = ObjectKeys(uri)
    for (let i = 0; i < keys.length; i++) params[keys[i]] = uri[keys[i]]
  }
  params.callback = callback || params.callback
  return params
}
function makeRequest(defaults, promiseMode, RequestClass) {
  const Req = RequestClass || requestClass(promiseMode)
  const withDefaults = function (params) {
    if (defaults === undefined) return params
    const merged = deepMerge(defaults, params)
    if (params.uri === undefined && params.url !== undefined) delete merged.uri
    return merged
  }
  const request = function request(uri, options, callback) {
    if (typeof uri === 'undefined') throw new ErrorCtor('undefined is not a valid uri or options object.')
    const params = requestParams(uri, options, callback)
    if (params.method === 'HEAD' && params.body !== undefined) throw new ErrorCtor('HTTP HEAD requests MUST NOT include a request body.')
    return new Req(withDefaults(params))
  }
  ArrayPrototypeForEach(['get', 'head', 'options', 'post', 'put', 'patch', 'del', 'delete'], function (verb) {
    const method = verb === 'del' ? 'DELETE' : StringPrototypeToUpperCase(verb)
    request[verb] = function (uri, options, callback) {
      const params = requestParams(uri, options, callback)
      params.method = method
      return request(params, params.callback)
    }
  })
  request.defaults = function (more, requester) {
    if (typeof more === 'function') {
      requester = more
      more = {}
    }
    return makeRequest(deepMerge(defaults, more), promiseMode, Req)
  }
  request.Request = Req
  request.initParams = requestParams
  request.jar = function jar() {
    return {
      setCookie: function () {},
      getCookieString: function () {
        return ''
      },
      getCookies: function () {
        return []
      },
    }
  }
  request.cookie = function cookie(text) {
    return text
  }
  request.forever = function forever(agentOptions, optionsArg) {
    return request.defaults(optionsArg || {})
  }
  return request
}
// ---- the legacy global `request` and the modules, one per name ---------------------------------------------
let requestModuleCache
function requestModule() {
  if (requestModuleCache === undefined) requestModuleCache = makeRequest(undefined, false)
  return requestModuleCache
}
function requestPromiseModule() {
  const rp = /** @type {any} */ (makeRequest(undefined, true))
  rp.errors = requestErrors
  return rp
}
