import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const VERSION = 'v1'

/**
 * Seals small secrets at rest (TOTP seeds, private signing keys) with AES-256-GCM under the
 * server's encryption key. `purpose` is bound as associated data, so a sealed value cannot be
 * moved from one column to another.
 */
export class SecretBox {
  readonly #key: Buffer

  constructor(key: Uint8Array) {
    if (key.byteLength !== 32) throw new TypeError('encryptionKey must be 32 bytes')
    this.#key = Buffer.from(key)
  }

  seal(plaintext: string, purpose: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(purpose, 'utf8'))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.')
  }

  open(sealed: string, purpose: string): string {
    const [version, iv, body, tag] = sealed.split('.')
    if (version !== VERSION || iv === undefined || body === undefined || tag === undefined) {
      throw new Error('A sealed secret is malformed.')
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'))
    decipher.setAAD(Buffer.from(purpose, 'utf8'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
  }
}

/** A 32-byte key from base64/base64url text or bytes. */
export function encryptionKeyFrom(value: string | Uint8Array): Uint8Array {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'base64url') : value
  if (bytes.byteLength !== 32) throw new TypeError('encryptionKey must be 32 bytes (or their base64url text)')
  return bytes
}
