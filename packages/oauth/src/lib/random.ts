import { createHash, randomBytes } from 'node:crypto'

/** An unguessable opaque token (256 bits, base64url). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** How an opaque token is stored: its SHA-256 (the tokens have 256 bits of entropy, so no salt or stretching is needed). */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url')
}

/** A random identifier with a prefix, e.g. `con_…`, `fam_…`. */
export function randomId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`
}
