/**
 * Issue 14, class 7: the `jsonwebtoken` shim accepted forged tokens (an HS256 token MACed with the
 * RSA public key when the key was a Buffer, a `{ key }` object or a PEM with leading whitespace;
 * anything under an empty secret). Every forged token below is verified by the sandbox's
 * jsonwebtoken and by the real jsonwebtoken 9 on the same key: neither accepts it, and both refuse
 * it with the same error (class, name, message). The last block shows the two places where the
 * shim is stricter: real jsonwebtoken 9 accepts those forgeries, the shim does not.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { JwtKeyMaterial } from '../../src/guest/contract.js'
import { registerJwt } from '../../src/lib/capabilities/jwt.js'
import { HostRegistry, type CallContext } from '../../src/lib/host-bridge.js'
import { K, inSandbox, lit, macToken, rawToken, rsToken, sideBySide, type Outcome } from '../modules/jsonwebtoken-support.js'

const IAT = 1_900_000_000
const CLAIMS = { sub: 'admin', role: 'superuser', iat: IAT }
const HS = (alg: string) => ({ alg, typ: 'JWT' })

const legitHs = macToken(CLAIMS, K.SECRET)
const [legitHead, legitBody, legitSig] = legitHs.split('.') as [string, string, string]
/** The same 32 bytes, written with a different last character (base64url's 2 unused bits set). */
const nonCanonicalSig = (() => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const last = alphabet.indexOf(legitSig.at(-1) as string)
  return legitSig.slice(0, -1) + alphabet[(last & ~3) | ((last + 1) & 3)]
})()
const getKeyByKid = `function (header, cb) {
  var keys = { 'rsa-1': K.PUBLIC_PEM };
  if (!Object.prototype.hasOwnProperty.call(keys, header.kid)) return cb(new Error('unknown kid ' + header.kid));
  cb(null, keys[header.kid]);
}`

/** Forged tokens and the key the rule verifies them with: neither library may accept one. */
const ATTACKS: Record<string, string> = {
  // The RSA public key used as the HMAC secret, in every form a rule can hand jsonwebtoken.
  'HS256 MACed with the public PEM, verified with the PEM string': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM))}, K.PUBLIC_PEM)`,
  'HS256 MACed with the public PEM, verified with the PEM in a Buffer': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM))}, Buffer.from(K.PUBLIC_PEM))`,
  'HS256 MACed with the public PEM, verified with { key: PEM }': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM))}, { key: K.PUBLIC_PEM })`,
  'HS256 MACed with the public PEM, verified with { key: Buffer }': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM))}, { key: Buffer.from(K.PUBLIC_PEM), format: 'pem' })`,
  'HS256 MACed with the public PEM, verified with the PEM in a Uint8Array': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM))}, new Uint8Array(Buffer.from(K.PUBLIC_PEM)))`,
  'HS256 MACed with a PEM with leading whitespace, verified with it': `jwt.verify(${lit(macToken(CLAIMS, `  \n\n${K.PUBLIC_PEM}`))}, '  \\n\\n' + K.PUBLIC_PEM)`,
  'HS256 MACed with a PEM with trailing whitespace, verified with it': `jwt.verify(${lit(macToken(CLAIMS, `${K.PUBLIC_PEM}\n\n  `))}, K.PUBLIC_PEM + '\\n\\n  ')`,
  'HS256 MACed with a PEM with CRLF line ends, verified with it': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM.replace(/\n/g, '\r\n')))}, K.PUBLIC_PEM.replace(/\\n/g, '\\r\\n'))`,
  'HS256 MACed with a PKCS#1 public PEM, verified with it': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PKCS1_PEM))}, K.PUBLIC_PKCS1_PEM)`,
  'HS256 MACed with the JWK text, verified with the JWK object': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_JWK))}, { key: JSON.parse(K.PUBLIC_JWK), format: 'jwk' })`,
  'HS256 MACed with the JWK text, verified with the bare JWK object': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_JWK))}, JSON.parse(K.PUBLIC_JWK))`,
  'HS256 MACed with a whitespace-led PEM, verified with it in a Buffer': `jwt.verify(${lit(macToken(CLAIMS, ` \n\n${K.PUBLIC_PEM}`))}, Buffer.from(' \\n\\n' + K.PUBLIC_PEM))`,
  'HS256 MACed with a whitespace-led PEM, verified with { key }': `jwt.verify(${lit(macToken(CLAIMS, `\n\n${K.PUBLIC_PEM}`))}, { key: '\\n\\n' + K.PUBLIC_PEM })`,
  'HS256 MACed with the private PEM text, verified with the private PEM': `jwt.verify(${lit(macToken(CLAIMS, K.PRIVATE_PEM))}, K.PRIVATE_PEM)`,
  'HS384 MACed with the public PEM': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM, HS('HS384')))}, K.PUBLIC_PEM)`,
  'HS512 MACed with the public PEM': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM, HS('HS512')))}, K.PUBLIC_PEM)`,
  'HS256 MACed with an EC public PEM': `jwt.verify(${lit(macToken(CLAIMS, K.EC256_PUBLIC_PEM))}, K.EC256_PUBLIC_PEM)`,
  // The rule even lists HS256: the key type still decides.
  "algorithms: ['HS256'] with the public PEM string": `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM))}, K.PUBLIC_PEM, { algorithms: ['HS256'] })`,
  "algorithms: ['HS256'] with the PEM in a Buffer": `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM))}, Buffer.from(K.PUBLIC_PEM), { algorithms: ['HS256'] })`,
  "algorithms: ['RS256', 'HS256'] with { key: PEM }": `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM))}, { key: K.PUBLIC_PEM }, { algorithms: ['RS256', 'HS256'] })`,
  'algorithms as the string "RS256,HS256" with the public PEM': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM))}, K.PUBLIC_PEM, { algorithms: 'RS256,HS256' })`,
  // The key id picks the key; the key's type still decides.
  'a kid that selects the RSA key, on an HS256 token MACed with it': `settle(function (cb) { jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM, { ...HS('HS256'), kid: 'rsa-1' }))}, ${getKeyByKid}, {}, cb); })`,
  'a kid the rule does not know': `settle(function (cb) { jwt.verify(${lit(macToken(CLAIMS, K.SECRET, { ...HS('HS256'), kid: 'attacker' }))}, ${getKeyByKid}, {}, cb); })`,
  'a key callback without a verify callback': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM, { ...HS('HS256'), kid: 'rsa-1' }))}, ${getKeyByKid})`,
  // The header's algorithm, spelled otherwise.
  "alg 'hs256' under the shared secret": `jwt.verify(${lit(macToken(CLAIMS, K.SECRET, HS('hs256'), 'sha256'))}, K.SECRET)`,
  "alg 'hs256' when the rule lists 'hs256'": `jwt.verify(${lit(macToken(CLAIMS, K.SECRET, HS('hs256'), 'sha256'))}, K.SECRET, { algorithms: ['hs256'] })`,
  "alg 'Hs256' MACed with the public PEM": `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_PEM, HS('Hs256'), 'sha256'))}, K.PUBLIC_PEM, { algorithms: ['Hs256', 'RS256'] })`,
  "alg 'HS256 ' (a trailing space)": `jwt.verify(${lit(macToken(CLAIMS, K.SECRET, HS('HS256 '), 'sha256'))}, K.SECRET)`,
  "alg ['HS256'] (an array)": `jwt.verify(${lit(macToken(CLAIMS, K.SECRET, { alg: ['HS256'], typ: 'JWT' }, 'sha256'))}, K.SECRET)`,
  'no alg at all': `jwt.verify(${lit(macToken(CLAIMS, K.SECRET, { typ: 'JWT' }, 'sha256'))}, K.SECRET)`,
  // alg: none.
  "alg 'none' without a signature, under the secret": `jwt.verify(${lit(rawToken(CLAIMS, { alg: 'none', typ: 'JWT' }, ''))}, K.SECRET)`,
  "alg 'none' with a signature, under the secret": `jwt.verify(${lit(rawToken(CLAIMS, { alg: 'none', typ: 'JWT' }, 'c2lnbmF0dXJl'))}, K.SECRET)`,
  "alg 'none' without a signature, the rule listing 'none' but passing its secret": `jwt.verify(${lit(rawToken(CLAIMS, { alg: 'none', typ: 'JWT' }, ''))}, K.SECRET, { algorithms: ['none', 'HS256'] })`,
  "alg 'none' with a signature, the rule listing 'none'": `jwt.verify(${lit(rawToken(CLAIMS, { alg: 'none', typ: 'JWT' }, 'c2ln'))}, K.SECRET, { algorithms: ['none'] })`,
  "alg 'none' without a signature and without a key": `jwt.verify(${lit(rawToken(CLAIMS, { alg: 'none', typ: 'JWT' }, ''))}, undefined)`,
  "alg 'none' without a signature under the public PEM": `jwt.verify(${lit(rawToken(CLAIMS, { alg: 'none', typ: 'JWT' }, ''))}, K.PUBLIC_PEM)`,
  "alg 'NONE' without a signature, the rule listing 'none'": `jwt.verify(${lit(rawToken(CLAIMS, { alg: 'NONE', typ: 'JWT' }, ''))}, undefined, { algorithms: ['none'] })`,
  "alg 'HS256' without a signature and without a key, the rule listing HS256": `jwt.verify(${lit(rawToken(CLAIMS, { alg: 'HS256', typ: 'JWT' }, ''))}, undefined, { algorithms: ['HS256'] })`,
  // Empty and missing secrets.
  "MACed with '' under the secret ''": `jwt.verify(${lit(macToken(CLAIMS, ''))}, '')`,
  'MACed with the string "undefined" under an unset secret': `jwt.verify(${lit(macToken(CLAIMS, 'undefined'))}, K.NOT_SET)`,
  'MACed with "null" under null': `jwt.verify(${lit(macToken(CLAIMS, 'null'))}, null)`,
  "MACed with '' under the secret 0": `jwt.verify(${lit(macToken(CLAIMS, ''))}, 0)`,
  "MACed with '' under the secret false": `jwt.verify(${lit(macToken(CLAIMS, ''))}, false)`,
  "MACed with '' under a whitespace secret": `jwt.verify(${lit(macToken(CLAIMS, ''))}, ' ')`,
  'MACed with "[object Object]" under a KeyObject-like object': `jwt.verify(${lit(macToken(CLAIMS, '[object Object]'))}, { type: 'secret', symmetricKeySize: 15, export: function () { return Buffer.from('[object Object]'); } })`,
  'MACed with "42" under the number 42': `jwt.verify(${lit(macToken(CLAIMS, '42'))}, 42)`,
  'algorithms: [] (nothing allowed)': `jwt.verify(${lit(legitHs)}, K.SECRET, { algorithms: [] })`,
  // Asymmetric tokens under the wrong kind of key.
  'an RS256 token under the shared secret': `jwt.verify(${lit(rsToken(CLAIMS))}, K.SECRET)`,
  'an RS256 token under the shared secret, the rule listing RS256': `jwt.verify(${lit(rsToken(CLAIMS))}, K.SECRET, { algorithms: ['RS256'] })`,
  'an RS256 token under another RSA key': `jwt.verify(${lit(rsToken(CLAIMS))}, K.OTHER_PUBLIC_PEM)`,
  'an RS256 token under an EC key, the rule listing RS256': `jwt.verify(${lit(rsToken(CLAIMS))}, K.EC256_PUBLIC_PEM, { algorithms: ['RS256'] })`,
  'an ES256 header on an RSA signature, under the RSA key listing ES256': `jwt.verify(${lit(rsToken(CLAIMS, { alg: 'ES256', typ: 'JWT' }))}, K.PUBLIC_PEM, { algorithms: ['ES256'] })`,
  'a PS256 header under an Ed25519 key': `jwt.verify(${lit(rsToken(CLAIMS, { alg: 'PS256', typ: 'JWT' }))}, K.ED_PUBLIC_PEM)`,
  // The token's text.
  'the legitimate signature in a non-canonical base64url spelling': `jwt.verify(${lit(`${legitHead}.${legitBody}.${nonCanonicalSig}`)}, K.SECRET)`,
  'the legitimate signature with base64 padding': `jwt.verify(${lit(`${legitHs}=`)}, K.SECRET)`,
  "the legitimate signature in base64's alphabet (+ and /)": `jwt.verify(${lit(`${legitHead}.${legitBody}.${legitSig.replace(/-/g, '+').replace(/_/g, '/')}`)}, K.SECRET)`,
  'a tampered payload under the legitimate signature': `jwt.verify(${lit(`${legitHead}.${Buffer.from(JSON.stringify({ ...CLAIMS, role: 'root' })).toString('base64url')}.${legitSig}`)}, K.SECRET)`,
  'a fourth part': `jwt.verify(${lit(`${legitHs}.extra`)}, K.SECRET)`,
}

/** What only the shim refuses: real jsonwebtoken 9 accepts these forgeries. */
const STRICTER: Record<string, string> = {
  'HS256 MACed with a public PEM behind a leading tab (node:crypto cannot parse it, so jsonwebtoken takes it as a secret)': `jwt.verify(${lit(macToken(CLAIMS, `\t${K.PUBLIC_PEM}`))}, '\\t' + K.PUBLIC_PEM)`,
  'HS256 MACed with a public PEM behind a stray character': `jwt.verify(${lit(macToken(CLAIMS, `x${K.PUBLIC_PEM}`))}, 'x' + K.PUBLIC_PEM)`,
  'HS256 MACed with the JWK as JSON text, verified with that text': `jwt.verify(${lit(macToken(CLAIMS, K.PUBLIC_JWK))}, K.PUBLIC_JWK)`,
  "alg 'none' without a signature under the empty secret, the rule listing 'none'": `jwt.verify(${lit(rawToken(CLAIMS, { alg: 'none', typ: 'JWT' }, ''))}, '', { algorithms: ['none', 'HS256'] })`,
  'HS256 MACed with a PEM behind a space on its first line': `jwt.verify(${lit(macToken(CLAIMS, ` ${K.PUBLIC_PEM}`))}, ' ' + K.PUBLIC_PEM)`,
  'HS256 MACed with a PEM behind a space, in a Buffer': `jwt.verify(${lit(macToken(CLAIMS, `\n ${K.PUBLIC_PEM}`))}, Buffer.from('\\n ' + K.PUBLIC_PEM))`,
  'HS256 MACed with nothing, verified with an empty Buffer': `jwt.verify(${lit(macToken(CLAIMS, ''))}, Buffer.alloc(0))`,
  'HS256 MACed with nothing, verified with an empty Uint8Array': `jwt.verify(${lit(macToken(CLAIMS, ''))}, new Uint8Array(0))`,
}

let attacks: { sandbox: Record<string, Outcome>; real: Record<string, Outcome> }
let stricter: { sandbox: Record<string, Outcome>; real: Record<string, Outcome> }
beforeAll(async () => {
  attacks = await sideBySide(ATTACKS)
  stricter = await sideBySide(STRICTER)
}, 120_000)

describe('forged tokens: neither the shim nor jsonwebtoken 9 accepts them, and both say why in the same words', () => {
  it.each(Object.keys(ATTACKS))('%s', (name) => {
    const sandbox = attacks.sandbox[name] as Outcome
    expect(sandbox).toHaveProperty('error')
    expect(attacks.real[name]).toHaveProperty('error')
    expect(sandbox).toEqual(attacks.real[name])
  })

  it('the key decides: a public key, in any form, is refused for HS256 with the reasons jsonwebtoken gives', () => {
    const message = (name: string) => (attacks.sandbox[name] as { error: { message: string } }).error.message
    expect(message('HS256 MACed with the public PEM, verified with the PEM in a Buffer')).toBe('invalid algorithm')
    expect(message("algorithms: ['HS256'] with the PEM in a Buffer")).toBe('secretOrPublicKey must be a symmetric key when using HS256')
    expect(message("MACed with '' under the secret ''")).toBe('secret or public key must be provided')
    expect(message('a kid the rule does not know')).toBe('error in secret or public key callback: unknown kid attacker')
    expect(message("alg 'hs256' when the rule lists 'hs256'")).toMatch(/^"hs256" is not a valid algorithm\./)
  })
})

describe('stricter than jsonwebtoken 9: forgeries it accepts, the shim refuses', () => {
  it.each(Object.keys(STRICTER))('%s', (name) => {
    expect(stricter.real[name]).toEqual({ value: CLAIMS })
    expect(stricter.sandbox[name]).toMatchObject({ error: { name: 'JsonWebTokenError', jwtError: true } })
  })

  it('says why: unusable key material, or no secret at all', () => {
    const message = (name: string) => (stricter.sandbox[name] as { error: { message: string } }).error.message
    expect(message('HS256 MACed with the JWK as JSON text, verified with that text')).toBe('secretOrPublicKey is not valid key material')
    expect(message('HS256 MACed with nothing, verified with an empty Buffer')).toBe('secret or public key must be provided')
  })
})

describe("the host's own check: whatever the guest asks, the key type decides", () => {
  const registry = new HostRegistry()
  registerJwt(registry)
  const call = (id: string, args: unknown[]) => (registry.get(id) as (args: unknown[], context: CallContext) => unknown)(args, {} as CallContext)
  const pem: JwtKeyMaterial = { kind: 'string', value: K.PUBLIC_PEM }
  const [head, body, sig] = macToken(CLAIMS, K.PUBLIC_PEM).split('.') as [string, string, string]

  it('will not check an HMAC with a public key, in any form', () => {
    for (const material of [
      pem,
      { kind: 'bytes', value: Buffer.from(K.PUBLIC_PEM) },
      { kind: 'bytes', value: new Uint8Array(Buffer.from(K.PUBLIC_PEM)) },
      { kind: 'object', key: K.PUBLIC_PEM },
    ]) {
      expect(call('$jwt.verify', ['HS256', `${head}.${body}`, sig, material])).toEqual({
        ok: false,
        name: 'Error',
        message: 'The key for HS256 must be a secret key.',
      })
    }
    expect(call('$jwt.verify', ['HS256', `${head}.${body}`, sig, { kind: 'string', value: `\t${K.PUBLIC_PEM}` }])).toMatchObject({ ok: false })
  })

  it('will not sign RS256 with a secret, nor HS256 with a private key, nor anything with an empty secret', () => {
    expect(call('$jwt.sign', ['RS256', 'e30.e30', { kind: 'string', value: K.SECRET }])).toEqual({
      ok: false,
      name: 'Error',
      message: 'The key for RS256 must be a private key.',
    })
    expect(call('$jwt.sign', ['HS256', 'e30.e30', { kind: 'string', value: K.PRIVATE_PEM }])).toEqual({
      ok: false,
      name: 'Error',
      message: 'The key for HS256 must be a secret key.',
    })
    expect(call('$jwt.sign', ['HS256', 'e30.e30', { kind: 'bytes', value: Buffer.alloc(0) }])).toMatchObject({ ok: false })
    expect(call('$jwt.key', ['verify', { kind: 'bytes', value: Buffer.alloc(0) }])).toBeNull()
  })

  it("takes an 'oct' JWK's text as a secret, as jsonwebtoken does, but not an RSA JWK's", () => {
    const oct = JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' })
    expect(call('$jwt.key', ['verify', { kind: 'string', value: oct }])).toEqual({ type: 'secret' })
    expect(call('$jwt.key', ['verify', { kind: 'string', value: K.PUBLIC_JWK }])).toBeNull()
  })

  it('classifies keys as jsonwebtoken does', () => {
    expect(call('$jwt.key', ['verify', pem])).toEqual({ type: 'public', asymmetricKeyType: 'rsa', details: { modulusLength: 2048 } })
    expect(call('$jwt.key', ['sign', pem])).toEqual({ type: 'secret' })
    expect(call('$jwt.key', ['verify', { kind: 'string', value: K.SECRET }])).toEqual({ type: 'secret' })
    expect(call('$jwt.key', ['verify', { kind: 'unusable' }])).toBeNull()
  })
})

describe('a rule that replaced the built-ins jsonwebtoken leans on', () => {
  it('still gets the forged token refused: the shim calls the intrinsics it captured before any rule ran', async () => {
    const forged = lit(macToken(CLAIMS, K.PUBLIC_PEM))
    const result = await inSandbox({
      poisoned: `(function () {
        Array.prototype.indexOf = function () { return 0; };
        String.prototype.indexOf = function () { return 0; };
        String.prototype.startsWith = function () { return true; };
        RegExp.prototype.exec = function () { return null; };
        RegExp.prototype.test = function () { return false; };
        var out = [];
        [undefined, { algorithms: ['HS256'] }, { algorithms: ['RS256'] }].forEach(function (options) {
          try { jwt.verify(${forged}, K.PUBLIC_PEM, options); out.push('verified'); } catch (e) { out.push(e.message); }
        });
        return out;
      })()`,
    })
    expect(result['poisoned']).toEqual({
      value: ['invalid algorithm', 'secretOrPublicKey must be a symmetric key when using HS256', 'invalid algorithm'],
    })
  })
})
