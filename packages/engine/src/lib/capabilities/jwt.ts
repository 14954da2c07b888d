import { createHmac, sign, timingSafeEqual, verify } from 'node:crypto'
import type { HostRegistry } from '../host-bridge.js'
import { bytes } from './crypto.js'

const HMAC_ALGS: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }
const RSA_ALGS: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' }

/** `jsonwebtoken`'s signatures: HS256/384/512 and RS256/384/512. */
export function registerJwt(registry: HostRegistry): void {
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
