/**
 * The sandbox's `require('jsonwebtoken')` against the real jsonwebtoken 9, side by side on the same
 * tokens, keys and options: legitimate tokens verify alike (payloads, `complete`, the claim
 * checks and their messages), signing gives the same tokens (HS, RS: deterministic) or tokens the
 * other side verifies (PS, ES: randomised), and the key rules of signing (which key for which
 * algorithm, key sizes, curves) fail with the same errors.
 */
import { createHmac } from 'node:crypto'
import realJwt from 'jsonwebtoken'
import { beforeAll, describe, expect, it } from 'vitest'
import { K, inNode, inSandbox, lit, sideBySide, type Outcome } from './jsonwebtoken-support.js'

const IAT = 1_900_000_000
const AT = IAT + 100
const P = {
  sub: 'auth0|1',
  aud: ['api', 'other'],
  iss: 'https://idp.example/',
  jti: 'id-1',
  nonce: 'n-1',
  scope: 'read',
  iat: IAT,
  nbf: IAT - 10,
  exp: IAT + 600,
}
const sign = (payload: object, key: string | undefined, options: realJwt.SignOptions): string =>
  (realJwt.sign as (payload: object, key: string | undefined, options: realJwt.SignOptions) => string)(payload, key, options)

const hs256 = sign(P, K.SECRET, { algorithm: 'HS256' })
const tokens = {
  hs256,
  hs384: sign(P, K.SECRET, { algorithm: 'HS384', keyid: 'k1' }),
  hs512: sign(P, K.SECRET, { algorithm: 'HS512' }),
  space: sign(P, ' ', { algorithm: 'HS256' }),
  rs256: sign(P, K.PRIVATE_PEM, { algorithm: 'RS256' }),
  rs384: sign(P, K.PRIVATE_PEM, { algorithm: 'RS384' }),
  rs512: sign(P, K.PRIVATE_PEM, { algorithm: 'RS512' }),
  ps256: sign(P, K.PRIVATE_PEM, { algorithm: 'PS256' }),
  pssKey: sign(P, K.PSS_PRIVATE_PEM, { algorithm: 'PS256' }),
  es256: sign(P, K.EC256_PRIVATE_PEM, { algorithm: 'ES256' }),
  es384: sign(P, K.EC384_PRIVATE_PEM, { algorithm: 'ES384' }),
  unsigned: sign(P, undefined, { algorithm: 'none' }),
  text: realJwt.sign('just text', K.SECRET),
  noExp: sign({ sub: 'x' }, K.SECRET, { noTimestamp: true }),
  badNbf: `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"nbf":"soon"}').toString('base64url')}`,
}
tokens.badNbf = `${tokens.badNbf}.${createHmac('sha256', K.SECRET).update(tokens.badNbf).digest('base64url')}`
const T = (name: keyof typeof tokens) => lit(tokens[name])
const at = `clockTimestamp: ${AT}`

/** Legitimate tokens verified (or refused for their claims) by both. */
const VERIFY: Record<string, string> = {
  'HS256 under the secret': `jwt.verify(${T('hs256')}, K.SECRET, { ${at} })`,
  'HS384 with a kid, complete': `jwt.verify(${T('hs384')}, K.SECRET, { ${at}, complete: true })`,
  'HS512 under the secret in a Buffer': `jwt.verify(${T('hs512')}, Buffer.from(K.SECRET), { ${at} })`,
  'HS256 under a one-space secret': `jwt.verify(${T('space')}, ' ', { ${at} })`,
  'HS256 under another secret': `jwt.verify(${T('hs256')}, K.OTHER_SECRET, { ${at} })`,
  'RS256 under the public PEM': `jwt.verify(${T('rs256')}, K.PUBLIC_PEM, { ${at} })`,
  'RS256 under the public PEM in a Buffer': `jwt.verify(${T('rs256')}, Buffer.from(K.PUBLIC_PEM), { ${at} })`,
  'RS256 under { key: PEM }': `jwt.verify(${T('rs256')}, { key: K.PUBLIC_PEM }, { ${at} })`,
  'RS256 under the JWK': `jwt.verify(${T('rs256')}, { key: JSON.parse(K.PUBLIC_JWK), format: 'jwk' }, { ${at} })`,
  'RS256 under the PKCS#1 public PEM': `jwt.verify(${T('rs256')}, K.PUBLIC_PKCS1_PEM, { ${at} })`,
  'RS256 under the private PEM (its public half)': `jwt.verify(${T('rs256')}, K.PRIVATE_PEM, { ${at} })`,
  'RS256 under a PEM with surrounding whitespace': `jwt.verify(${T('rs256')}, '\\n\\n' + K.PUBLIC_PEM + '\\n  ', { ${at} })`,
  'RS384 under the public PEM': `jwt.verify(${T('rs384')}, K.PUBLIC_PEM, { ${at} })`,
  'RS512 under the public PEM, algorithms RS512': `jwt.verify(${T('rs512')}, K.PUBLIC_PEM, { ${at}, algorithms: ['RS512'] })`,
  'RS256 when the rule allows only RS512': `jwt.verify(${T('rs256')}, K.PUBLIC_PEM, { ${at}, algorithms: ['RS512'] })`,
  'PS256 under the RSA public PEM': `jwt.verify(${T('ps256')}, K.PUBLIC_PEM, { ${at} })`,
  'PS256 under an RSA-PSS key': `jwt.verify(${T('pssKey')}, K.PSS_PUBLIC_PEM, { ${at} })`,
  'RS256 under an RSA-PSS key': `jwt.verify(${T('rs256')}, K.PSS_PUBLIC_PEM, { ${at}, algorithms: ['RS256'] })`,
  'ES256 under its EC key': `jwt.verify(${T('es256')}, K.EC256_PUBLIC_PEM, { ${at} })`,
  'ES384 under its EC key': `jwt.verify(${T('es384')}, K.EC384_PUBLIC_PEM, { ${at} })`,
  'ES256 under a P-384 key': `jwt.verify(${T('es256')}, K.EC384_PUBLIC_PEM, { ${at} })`,
  'ES256 under another curve, allowInvalidAsymmetricKeyTypes': `jwt.verify(${T('es256')}, K.EC384_PUBLIC_PEM, { ${at}, allowInvalidAsymmetricKeyTypes: true })`,
  "unsigned, no key, algorithms ['none'] (jsonwebtoken's explicit opt-in)": `jwt.verify(${T('unsigned')}, undefined, { ${at}, algorithms: ['none'] })`,
  'unsigned, no key, no algorithms': `jwt.verify(${T('unsigned')}, null, { ${at} })`,
  'a text payload': `jwt.verify(${T('text')}, K.SECRET)`,
  // The claims, judged at a fixed clock.
  expired: `jwt.verify(${T('hs256')}, K.SECRET, { clockTimestamp: ${IAT + 600} })`,
  'expired, within clockTolerance': `jwt.verify(${T('hs256')}, K.SECRET, { clockTimestamp: ${IAT + 600}, clockTolerance: 5 })`,
  'expired, ignoreExpiration': `jwt.verify(${T('hs256')}, K.SECRET, { clockTimestamp: ${IAT + 6000}, ignoreExpiration: true })`,
  'not yet valid': `jwt.verify(${T('hs256')}, K.SECRET, { clockTimestamp: ${IAT - 100} })`,
  'not yet valid, ignoreNotBefore': `jwt.verify(${T('hs256')}, K.SECRET, { clockTimestamp: ${IAT - 100}, ignoreNotBefore: true })`,
  'an nbf that is not a number': `jwt.verify(${T('badNbf')}, K.SECRET)`,
  'audience matches': `jwt.verify(${T('hs256')}, K.SECRET, { ${at}, audience: 'other' })`,
  'audience by RegExp': `jwt.verify(${T('hs256')}, K.SECRET, { ${at}, audience: /^oth/ })`,
  'audience does not match': `jwt.verify(${T('hs256')}, K.SECRET, { ${at}, audience: ['x', /^y/] })`,
  'issuer matches (array)': `jwt.verify(${T('hs256')}, K.SECRET, { ${at}, issuer: ['a', 'https://idp.example/'] })`,
  'issuer does not match': `jwt.verify(${T('hs256')}, K.SECRET, { ${at}, issuer: ['a', 'b'] })`,
  'subject does not match': `jwt.verify(${T('hs256')}, K.SECRET, { ${at}, subject: 'auth0|2' })`,
  'jwtid does not match': `jwt.verify(${T('hs256')}, K.SECRET, { ${at}, jwtid: 'id-2' })`,
  'nonce does not match': `jwt.verify(${T('hs256')}, K.SECRET, { ${at}, nonce: 'n-2' })`,
  'nonce must be a string': `jwt.verify(${T('hs256')}, K.SECRET, { ${at}, nonce: '  ' })`,
  'maxAge exceeded': `jwt.verify(${T('hs256')}, K.SECRET, { ${at}, maxAge: '1m' })`,
  'maxAge kept': `jwt.verify(${T('hs256')}, K.SECRET, { ${at}, maxAge: 3600 })`,
  'maxAge without iat': `jwt.verify(${T('noExp')}, K.SECRET, { maxAge: '1h' })`,
  'clockTimestamp not a number': `jwt.verify(${T('hs256')}, K.SECRET, { clockTimestamp: '1' })`,
  'allowInvalidAsymmetricKeyTypes not a boolean': `jwt.verify(${T('hs256')}, K.SECRET, { allowInvalidAsymmetricKeyTypes: 1 })`,
  // The token itself.
  'no token': `jwt.verify('', K.SECRET)`,
  'a number for a token': `jwt.verify(42, K.SECRET)`,
  'two parts': `jwt.verify('a.b', K.SECRET)`,
  'a header that is not JSON': `jwt.verify('bm90anNvbg.e30.c2ln', K.SECRET)`,
  'a JWT payload that is not JSON': `jwt.verify(${lit(`${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('not json').toString('base64url')}.c2ln`)}, K.SECRET)`,
  // Callbacks.
  'a verify callback': `settle(function (cb) { jwt.verify(${T('hs256')}, K.SECRET, { ${at} }, cb); })`,
  'a verify callback that fails': `settle(function (cb) { jwt.verify(${T('hs256')}, K.OTHER_SECRET, { ${at} }, cb); })`,
  'a key callback that answers later': `later(function (cb) { jwt.verify(${T('rs256')}, function (header, give) { Promise.resolve().then(function () { give(null, header.alg === 'RS256' ? K.PUBLIC_PEM : K.SECRET); }); }, { ${at} }, cb); })`,
  'a key callback that fails': `later(function (cb) { jwt.verify(${T('rs256')}, function (header, give) { give(new Error('no key for ' + header.alg)); }, { ${at} }, cb); })`,
}

/** Signing: HS and RS tokens must come out identical (the payload carries its iat). */
const SIGN: Record<string, string> = {
  'HS256 by default': `jwt.sign({ a: 1, iat: ${IAT} }, K.SECRET)`,
  'HS384 with every claim option': `jwt.sign({ a: [1, { b: 'é€𝄞' }], iat: ${IAT} }, K.SECRET, { algorithm: 'HS384', expiresIn: '2h', notBefore: 10, audience: ['a', 'b'], issuer: 'i', subject: 's', jwtid: 'j', keyid: 'k' })`,
  'HS512 with header fields': `jwt.sign({ iat: ${IAT} }, K.SECRET, { algorithm: 'HS512', header: { kid: 'kid-é', x5t: 'abc', typ: 'at+jwt' } })`,
  noTimestamp: `jwt.sign({ a: 1, iat: ${IAT} }, K.SECRET, { noTimestamp: true })`,
  'a text payload': `jwt.sign('hello, world', K.SECRET)`,
  'a Buffer payload': `jwt.sign(Buffer.from('{"raw":true}'), K.SECRET)`,
  'a latin1 payload encoding': `jwt.sign('caf\\u00e9', K.SECRET, { encoding: 'latin1' })`,
  'expiresIn as timespans': `[jwt.sign({ iat: ${IAT} }, K.SECRET, { expiresIn: '1.5 days' }), jwt.sign({ iat: ${IAT} }, K.SECRET, { expiresIn: '-1m' }), jwt.sign({ iat: ${IAT} }, K.SECRET, { expiresIn: '100' })]`,
  mutatePayload: `(function () { var p = { a: 1, iat: ${IAT} }; jwt.sign(p, K.SECRET, { mutatePayload: true, expiresIn: 60 }); return p; })()`,
  'the public PEM as an HMAC secret (jsonwebtoken takes it as a secret when signing)': `jwt.sign({ iat: ${IAT} }, K.PUBLIC_PEM, { algorithm: 'HS256' })`,
  'RS256 with the PKCS#8 PEM': `jwt.sign({ a: 1, iat: ${IAT} }, K.PRIVATE_PEM, { algorithm: 'RS256' })`,
  'RS384 with the PKCS#1 PEM in a Buffer': `jwt.sign({ a: 1, iat: ${IAT} }, Buffer.from(K.PRIVATE_PKCS1_PEM), { algorithm: 'RS384' })`,
  'RS512 with { key }': `jwt.sign({ a: 1, iat: ${IAT} }, { key: K.PRIVATE_PEM }, { algorithm: 'RS512' })`,
  'RS256 with an encrypted PEM and its passphrase': `jwt.sign({ a: 1, iat: ${IAT} }, { key: K.ENCRYPTED_PRIVATE_PEM, passphrase: 'pass-phrase' }, { algorithm: 'RS256' })`,
  'RS256 with a 1024-bit key, allowInsecureKeySizes': `jwt.sign({ a: 1, iat: ${IAT} }, K.SMALL_PRIVATE_PEM, { algorithm: 'RS256', allowInsecureKeySizes: true })`,
  "algorithm 'none' without a key": `jwt.sign({ a: 1, iat: ${IAT} }, undefined, { algorithm: 'none' })`,
  'a sign callback': `later(function (cb) { jwt.sign({ a: 1, iat: ${IAT} }, K.SECRET, { expiresIn: 60 }, cb); })`,
  'an RS256 sign callback': `later(function (cb) { jwt.sign({ a: 1, iat: ${IAT} }, K.PRIVATE_PEM, { algorithm: 'RS256' }, cb); })`,
  // What signing refuses.
  'RS256 with the shared secret': `jwt.sign({ iat: ${IAT} }, K.SECRET, { algorithm: 'RS256' })`,
  'RS256 with the public PEM': `jwt.sign({ iat: ${IAT} }, K.PUBLIC_PEM, { algorithm: 'RS256' })`,
  'ES256 with the shared secret': `jwt.sign({ iat: ${IAT} }, K.SECRET, { algorithm: 'ES256' })`,
  'HS256 with the private PEM': `jwt.sign({ iat: ${IAT} }, K.PRIVATE_PEM, { algorithm: 'HS256' })`,
  'HS256 with the private PEM in a Buffer': `jwt.sign({ iat: ${IAT} }, Buffer.from(K.PRIVATE_PEM), { algorithm: 'HS256' })`,
  'HS256 with { key: private PEM }': `jwt.sign({ iat: ${IAT} }, { key: K.PRIVATE_PEM }, { algorithm: 'HS256' })`,
  'HS512 with an EC private key': `jwt.sign({ iat: ${IAT} }, K.EC256_PRIVATE_PEM, { algorithm: 'HS512' })`,
  'RS256 with an encrypted PEM and no passphrase': `jwt.sign({ iat: ${IAT} }, K.ENCRYPTED_PRIVATE_PEM, { algorithm: 'RS256' })`,
  'RS256 with an encrypted PEM and a wrong passphrase': `jwt.sign({ iat: ${IAT} }, { key: K.ENCRYPTED_PRIVATE_PEM, passphrase: 'wrong' }, { algorithm: 'RS256' })`,
  'RS256 with a 1024-bit key': `jwt.sign({ iat: ${IAT} }, K.SMALL_PRIVATE_PEM, { algorithm: 'RS256' })`,
  'RS256 with an EC key': `jwt.sign({ iat: ${IAT} }, K.EC256_PRIVATE_PEM, { algorithm: 'RS256' })`,
  'ES256 with a P-384 key': `jwt.sign({ iat: ${IAT} }, K.EC384_PRIVATE_PEM, { algorithm: 'ES256' })`,
  'ES256 with an RSA key': `jwt.sign({ iat: ${IAT} }, K.PRIVATE_PEM, { algorithm: 'ES256' })`,
  'RS256 with an RSA-PSS key': `jwt.sign({ iat: ${IAT} }, K.PSS_PRIVATE_PEM, { algorithm: 'RS256' })`,
  'PS384 with an RSA-PSS key made for SHA-256': `jwt.sign({ iat: ${IAT} }, K.PSS_PRIVATE_PEM, { algorithm: 'PS384' })`,
  "algorithm 'none' with an RSA key": `jwt.sign({ iat: ${IAT} }, K.PRIVATE_PEM, { algorithm: 'none' })`,
  'an empty secret': `jwt.sign({ iat: ${IAT} }, '')`,
  'no secret': `jwt.sign({ iat: ${IAT} }, undefined)`,
  'a number for a secret': `jwt.sign({ iat: ${IAT} }, 42)`,
  "algorithm 'hs256'": `jwt.sign({ iat: ${IAT} }, K.SECRET, { algorithm: 'hs256' })`,
  "algorithm 'HS1' through the header": `jwt.sign({ iat: ${IAT} }, K.SECRET, { header: { alg: 'HS1' } })`,
  'an unknown option': `jwt.sign({ iat: ${IAT} }, K.SECRET, { expiresInMinutes: 5 })`,
  'an unreadable expiresIn': `jwt.sign({ iat: ${IAT} }, K.SECRET, { expiresIn: 'soon' })`,
  'a fractional expiresIn': `jwt.sign({ iat: ${IAT} }, K.SECRET, { expiresIn: 1.5 })`,
  'expiresIn and an exp claim': `jwt.sign({ iat: ${IAT}, exp: 1 }, K.SECRET, { expiresIn: 60 })`,
  'an issuer option and an iss claim': `jwt.sign({ iat: ${IAT}, iss: 'a' }, K.SECRET, { issuer: 'b' })`,
  'expiresIn on a text payload': `jwt.sign('text', K.SECRET, { expiresIn: 60 })`,
  'no payload': `jwt.sign(undefined, K.SECRET)`,
  'a null payload': `jwt.sign(null, K.SECRET)`,
  'an array payload': `jwt.sign([1], K.SECRET)`,
  'an iat that is not a number': `jwt.sign({ iat: 'now' }, K.SECRET)`,
  'a header that is not an object': `jwt.sign({ iat: ${IAT} }, K.SECRET, { header: 'x' })`,
  'a sign callback hearing a key error': `settle(function (cb) { jwt.sign({ iat: ${IAT} }, K.SECRET, { algorithm: 'RS256' }, cb); })`,
}

/** Randomised signatures: the sandbox signs, jsonwebtoken verifies. */
const RANDOMISED: Record<string, [string, string]> = {
  PS256: [`jwt.sign({ a: 1, iat: ${IAT} }, K.PRIVATE_PEM, { algorithm: 'PS256' })`, K.PUBLIC_PEM],
  'PS512 (RSA-PSS key made for SHA-256: refused)': [`jwt.sign({ a: 1, iat: ${IAT} }, K.PSS_PRIVATE_PEM, { algorithm: 'PS512' })`, K.PSS_PUBLIC_PEM],
  'PS256 (RSA-PSS key)': [`jwt.sign({ a: 1, iat: ${IAT} }, K.PSS_PRIVATE_PEM, { algorithm: 'PS256' })`, K.PSS_PUBLIC_PEM],
  ES256: [`jwt.sign({ a: 1, iat: ${IAT} }, K.EC256_PRIVATE_PEM, { algorithm: 'ES256' })`, K.EC256_PUBLIC_PEM],
  ES384: [`jwt.sign({ a: 1, iat: ${IAT} }, K.EC384_PRIVATE_PEM, { algorithm: 'ES384' })`, K.EC384_PUBLIC_PEM],
}

/** jwt.decode, which checks nothing. */
const DECODE: Record<string, string> = {
  'a token': `jwt.decode(${T('hs384')})`,
  complete: `jwt.decode(${T('hs384')}, { complete: true })`,
  'a text payload': `jwt.decode(${T('text')})`,
  'json: true on a text payload': `jwt.decode(${lit(`${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('[1,2]').toString('base64url')}.`)}, { json: true })`,
  'without typ, a JSON payload': `jwt.decode(${lit(`${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"a":1}').toString('base64url')}.x`)})`,
  'a latin1 header': `jwt.decode(${lit(`${Buffer.from('{"alg":"HS256","kid":"caf\u00e9"}', 'latin1').toString('base64url')}.e30.`)}, { complete: true })`,
  garbage: `[jwt.decode('garbage'), jwt.decode('a.b.c'), jwt.decode(42), jwt.decode(undefined), jwt.decode('e30.e30.a=')]`,
  'a JWT payload that is not JSON': `jwt.decode(${lit(`${Buffer.from('{"typ":"JWT"}').toString('base64url')}.${Buffer.from('nope').toString('base64url')}.`)})`,
}

let verify: { sandbox: Record<string, Outcome>; real: Record<string, Outcome> }
let signed: { sandbox: Record<string, Outcome>; real: Record<string, Outcome> }
let decoded: { sandbox: Record<string, Outcome>; real: Record<string, Outcome> }
beforeAll(async () => {
  verify = await sideBySide(VERIFY)
  signed = await sideBySide(SIGN)
  decoded = await sideBySide(DECODE)
}, 180_000)

describe('jwt.verify, side by side with jsonwebtoken 9', () => {
  it.each(Object.keys(VERIFY))('%s', (name) => {
    expect(verify.sandbox[name]).toEqual(verify.real[name])
  })

  it('legitimate tokens of every algorithm verify to their payload', () => {
    for (const name of [
      'HS256 under the secret',
      'RS256 under the JWK',
      'PS256 under an RSA-PSS key',
      'ES384 under its EC key',
      'a key callback that answers later',
    ]) {
      expect(verify.sandbox[name]).toEqual({ value: P })
    }
    expect(verify.sandbox['expired']).toEqual({
      error: { name: 'TokenExpiredError', message: 'jwt expired', jwtError: true, error: true, expiredAt: new Date((IAT + 600) * 1000).toISOString() },
    })
  })
})

describe('jwt.sign, side by side with jsonwebtoken 9', () => {
  it.each(Object.keys(SIGN))('%s', (name) => {
    expect(signed.sandbox[name]).toEqual(signed.real[name])
  })

  it('refuses a key of the wrong kind with the words jsonwebtoken uses', () => {
    expect(signed.sandbox['RS256 with the shared secret']).toEqual({
      error: { name: 'Error', message: 'secretOrPrivateKey must be an asymmetric key when using RS256', jwtError: false, error: true },
    })
    expect(signed.sandbox['HS256 with { key: private PEM }']).toEqual({
      error: { name: 'Error', message: 'secretOrPrivateKey must be a symmetric key when using HS256', jwtError: false, error: true },
    })
  })

  it.each(Object.keys(RANDOMISED))('%s: what the sandbox signs, jsonwebtoken verifies (or both refuse to sign)', async (name) => {
    const [expr, publicKey] = RANDOMISED[name] as [string, string]
    const [sandbox, real] = [(await inSandbox({ token: expr }))['token'] as Outcome, (await inNode({ token: expr }))['token'] as Outcome]
    if ('error' in real) {
      expect(sandbox).toEqual(real)
      return
    }
    expect(sandbox).toHaveProperty('value')
    const token = (sandbox as { value: string }).value
    expect(realJwt.decode(token, { complete: true })?.header).toEqual(realJwt.decode(real.value as string, { complete: true })?.header)
    expect(realJwt.verify(token, publicKey)).toEqual({ a: 1, iat: IAT })
  })
})

describe('jwt.decode, side by side with jsonwebtoken 9', () => {
  it.each(Object.keys(DECODE))('%s', (name) => {
    expect(decoded.sandbox[name]).toEqual(decoded.real[name])
  })
})

describe('the module', () => {
  it("exports jsonwebtoken's error classes; its errors are instances of them", async () => {
    const result = await inSandbox({
      classes: `(function () {
        var e; try { jwt.verify('a.b.c', K.SECRET); } catch (x) { e = x; }
        var t = new jwt.TokenExpiredError('m', new Date(0));
        return [Object.keys(jwt).sort(), e instanceof jwt.JsonWebTokenError, e instanceof Error, t instanceof jwt.JsonWebTokenError, t.name, t.expiredAt.toISOString(), Object.keys(e)];
      })()`,
    })
    expect(result['classes']).toEqual({
      value: [
        ['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError', 'decode', 'sign', 'verify'],
        true,
        true,
        true,
        'TokenExpiredError',
        '1970-01-01T00:00:00.000Z',
        ['name', 'message'],
      ],
    })
    expect(Object.keys(realJwt).sort()).toEqual(['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError', 'decode', 'sign', 'verify'])
  })
})
