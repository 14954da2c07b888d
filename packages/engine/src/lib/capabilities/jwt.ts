/**
 * `jsonwebtoken`'s host half: what node:crypto says a key is, and the JWS signatures themselves.
 *
 * jsonwebtoken 9 lets the key decide the algorithms: it turns the key into a KeyObject with
 * `createPublicKey` (verify) or `createPrivateKey` (sign), and only when that fails with
 * `createSecretKey`; HS* then needs a secret key, RS/PS/ES* an asymmetric one. The guest's shim
 * (guest/jwt.js) runs jsonwebtoken's checks in jsonwebtoken's order; this file classifies the key
 * the same way (`$jwt.key`) and signs or verifies (`$jwt.sign`, `$jwt.verify`), checking the key
 * type again itself, so that no guest can MAC with a public key or sign RS256 with a secret.
 *
 * Stricter than jsonwebtoken in two places, both of which only ever refuse: to verify, key
 * material that is evidently a public key node:crypto cannot parse (PEM armour, a JWK as JSON, an
 * OpenSSH line) is never an HMAC secret; and zero-length secrets are refused.
 */
import { constants, createHmac, createPrivateKey, createPublicKey, createSecretKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto'
import type { JwtCryptoOutcome, JwtKeyInfo, JwtKeyMaterial, JwtKeyUse } from '../../guest/contract.js'
import type { HostRegistry } from '../host-bridge.js'

/** jwa's algorithm names, exactly (case-sensitive): family and bits. */
const JWA = /^(RS|PS|ES|HS)(256|384|512)$/

/** `jsonwebtoken`'s key classification and signatures (HS, RS, PS, ES at 256/384/512). */
export function registerJwt(registry: HostRegistry): void {
  registry.register('$jwt.key', ([use, material]) => {
    const key = keyObjectOf(use, material)
    return key === undefined ? null : describeKey(key)
  })
  registry.register('$jwt.sign', ([alg, input, material]) => outcome(() => signJws(String(alg), String(input), keyFor('sign', String(alg), material))))
  registry.register('$jwt.verify', ([alg, input, signature, material]) =>
    outcome(() => verifyJws(String(alg), String(input), String(signature), keyFor('verify', String(alg), material))),
  )
}

/** The KeyObject jsonwebtoken 9 makes of `material` (sign: private, else secret; verify: public, else secret), or undefined: not key material. */
export function keyObjectOf(use: JwtKeyUse, material: JwtKeyMaterial): KeyObject | undefined {
  const input = keyInput(material)
  if (input === undefined) return undefined
  try {
    return use === 'sign' ? createPrivateKey(input as Parameters<typeof createPrivateKey>[0]) : createPublicKey(input as Parameters<typeof createPublicKey>[0])
  } catch {
    // jsonwebtoken: createSecretKey(typeof key === 'string' ? Buffer.from(key) : key).
    const raw = typeof input === 'string' ? Buffer.from(input) : input
    if (!Buffer.isBuffer(raw) || raw.length === 0 || (use === 'verify' && looksLikePublicKey(raw))) return undefined
    try {
      return createSecretKey(raw)
    } catch {
      return undefined
    }
  }
}

/** The value the rule passed, rebuilt from the guest's copy (see JwtKeyMaterial); undefined when node:crypto would refuse it outright. */
function keyInput(material: JwtKeyMaterial): string | Buffer | Record<string, unknown> | undefined {
  if (material === null || typeof material !== 'object') return undefined
  switch (material.kind) {
    case 'string':
      return typeof material.value === 'string' ? material.value : undefined
    case 'bytes':
      return asBuffer(material.value)
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const field of ['key', 'format', 'type', 'passphrase', 'encoding'] as const) {
        const value = material[field]
        if (value !== undefined) out[field] = asBuffer(value) ?? value
      }
      return out
    }
    default:
      return undefined
  }
}

/** Bytes as a Buffer (a worker thread receives them as a plain Uint8Array), or undefined. */
function asBuffer(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : undefined
}

/** PEM armour, a JWK as JSON or an OpenSSH public key line: public material, never a secret (jsonwebtoken would MAC with it). */
function looksLikePublicKey(raw: Buffer): boolean {
  const text = raw.toString('latin1')
  if (text.includes('-----BEGIN') || /^\s*(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-|sk-ssh-|sk-ecdsa-)/.test(text)) return true
  if (!/^\s*\{/.test(text)) return false
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'))
    // An asymmetric JWK (RSA, EC, OKP); an 'oct' JWK is a secret's, and its text may be one.
    return parsed !== null && typeof parsed === 'object' && Object.hasOwn(parsed, 'kty') && (parsed as { kty: unknown }).kty !== 'oct'
  } catch {
    return false
  }
}

/** What jsonwebtoken reads of a KeyObject: its type, asymmetric key type and the details its checks use. */
function describeKey(key: KeyObject): JwtKeyInfo {
  const info: JwtKeyInfo = { type: key.type }
  if (key.asymmetricKeyType !== undefined) info.asymmetricKeyType = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails
  if (details !== undefined) {
    info.details = {}
    if (details.modulusLength !== undefined) info.details.modulusLength = details.modulusLength
    if (details.namedCurve !== undefined) info.details.namedCurve = details.namedCurve
    if (details.hashAlgorithm !== undefined) info.details.hashAlgorithm = details.hashAlgorithm
    if (details.mgf1HashAlgorithm !== undefined) info.details.mgf1HashAlgorithm = details.mgf1HashAlgorithm
    if (details.saltLength !== undefined) info.details.saltLength = details.saltLength
  }
  return info
}

/** The key for `alg`, checked here as jsonwebtoken checks it: HS* a secret, RS/PS/ES* a private (sign) or public (verify) key. */
function keyFor(use: JwtKeyUse, alg: string, material: JwtKeyMaterial): KeyObject {
  const key = keyObjectOf(use, material)
  const wanted = alg.startsWith('HS') ? 'secret' : use === 'sign' ? 'private' : 'public'
  if (key === undefined || key.type !== wanted) throw new Error(`The key for ${alg} must be a ${wanted} key.`)
  return key
}

/** The signature of `input` (base64url), as jwa writes it. */
export function signJws(alg: string, input: string, key: KeyObject): string {
  const [, family, bits] = jwaParts(alg)
  const data = Buffer.from(input)
  const hash = `sha${bits}`
  if (family === 'HS') return createHmac(hash, key).update(data).digest('base64url')
  if (family === 'RS') return sign(hash, data, key).toString('base64url')
  if (family === 'PS')
    return sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }).toString('base64url')
  return sign(hash, data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')
}

/** Whether `signature` is `input`'s, as jwa checks it (HMAC: the base64url text compared in constant time). */
export function verifyJws(alg: string, input: string, signature: string, key: KeyObject): boolean {
  const [, family, bits] = jwaParts(alg)
  const data = Buffer.from(input)
  const hash = `sha${bits}`
  if (family === 'HS') {
    const expected = Buffer.from(createHmac(hash, key).update(data).digest('base64url'))
    const given = Buffer.from(signature)
    return expected.length === given.length && timingSafeEqual(expected, given)
  }
  const sig = Buffer.from(signature, 'base64')
  if (family === 'RS') return verify(hash, data, key, sig)
  if (family === 'PS') return verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, sig)
  // ecdsa-sig-formatter's joseToDer: a JOSE signature is r || s, each as long as the curve's order.
  const size = bits === '256' ? 32 : bits === '384' ? 48 : 66
  if (sig.length !== size * 2) throw new TypeError(`"${alg}" signatures must be "${size * 2}" bytes, saw "${sig.length}"`)
  return verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig)
}

function jwaParts(alg: string): RegExpExecArray {
  const parts = JWA.exec(alg)
  if (parts === null) throw new TypeError(`"${alg}" is not a supported algorithm (HS, RS, PS, ES with 256, 384 or 512).`)
  return parts
}

/** A value, or the name and message of what node:crypto threw (jsonwebtoken hands those to the caller as they are). */
function outcome<T>(work: () => T): JwtCryptoOutcome<T> {
  try {
    return { ok: true, value: work() }
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error))
    return { ok: false, name: e.name === 'TypeError' ? 'TypeError' : 'Error', message: e.message }
  }
}
