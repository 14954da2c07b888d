import { createHash, createHmac, getHashes, timingSafeEqual } from 'node:crypto'
import type { HostRegistry } from '../host-bridge.js'

export function bytes(value: unknown, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  throw new TypeError(`${what} must be bytes or a string`)
}

/** `crypto`: hashes, HMAC, timing-safe comparison. */
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
}
