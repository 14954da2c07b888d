/**
 * `require('jsonwebtoken')` (with `modules.crypto`): sign, verify and decode for HS256 and RS256,
 * backed by the host's crypto. Tokens the rule signs are verified here with node:crypto; tokens
 * made here are verified by the rule.
 */
import { createHmac, generateKeyPairSync, sign as rsaSign, verify as rsaVerify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { evaluate } from './support.js'

const SECRET = 'a-shared-secret-of-reasonable-length-0123'
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
const PRIVATE_PKCS1_PEM = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string
const PUBLIC_PEM = publicKey.export({ type: 'spki', format: 'pem' }) as string
const OTHER_PUBLIC_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) as string

const configuration = { SECRET, PRIVATE_PEM, PRIVATE_PKCS1_PEM, PUBLIC_PEM, OTHER_PUBLIC_PEM }
// Signatures run on the worker pool, whose first job in a process waits for the worker to start.
const OPTIONS = { modules: { crypto: true }, configuration, limits: { timeoutMs: 30_000 } }

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const part = (text: string) => JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>
const nowS = () => Math.floor(Date.now() / 1000)

function hsToken(payload: Record<string, unknown>, secret = SECRET, alg = 'HS256', header: Record<string, unknown> = {}): string {
  const input = `${b64({ alg, typ: 'JWT', ...header })}.${b64(payload)}`
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] as string
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}

function rsToken(payload: Record<string, unknown>): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}`
  return `${input}.${rsaSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
}

/** Verify `body` (which ends with `done(describeJwtError(e))` or a payload) in the sandbox. */
const JWT_ERROR = `function describeJwtError(e) {
  var out = { name: e.name, message: e.message, isError: e instanceof Error };
  if (e.expiredAt !== undefined) out.expiredAt = e.expiredAt instanceof Date ? e.expiredAt.toISOString() : 'not a Date';
  if (e.date !== undefined) out.date = e.date instanceof Date ? e.date.toISOString() : 'not a Date';
  return out;
}
var jwt = require('jsonwebtoken');`

async function inSandbox(body: string, options: Record<string, unknown> = {}): Promise<any> {
  return evaluate(`${JWT_ERROR}\n${body}`, { ...OPTIONS, ...options })
}

describe('jwt.sign', () => {
  it.each([
    ['HS256', 'sha256'],
    ['HS384', 'sha384'],
    ['HS512', 'sha512'],
  ])('%s: the signature verifies with node:crypto; header and claims as jsonwebtoken writes them', async (alg, hash) => {
    const before = nowS()
    const token = (await inSandbox(
      `done(jwt.sign({ scope: 'read:reports', nested: { a: [1] } }, configuration.SECRET,
        { algorithm: '${alg}', expiresIn: '1h', notBefore: 10, audience: 'https://api.example.com', issuer: 'https://idp.example.com/', subject: user.user_id, jwtid: 'jti-1', keyid: 'k1' }));`,
    )) as string
    const [h, p, s] = token.split('.') as [string, string, string]
    expect(s).toBe(createHmac(hash, SECRET).update(`${h}.${p}`).digest('base64url'))
    expect(part(h)).toEqual({ alg, typ: 'JWT', kid: 'k1' })
    const claims = part(p)
    const iat = claims['iat'] as number
    expect(iat).toBeGreaterThanOrEqual(before)
    expect(iat).toBeLessThanOrEqual(nowS())
    expect(claims).toEqual({
      scope: 'read:reports',
      nested: { a: [1] },
      iat,
      exp: iat + 3600,
      nbf: iat + 10,
      aud: 'https://api.example.com',
      iss: 'https://idp.example.com/',
      sub: 'auth0|5f7c8ec7c33c6c004bbafe82',
      jti: 'jti-1',
    })
  })

  it.each([
    ['a PKCS#8 PEM', 'configuration.PRIVATE_PEM'],
    ['a PKCS#1 PEM', 'configuration.PRIVATE_PKCS1_PEM'],
    ['a PEM in a Buffer', 'Buffer.from(configuration.PRIVATE_PEM)'],
  ])('RS256 with %s: the signature verifies with the public key', async (_what, key) => {
    const token = (await inSandbox(`done(jwt.sign({ sub: 'svc' }, ${key}, { algorithm: 'RS256', expiresIn: 60 }));`)) as string
    const [h, p, s] = token.split('.') as [string, string, string]
    expect(rsaVerify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))).toBe(true)
    expect(part(h)).toEqual({ alg: 'RS256', typ: 'JWT' })
    expect(part(p)).toMatchObject({ sub: 'svc', exp: (part(p)['iat'] as number) + 60 })
  })

  it('calls back with the token when given a callback', async () => {
    const token = (await inSandbox(
      `jwt.sign({ a: 1 }, configuration.SECRET, { algorithm: 'HS256', noTimestamp: true }, function (err, t) { done(err ? describeJwtError(err) : t); });`,
    )) as string
    expect(token).toBe(hsToken({ a: 1 }))
  })

  it("signs with algorithm 'none' as jsonwebtoken 9 does: an empty signature, which verify refuses unless the rule lists 'none' and passes no key", async () => {
    const result = await inSandbox(
      `var t = jwt.sign({ a: 1 }, configuration.SECRET, { algorithm: 'none', noTimestamp: true });
       var out = [t];
       try { jwt.verify(t, configuration.SECRET, { algorithms: ['none'] }); out.push('verified'); } catch (e) { out.push(e.message); }
       done(out);`,
    )
    expect(result).toEqual([`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ a: 1 })}.`, 'jwt signature is required'])
  })
})

describe('jwt.verify', () => {
  it('verifies an HS256 token made here and returns its payload', async () => {
    const payload = { sub: 'auth0|1', aud: 'api', iss: 'https://idp/', iat: nowS(), exp: nowS() + 300 }
    const result = await inSandbox(`done(jwt.verify(${JSON.stringify(hsToken(payload))}, configuration.SECRET, { audience: 'api', issuer: 'https://idp/' }));`)
    expect(result).toEqual(payload)
  })

  it('verifies an RS256 token made here with the public key; complete: true gives header, payload and signature', async () => {
    const payload = { sub: 'svc', iat: nowS(), exp: nowS() + 300 }
    const token = rsToken(payload)
    const result = await inSandbox(`done(jwt.verify(${JSON.stringify(token)}, configuration.PUBLIC_PEM, { algorithms: ['RS256'], complete: true }));`)
    expect(result).toEqual({ header: { alg: 'RS256', typ: 'JWT' }, payload, signature: token.split('.')[2] })
  })

  it('verifies with a callback', async () => {
    const payload = { n: 1, iat: nowS() }
    const result = await inSandbox(
      `jwt.verify(${JSON.stringify(hsToken(payload))}, configuration.SECRET, function (err, p) { done(err ? describeJwtError(err) : p); });`,
    )
    expect(result).toEqual(payload)
  })

  it('an expired token is a TokenExpiredError with expiredAt', async () => {
    const exp = nowS() - 60
    const result = await inSandbox(
      `try { jwt.verify(${JSON.stringify(hsToken({ sub: 'x', iat: exp - 60, exp }))}, configuration.SECRET); done('verified'); } catch (e) { done(describeJwtError(e)); }`,
    )
    expect(result).toEqual({ name: 'TokenExpiredError', message: 'jwt expired', isError: true, expiredAt: new Date(exp * 1000).toISOString() })
  })

  it('a token not yet valid is a NotBeforeError', async () => {
    const nbf = nowS() + 3600
    const result = await inSandbox(
      `try { jwt.verify(${JSON.stringify(hsToken({ sub: 'x', nbf }))}, configuration.SECRET); done('verified'); } catch (e) { done(describeJwtError(e)); }`,
    )
    expect(result).toEqual({ name: 'NotBeforeError', message: 'jwt not active', isError: true, date: new Date(nbf * 1000).toISOString() })
  })

  it.each([
    ['signed with another secret', () => hsToken({ sub: 'x' }, 'another-secret'), 'configuration.SECRET', 'invalid signature'],
    [
      'with a tampered payload',
      () => {
        const [h, , s] = hsToken({ role: 'user' }).split('.')
        return `${h}.${b64({ role: 'admin' })}.${s}`
      },
      'configuration.SECRET',
      'invalid signature',
    ],
    ['RS256 checked with another public key', () => rsToken({ sub: 'x' }), 'configuration.OTHER_PUBLIC_PEM', 'invalid signature'],
    ["alg 'none' without a signature", () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x' })}.`, 'configuration.SECRET', undefined],
    ["alg 'none' with a signature", () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x' })}.c2ln`, 'configuration.SECRET', undefined],
    [
      'HS256 signed with the RSA public key, checked with that key (algorithm confusion)',
      () => hsToken({ sub: 'x' }, PUBLIC_PEM),
      'configuration.PUBLIC_PEM',
      undefined,
    ],
    ['malformed', () => 'not.a-jwt', 'configuration.SECRET', undefined],
    ['empty', () => '', 'configuration.SECRET', 'jwt must be provided'],
  ])('a token %s is a JsonWebTokenError', async (_what, token, key, message) => {
    const result = await inSandbox(`try { jwt.verify(${JSON.stringify(token())}, ${key}); done('verified'); } catch (e) { done(describeJwtError(e)); }`)
    expect(result).toMatchObject({ name: 'JsonWebTokenError', isError: true, ...(message === undefined ? {} : { message }) })
  })

  it('checks audience, issuer, subject and the allowed algorithms', async () => {
    const token = JSON.stringify(hsToken({ aud: ['a', 'b'], iss: 'https://idp/', sub: 'u1' }))
    const result = await inSandbox(
      `var out = [];
       function attempt(options) { try { jwt.verify(${token}, configuration.SECRET, options); out.push('ok'); } catch (e) { out.push(e.name + ': ' + e.message); } }
       attempt({ audience: 'b' });
       attempt({ audience: 'c' });
       attempt({ issuer: 'https://other/' });
       attempt({ subject: 'u2' });
       attempt({ algorithms: ['RS256'] });
       done(out);`,
    )
    expect(result).toEqual([
      'ok',
      'JsonWebTokenError: jwt audience invalid. expected: c',
      'JsonWebTokenError: jwt issuer invalid. expected: https://other/',
      'JsonWebTokenError: jwt subject invalid. expected: u2',
      'JsonWebTokenError: invalid algorithm',
    ])
  })

  it('a failing verify calls back with the error', async () => {
    const result = await inSandbox(
      `jwt.verify(${JSON.stringify(hsToken({ sub: 'x' }, 'wrong'))}, configuration.SECRET, function (err, p) { done(err ? describeJwtError(err) : p); });`,
    )
    expect(result).toEqual({ name: 'JsonWebTokenError', message: 'invalid signature', isError: true })
  })
})

describe('jwt.decode', () => {
  it('decodes without verifying; complete gives the header; garbage gives null', async () => {
    const token = hsToken({ sub: 'x', n: 1 }, 'whatever', 'HS256', { kid: 'k9' })
    const result = await inSandbox(
      `done([jwt.decode(${JSON.stringify(token)}), jwt.decode(${JSON.stringify(token)}, { complete: true }).header, jwt.decode('garbage'), jwt.decode(42)]);`,
    )
    expect(result).toEqual([{ sub: 'x', n: 1 }, { alg: 'HS256', typ: 'JWT', kid: 'k9' }, null, null])
  })
})

describe('jsonwebtoken and the engine’s clock option', () => {
  const clock = () => Date.UTC(2030, 0, 1)
  const clockS = Date.UTC(2030, 0, 1) / 1000

  it('sign stamps iat from the time rules see', async () => {
    const token = (await inSandbox(`done(jwt.sign({ a: 1 }, configuration.SECRET, { expiresIn: 60 }));`, { clock })) as string
    const claims = part(token.split('.')[1] as string)
    expect(claims).toEqual({ a: 1, iat: clockS, exp: clockS + 60 })
  })

  it('verify judges expiry by the time rules see', async () => {
    // Valid by the real clock, expired by the engine's clock (2030).
    const token = hsToken({ sub: 'x', iat: nowS(), exp: nowS() + 3600 })
    const result = await inSandbox(`try { jwt.verify(${JSON.stringify(token)}, configuration.SECRET); done('verified'); } catch (e) { done(e.name); }`, {
      clock,
    })
    expect(result).toBe('TokenExpiredError')
  })
})
