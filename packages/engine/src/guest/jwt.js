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
