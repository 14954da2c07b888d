// The time rules see: the integrator's clock when one is set.
function ruleNow() {
  return settings.clock && run !== null ? callHost('$clock', []) : now()
}

// ---- jsonwebtoken 9 ------------------------------------------------------------------------------
// jsonwebtoken 9.0.3's sign.js, verify.js and decode.js (with jws 4 and jwa 2 below them), check for
// check, in the same order, with the same error classes and messages. The key decides the
// algorithms: the host classifies it as jsonwebtoken does, with node:crypto's createPublicKey
// (verify) or createPrivateKey (sign), else createSecretKey ('$jwt.key'), and makes or checks the
// signature itself ('$jwt.sign', '$jwt.verify', which check the key type again). Stricter than
// jsonwebtoken only in refusing: zero-length secrets, and, to verify, public key material
// node:crypto cannot parse (a PEM with a leading tab, a JWK as JSON text) as an HMAC secret.
const JWT_PUB_KEY_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
const JWT_EC_KEY_ALGS = ['ES256', 'ES384', 'ES512']
const JWT_RSA_KEY_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
const JWT_HS_ALGS = ['HS256', 'HS384', 'HS512']
const JWT_SUPPORTED_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'none']
const JWT_KEY_ALGS = {
  __proto__: null,
  ec: ['ES256', 'ES384', 'ES512'],
  rsa: ['RS256', 'PS256', 'RS384', 'PS384', 'RS512', 'PS512'],
  'rsa-pss': ['PS256', 'PS384', 'PS512'],
}
const JWT_CURVES = { __proto__: null, ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }
const JWS_REGEX = /^[a-zA-Z0-9\-_]+?\.[a-zA-Z0-9\-_]+?\.([a-zA-Z0-9\-_]+)?$/
const JWA_REGEX = /^(RS|PS|ES|HS)(256|384|512)$|^(none)$/
const JWA_INVALID =
  ' is not a valid algorithm.\n  Supported algorithms are:\n  "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512" and "none".'
const OBJECT_CTOR_SOURCE = 'function Object() { [native code] }'

/**
 * jsonwebtoken's error classes, exported as it exports them.
 * @constructor
 * @param {unknown} message
 * @param {unknown} [error]
 */
function JsonWebTokenError(message, error) {
  if (new.target === undefined) return new JsonWebTokenError(message, error)
  jwtErrorInit(this, message, error, new.target)
}
function jwtErrorInit(self, message, error, ctor) {
  ErrorCaptureStackTrace(self, ctor)
  define(self, 'name', 'JsonWebTokenError')
  define(self, 'message', message)
  if (error) define(self, 'inner', error)
}
JsonWebTokenError.prototype = ObjectCreate(ErrorPrototype, { constructor: { value: JsonWebTokenError, writable: true, configurable: true } })
/**
 * @constructor
 * @param {unknown} message
 * @param {unknown} date
 */
function NotBeforeError(message, date) {
  if (new.target === undefined) return new NotBeforeError(message, date)
  jwtErrorInit(this, message, undefined, new.target)
  define(this, 'name', 'NotBeforeError')
  define(this, 'date', date)
}
NotBeforeError.prototype = ObjectCreate(JsonWebTokenError.prototype, { constructor: { value: NotBeforeError, writable: true, configurable: true } })
/**
 * @constructor
 * @param {unknown} message
 * @param {unknown} expiredAt
 */
function TokenExpiredError(message, expiredAt) {
  if (new.target === undefined) return new TokenExpiredError(message, expiredAt)
  jwtErrorInit(this, message, undefined, new.target)
  define(this, 'name', 'TokenExpiredError')
  define(this, 'expiredAt', expiredAt)
}
TokenExpiredError.prototype = ObjectCreate(JsonWebTokenError.prototype, { constructor: { value: TokenExpiredError, writable: true, configurable: true } })
/** @param {string} message */
function jwtError(message) {
  return ReflectConstruct(JsonWebTokenError, [message])
}
function jwtDate(seconds) {
  return ReflectConstruct(DateCtor, [seconds * 1000])
}

// lodash's isPlainObject, isString, isBoolean, isNumber, as sign.js uses them.
function jwtTag(value) {
  return value !== null && typeof value === 'object' ? ObjectPrototypeToString(value) : ''
}
function jwtIsPlainObject(value) {
  if (jwtTag(value) !== '[object Object]') return false
  const proto = ObjectGetPrototypeOf(value)
  if (proto === null) return true
  const Ctor = ObjectHasOwn(proto, 'constructor') && proto.constructor
  return typeof Ctor === 'function' && Ctor instanceof Ctor && ReflectApply(FunctionToString, Ctor, []) === OBJECT_CTOR_SOURCE
}
function jwtIsString(value) {
  return typeof value === 'string' || (!ArrayIsArray(value) && jwtTag(value) === '[object String]')
}
function jwtIsBoolean(value) {
  return value === true || value === false || jwtTag(value) === '[object Boolean]'
}
function jwtIsNumber(value) {
  return typeof value === 'number' || jwtTag(value) === '[object Number]'
}
function jwtIsTimespan(value) {
  return (typeof value === 'number' && NumberIsInteger(value)) || (jwtIsString(value) && !!value)
}
/** A guest `Buffer` (what Node's Buffer.isBuffer says yes to); other views are not. */
function jwtIsBuffer(value) {
  if (bytesOf(value) === undefined) return false
  const B = loadBuffer()
  return B !== undefined && value instanceof B
}

/** @param {string} message @param {(value: unknown) => boolean} isValid */
function jwtRule(message, isValid) {
  return { message: message, isValid: isValid }
}
const JWT_SIGN_OPTIONS = {
  __proto__: null,
  expiresIn: jwtRule('"expiresIn" should be a number of seconds or string representing a timespan', jwtIsTimespan),
  notBefore: jwtRule('"notBefore" should be a number of seconds or string representing a timespan', jwtIsTimespan),
  audience: jwtRule('"audience" must be a string or array', function (v) {
    return jwtIsString(v) || ArrayIsArray(v)
  }),
  algorithm: jwtRule('"algorithm" must be a valid string enum value', function (v) {
    return ArrayPrototypeIndexOf(JWT_SUPPORTED_ALGS, v) !== -1
  }),
  header: jwtRule('"header" must be an object', jwtIsPlainObject),
  encoding: jwtRule('"encoding" must be a string', jwtIsString),
  issuer: jwtRule('"issuer" must be a string', jwtIsString),
  subject: jwtRule('"subject" must be a string', jwtIsString),
  jwtid: jwtRule('"jwtid" must be a string', jwtIsString),
  noTimestamp: jwtRule('"noTimestamp" must be a boolean', jwtIsBoolean),
  keyid: jwtRule('"keyid" must be a string', jwtIsString),
  mutatePayload: jwtRule('"mutatePayload" must be a boolean', jwtIsBoolean),
  allowInsecureKeySizes: jwtRule('"allowInsecureKeySizes" must be a boolean', jwtIsBoolean),
  allowInvalidAsymmetricKeyTypes: jwtRule('"allowInvalidAsymmetricKeyTypes" must be a boolean', jwtIsBoolean),
}
const JWT_REGISTERED_CLAIMS = {
  __proto__: null,
  iat: jwtRule('"iat" should be a number of seconds', jwtIsNumber),
  exp: jwtRule('"exp" should be a number of seconds', jwtIsNumber),
  nbf: jwtRule('"nbf" should be a number of seconds', jwtIsNumber),
}
const JWT_OPTIONS_TO_PAYLOAD = { __proto__: null, audience: 'aud', issuer: 'iss', subject: 'sub', jwtid: 'jti' }
const JWT_OPTIONS_FOR_OBJECTS = ['expiresIn', 'notBefore', 'noTimestamp', 'audience', 'issuer', 'subject', 'jwtid']

function jwtValidate(schema, allowUnknown, object, parameterName) {
  if (!jwtIsPlainObject(object)) throw new ErrorCtor('Expected "' + parameterName + '" to be a plain object.')
  const keys = ObjectKeys(object)
  for (let i = 0; i < keys.length; i++) {
    const rule = ObjectHasOwn(schema, keys[i]) ? schema[keys[i]] : undefined
    if (rule === undefined) {
      if (!allowUnknown) throw new ErrorCtor('"' + keys[i] + '" is not allowed in "' + parameterName + '"')
      continue
    }
    if (!rule.isValid(object[keys[i]])) throw new ErrorCtor(rule.message)
  }
}

// ms 2.1 (jsonwebtoken's timespans): milliseconds of '2h', '1 day', '-1.5m', … or undefined.
const MS_S = 1000
const MS_UNITS = { __proto__: null, ms: 1, s: MS_S, m: MS_S * 60, h: MS_S * 3600, d: MS_S * 86400, w: MS_S * 604800, y: MS_S * 86400 * 365.25 }
const MS_ALIASES = {
  __proto__: null,
  years: 'y',
  year: 'y',
  yrs: 'y',
  yr: 'y',
  y: 'y',
  weeks: 'w',
  week: 'w',
  w: 'w',
  days: 'd',
  day: 'd',
  d: 'd',
  hours: 'h',
  hour: 'h',
  hrs: 'h',
  hr: 'h',
  h: 'h',
  minutes: 'm',
  minute: 'm',
  mins: 'm',
  min: 'm',
  m: 'm',
  seconds: 's',
  second: 's',
  secs: 's',
  sec: 's',
  s: 's',
  milliseconds: 'ms',
  millisecond: 'ms',
  msecs: 'ms',
  msec: 'ms',
  ms: 'ms',
}
function msParse(text) {
  if (typeof text !== 'string' || text.length === 0) throw new ErrorCtor('val is not a non-empty string or a valid number. val=' + JSONStringify(text))
  if (text.length > 100) return undefined
  const match = RegExpPrototypeExec(
    /^(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$/i,
    text,
  )
  if (match === null) return undefined
  const unit = MS_ALIASES[StringPrototypeToLowerCase(match[2] || 'ms')]
  return unit === undefined ? undefined : ParseFloat(match[1]) * MS_UNITS[unit]
}
/** jsonwebtoken's lib/timespan: `iat` plus a number of seconds or an ms() string, or undefined. */
function timespan(time, iat) {
  const timestamp = iat || MathFloor(ruleNow() / 1000)
  if (typeof time === 'string') {
    const milliseconds = msParse(time)
    if (typeof milliseconds === 'undefined') return undefined
    return MathFloor(timestamp + milliseconds / 1000)
  }
  if (typeof time === 'number') return timestamp + time
  return undefined
}

// ---- bytes and text, as jws encodes them ----
function base64url(bytes) {
  return StringPrototypeReplace(StringPrototypeReplace(StringPrototypeReplace(bytesToBase64(bytes), /=+$/, ''), /\+/g, '-'), /\//g, '_')
}
/** Node's 'binary' (latin1) encoding: the low byte of each UTF-16 unit. */
function latin1Encode(text) {
  const out = new Uint8ArrayCtor(text.length)
  for (let i = 0; i < text.length; i++) out[i] = ReflectApply(StringCharCodeAt, text, [i]) & 255
  return out
}
function latin1Decode(bytes) {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += StringFromCharCode(bytes[i])
  return out
}
/** `Buffer.from(text, encoding)` for the payload (jws: utf8 unless the rule's `encoding` says otherwise). */
function encodeText(text, encoding) {
  if (typeof text !== 'string') {
    throw new TypeErrorCtor(
      'The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object. Received ' + typeof text,
    )
  }
  const enc = StringPrototypeToLowerCase(StringCtor(encoding))
  if (enc === 'utf8' || enc === 'utf-8') return utf8Encode(text)
  if (enc === 'binary' || enc === 'latin1') return latin1Encode(text)
  const B = loadBuffer()
  if (B === undefined) throw new TypeErrorCtor('Unknown encoding: ' + enc)
  return bytesOf(B.from(text, enc)) // live: the buffer package's Buffer.from, for hex, base64, utf16le, …
}
/** jws's toString: strings as they are, numbers and Buffers as text, the rest as JSON. */
function jwsToString(value) {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return StringCtor(value)
  if (jwtIsBuffer(value)) return utf8Decode(bytesOf(value))
  return JSONStringify(value)
}

// ---- the key ----
/** Bytes of any ArrayBuffer view, or of an ArrayBuffer (copied), or undefined. */
function jwtBytesOf(value) {
  const view = bytesOf(value)
  if (view !== undefined) return view
  if (value === null || typeof value !== 'object') return undefined
  try {
    return new Uint8ArrayCtor(ArrayBufferPrototypeSlice(value, 0))
  } catch (e) {
    return undefined
  }
}
/** A field of an options-shaped key (`{ key, format, type, passphrase, encoding }`), as data: see JwtKeyMaterial. */
function jwtKeyField(value, isKey) {
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value
  const bytes = jwtBytesOf(value)
  if (bytes !== undefined) return bytes
  if (isKey && typeof value === 'object') {
    try {
      const copy = JSONParse(JSONStringify(value))
      return copy !== null && typeof copy === 'object' ? copy : {}
    } catch (e) {
      return {}
    }
  }
  return {}
}
/**
 * The rule's key as data the host can classify, each field read once.
 * @returns {import('./contract.js').JwtKeyMaterial}
 */
function jwtKeyMaterial(key) {
  if (typeof key === 'string') return { kind: 'string', value: key }
  const bytes = jwtBytesOf(key)
  if (bytes !== undefined) return { kind: 'bytes', value: bytes }
  if (key !== null && typeof key === 'object') {
    const k = jwtKeyField(key.key, true)
    const format = jwtKeyField(key.format, false)
    const type = jwtKeyField(key.type, false)
    const passphrase = jwtKeyField(key.passphrase, false)
    const encoding = jwtKeyField(key.encoding, false)
    return { kind: 'object', key: k, format: format, type: type, passphrase: passphrase, encoding: encoding }
  }
  return { kind: 'unusable' }
}
/** Bytes of length 0: no secret at all, like '' (jsonwebtoken would take an empty Buffer as a secret). */
function jwtEmptyBytes(key) {
  const bytes = typeof key === 'string' ? undefined : jwtBytesOf(key)
  return bytes !== undefined && bytes.length === 0
}
/** A field of the host's key description; on null or undefined, jsonwebtoken's own TypeError ("Cannot read properties of …"). */
function jwtKeyInfo(key, name) {
  if (key === null || key === undefined) return key[name]
  return own(key, name)
}
/** `value.startsWith(prefix)` as jsonwebtoken writes it on `header.alg`, with V8's errors for what is not a string. */
function jwtStartsWith(value, prefix) {
  if (value === null || value === undefined) return value.startsWith // TypeError: Cannot read properties of …
  if (typeof value !== 'string') throw new TypeErrorCtor('header.alg.startsWith is not a function')
  return StringPrototypeStartsWith(value, prefix)
}
/** `list.indexOf(value)` of the rule's `algorithms` (an array, or a string as jsonwebtoken would take it too). */
function jwtIndexOf(list, value) {
  if (ArrayIsArray(list)) return ArrayPrototypeIndexOf(list, value)
  if (typeof list === 'string') return StringPrototypeIndexOf(list, value)
  return list.indexOf(value) // live: jsonwebtoken calls the rule's own indexOf
}
/** jsonwebtoken's lib/validateAsymmetricKey, on the host's description of the key. */
function jwtValidateAsymmetricKey(algorithm, key) {
  if (!algorithm || !key) return
  const keyType = own(key, 'asymmetricKeyType')
  if (!keyType) return
  const allowed = JWT_KEY_ALGS[keyType]
  if (!allowed) throw new ErrorCtor('Unknown key type "' + keyType + '".')
  if (ArrayPrototypeIndexOf(allowed, algorithm) === -1)
    throw new ErrorCtor('"alg" parameter for "' + keyType + '" key type must be one of: ' + ArrayPrototypeJoin(allowed, ', ') + '.')
  const details = own(key, 'details') || {}
  if (keyType === 'ec') {
    const allowedCurve = JWT_CURVES[algorithm]
    if (own(details, 'namedCurve') !== allowedCurve) throw new ErrorCtor('"alg" parameter "' + algorithm + '" requires curve "' + allowedCurve + '".')
  } else if (keyType === 'rsa-pss') {
    const length = ParseFloat(ReflectApply(StringSlice, algorithm, [-3]))
    const hashAlgorithm = own(details, 'hashAlgorithm')
    if (hashAlgorithm !== 'sha' + length || own(details, 'mgf1HashAlgorithm') !== hashAlgorithm) {
      throw new ErrorCtor('Invalid key for this operation, its RSA-PSS parameters do not meet the requirements of "alg" ' + algorithm + '.')
    }
    const saltLength = own(details, 'saltLength')
    if (saltLength !== undefined && saltLength > length >> 3) {
      throw new ErrorCtor('Invalid key for this operation, its RSA-PSS parameter saltLength does not meet the requirements of "alg" ' + algorithm + '.')
    }
  }
}

/** `re.test(String(value))` through the captured exec, which no rule's RegExp.prototype.exec replaces. */
function jwtMatches(re, value) {
  return RegExpPrototypeExec(re, StringCtor(value)) !== null
}

// ---- jws / jwa ----
/** jwa's algorithm check: the family ('hs', 'rs', 'ps', 'es', 'none'), or jwa's TypeError. */
function jwaFamily(algorithm) {
  const match = typeof algorithm === 'string' ? RegExpPrototypeExec(JWA_REGEX, algorithm) : null
  if (match === null) throw new TypeErrorCtor('"' + StringCtor(algorithm) + '"' + JWA_INVALID)
  return StringPrototypeToLowerCase(match[1] || match[3])
}
/** The host's answer, or the error node:crypto threw there. */
function jwtCrypto(outcome) {
  if (own(outcome, 'ok') === true) return own(outcome, 'value')
  const message = StringCtor(own(outcome, 'message'))
  throw own(outcome, 'name') === 'TypeError' ? new TypeErrorCtor(message) : new ErrorCtor(message)
}
function jwsSign(header, payload, material, encoding) {
  const family = jwaFamily(header.alg)
  const input = base64url(latin1Encode(JSONStringify(header))) + '.' + base64url(encodeText(jwsToString(payload), encoding))
  const signature = family === 'none' ? '' : jwtCrypto(awaitHost('$jwt.sign', [header.alg, input, material]))
  return input + '.' + signature
}
function jwsVerify(token, algorithm, material) {
  if (!algorithm) {
    const err = new ErrorCtor('Missing algorithm parameter for jws.verify')
    define(err, 'code', 'MISSING_ALGORITHM')
    throw err
  }
  const parts = StringPrototypeSplit(token, '.')
  const family = jwaFamily(algorithm)
  if (family === 'none') return parts[2] === ''
  return jwtCrypto(awaitHost('$jwt.verify', [algorithm, parts[0] + '.' + parts[1], parts[2], material])) === true
}
function jwsHeader(token) {
  try {
    return JSONParse(latin1Decode(base64ToBytes(StringPrototypeSplit(token, '.', 1)[0])))
  } catch (e) {
    return undefined
  }
}
function jwsDecode(value, opts) {
  opts = opts || {}
  const token = jwsToString(value)
  if (typeof token !== 'string' || !jwtMatches(JWS_REGEX, token) || !jwsHeader(token)) return null
  const header = jwsHeader(token)
  const parts = StringPrototypeSplit(token, '.')
  let payload = utf8Decode(base64ToBytes(parts[1]))
  if (header.typ === 'JWT' || opts.json) payload = JSONParse(payload, opts.encoding)
  return { header: header, payload: payload, signature: parts[2] }
}

// ---- jwt.decode / jwt.sign / jwt.verify ----
/**
 * @param {unknown} jwt
 * @param {any} [options]
 * @returns {any}
 */
function jwtDecode(jwt, options) {
  options = options || {}
  const decoded = jwsDecode(jwt, options)
  if (!decoded) return null
  let payload = decoded.payload
  if (typeof payload === 'string') {
    try {
      const obj = JSONParse(payload)
      if (obj !== null && typeof obj === 'object') payload = obj
    } catch (e) {
      // not JSON: the payload stays text
    }
  }
  if (options.complete === true) return { header: decoded.header, payload: payload, signature: decoded.signature }
  return payload
}

function jwtSign(payload, secretOrPrivateKey, options, callback) {
  if (typeof options === 'function') {
    callback = options
    options = {}
  } else options = options || {}
  const isObjectPayload = typeof payload === 'object' && !jwtIsBuffer(payload)
  const header = ObjectAssign({ alg: options.algorithm || 'HS256', typ: isObjectPayload ? 'JWT' : undefined, kid: options.keyid }, options.header)
  function failure(err) {
    if (callback) return callback(err)
    throw err
  }
  if ((!secretOrPrivateKey || jwtEmptyBytes(secretOrPrivateKey)) && options.algorithm !== 'none')
    return failure(new ErrorCtor('secretOrPrivateKey must have a value'))
  let key = secretOrPrivateKey
  let material
  if (secretOrPrivateKey != null) {
    material = jwtKeyMaterial(secretOrPrivateKey)
    key = awaitHost('$jwt.key', ['sign', material])
    if (key === null) return failure(new ErrorCtor('secretOrPrivateKey is not valid key material'))
  }
  if (jwtStartsWith(header.alg, 'HS') && jwtKeyInfo(key, 'type') !== 'secret') {
    return failure(new ErrorCtor('secretOrPrivateKey must be a symmetric key when using ' + header.alg))
  } else if (jwtMatches(/^(?:RS|PS|ES)/, header.alg)) {
    if (jwtKeyInfo(key, 'type') !== 'private') return failure(new ErrorCtor('secretOrPrivateKey must be an asymmetric key when using ' + header.alg))
    const details = own(key, 'details')
    if (!options.allowInsecureKeySizes && !StringPrototypeStartsWith(header.alg, 'ES') && details !== undefined && own(details, 'modulusLength') < 2048) {
      return failure(new ErrorCtor('secretOrPrivateKey has a minimum key size of 2048 bits for ' + header.alg))
    }
  }
  if (typeof payload === 'undefined') return failure(new ErrorCtor('payload is required'))
  else if (isObjectPayload) {
    try {
      jwtValidate(JWT_REGISTERED_CLAIMS, true, payload, 'payload')
    } catch (error) {
      return failure(error)
    }
    if (!options.mutatePayload) payload = ObjectAssign({}, payload)
  } else {
    const invalid = ArrayPrototypeFilter(JWT_OPTIONS_FOR_OBJECTS, function (opt) {
      return typeof options[opt] !== 'undefined'
    })
    if (invalid.length > 0) return failure(new ErrorCtor('invalid ' + ArrayPrototypeJoin(invalid, ',') + ' option for ' + typeof payload + ' payload'))
  }
  if (typeof payload.exp !== 'undefined' && typeof options.expiresIn !== 'undefined') {
    return failure(new ErrorCtor('Bad "options.expiresIn" option the payload already has an "exp" property.'))
  }
  if (typeof payload.nbf !== 'undefined' && typeof options.notBefore !== 'undefined') {
    return failure(new ErrorCtor('Bad "options.notBefore" option the payload already has an "nbf" property.'))
  }
  try {
    jwtValidate(JWT_SIGN_OPTIONS, false, options, 'options')
  } catch (error) {
    return failure(error)
  }
  if (!options.allowInvalidAsymmetricKeyTypes) {
    try {
      jwtValidateAsymmetricKey(header.alg, key)
    } catch (error) {
      return failure(error)
    }
  }
  const timestamp = payload.iat || MathFloor(ruleNow() / 1000)
  if (options.noTimestamp) delete payload.iat
  else if (isObjectPayload) payload.iat = timestamp
  if (typeof options.notBefore !== 'undefined') {
    try {
      payload.nbf = timespan(options.notBefore, timestamp)
    } catch (err) {
      return failure(err)
    }
    if (typeof payload.nbf === 'undefined')
      return failure(new ErrorCtor('"notBefore" should be a number of seconds or string representing a timespan eg: "1d", "20h", 60'))
  }
  if (typeof options.expiresIn !== 'undefined' && typeof payload === 'object') {
    try {
      payload.exp = timespan(options.expiresIn, timestamp)
    } catch (err) {
      return failure(err)
    }
    if (typeof payload.exp === 'undefined')
      return failure(new ErrorCtor('"expiresIn" should be a number of seconds or string representing a timespan eg: "1d", "20h", 60'))
  }
  // As jsonwebtoken: a claim the payload already has fails (with a callback, the callback hears the
  // error and then, as jsonwebtoken's does, the token too).
  const claimOptions = ObjectKeys(JWT_OPTIONS_TO_PAYLOAD)
  for (let i = 0; i < claimOptions.length; i++) {
    const claim = JWT_OPTIONS_TO_PAYLOAD[claimOptions[i]]
    if (typeof options[claimOptions[i]] !== 'undefined') {
      if (typeof payload[claim] !== 'undefined') {
        failure(new ErrorCtor('Bad "options.' + claimOptions[i] + '" option. The payload already has an "' + claim + '" property.'))
        continue
      }
      payload[claim] = options[claimOptions[i]]
    }
  }
  const encoding = options.encoding || 'utf8'
  if (typeof callback === 'function') {
    // jws's sign stream: a falsy payload is empty, a number or `true` is refused, then it signs a tick later.
    if (payload && !payload.length && typeof payload !== 'object') throw new TypeErrorCtor('Unexpected data type (' + typeof payload + ')')
    const streamed = payload ? payload : ''
    const cb = callback
    let called = false
    const once = function (err, value) {
      if (called) return
      called = true
      cb(err, value)
    }
    QueueMicrotask(function () {
      let signature
      try {
        signature = jwsSign(header, streamed, material, encoding)
      } catch (e) {
        once(e)
        return
      }
      if (!options.allowInsecureKeySizes && jwtMatches(/^(?:RS|PS)/, header.alg) && signature.length < 256) {
        once(new ErrorCtor('secretOrPrivateKey has a minimum key size of 2048 bits for ' + header.alg))
        return
      }
      once(null, signature)
    })
    return undefined
  }
  const signature = jwsSign(header, payload, material, encoding)
  if (!options.allowInsecureKeySizes && jwtMatches(/^(?:RS|PS)/, header.alg) && signature.length < 256) {
    throw new ErrorCtor('secretOrPrivateKey has a minimum key size of 2048 bits for ' + header.alg)
  }
  return signature
}

function jwtVerify(jwtString, secretOrPublicKey, options, callback) {
  if (typeof options === 'function' && !callback) {
    callback = options
    options = {}
  }
  if (!options) options = {}
  options = ObjectAssign({}, options)
  const done = callback
    ? callback
    : function (err, data) {
        if (err) throw err
        return data
      }
  if (options.clockTimestamp && typeof options.clockTimestamp !== 'number') return done(jwtError('clockTimestamp must be a number'))
  if (options.nonce !== undefined && (typeof options.nonce !== 'string' || StringPrototypeTrim(options.nonce) === '')) {
    return done(jwtError('nonce must be a non-empty string'))
  }
  if (options.allowInvalidAsymmetricKeyTypes !== undefined && typeof options.allowInvalidAsymmetricKeyTypes !== 'boolean') {
    return done(jwtError('allowInvalidAsymmetricKeyTypes must be a boolean'))
  }
  const clockTimestamp = options.clockTimestamp || MathFloor(ruleNow() / 1000)
  if (!jwtString) return done(jwtError('jwt must be provided'))
  if (typeof jwtString !== 'string') return done(jwtError('jwt must be a string'))
  const parts = StringPrototypeSplit(jwtString, '.')
  if (parts.length !== 3) return done(jwtError('jwt malformed'))
  let decodedToken
  try {
    decodedToken = jwtDecode(jwtString, { complete: true })
  } catch (err) {
    return done(err)
  }
  if (!decodedToken) return done(jwtError('invalid token'))
  const header = decodedToken.header
  let getSecret
  if (typeof secretOrPublicKey === 'function') {
    if (!callback) return done(jwtError('verify must be called asynchronous if secret or public key is provided as a callback'))
    getSecret = secretOrPublicKey
  } else {
    getSecret = function (header, secretCallback) {
      return secretCallback(null, secretOrPublicKey)
    }
  }
  return getSecret(header, function (err, secretOrPublicKey) {
    if (err) return done(jwtError('error in secret or public key callback: ' + err.message))
    const hasSignature = StringPrototypeTrim(parts[2]) !== ''
    if (!hasSignature && secretOrPublicKey) return done(jwtError('jwt signature is required'))
    if (hasSignature && (!secretOrPublicKey || jwtEmptyBytes(secretOrPublicKey))) return done(jwtError('secret or public key must be provided'))
    if (!hasSignature && !options.algorithms) return done(jwtError('please specify "none" in "algorithms" to verify unsigned tokens'))
    let key = secretOrPublicKey
    let material
    if (secretOrPublicKey != null) {
      material = jwtKeyMaterial(secretOrPublicKey)
      key = awaitHost('$jwt.key', ['verify', material])
      if (key === null) return done(jwtError('secretOrPublicKey is not valid key material'))
    }
    if (!options.algorithms) {
      const keyType = jwtKeyInfo(key, 'asymmetricKeyType')
      if (jwtKeyInfo(key, 'type') === 'secret') options.algorithms = JWT_HS_ALGS
      else if (keyType === 'rsa' || keyType === 'rsa-pss') options.algorithms = JWT_RSA_KEY_ALGS
      else if (keyType === 'ec') options.algorithms = JWT_EC_KEY_ALGS
      else options.algorithms = JWT_PUB_KEY_ALGS
    }
    if (jwtIndexOf(options.algorithms, decodedToken.header.alg) === -1) return done(jwtError('invalid algorithm'))
    if (jwtStartsWith(header.alg, 'HS') && jwtKeyInfo(key, 'type') !== 'secret') {
      return done(jwtError('secretOrPublicKey must be a symmetric key when using ' + header.alg))
    } else if (jwtMatches(/^(?:RS|PS|ES)/, header.alg) && jwtKeyInfo(key, 'type') !== 'public') {
      return done(jwtError('secretOrPublicKey must be an asymmetric key when using ' + header.alg))
    }
    if (!options.allowInvalidAsymmetricKeyTypes) {
      try {
        jwtValidateAsymmetricKey(header.alg, key)
      } catch (e) {
        return done(e)
      }
    }
    let valid
    try {
      valid = jwsVerify(jwtString, decodedToken.header.alg, material)
    } catch (e) {
      return done(e)
    }
    if (!valid) return done(jwtError('invalid signature'))
    return jwtClaims(decodedToken, options, clockTimestamp, done)
  })
}

/** verify.js after the signature: nbf, exp, audience, issuer, subject, jwtid, nonce, maxAge. */
function jwtClaims(decodedToken, options, clockTimestamp, done) {
  const payload = decodedToken.payload
  const tolerance = options.clockTolerance || 0
  if (typeof payload.nbf !== 'undefined' && !options.ignoreNotBefore) {
    if (typeof payload.nbf !== 'number') return done(jwtError('invalid nbf value'))
    if (payload.nbf > clockTimestamp + (options.clockTolerance || 0)) return done(ReflectConstruct(NotBeforeError, ['jwt not active', jwtDate(payload.nbf)]))
  }
  if (typeof payload.exp !== 'undefined' && !options.ignoreExpiration) {
    if (typeof payload.exp !== 'number') return done(jwtError('invalid exp value'))
    if (clockTimestamp >= payload.exp + (options.clockTolerance || 0)) return done(ReflectConstruct(TokenExpiredError, ['jwt expired', jwtDate(payload.exp)]))
  }
  if (options.audience) {
    const audiences = ArrayIsArray(options.audience) ? options.audience : [options.audience]
    const target = ArrayIsArray(payload.aud) ? payload.aud : [payload.aud]
    const match = ArrayPrototypeSome(target, function (targetAudience) {
      return ArrayPrototypeSome(audiences, function (audience) {
        return audience instanceof RegExpCtor ? audience.test(targetAudience) : audience === targetAudience // live: the rule's RegExp, as jsonwebtoken calls it
      })
    })
    if (!match) return done(jwtError('jwt audience invalid. expected: ' + ArrayPrototypeJoin(audiences, ' or ')))
  }
  if (options.issuer) {
    const invalidIssuer =
      (typeof options.issuer === 'string' && payload.iss !== options.issuer) ||
      (ArrayIsArray(options.issuer) && ArrayPrototypeIndexOf(options.issuer, payload.iss) === -1)
    if (invalidIssuer) return done(jwtError('jwt issuer invalid. expected: ' + options.issuer))
  }
  if (options.subject && payload.sub !== options.subject) return done(jwtError('jwt subject invalid. expected: ' + options.subject))
  if (options.jwtid && payload.jti !== options.jwtid) return done(jwtError('jwt jwtid invalid. expected: ' + options.jwtid))
  if (options.nonce && payload.nonce !== options.nonce) return done(jwtError('jwt nonce invalid. expected: ' + options.nonce))
  if (options.maxAge) {
    if (typeof payload.iat !== 'number') return done(jwtError('iat required when maxAge is specified'))
    const maxAgeTimestamp = timespan(options.maxAge, payload.iat)
    if (typeof maxAgeTimestamp === 'undefined') {
      return done(jwtError('"maxAge" should be a number of seconds or string representing a timespan eg: "1d", "20h", 60'))
    }
    if (clockTimestamp >= maxAgeTimestamp + tolerance) return done(ReflectConstruct(TokenExpiredError, ['maxAge exceeded', jwtDate(maxAgeTimestamp)]))
  }
  if (options.complete === true) return done(null, { header: decodedToken.header, payload: payload, signature: decodedToken.signature })
  return done(null, payload)
}

const jwtModule = {
  decode: jwtDecode,
  verify: jwtVerify,
  sign: jwtSign,
  JsonWebTokenError: JsonWebTokenError,
  NotBeforeError: NotBeforeError,
  TokenExpiredError: TokenExpiredError,
}
