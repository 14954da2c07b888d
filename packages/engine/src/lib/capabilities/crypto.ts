import { createHash, createHmac, getHashes, sign, timingSafeEqual, verify } from 'node:crypto'
import type { HostRegistry } from '../host-bridge.js'

function bytes(value: unknown, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  throw new TypeError(`${what} must be bytes or a string`)
}

const HMAC_ALGS: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }
const RSA_ALGS: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' }

/** `crypto` and `jsonwebtoken`: hashes, HMAC, timing-safe comparison, JWT signatures. */
export function registerCrypto(registry: HostRegistry): void {
  registry.register('$crypto.hash', ([alg, chunks]) => {
    const hash = createHash(String(alg))
    for (const chunk of chunks as unknown[]) hash.update(bytes(chunk, 'data'))
    return hash.digest()
  })
  registry.register('$crypto.hmac', ([alg, key, chunks]) => {
    const hmac = createHmac(String(alg), bytes(key, 'key'))
    for (const chunk of chunks as unknown[]) hmac.update(bytes(chunk, 'data'))
    return hmac.digest()
  })
  registry.register('$crypto.timingSafeEqual', ([a, b]) => {
    const x = bytes(a, 'a')
    const y = bytes(b, 'b')
    if (x.length !== y.length) throw new RangeError('Input buffers must have the same byte length')
    return timingSafeEqual(x, y)
  })
  registry.register('$crypto.getHashes', () => getHashes())
  registry.register('$jwt.sign', ([alg, input, key]) => {
    const a = String(alg)
    const data = Buffer.from(String(input))
    if (HMAC_ALGS[a] !== undefined) return createHmac(HMAC_ALGS[a], bytes(key, 'secret')).update(data).digest('base64url')
    if (RSA_ALGS[a] !== undefined) return sign(RSA_ALGS[a], data, String(bytes(key, 'private key'))).toString('base64url')
    throw new Error(`"${a}" is not a supported algorithm (HS256/384/512, RS256/384/512)`)
  })
  registry.register('$jwt.verify', ([alg, input, signature, key]) => {
    const a = String(alg)
    const data = Buffer.from(String(input))
    const sig = Buffer.from(String(signature), 'base64url')
    if (HMAC_ALGS[a] !== undefined) {
      const expected = createHmac(HMAC_ALGS[a], bytes(key, 'secret')).update(data).digest()
      return expected.length === sig.length && timingSafeEqual(expected, sig)
    }
    if (RSA_ALGS[a] !== undefined) {
      try {
        return verify(RSA_ALGS[a], data, String(bytes(key, 'public key')), sig)
      } catch {
        return false
      }
    }
    return false
  })
}
