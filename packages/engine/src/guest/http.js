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
