// Node's `http` and `https` modules for rules and bundled packages: ClientRequest and
// IncomingMessage over the engine's HTTP bridge (the same policy as every other client).
//
// A ClientRequest is a Writable (the stream port's): what is written is kept (at most what one
// host call may carry) and sent as one request when it ends; the answer, read in full by the host
// under modules.http.maxResponseBytes, is an IncomingMessage (a Readable) that gives it back. Node
// never follows redirects, so neither does this. There are no sockets: agents are inert stand-ins,
// `socket` is an inert object, and servers (createServer) are refused.
const NODE_STATUS_CODES = {
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status',
  208: 'Already Reported',
  226: 'IM Used',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a Teapot",
  421: 'Misdirected Request',
  422: 'Unprocessable Entity',
  423: 'Locked',
  424: 'Failed Dependency',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  506: 'Variant Also Negotiates',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  509: 'Bandwidth Limit Exceeded',
  510: 'Not Extended',
  511: 'Network Authentication Required',
}
const NODE_METHODS = [
  'ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK', 'M-SEARCH', 'MERGE', 'MKACTIVITY', 'MKCALENDAR',
  'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST', 'PROPFIND', 'PROPPATCH', 'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH',
  'SOURCE', 'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE',
] // prettier-ignore
// Hop-by-hop headers: the host's transport manages the connection itself.
const HOP_HEADERS = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/

function nodeError(Ctor, code, message) {
  const e = new Ctor(message)
  define(e, 'code', code)
  return e
}
function checkHeaderName(name) {
  if (typeof name !== 'string' || name === '' || !RegExpPrototypeTest(TOKEN, name))
    throw nodeError(TypeErrorCtor, 'ERR_INVALID_HTTP_TOKEN', 'Header name must be a valid HTTP token ["' + StringCtor(name) + '"]')
}
function checkHeaderValue(name, value) {
  if (value === undefined) throw nodeError(TypeErrorCtor, 'ERR_HTTP_INVALID_HEADER_VALUE', 'Invalid value "undefined" for header "' + name + '"')
  const values = ArrayIsArray(value) ? value : [value]
  for (let i = 0; i < values.length; i++)
    if (RegExpPrototypeTest(/[^\t\x20-\x7e\x80-\xff]/, StringCtor(values[i])))
      throw nodeError(TypeErrorCtor, 'ERR_INVALID_CHAR', 'Invalid character in header content ["' + name + '"]')
}

let nodeHttpModules
function nodeHttpModule(scheme) {
  if (nodeHttpModules === undefined) nodeHttpModules = makeNodeHttp()
  return scheme === 'https' ? nodeHttpModules.https : nodeHttpModules.http
}

function makeNodeHttp() {
  const stream = nodeBuiltin('stream')
  const Writable = stream.Writable
  const Readable = stream.Readable

  function Agent(options) {
    const self = /** @type {any} */ (this)
    ReflectApply(nodeBuiltin('events'), self, [])
    const o = options || {}
    self.options = ObjectAssign({ path: null }, o)
    self.keepAlive = o.keepAlive === true
    self.keepAliveMsecs = o.keepAliveMsecs || 1000
    self.maxSockets = o.maxSockets || Infinity
    self.maxFreeSockets = o.maxFreeSockets || 256
    self.maxTotalSockets = o.maxTotalSockets || Infinity
    self.defaultPort = o.defaultPort || 80
    self.protocol = o.protocol || 'http:'
    self.requests = ObjectCreate(null)
    self.sockets = ObjectCreate(null)
    self.freeSockets = ObjectCreate(null)
  }
  Agent.prototype = ObjectCreate(nodeBuiltin('events').prototype)
  const AgentProto = /** @type {any} */ (Agent.prototype)
  hide(AgentProto, 'constructor', Agent)
  AgentProto.destroy = function destroy() {}
  AgentProto.getName = function getName(options) {
    const o = options || {}
    return (o.host || 'localhost') + ':' + (o.port || '') + ':' + (o.localAddress || '') + (o.family === 4 || o.family === 6 ? ':' + o.family : '')
  }
  AgentProto.createConnection = function createConnection() {
    throw nodeError(ErrorCtor, 'ERR_HTTP_NOT_ALLOWED', 'Rules have no sockets: requests go through the engine’s HTTP capability (modules.http).')
  }

  // An inert socket: what packages read off `req.socket` / `res.socket`, and no connection.
  function inertSocket() {
    const s = new (nodeBuiltin('events'))()
    const noop = function () {
      return s
    }
    s.setNoDelay = noop
    s.setKeepAlive = noop
    s.setTimeout = noop
    s.ref = noop
    s.unref = noop
    s.destroy = noop
    s.remoteAddress = undefined
    s.remotePort = undefined
    s.encrypted = false
    s.writable = false
    s.readable = false
    return s
  }

  function IncomingMessage(res, method, scheme) {
    const self = /** @type {any} */ (this)
    ReflectApply(Readable, self, [{}])
    const headers = {}
    const raw = []
    const decoded = res.headers['content-encoding'] !== undefined && StringPrototypeToLowerCase(StringCtor(res.headers['content-encoding'])) !== 'identity'
    const keys = ObjectKeys(res.headers)
    for (let i = 0; i < keys.length; i++) {
      const k = StringPrototypeToLowerCase(keys[i])
      if (k === 'set-cookie') continue
      // The host read the body decoded: its encoding and length are no longer the body's.
      if (decoded && (k === 'content-encoding' || k === 'content-length')) continue
      headers[k] = StringCtor(res.headers[keys[i]])
      push(raw, k)
      push(raw, headers[k])
    }
    const cookies = ArrayIsArray(res.setCookie) ? res.setCookie : res.headers['set-cookie'] !== undefined ? [res.headers['set-cookie']] : []
    if (cookies.length > 0) {
      headers['set-cookie'] = ArrayPrototypeMap(cookies, StringCtor)
      for (let i = 0; i < cookies.length; i++) {
        push(raw, 'set-cookie')
        push(raw, StringCtor(cookies[i]))
      }
    }
    self.statusCode = res.status
    self.statusMessage = res.statusText
    self.headers = headers
    self.rawHeaders = raw
    self.headersDistinct = undefined
    self.trailers = {}
    self.rawTrailers = []
    self.httpVersion = '1.1'
    self.httpVersionMajor = 1
    self.httpVersionMinor = 1
    self.complete = false
    self.aborted = false
    self.upgrade = false
    self.url = ''
    self.method = null
    self.socket = inertSocket()
    self.connection = self.socket
    hide(self, '_bytes', method === 'HEAD' ? new Uint8ArrayCtor(0) : res.body)
    hide(self, '_given', false)
  }
  IncomingMessage.prototype = ObjectCreate(Readable.prototype)
  const IncomingProto = /** @type {any} */ (IncomingMessage.prototype)
  hide(IncomingProto, 'constructor', IncomingMessage)
  IncomingProto._read = function _read() {
    const self = /** @type {any} */ (this)
    if (self._given) return
    self._given = true
    if (self._bytes.length > 0) self.push(toBuffer(self._bytes)) // live: the stream port's Readable
    self.complete = true
    self.push(null) // live: the stream port's Readable
  }
  IncomingProto.setTimeout = function setTimeoutOf(ms, cb) {
    if (typeof cb === 'function') this.once('timeout', cb) // live: the stream port's emitter
    return this
  }

  // Keeps what a request may carry to the host: one host call's worth, as bytes (4/3 as base64).
  const maxBodyBytes = MathFloor((settings.maxHostCallChars * 3) / 4)

  function ClientRequest(input, options, cb, scheme) {
    const self = /** @type {any} */ (this)
    ReflectApply(Writable, self, [{ decodeStrings: true }])
    const target = requestTarget(input, options, scheme)
    if (typeof cb === 'function') self.once('response', cb)
    self.method = target.method
    self.path = target.path
    self.host = target.hostname
    self.protocol = target.protocol
    self.agent = target.agent
    self.reusedSocket = false
    self.aborted = false
    self.destroyed = false
    self.finished = false
    self.writableEnded = false
    self.socket = inertSocket()
    self.connection = self.socket
    self.maxHeadersCount = null
    hide(self, '_headerMap', ObjectCreate(null))
    hide(self, '_url', target.url)
    hide(self, '_chunks', [])
    hide(self, '_size', 0)
    hide(self, '_timeoutMs', target.timeout)
    hide(self, '_timer', undefined)
    hide(self, '_responded', false)
    hide(self, '_sent', false)
    const names = ObjectKeys(target.headers)
    for (let i = 0; i < names.length; i++) self.setHeader(names[i], target.headers[names[i]])
    if (target.auth !== undefined && !self.hasHeader('authorization')) self.setHeader('Authorization', basic(target.auth.user, target.auth.pass))
    // Node answers on the next tick: listeners added now still hear 'socket'.
    QueueMicrotask(function () {
      if (!self.destroyed) self.emit('socket', self.socket)
    })
  }
  ClientRequest.prototype = ObjectCreate(Writable.prototype)
  const ClientProto = /** @type {any} */ (ClientRequest.prototype)
  hide(ClientProto, 'constructor', ClientRequest)
  ClientProto.setHeader = function setHeader(name, value) {
    checkHeaderName(name)
    checkHeaderValue(name, value)
    if (this._sent) throw nodeError(ErrorCtor, 'ERR_HTTP_HEADERS_SENT', 'Cannot set headers after they are sent to the client')
    this._headerMap[StringPrototypeToLowerCase(name)] = [name, value]
    return this
  }
  ClientProto.appendHeader = function appendHeader(name, value) {
    const old = this.getHeader(name)
    if (old === undefined) return this.setHeader(name, value)
    const list = ArrayIsArray(old) ? ArrayPrototypeMap(old, StringCtor) : [StringCtor(old)]
    const more = ArrayIsArray(value) ? value : [value]
    for (let i = 0; i < more.length; i++) push(list, StringCtor(more[i]))
    return this.setHeader(name, list)
  }
  ClientProto.getHeader = function getHeader(name) {
    if (typeof name !== 'string') throw nodeError(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE', 'The "name" argument must be of type string.')
    const e = this._headerMap[StringPrototypeToLowerCase(name)]
    return e === undefined ? undefined : e[1]
  }
  ClientProto.hasHeader = function hasHeader(name) {
    return this._headerMap[StringPrototypeToLowerCase(StringCtor(name))] !== undefined
  }
  ClientProto.removeHeader = function removeHeader(name) {
    if (this._sent) throw nodeError(ErrorCtor, 'ERR_HTTP_HEADERS_SENT', 'Cannot remove headers after they are sent to the client')
    delete this._headerMap[StringPrototypeToLowerCase(StringCtor(name))]
  }
  ClientProto.getHeaders = function getHeaders() {
    const out = ObjectCreate(null)
    const keys = ObjectKeys(this._headerMap)
    for (let i = 0; i < keys.length; i++) out[keys[i]] = this._headerMap[keys[i]][1]
    return out
  }
  ClientProto.getHeaderNames = function getHeaderNames() {
    return ObjectKeys(this._headerMap)
  }
  ClientProto.getRawHeaderNames = function getRawHeaderNames() {
    const map = this._headerMap
    return ArrayPrototypeMap(ObjectKeys(map), function (k) {
      return map[k][0]
    })
  }
  ClientProto.flushHeaders = function flushHeaders() {}
  ClientProto.setNoDelay = function setNoDelay() {}
  ClientProto.setSocketKeepAlive = function setSocketKeepAlive() {}
  // Node's idle timeout: 'timeout' is emitted while no answer came, and nothing is aborted (the
  // listener decides); the policy's own timeout still ends the request.
  ClientProto.setTimeout = function setTimeoutOf(ms, cb) {
    const self = /** @type {any} */ (this)
    if (typeof cb === 'function') self.once('timeout', cb)
    if (self._timer !== undefined) clearTimeout(self._timer)
    self._timer = undefined
    const delay = NumberCtor(ms)
    if (delay > 0 && !self._responded)
      self._timer = setTimeout(function () {
        self._timer = undefined
        if (!self._responded && !self.destroyed) self.emit('timeout')
      }, delay)
    return self
  }
  ClientProto._write = function _write(chunk, encoding, callback) {
    const bytes = bytesOf(chunk) || utf8Encode(StringCtor(chunk))
    this._size += bytes.length
    if (this._size > maxBodyBytes) {
      callback(
        nodeError(RangeErrorCtor, 'ERR_HTTP_BODY_TOO_LARGE', 'The request body is larger than the sandbox sends in one request (' + maxBodyBytes + ' bytes).'),
      )
      return
    }
    push(this._chunks, bytes)
    callback()
  }
  ClientProto._final = function _final(callback) {
    const self = /** @type {any} */ (this)
    self.finished = true
    self.writableEnded = true
    sendClientRequest(self)
    callback()
  }
  ClientProto.abort = function abort() {
    if (this.aborted) return
    this.aborted = true
    const self = /** @type {any} */ (this)
    QueueMicrotask(function () {
      self.emit('abort')
    })
    self.destroy()
  }
  ClientProto._destroy = function _destroy(err, callback) {
    const self = /** @type {any} */ (this)
    self.destroyed = true
    if (self._timer !== undefined) clearTimeout(self._timer)
    // Node: destroying a request that has no answer yet fails it with 'socket hang up'.
    if (!self._responded && err === null) {
      callback(nodeError(ErrorCtor, 'ECONNRESET', 'socket hang up'))
      return
    }
    callback(err)
  }

  function sendClientRequest(req) {
    const headers = {}
    const keys = ObjectKeys(req._headerMap)
    for (let i = 0; i < keys.length; i++) {
      if (ArrayPrototypeIndexOf(HOP_HEADERS, keys[i]) !== -1 || keys[i] === 'host') continue
      const v = req._headerMap[keys[i]][1]
      headers[keys[i]] = ArrayIsArray(v) ? ArrayPrototypeJoin(ArrayPrototypeMap(v, StringCtor), keys[i] === 'cookie' ? '; ' : ', ') : StringCtor(v)
    }
    let body
    if (req._chunks.length > 0) {
      const all = new Uint8ArrayCtor(req._size)
      let at = 0
      for (let i = 0; i < req._chunks.length; i++) {
        ReflectApply(TypedArraySet, all, [req._chunks[i], at])
        at += req._chunks[i].length
      }
      body = toBuffer(all)
    }
    req._sent = true
    req._chunks = []
    if (!settings.fetch) {
      QueueMicrotask(function () {
        failClientRequest(
          req,
          nodeError(ErrorCtor, 'ERR_HTTP_NOT_ALLOWED', 'HTTP requests are not allowed for rules (the integrator has not set modules.http).'),
        )
      })
      return
    }
    let call
    try {
      call = httpCall({ url: req._url, method: req.method, headers: headers, body: body, redirect: 'manual' })
    } catch (e) {
      QueueMicrotask(function () {
        failClientRequest(req, e)
      })
      return
    }
    PromisePrototypeThen(
      call,
      function (res) {
        if (req.destroyed) return
        req._responded = true
        if (req._timer !== undefined) clearTimeout(req._timer)
        const message = new IncomingMessage(res, req.method)
        message.req = req
        req.res = message
        if (!req.emit('response', message)) message.resume() // live: the stream port's Readable (Node dumps an unheard answer)
        message.once('end', function () {
          req.emit('close')
        }) // live: the stream port's emitter
      },
      function (e) {
        failClientRequest(req, e)
      },
    )
  }
  function failClientRequest(req, e) {
    if (req.destroyed) return
    req.destroy(e)
  }

  // (url | URL | options, [options], [callback]) as Node reads them, for one scheme's module.
  function requestTarget(input, options, scheme) {
    let o = {}
    if (typeof input === 'string' || input instanceof URL) {
      const u = typeof input === 'string' ? new URL(input) : input
      o = {
        protocol: u.protocol,
        hostname: StringPrototypeReplace(u.hostname, /^\[|\]$/g, ''),
        port: u.port === '' ? undefined : u.port,
        path: u.pathname + u.search,
        auth: u.username !== '' || u.password !== '' ? tryDecode(u.username) + ':' + tryDecode(u.password) : undefined,
      }
      if (options !== null && typeof options === 'object') o = ObjectAssign(o, options)
    } else if (input !== null && typeof input === 'object') o = ObjectAssign({}, input)
    else if (input !== undefined) throw nodeError(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE', 'The "url" argument must be of type string or an instance of URL.')
    const agent = o.agent
    const defaultProtocol = scheme + ':'
    const protocol = o.protocol || (agent && agent.protocol) || defaultProtocol
    if (protocol !== defaultProtocol)
      throw nodeError(TypeErrorCtor, 'ERR_INVALID_PROTOCOL', 'Protocol "' + protocol + '" not supported. Expected "' + defaultProtocol + '"')
    if (o.socketPath !== undefined && o.socketPath !== null)
      throw nodeError(ErrorCtor, 'ERR_HTTP_NOT_ALLOWED', 'Rules have no sockets (socketPath): requests go through the engine’s HTTP capability (modules.http).')
    const method = o.method === undefined || o.method === null ? 'GET' : StringCtor(o.method)
    if (!RegExpPrototypeTest(TOKEN, method)) throw nodeError(TypeErrorCtor, 'ERR_INVALID_HTTP_TOKEN', 'Method must be a valid HTTP token ["' + method + '"]')
    let hostname = o.hostname || o.host || 'localhost'
    hostname = StringCtor(hostname)
    if (!o.hostname && o.host && RegExpPrototypeTest(/^[^\[].*:\d+$/, hostname)) hostname = StringPrototypeReplace(hostname, /:\d+$/, '')
    const defaultPort = o.defaultPort || (agent && agent.defaultPort) || (scheme === 'https' ? 443 : 80)
    const port = o.port === undefined || o.port === null || o.port === '' ? defaultPort : NumberCtor(o.port)
    const path = o.path === undefined || o.path === null ? '/' : StringCtor(o.path)
    if (RegExpPrototypeTest(/[\u0000-\u0020]/, path)) throw nodeError(TypeErrorCtor, 'ERR_UNESCAPED_CHARACTERS', 'Request path contains unescaped characters')
    const hostPart = StringPrototypeIndexOf(hostname, ':') !== -1 ? '[' + hostname + ']' : hostname
    const url = defaultProtocol + '//' + hostPart + (port === (scheme === 'https' ? 443 : 80) ? '' : ':' + port) + (path[0] === '/' ? path : '/' + path)
    const headers = {}
    if (ArrayIsArray(o.headers)) {
      for (let i = 0; i + 1 < o.headers.length; i += 2) headers[StringCtor(o.headers[i])] = o.headers[i + 1]
    } else if (o.headers !== null && typeof o.headers === 'object') {
      const keys = ObjectKeys(o.headers)
      for (let i = 0; i < keys.length; i++) if (o.headers[keys[i]] !== undefined) headers[keys[i]] = o.headers[keys[i]]
    }
    let auth
    if (typeof o.auth === 'string') {
      const colon = StringPrototypeIndexOf(o.auth, ':')
      auth =
        colon === -1
          ? { user: o.auth, pass: '' }
          : { user: ReflectApply(StringSlice, o.auth, [0, colon]), pass: ReflectApply(StringSlice, o.auth, [colon + 1]) }
    }
    const timeout = o.timeout > 0 ? NumberCtor(o.timeout) : undefined
    return {
      url: url,
      method: StringPrototypeToUpperCase(method),
      path: path,
      hostname: hostname,
      protocol: defaultProtocol,
      agent: agent,
      headers: headers,
      auth: auth,
      timeout: timeout,
    }
  }

  function makeModule(scheme) {
    const globalAgent = new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000, defaultPort: scheme === 'https' ? 443 : 80, protocol: scheme + ':' })
    const mod = {}
    const request = function request(input, options, cb) {
      if (typeof options === 'function') {
        cb = options
        options = undefined
      }
      const req = new ClientRequest(input, options, cb, scheme)
      if (req._timeoutMs !== undefined) req.setTimeout(req._timeoutMs)
      return req
    }
    mod.request = request
    mod.get = function get(input, options, cb) {
      const req = request(input, options, cb)
      req.end()
      return req
    }
    mod.Agent = Agent
    mod.globalAgent = globalAgent
    mod.ClientRequest = ClientRequest
    mod.IncomingMessage = IncomingMessage
    mod.OutgoingMessage = Writable
    mod.STATUS_CODES = NODE_STATUS_CODES
    mod.METHODS = NODE_METHODS
    mod.maxHeaderSize = 16384
    mod.validateHeaderName = checkHeaderName
    mod.validateHeaderValue = checkHeaderValue
    const refuse = function () {
      throw nodeError(ErrorCtor, 'ERR_HTTP_NOT_ALLOWED', 'Rules cannot listen for connections: the ' + scheme + ' module is a client here.')
    }
    mod.createServer = refuse
    mod.Server = refuse
    mod.ServerResponse = refuse
    mod.default = mod
    return mod
  }
  return { http: makeModule('http'), https: makeModule('https') }
}
