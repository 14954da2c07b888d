// The guest half of the host bridge (see lib/host-bridge.ts for the protocol), `require`, and the
// `auth0` object.
// ---- the host bridge -------------------------------------------------------------------------------
const MARK = JSONStringify('\u0000')
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_INDEX = new MapCtor()
for (let i = 0; i < 64; i++) ReflectApply(MapSet, B64_INDEX, [B64[i], i])

function bytesOf(view) {
  // A Uint8Array over the same memory as any ArrayBuffer view, or undefined.
  if (!ArrayBufferIsView(view)) return undefined
  return new Uint8ArrayCtor(ReflectApply(TypedArrayBuffer, view, []), ReflectApply(TypedArrayOffset, view, []), ReflectApply(TypedArrayLength, view, []))
}
function bytesToBase64(bytes) {
  let out = ''
  const n = bytes.length
  for (let i = 0; i < n; i += 3) {
    const a = bytes[i],
      b = i + 1 < n ? bytes[i + 1] : 0,
      c = i + 2 < n ? bytes[i + 2] : 0
    out += B64[a >> 2] + B64[((a & 3) << 4) | (b >> 4)] + (i + 1 < n ? B64[((b & 15) << 2) | (c >> 6)] : '=') + (i + 2 < n ? B64[c & 63] : '=')
  }
  return out
}
function base64ToBytes(text) {
  let clean = ''
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] === '-' ? '+' : text[i] === '_' ? '/' : text[i]
    if (ReflectApply(MapHas, B64_INDEX, [ch])) clean += ch
  }
  const out = new Uint8ArrayCtor((clean.length * 3) >> 2)
  let bits = 0,
    value = 0,
    o = 0
  for (let i = 0; i < clean.length; i++) {
    value = (value << 6) | ReflectApply(MapGet, B64_INDEX, [clean[i]])
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (value >> bits) & 255
    }
  }
  return out
}

function encodeArg(v, r, depth, seen) {
  switch (typeof v) {
    case 'undefined':
    case 'symbol':
      return '{' + MARK + ':"u"}'
    case 'string':
      return JSONStringify(v)
    case 'number':
      return NumberIsFinite(v) ? JSONStringify(v) : 'null'
    case 'boolean':
      return v ? 'true' : 'false'
    case 'bigint':
      return JSONStringify(StringCtor(v))
    case 'function': {
      if (r.fnSeq >= settings.caps.maxCallbacks) {
        throw runLimit('maxCallbacks', 'Too many functions passed to host functions in one run (limit ' + settings.caps.maxCallbacks + ').')
      }
      const id = ++r.fnSeq
      ReflectApply(MapSet, r.fns, [id, { fn: v, rule: r.currentRule, failed: r.currentFailed }])
      return '{' + MARK + ':"f","id":' + id + '}'
    }
  }
  if (v === null) return 'null'
  if (depth > 64) throw new TypeErrorCtor('A value passed to a host function is nested more than 64 levels deep.')
  for (let i = 0; i < seen.length; i++) if (seen[i] === v) throw new TypeErrorCtor('Cannot pass a circular value to a host function.')
  const bytes = bytesOf(v)
  if (bytes !== undefined) return '{' + MARK + ':"b","d":' + JSONStringify(bytesToBase64(bytes)) + '}'
  const time = ArrayIsArray(v) ? undefined : dateTimeOf(v, ObjectGetPrototypeOf(v))
  if (time !== undefined) return time !== time ? 'null' : JSONStringify(ReflectApply(DateToISOString, v, []))
  push(seen, v)
  let out
  if (ArrayIsArray(v)) {
    const lengthDesc = ObjectGetOwnPropertyDescriptor(v, 'length')
    const length = lengthDesc === undefined ? 0 : lengthDesc.value
    out = '['
    for (let i = 0; i < length; i++) out += (i === 0 ? '' : ',') + encodeArg(own(v, i), r, depth + 1, seen)
    out += ']'
  } else {
    const keys = ObjectKeys(v)
    out = '{'
    let first = true
    for (let i = 0; i < keys.length; i++) {
      const d = ObjectGetOwnPropertyDescriptor(v, keys[i])
      if (d === undefined || !d.enumerable || !isData(d)) continue
      // Keys starting with the marker get one more: a rule's { "\u0000": "f" } stays data.
      const key = keys[i][0] === '\u0000' ? '\u0000' + keys[i] : keys[i]
      out += (first ? '' : ',') + JSONStringify(key) + ':' + encodeArg(d.value, r, depth + 1, seen)
      first = false
    }
    out += '}'
  }
  seen.length = seen.length - 1
  return out
}

function decodeValue(v) {
  if (v === null || typeof v !== 'object') return v
  const mark = own(v, '\u0000')
  if (mark === 'u') return undefined
  if (mark === 'b') return toBuffer(base64ToBytes(own(v, 'd')))
  if (mark === 'e') return hostError(v)
  const keys = ObjectKeys(v)
  for (let i = 0; i < keys.length; i++) {
    const value = decodeValue(v[keys[i]])
    if (keys[i][0] === '\u0000') {
      delete v[keys[i]]
      define(v, ReflectApply(StringSlice, keys[i], [1]), value)
    } else define(v, keys[i], value)
  }
  return v
}
function toBuffer(bytes) {
  const B = loadBuffer()
  return B === undefined
    ? bytes
    : B.from(ReflectApply(TypedArrayBuffer, bytes, []), ReflectApply(TypedArrayOffset, bytes, []), ReflectApply(TypedArrayLength, bytes, []))
}

function hostError(e) {
  const name = own(e, 'name')
  const err = new (name === 'TypeError' ? TypeErrorCtor : name === 'RangeError' ? RangeErrorCtor : ErrorCtor)(safeString(own(e, 'message'), 4096))
  const props = own(e, 'props')
  if (props !== null && typeof props === 'object') {
    const keys = ObjectKeys(props)
    for (let i = 0; i < keys.length; i++) if (keys[i] !== '__proto__') define(err, keys[i], decodeValue(props[keys[i]]))
  }
  if (typeof name === 'string' && name !== 'Error' && name !== 'TypeError' && name !== 'RangeError') define(err, 'name', name)
  return err
}

/**
 * Call the engine capability `id` (see HostCalls in contract.ts) with `args`.
 * @template {HostCallId} K
 * @param {K} id
 * @param {HostCalls[K]['args']} args
 * @param {boolean} [mustSettle] the run may not end before this operation settled (data the token depends on)
 * @returns {HostCalls[K]['result']}
 */
function callHost(id, args, mustSettle) {
  return invokeHost(id, args, mustSettle)
}
// Call host function id with rule-supplied args: its value, a promise of it, or a thrown Error.
/**
 * @param {string} id
 * @param {ArrayLike<unknown>} args
 * @param {boolean} [mustSettle]
 * @returns {any}
 */
function invokeHost(id, args, mustSettle) {
  const r = run
  if (!runOpen(r)) throw new ErrorCtor('Host functions can only be called while a rule runs.')
  if (ReflectApply(MapSize, r.pending, []) >= settings.caps.maxPendingHostOperations) {
    throw runLimit(
      'maxPendingHostOperations',
      'Too many host operations pending in one run (limit ' + settings.caps.maxPendingHostOperations + '); wait for some to settle.',
    )
  }
  const encoded = encodeCall(r, args)
  // With the host functions in another process, the guest's thread waits for the answer (the
  // host's main thread must stay free to receive it).
  let text = settings.remote ? ReflectApply(HostAwaitApply, hostAwait, [undefined, [r.id, id, encoded, 1]]) : hostInvoke(r.id, id, encoded)
  // The host's event loop has done its share of host work this turn (lib/turn-budget.ts): the same
  // call again, answered once the loop has turned; only this thread waits meanwhile.
  while (text === '{"y":1}') text = ReflectApply(HostAwaitApply, hostAwait, [undefined, [r.id, id, encoded, 2]])
  if (typeof text !== 'string') throw new ErrorCtor('The host did not answer.')
  const res = JSONParse(text)
  failedOnHost(r, res)
  const e = own(res, 'e')
  if (e !== undefined) throw hostError(e)
  const p = own(res, 'p')
  if (p !== undefined) {
    return new PromiseCtor(function (resolve, reject) {
      const op = { resolve: resolve, reject: reject, rule: r.currentRule, mustSettle: mustSettle === true, id: id }
      ReflectApply(MapSet, r.pending, [p, op])
      // Started after the pipeline ended: background work (runtime.js).
      if (r.bg !== null) trackOperation(r, p, op)
    })
  }
  return decodeValue(own(res, 'v'))
}

/**
 * Call the engine capability `id`, whose work the host does off its main thread (a worker's), and
 * wait for it: this isolate's thread blocks until the answer comes, the host's main thread does not.
 * @template {HostCallId} K
 * @param {K} id
 * @param {HostCalls[K]['args']} args
 * @returns {Awaited<HostCalls[K]['result']>}
 */
function awaitHost(id, args) {
  const r = run
  if (!runOpen(r)) throw new ErrorCtor('Host functions can only be called while a rule runs.')
  const text = ReflectApply(HostAwaitApply, hostAwait, [undefined, [r.id, id, encodeCall(r, args)]])
  if (typeof text !== 'string') throw new ErrorCtor('The host did not answer.')
  const res = JSONParse(text)
  failedOnHost(r, res)
  const e = own(res, 'e')
  if (e !== undefined) throw hostError(e)
  return decodeValue(own(res, 'v'))
}
// The arguments of one host call as JSON text, at most settings.maxHostCallChars long: past that
// a RangeError, before anything leaves the isolate (copying and parsing would cost the host).
function encodeCall(r, args) {
  let encoded = '['
  for (let i = 0; i < args.length; i++) {
    encoded += (i === 0 ? '' : ',') + encodeArg(args[i], r, 0, [])
    if (encoded.length > settings.maxHostCallChars) break
  }
  encoded += ']'
  if (encoded.length > settings.maxHostCallChars) {
    const err = new RangeErrorCtor(
      'The arguments of this call are too large for the sandbox: more than ' +
        settings.maxHostCallChars +
        ' characters once encoded (bytes count 4/3, as base64).',
    )
    define(err, 'code', 'ERR_HOST_ARGUMENT_TOO_LARGE')
    throw err
  }
  return encoded
}

// Host → guest: a pending host operation settled.
function settle(runId, opId, text) {
  const r = run
  if (r === null || r.id !== runId || !runOpen(r)) return
  const p = ReflectApply(MapGet, r.pending, [opId])
  if (p === undefined) return
  ReflectApply(MapDelete, r.pending, [opId])
  const res = JSONParse(text)
  // After the pipeline: no outcome to change, the operation's promise settles and its task is reported.
  if (r.bg !== null) return settleInBackground(r, opId, p, res)
  const f = own(res, 'f')
  if (f !== undefined) {
    const failure = { code: own(f, 'code'), message: safeString(own(f, 'message'), 4096), rule: p.rule }
    const keys = own(f, 'keys')
    if (ArrayIsArray(keys)) {
      define(failure, 'keys', keys)
      define(failure, 'path', keysText(keys))
    }
    finish(r, failure)
    return
  }
  const e = own(res, 'e')
  if (e !== undefined) p.reject(hostError(e))
  else p.resolve(decodeValue(own(res, 'v')))
  if (r.deferred && !awaitsHost(r)) finish(r, null)
}

// The pipeline is over: finish, or wait for the host operations the result depends on.
function complete(r) {
  if (awaitsHost(r)) {
    r.deferred = true
    return
  }
  finish(r, null)
}
function awaitsHost(r) {
  let waiting = false
  ReflectApply(MapForEach, r.pending, [
    function (p) {
      if (p.mustSettle) waiting = true
    },
  ])
  return waiting
}

// Host → guest: a host function called a function the rule passed to it.
function callGuest(runId, fnId, argsText) {
  const r = run
  if (r === null || r.id !== runId || !runOpen(r)) return
  const f = ReflectApply(MapGet, r.fns, [fnId])
  if (f === undefined) return
  callOnBehalf(r, f, decodeValue(JSONParse(argsText)))
}

// An integrator's stub (described by the host) as guest functions and data.
function fromDescriptor(d) {
  const kind = own(d, 'kind')
  if (kind === 'function') {
    const id = own(d, 'id')
    const fn = function hostFunction() {
      return invokeHost(id, arguments)
    }
    const props = own(d, 'props')
    if (props !== undefined) {
      const keys = ObjectKeys(props)
      for (let i = 0; i < keys.length; i++) define(fn, keys[i], fromDescriptor(props[keys[i]]))
    }
    return fn
  }
  if (kind === 'object') {
    const out = {}
    const props = own(d, 'props')
    const keys = ObjectKeys(props)
    for (let i = 0; i < keys.length; i++) define(out, keys[i], fromDescriptor(props[keys[i]]))
    return out
  }
  return JSONParse(own(d, 'json'))
}

// ---- require --------------------------------------------------------------------------------------
const moduleErrorBrand = new WeakSetCtor()
const moduleCache = new MapCtor()
const allowedModules = settings.modules // name -> { kind: 'package' | 'host' | 'builtin', version?, descriptor? }

function moduleError(name, message) {
  const err = new ErrorCtor(message)
  define(err, 'code', 'ERR_MODULE_NOT_ALLOWED')
  define(err, 'moduleName', name)
  ReflectApply(WeakSetAdd, moduleErrorBrand, [err])
  return err
}
function parseSpec(spec) {
  const at = ReflectApply(StringLastIndexOf, spec, ['@'])
  if (at > 0) return { name: ReflectApply(StringSlice, spec, [0, at]), version: ReflectApply(StringSlice, spec, [at + 1]) }
  return { name: spec, version: undefined }
}
// Whether installed x.y.z satisfies what a rule asked for: '4', '4.17', '^4.17.0', '~4.17.1', '4.17.19'.
function satisfies(installed, wanted) {
  const have = ReflectApply(RegExpExec, /^(\d+)\.(\d+)\.(\d+)/, [installed])
  const want = ReflectApply(RegExpExec, /^([~^=v]*)(\d+)(?:\.(\d+))?(?:\.(\d+))?/, [wanted])
  if (have === null || want === null) return installed === wanted
  const h = [+have[1], +have[2], +have[3]]
  // The operator without its '=' and 'v' characters ('^', '~' or '').
  let op = ''
  for (let i = 0; i < want[1].length; i++) if (want[1][i] !== '=' && want[1][i] !== 'v') op += want[1][i]
  const w = [+want[2], want[3] === undefined ? undefined : +want[3], want[4] === undefined ? undefined : +want[4]]
  if (h[0] !== w[0]) return false
  if (op === '^') return w[1] === undefined || h[1] > w[1] || (h[1] === w[1] && (w[2] === undefined || h[2] >= w[2]))
  if (w[1] === undefined) return true
  if (op === '~') return h[1] === w[1] && (w[2] === undefined || h[2] >= w[2])
  if (h[1] !== w[1]) return false
  return w[2] === undefined || h[2] === w[2]
}
function majorOf(version) {
  const m = ReflectApply(RegExpExec, /^[~^=v]*(\d+)/, [version])
  return m === null ? undefined : m[1]
}
// The bundled version of package `def` a rule's `name@wanted` loads: the exact match, else the first
// listed that satisfies it, else the first of the same major (with a warning), else none.
function chooseVersion(def, wanted) {
  const versions = def.versions === undefined ? [def.version] : def.versions
  if (wanted === undefined) return { version: versions[0], exact: true }
  for (let i = 0; i < versions.length; i++) if (versions[i] === wanted || 'v' + versions[i] === wanted) return { version: versions[i], exact: true }
  for (let i = 0; i < versions.length; i++) if (satisfies(versions[i], wanted)) return { version: versions[i], exact: true }
  for (let i = 0; i < versions.length; i++) if (majorOf(versions[i]) === majorOf(wanted)) return { version: versions[i], exact: false }
  return undefined
}
// The built-ins guest/node.js serves to a rule once the engine allows them (lib/shared.ts): the
// ports modules.packages lists, and http/https with modules.http.
const NODE_SERVED = ['events', 'stream', 'util', 'path', 'string_decoder', 'assert', 'os', 'zlib', 'punycode', 'timers', 'tty', 'http', 'https']
function servedByNode(key) {
  return ArrayPrototypeIndexOf(NODE_SERVED, key) !== -1
}
function require(spec) {
  if (typeof spec !== 'string') throw new TypeErrorCtor('The "id" argument must be of type string.')
  const parsed = parseSpec(spec)
  const name = parsed.name
  // 'node:crypto' is 'crypto' when the integrator allowed it.
  const key = ReflectApply(StringSlice, name, [0, 5]) === 'node:' ? ReflectApply(StringSlice, name, [5]) : name
  const def = hasOwnData(allowedModules, key) ? allowedModules[key] : undefined
  if (def === undefined) {
    throw moduleError(
      name,
      "Cannot require '" +
        spec +
        "': the integrator has not allowed this module in rules " +
        '(allow it with the engine option modules.packages, modules.http, modules.crypto or modules.host).',
    )
  }
  let version = def.version
  if (def.kind === 'package') {
    const chosen = chooseVersion(def, parsed.version)
    if (chosen === undefined) {
      const have = def.versions === undefined ? def.version : ArrayPrototypeJoin(def.versions, ', ')
      throw moduleError(name, "Cannot require '" + spec + "': version " + have + ' is installed (another major).')
    }
    version = chosen.version
    if (!chosen.exact) versionMismatch(spec, name, version)
  } else if (parsed.version !== undefined && def.version !== undefined && !satisfies(def.version, parsed.version)) {
    if (majorOf(parsed.version) !== majorOf(def.version)) {
      throw moduleError(name, "Cannot require '" + spec + "': version " + def.version + ' is installed (another major).')
    }
    versionMismatch(spec, name, def.version)
  }
  // One evaluation per isolate of each version of each package.
  const cacheKey = def.kind === 'package' ? key + '@' + version : key
  if (ReflectApply(MapHas, moduleCache, [cacheKey])) return ReflectApply(MapGet, moduleCache, [cacheKey])
  let loaded
  if (def.kind === 'host') loaded = fromDescriptor(def.descriptor)
  else if (def.kind === 'builtin') loaded = servedByNode(key) ? nodeBuiltin(key) : builtinModule(key)
  else loaded = evaluatePackage(key, /** @type {string} */ (version))
  ReflectApply(MapSet, moduleCache, [cacheKey, loaded])
  return loaded
}
function versionMismatch(spec, name, version) {
  const r = run
  if (r !== null && !r.finished) {
    warn(r, {
      code: 'MODULE_VERSION_MISMATCH',
      rule: r.currentRule,
      message: "Rule '" + r.currentRule + "' asked for " + spec + '; it runs on the installed ' + name + '@' + version + '.',
    })
  }
}
function hasOwnData(obj, key) {
  const d = ObjectGetOwnPropertyDescriptor(obj, key)
  return d !== undefined && isData(d)
}
function evaluatePackage(name, version) {
  const source = callHost('$moduleSource', [name, version])
  const factory = IndirectEval(source)
  /** @type {{ exports: any }} */
  const cjs = { exports: {} }
  ReflectApply(factory, cjs.exports, [cjs, cjs.exports, packageRequire])
  return cjs.exports
}
// How a bundle names what it could not contain (lib/packages.ts's BRIDGE_PREFIX and MISSING_PREFIX).
const BRIDGE_PREFIX = 'tokenrules:bridge:'
const MISSING_PREFIX = 'tokenrules:missing:'
// The option granting each bridge client (lib/packages.ts's BRIDGE_CLIENTS).
function bridgeOption(name) {
  return name === 'jsonwebtoken' ? 'modules.crypto' : 'modules.http'
}
function notFound(name, message) {
  const err = new ErrorCtor(message)
  define(err, 'code', 'MODULE_NOT_FOUND')
  define(err, 'moduleName', name)
  ReflectApply(WeakSetAdd, moduleErrorBrand, [err])
  return err
}
// What a bundled package's own require gets: a Node built-in (the sandbox's port, or one whose
// members throw when called), a bridge client (the shim, when the integrator granted it, the same
// as a rule's own require; else a module whose members throw), or, for a require that resolved to
// nothing when it was bundled, MODULE_NOT_FOUND here, when it runs.
function packageRequire(request) {
  let spec = StringCtor(request)
  if (ReflectApply(StringSlice, spec, [0, BRIDGE_PREFIX.length]) === BRIDGE_PREFIX) {
    const client = ReflectApply(StringSlice, spec, [BRIDGE_PREFIX.length])
    if (hasOwnData(allowedModules, client) && allowedModules[client].kind === 'builtin') return ReflectApply(require, undefined, [client])
    const option = bridgeOption(client)
    const cacheKey = BRIDGE_PREFIX + client
    if (!ReflectApply(MapHas, moduleCache, [cacheKey])) {
      const refusal = refusedModule(client, 'it is served by the engine only when the integrator grants ' + option + '.')
      ReflectApply(MapSet, moduleCache, [cacheKey, refusal])
    }
    return ReflectApply(MapGet, moduleCache, [cacheKey])
  }
  if (ReflectApply(StringSlice, spec, [0, MISSING_PREFIX.length]) === MISSING_PREFIX) {
    const missing = ReflectApply(StringSlice, spec, [MISSING_PREFIX.length])
    throw notFound(missing, "Cannot find module '" + missing + "': it was not installed where the package was bundled from (modules.resolveFrom).")
  }
  if (ReflectApply(StringSlice, spec, [0, 5]) === 'node:') spec = ReflectApply(StringSlice, spec, [5])
  if (spec[spec.length - 1] === '/') spec = ReflectApply(StringSlice, spec, [0, spec.length - 1])
  const builtin = nodeBuiltin(spec)
  if (builtin !== undefined) return builtin
  // Left a require by the bundler (one it could not resolve inside a try, e.g. es6-promise's 'vertx').
  throw notFound(spec, "Cannot find module '" + spec + "': it is not bundled with the package.")
}
// Modules have no files in the sandbox: no cache to clear, no paths to resolve.
function addRequireSurface(fn) {
  define(fn, 'cache', {})
  define(fn, 'main', undefined)
  define(fn, 'extensions', {})
  define(fn, 'resolve', function resolve(request) {
    const name = StringCtor(request)
    throw notFound(name, "require.resolve('" + name + "'): modules have no paths in the sandbox.")
  })
}
addRequireSurface(require)
addRequireSurface(packageRequire)
ObjectDefineProperty(G, 'require', { value: require, writable: true, enumerable: false, configurable: true })

// ---- the auth0 object -------------------------------------------------------------------------------
// Metadata is copied first (own data properties, each read once: a Proxy or getter cannot answer
// one thing to the check and another to the copy), as JSON text under the size limit; then the copy
// is checked. Only that text crosses; the host parses and checks it again before its hook sees it.
// A value that is not JSON, or a key the host's store could not take as it is, fails the run with
// ERR_RULE_RESULT_INVALID naming the path, and nothing is persisted.

// A key the host's store could not take as it is: dotted (as Auth0 refuses) or one that pollutes a
// prototype when merged naively (__proto__, constructor, prototype).
function badMetadataKey(key) {
  if (ReflectApply(StringIndexOf, key, ['.']) !== -1) return "is a key containing '.', which Auth0 refuses in metadata"
  if (key === '__proto__' || key === 'constructor' || key === 'prototype')
    return 'is a key named ' + key + ', which could pollute a prototype where the host merges it'
  return undefined
}
// The first bad key of a parsed copy, as { keys, why }, or undefined. The copy is plain JSON, at
// most 64 levels deep (the serializer refused deeper), so every level is checked. Paths are built
// as the serializer's ({ up, key } below a string root) and turned into keys only for a refusal.
function metadataKeyIssue(value, path) {
  if (value === null || typeof value !== 'object') return undefined
  if (ArrayIsArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const issue = metadataKeyIssue(value[i], { up: path, key: i })
      if (issue !== undefined) return issue
    }
    return undefined
  }
  const names = ObjectKeys(value)
  for (let i = 0; i < names.length; i++) {
    const at = { up: path, key: names[i] }
    const why = badMetadataKey(names[i])
    if (why !== undefined) return { keys: pathKeys(at), why: why }
    const issue = metadataKeyIssue(own(value, names[i]), at)
    if (issue !== undefined) return issue
  }
  return undefined
}
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/
// Keys as people read them (formatIssuePath's format): app_metadata.prefs["ui.theme"][2].
function keysText(keys) {
  let out = ''
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    if (typeof key === 'number') out += '[' + key + ']'
    else if (ReflectApply(RegExpExec, IDENTIFIER, [StringCtor(key)]) === null) out += '[' + JSONStringify(StringCtor(key)) + ']'
    else out += out === '' ? key : '.' + key
  }
  return out
}
// JSON text of the metadata, or a failure { keys, message } for the run.
function metadataCopy(metadata, root) {
  let text
  try {
    text = serialize(metadata, root, true, settings.maxUserBytes)
  } catch (e) {
    if (isInternal(e) && e instanceof ResultError) return { keys: e.keys, message: e.message }
    if (isInternal(e) && e instanceof SizeError) return { keys: [root], message: 'is larger than ' + settings.maxUserBytes + ' characters as JSON' }
    return { keys: [root], message: 'could not be read: ' + describeThrown(e).message }
  }
  const issue = metadataKeyIssue(JSONParse(text), root)
  if (issue !== undefined) return { keys: issue.keys, message: issue.why }
  return text
}
/** @param {'AppMetadata' | 'UserMetadata'} kind */
function metadataUpdater(kind) {
  const id = kind === 'AppMetadata' ? '$auth0.updateAppMetadata' : '$auth0.updateUserMetadata'
  const root = kind === 'AppMetadata' ? 'app_metadata' : 'user_metadata'
  const name = 'auth0.users.update' + kind
  return function (userId, metadata) {
    try {
      const r = run
      if (!runOpen(r)) throw new ErrorCtor('Host functions can only be called while a rule runs.')
      if (typeof userId !== 'string' || userId === '') throw new TypeErrorCtor(name + ': userId must be a non-empty string.')
      if (metadata === null || typeof metadata !== 'object' || ArrayIsArray(metadata)) {
        throw new TypeErrorCtor(name + ': metadata must be an object.')
      }
      if (r.metadataUpdates >= settings.caps.maxMetadataUpdates) {
        throw runLimit('maxMetadataUpdates', name + ': more than ' + settings.caps.maxMetadataUpdates + ' metadata updates in one run.')
      }
      const copy = metadataCopy(metadata, root)
      if (typeof copy !== 'string') {
        const path = keysText(copy.keys)
        // After the pipeline there is no outcome to fail: the rule's promise rejects, typed.
        if (r.finished) {
          const err = new TypeErrorCtor(name + ': ' + path + ' ' + copy.message + '.')
          define(err, 'code', 'ERR_RULE_RESULT_INVALID')
          throw err
        }
        finish(r, { code: 'ERR_RULE_RESULT_INVALID', message: name + ': ' + path + ' ' + copy.message + '.', path: path, keys: copy.keys, rule: r.currentRule })
        // The run is over: the rule's code after this call runs for nothing.
        return new PromiseCtor(function () {})
      }
      r.metadataUpdates++
      return callHost(id, [userId, copy], true)
    } catch (e) {
      return ReflectApply(PromiseReject, PromiseCtor, [e])
    }
  }
}
const auth0Object = {
  domain: settings.auth0.domain,
  baseUrl: settings.auth0.baseUrl,
  users: { updateAppMetadata: metadataUpdater('AppMetadata'), updateUserMetadata: metadataUpdater('UserMetadata') },
}
// auth0.accessToken: minted by the host for the run on first read (the thread waits for it), the
// same string for every later read of that run, and nothing outside a run. Not enumerable, so a
// rule that logs or serializes `auth0` does not mint it or write it out by accident. A rule may
// assign it (as on Auth0, where it was a plain property); that value lasts for its run only.
/** @type {{ run: unknown, value: unknown }} */
const accessTokenOfRun = { run: null, value: undefined }
ObjectDefineProperty(auth0Object, 'accessToken', {
  get: function () {
    const r = run
    if (r === null || r.finished) return undefined
    if (accessTokenOfRun.run !== r) {
      const value = settings.auth0.accessToken ? awaitHost('$auth0.accessToken', []) : undefined
      accessTokenOfRun.run = r
      accessTokenOfRun.value = value
    }
    return accessTokenOfRun.value
  },
  set: function (value) {
    const r = run
    if (r === null || r.finished) return
    accessTokenOfRun.run = r
    accessTokenOfRun.value = value
  },
  enumerable: false,
  configurable: true,
})
ObjectDefineProperty(G, 'auth0', { value: auth0Object, writable: true, enumerable: false, configurable: true })

// The integrator's extra globals (stubs in tests, helpers in production).
const extraGlobals = settings.globals
const extraNames = ObjectKeys(extraGlobals)
for (let i = 0; i < extraNames.length; i++) {
  ObjectDefineProperty(G, extraNames[i], { value: fromDescriptor(extraGlobals[extraNames[i]]), writable: true, enumerable: false, configurable: true })
}
