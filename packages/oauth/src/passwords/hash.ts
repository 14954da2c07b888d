import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * Options of {@link hashPassword} and {@link hashSecret}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { hashPassword, verifyPassword, type HashPasswordOptions } from '@tokenrules/oauth'
 *
 * // A test suite's fixtures: cheap hashes (the format records the cost, so verification needs no option).
 * const fast: HashPasswordOptions = { cost: 2 ** 10 }
 * const passwordHash = await hashPassword('correct horse battery staple', fast)
 * assert.match(passwordHash, /^\$scrypt\$ln=10,r=8,p=1\$/)
 * assert.equal(await verifyPassword('correct horse battery staple', passwordHash), true)
 * await assert.rejects(hashPassword('x', { cost: 1000 }), TypeError) // not a power of two
 * ```
 */
export interface HashPasswordOptions {
  /**
   * scrypt's CPU/memory cost N, a power of two. Default 2^15 (32 MiB of memory, about 50–100 ms),
   * OWASP's recommendation for scrypt. Lower it only in tests.
   */
  cost?: number | undefined
}

/**
 * Default scrypt cost N (OWASP: N=2^15, r=8, p=1 at least) of {@link hashPassword} and of the
 * server's `passwords.scryptCost`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { DEFAULT_SCRYPT_COST, hashPassword } from '@tokenrules/oauth'
 *
 * assert.equal(DEFAULT_SCRYPT_COST, 2 ** 15)
 *
 * // Find imported hashes weaker than the default, e.g. to plan a migration.
 * const costOf = (passwordHash: string) => 2 ** Number(/^\$scrypt\$ln=(\d+),/.exec(passwordHash)?.[1])
 * const imported = [await hashPassword('hunter2hunter2', { cost: 2 ** 12 }), await hashPassword('correct horse battery staple')]
 * assert.deepEqual(imported.map((passwordHash) => costOf(passwordHash) < DEFAULT_SCRYPT_COST), [true, false])
 * ```
 */
export const DEFAULT_SCRYPT_COST = 2 ** 15
const BLOCK_SIZE = 8
const PARALLELISM = 1
const KEY_BYTES = 32
const SALT_BYTES = 16
const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{22,})\$([A-Za-z0-9+/]{43,})$/

/**
 * Hash a password (or a client secret) with scrypt, in a self-describing PHC-style string:
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { hashPassword, verifyPassword } from '@tokenrules/oauth'
 *
 * const passwordHash = await hashPassword('correct horse battery staple')
 * assert.match(passwordHash, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
 * assert.equal(await verifyPassword('correct horse battery staple', passwordHash), true)
 * // A fresh salt each time: the same password never hashes the same.
 * assert.notEqual(await hashPassword('correct horse battery staple', { cost: 2 ** 12 }), passwordHash)
 * ```
 */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  const cost = options.cost ?? DEFAULT_SCRYPT_COST
  if (!Number.isInteger(Math.log2(cost)) || cost < 2 ** 4 || cost > 2 ** 20) {
    throw new TypeError('hashPassword: cost must be a power of two between 2^4 and 2^20')
  }
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, cost, BLOCK_SIZE, PARALLELISM)
  return `$scrypt$ln=${Math.log2(cost)},r=${BLOCK_SIZE},p=${PARALLELISM}$${unpad(salt)}$${unpad(key)}`
}

/**
 * Whether `password` matches `passwordHash` (from {@link hashPassword}). Compares in constant
 * time; a malformed hash is `false`, never an exception that would tell it apart.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { hashPassword, verifyPassword } from '@tokenrules/oauth'
 *
 * const stored = await hashPassword('correct horse battery staple', { cost: 2 ** 12 })
 * assert.equal(await verifyPassword('correct horse battery staple', stored), true)
 * assert.equal(await verifyPassword('Correct horse battery staple', stored), false)
 * assert.equal(await verifyPassword('correct horse battery staple', '$2b$10$not-a-scrypt-hash'), false)
 * ```
 */
export async function verifyPassword(password: string, passwordHash: string): Promise<boolean> {
  const parsed = parseHash(passwordHash)
  if (parsed === undefined) return false
  const key = await derive(password, parsed.salt, parsed.cost, parsed.blockSize, parsed.parallelism)
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key)
}

/** The scrypt cost a hash was made with, or `undefined` when it is not one of ours. */
export function hashCost(passwordHash: string): number | undefined {
  return parseHash(passwordHash)?.cost
}

function parseHash(value: string) {
  const match = FORMAT.exec(value)
  if (match === null) return undefined
  const [, ln, r, p, salt, key] = match as unknown as [string, string, string, string, string, string]
  const cost = 2 ** Number(ln)
  if (cost < 2 ** 4 || cost > 2 ** 20 || Number(r) < 1 || Number(p) < 1) return undefined
  return { cost, blockSize: Number(r), parallelism: Number(p), salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') }
}

function derive(password: string, salt: Buffer, cost: number, blockSize: number, parallelism: number): Promise<Buffer> {
  const options: ScryptOptions = { N: cost, r: blockSize, p: parallelism, maxmem: 256 * cost * blockSize + 1024 * 1024 }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (error, key) => (error === null ? resolve(key) : reject(error)))
  })
}

function unpad(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '')
}
