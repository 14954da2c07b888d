/**
 * `crypto`'s hashes, HMAC and `timingSafeEqual` are not host capabilities: the guest computes them
 * inside the isolate with @noble/hashes (src/guest/crypto.js, lib/packages.ts's cryptoSource), so
 * that hashing a rule's data costs the rule's own time and memory, never the main thread's.
 * Randomness is in basics.ts, jsonwebtoken's signatures in jwt.ts.
 */

/** A host capability's bytes argument: a Buffer, or a string as UTF-8. */
export function bytes(value: unknown, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  throw new TypeError(`${what} must be bytes or a string`)
}
