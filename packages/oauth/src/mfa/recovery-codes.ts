import { randomBytes } from 'node:crypto'
import { tokenDigest } from '../lib/random.js'

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789' // 32 symbols, no 0/O or 1/I

/** `count` recovery codes of 24 symbols (120 bits) each. */
export function newRecoveryCodes(count: number): string[] {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(24)
    return Array.from(bytes, (byte) => ALPHABET[byte & 31]).join('')
  })
}

/** How a recovery code is stored and looked up: spaces and dashes ignored, case-insensitive. */
export function recoveryCodeDigest(code: string): string {
  return tokenDigest(code.replace(/[\s-]/g, '').toUpperCase())
}
