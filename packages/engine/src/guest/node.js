// Node's built-in modules for bundled packages and rules: sandbox-safe ports that need no host
// (events, stream, util, path, …), a powerless `process`, and `require.cache`.
//
// The npm ports (browserify's events, stream, util, path, string_decoder, assert, os, zlib and
// punycode) are one bundle (lib/packages.ts's nodePortsSource), asked of the host and evaluated the
// first time a rule or package needs one of them; each port initialises on first access. They call
// nothing of the host: their `buffer` is the sandbox's Buffer, their `process` the one below. The
// modules a sandbox must never have (fs, net, child_process, …) load, for packages that only touch
// them on paths a rule does not take, but every function and constructor on them throws.

// ---- process: what packages read of it, and nothing of the host ------------------------------------
/** The Node version the sandbox claims: Auth0's last runtime for Rules (the legacy extensibility's Node 16). */
const NODE_VERSION = '16.20.2'
/** How many process.nextTick callbacks one run may have waiting at once. */
const MAX_PENDING_TICKS = 10000
let pendingTicks = 0
let ticksOfRun = null
// The sandbox's clock in milliseconds: the integrator's when it set `clock`, else the isolate's.
function clockMs() {
  return settings.clock && run !== null && !run.finished ? callHost('$clock', []) : now()
}
const processStartedMs = now()

function notAllowed(moduleName, member, why) {
  const err = new ErrorCtor(moduleName + '.' + member + ' is not available in the sandbox: ' + why)
  define(err, 'code', 'ERR_MODULE_NOT_ALLOWED')
  define(err, 'moduleName', moduleName)
  define(err, 'member', member)
  ReflectApply(WeakSetAdd, moduleErrorBrand, [err])
  return err
}
function refusedProcessMember(member) {
  const fn = function () {
    throw notAllowed('process', member, 'rules and their packages have no process of the host.')
  }
  return fn
}
function nextTick(fn) {
  if (typeof fn !== 'function') {
    const err = new TypeErrorCtor('The "callback" argument must be of type function. Received ' + (fn === null ? 'null' : typeof fn))
    define(err, 'code', 'ERR_INVALID_ARG_TYPE')
    throw err
  }
  const r = run
  // As timers: outside a run (or after it and its background), nothing is scheduled.
  if (!runOpen(r)) return
  if (ticksOfRun !== r) {
    ticksOfRun = r
    pendingTicks = 0
  }
  if (pendingTicks >= MAX_PENDING_TICKS) {
    throw runLimit('maxPendingTicks', 'Too many process.nextTick callbacks waiting in one run (limit ' + MAX_PENDING_TICKS + ').')
  }
  pendingTicks++
  const owner = { fn: fn, rule: r.currentRule, failed: r.currentFailed }
  const args = rest(arguments, 1)
  // A tick waiting is open work of the run (streams end, and Node's http sends, on a tick).
  const release = holdRun()
  QueueMicrotask(function tick() {
    if (ticksOfRun === r) pendingTicks--
    try {
      if (run === r && runOpen(r)) callOnBehalf(r, owner, args)
    } finally {
      release()
    }
  })
}
function hrtime(previous) {
  const ms = clockMs() - processStartedMs
  let seconds = MathFloor(ms / 1000)
  let nanos = MathFloor((ms - seconds * 1000) * 1e6)
  if (previous !== undefined) {
    if (!ArrayIsArray(previous) || previous.length !== 2) {
      const err = new TypeErrorCtor('The "time" argument must be an instance of Array of length 2.')
      define(err, 'code', 'ERR_INVALID_ARG_TYPE')
      throw err
    }
    seconds -= +previous[0]
    nanos -= +previous[1]
    if (nanos < 0) {
      seconds--
      nanos += 1e9
    }
  }
  return [seconds, nanos]
}
hrtime.bigint = function bigint() {
  return BigIntCtor(MathFloor((clockMs() - processStartedMs) * 1e6))
}
// An output stream of the process: what a package writes goes to the run's logs.
function processOutput(fd, level) {
  const stream = {
    fd: fd,
    isTTY: false,
    writable: true,
    write: function write(chunk, encoding, callback) {
      let text = typeof chunk === 'string' ? chunk : bytesOf(chunk) !== undefined ? utf8Decode(chunk) : StringCtor(chunk)
      if (text[text.length - 1] === '\n') text = ReflectApply(StringSlice, text, [0, text.length - 1])
      logLine(level, [text])
      const done = typeof encoding === 'function' ? encoding : callback
      if (typeof done === 'function') nextTick(done)
      return true
    },
  }
  addNoopEmitter(stream)
  return stream
}
// on/once/emit as an emitter no one ever emits on: listeners are accepted and never called.
function addNoopEmitter(target) {
  const self = function () {
    return target
  }
  const names = ['on', 'once', 'off', 'addListener', 'removeListener', 'removeAllListeners', 'prependListener', 'prependOnceListener', 'setMaxListeners']
  for (let i = 0; i < names.length; i++) define(target, names[i], self)
  define(target, 'emit', function emit() {
    return false
  })
  define(target, 'listeners', function listeners() {
    return []
  })
  define(target, 'rawListeners', function rawListeners() {
    return []
  })
  define(target, 'listenerCount', function listenerCount() {
    return 0
  })
  define(target, 'eventNames', function eventNames() {
    return []
  })
  define(target, 'getMaxListeners', function getMaxListeners() {
    return 10
  })
}
function processEnv() {
  const env = {}
  const source = settings.process.env
  const names = ObjectKeys(source)
  for (let i = 0; i < names.length; i++) define(env, names[i], StringCtor(source[names[i]]))
  return env
}
const processObject = {
  title: 'node',
  version: 'v' + NODE_VERSION,
  versions: { node: NODE_VERSION },
  release: { name: 'node' },
  platform: 'linux',
  arch: 'x64',
  env: processEnv(),
  argv: ['node'],
  argv0: 'node',
  execArgv: [],
  execPath: '/usr/local/bin/node',
  pid: 1,
  ppid: 0,
  exitCode: undefined,
  features: {},
  config: { variables: {} },
  browser: false,
  nextTick: nextTick,
  hrtime: hrtime,
  cwd: function cwd() {
    return '/'
  },
  uptime: function uptime() {
    return (clockMs() - processStartedMs) / 1000
  },
  umask: function umask() {
    return 18
  },
  emitWarning: function emitWarning(warning, type, code) {
    const name = typeof type === 'string' ? type : type !== null && typeof type === 'object' && typeof type.type === 'string' ? type.type : 'Warning'
    const text = warning !== null && typeof warning === 'object' && isError(warning) ? describeThrown(warning).message : StringCtor(warning)
    const codeText = typeof code === 'string' ? code : type !== null && typeof type === 'object' && typeof type.code === 'string' ? type.code : undefined
    logLine('warn', ['(node) ' + (codeText === undefined ? '' : '[' + codeText + '] ') + name + ': ' + text])
  },
  stdout: processOutput(1, 'log'),
  stderr: processOutput(2, 'error'),
  binding: refusedProcessMember('binding'),
  _linkedBinding: refusedProcessMember('_linkedBinding'),
  dlopen: refusedProcessMember('dlopen'),
  exit: refusedProcessMember('exit'),
  reallyExit: refusedProcessMember('reallyExit'),
  abort: refusedProcessMember('abort'),
  kill: refusedProcessMember('kill'),
  chdir: refusedProcessMember('chdir'),
  cpuUsage: refusedProcessMember('cpuUsage'),
  memoryUsage: refusedProcessMember('memoryUsage'),
  resourceUsage: refusedProcessMember('resourceUsage'),
  setuid: refusedProcessMember('setuid'),
  setgid: refusedProcessMember('setgid'),
}
addNoopEmitter(processObject)
ObjectDefineProperty(G, 'process', { value: processObject, writable: true, enumerable: false, configurable: true })

// ---- the built-ins a sandbox never has ------------------------------------------------------------
// Every name Node's `require` knows as a built-in (Node 24's builtinModules, without 'node:').
const NODE_BUILTIN_NAMES = [
  '_http_agent',
  '_http_client',
  '_http_common',
  '_http_incoming',
  '_http_outgoing',
  '_http_server',
  '_stream_duplex',
  '_stream_passthrough',
  '_stream_readable',
  '_stream_transform',
  '_stream_wrap',
  '_stream_writable',
  '_tls_common',
  '_tls_wrap',
  'assert',
  'assert/strict',
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'console',
  'constants',
  'crypto',
  'dgram',
  'diagnostics_channel',
  'dns',
  'dns/promises',
  'domain',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'inspector',
  'inspector/promises',
  'module',
  'net',
  'os',
  'path',
  'path/posix',
  'path/win32',
  'perf_hooks',
  'process',
  'punycode',
  'querystring',
  'readline',
  'readline/promises',
  'repl',
  'stream',
  'stream/consumers',
  'stream/promises',
  'stream/web',
  'string_decoder',
  'sys',
  'timers',
  'timers/promises',
  'tls',
  'trace_events',
  'tty',
  'url',
  'util',
  'util/types',
  'v8',
  'vm',
  'wasi',
  'worker_threads',
  'zlib',
  'sea',
  'sqlite',
  'test',
  'test/reporters',
]
const nodeBuiltinNames = new MapCtor()
for (let i = 0; i < NODE_BUILTIN_NAMES.length; i++) ReflectApply(MapSet, nodeBuiltinNames, [NODE_BUILTIN_NAMES[i], true])
/** Whether `name` (without 'node:') is one of Node's built-in modules. */
function isNodeBuiltin(name) {
  return ReflectApply(MapHas, nodeBuiltinNames, [name])
}
// Keys a refused module answers as a plain object would (undefined): the ones module loaders and
// promise machinery probe, so that loading one never looks like an ES module or a thenable.
const REFUSED_PROBES = ['__esModule', 'then', 'default', 'toJSON', 'inspect', 'asymmetricMatch', '$$typeof', 'nodeType']
function isProbe(key) {
  return ArrayPrototypeIndexOf(REFUSED_PROBES, key) !== -1
}
/**
 * A module the sandbox never has, as a package sees it: it loads, any member it reads is a
 * function (an object of further members), and calling or constructing any of them throws
 * ERR_MODULE_NOT_ALLOWED naming the module and the member.
 * @param {string} moduleName
 * @param {string} why
 */
function refusedModule(moduleName, why) {
  const member = function (target, path) {
    return new ProxyCtor(target, {
      get: function (t, key, receiver) {
        if (typeof key !== 'string' || key in t || isProbe(key)) return ReflectGet(t, key, receiver)
        const child = member(function refused() {}, path === '' ? key : path + '.' + key)
        define(t, key, child)
        return child
      },
      apply: function () {
        throw notAllowed(moduleName, path, why)
      },
      construct: function () {
        throw notAllowed(moduleName, path, why)
      },
    })
  }
  return member({}, '')
}
function refusedBuiltin(name) {
  return refusedModule(name, "the sandbox has no '" + name + "' (no file system, network, processes, threads or host internals for rules and their packages).")
}

// ---- the ports ------------------------------------------------------------------------------------
let nodePorts
function loadNodePorts() {
  if (nodePorts === undefined) {
    const source = callHost('$nodeSource', [])
    /** @type {{ exports: any }} */
    const cjs = { exports: {} }
    ReflectApply(IndirectEval(source), undefined, [
      cjs,
      cjs.exports,
      function portRequire(name) {
        if (name === 'buffer') return nodeBuiltin('buffer')
        if (name === 'process') return processObject
        throw moduleError(name, "The ports of Node's built-ins require '" + name + "', which the sandbox does not give them.")
      },
    ])
    nodePorts = cjs.exports
  }
  return nodePorts
}
// Node's util.format (lib/internal/util/inspect.js's formatWithOptions, without colours), over
// the port's inspect.
function nodeFormat(inspect) {
  const show = function (v) {
    return typeof v === 'string' ? v : inspect(v)
  }
  const numberText = function (n) {
    return n === 0 && 1 / n < 0 ? '-0' : StringCtor(n)
  }
  return function format(f) {
    const args = arguments
    if (typeof f !== 'string') {
      let out = ''
      for (let i = 0; i < args.length; i++) out += (i === 0 ? '' : ' ') + show(args[i])
      return out
    }
    let out = ''
    let next = 1
    let last = 0
    for (let i = 0; i < f.length - 1; i++) {
      if (f[i] !== '%') continue
      const c = f[i + 1]
      if (c === '%') {
        out += ReflectApply(StringSlice, f, [last, i]) + '%'
        last = i + 2
        i++
        continue
      }
      if (next >= args.length || ReflectApply(StringIndexOf, 'sdifjoOc', [c]) === -1) continue
      const a = args[next++]
      let text
      if (c === 's') {
        text =
          typeof a === 'bigint'
            ? StringCtor(a) + 'n'
            : typeof a === 'number'
              ? numberText(a)
              : a !== null && typeof a === 'object'
                ? inspect(a, { depth: 0 })
                : StringCtor(a)
      } else if (c === 'd') text = typeof a === 'bigint' ? StringCtor(a) + 'n' : typeof a === 'symbol' ? 'NaN' : numberText(NumberCtor(a))
      else if (c === 'i') text = typeof a === 'bigint' ? StringCtor(a) + 'n' : typeof a === 'symbol' ? 'NaN' : numberText(ParseInt(a))
      else if (c === 'f') text = typeof a === 'symbol' ? 'NaN' : numberText(ParseFloat(a))
      else if (c === 'j') {
        try {
          text = JSONStringify(a)
        } catch (e) {
          text = '[Circular]'
        }
      } else if (c === 'o') text = inspect(a, { showHidden: true, depth: 4 })
      else if (c === 'O') text = inspect(a)
      else text = ''
      out += ReflectApply(StringSlice, f, [last, i]) + text
      last = i + 2
      i++
    }
    out += ReflectApply(StringSlice, f, [last])
    for (; next < args.length; next++) out += ' ' + show(args[next])
    return out
  }
}
// What the ports leave out of Node's surface that packages use, added once to each.
function port(name) {
  const mod = loadNodePorts()[name]
  if (name === 'util') {
    if (mod.TextEncoder === undefined) mod.TextEncoder = TextEncoder
    if (mod.TextDecoder === undefined) mod.TextDecoder = TextDecoder
    if (mod.inspect.custom === undefined) mod.inspect.custom = SymbolFor('nodejs.util.inspect.custom')
    // util@0.12's format knows %s, %d, %j: Node's knows %i, %f, %o, %O and %c too.
    mod.format = nodeFormat(mod.inspect)
  } else if (name === 'os') {
    // os-browserify reads the page's location and navigator: the sandbox claims what process does.
    mod.hostname = function hostname() {
      return 'localhost'
    }
    mod.platform = function platform() {
      return processObject.platform
    }
    mod.type = function type() {
      return 'Linux'
    }
    mod.arch = function arch() {
      return processObject.arch
    }
  } else if (name === 'zlib' && mod.constants === undefined) {
    // Node's zlib.constants: the Z_* numbers browserify-zlib exports one by one.
    const constants = {}
    const keys = ObjectKeys(mod)
    for (let i = 0; i < keys.length; i++)
      if (ReflectApply(StringSlice, keys[i], [0, 2]) === 'Z_' && typeof mod[keys[i]] === 'number') define(constants, keys[i], mod[keys[i]])
    mod.constants = constants
  }
  return mod
}
function timersPromises() {
  const later = function (schedule) {
    return function (delay, value) {
      return new PromiseCtor(function (resolve) {
        schedule(function () {
          resolve(value)
        }, delay)
      })
    }
  }
  return {
    setTimeout: later(setTimeout),
    setImmediate: function (value) {
      return later(function (fn) {
        return setImmediate(fn)
      })(0, value)
    },
  }
}
const nodeBuiltinCache = new MapCtor()
/**
 * The sandbox's version of Node's built-in module `name` ('node:' optional): a port, the sandbox's
 * own (url, querystring, buffer, crypto, http, https), or, for one it never has, a module whose
 * members throw when called. Undefined for a name that is no built-in.
 * @param {string} name
 */
function nodeBuiltin(name) {
  let key = StringCtor(name)
  if (ReflectApply(StringSlice, key, [0, 5]) === 'node:') key = ReflectApply(StringSlice, key, [5])
  if (ReflectApply(MapHas, nodeBuiltinCache, [key])) return ReflectApply(MapGet, nodeBuiltinCache, [key])
  let mod
  switch (key) {
    case 'events':
    case 'stream':
    case 'util':
    case 'path':
    case 'string_decoder':
    case 'assert':
    case 'os':
    case 'zlib':
    case 'punycode':
      mod = port(key)
      break
    case 'sys':
      mod = nodeBuiltin('util')
      break
    case 'util/types':
      mod = nodeBuiltin('util').types
      break
    case 'assert/strict':
      mod = nodeBuiltin('assert').strict
      break
    case 'path/posix':
      mod = nodeBuiltin('path')
      break
    case 'process':
      mod = processObject
      break
    case 'console':
      mod = consoleObject
      break
    case 'timers':
      mod = { setTimeout, setInterval, setImmediate, clearTimeout, clearInterval: clearTimeout, clearImmediate: clearTimeout }
      break
    case 'timers/promises':
      mod = timersPromises()
      break
    case 'tty': {
      const terminal = refusedBuiltin('tty')
      mod = {
        isatty: function isatty() {
          return false
        },
        ReadStream: terminal.ReadStream,
        WriteStream: terminal.WriteStream,
      }
      break
    }
    case 'url':
      mod = urlModule
      break
    case 'querystring':
      mod = querystringModule
      break
    case 'buffer':
      mod = { Buffer: loadBuffer(), kMaxLength: 4294967296, constants: { MAX_LENGTH: 4294967296, MAX_STRING_LENGTH: 536870888 } }
      break
    case 'crypto':
      mod = cryptoModule
      break
    case 'http':
    case 'https':
      mod = nodeHttpModule(key)
      break
    default:
      if (!isNodeBuiltin(key)) return undefined
      mod = refusedBuiltin(key)
  }
  ReflectApply(MapSet, nodeBuiltinCache, [key, mod])
  return mod
}
