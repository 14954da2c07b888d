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
