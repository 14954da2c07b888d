import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

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
 * assert.match(passwordHash, /^\$scrypt\$v=2\$ln=10,r=8,p=1\$/)
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
 * const costOf = (passwordHash: string) => 2 ** Number(/^\$scrypt\$(?:v=\d+\$)?ln=(\d+),/.exec(passwordHash)?.[1])
 * const imported = [await hashPassword('hunter2hunter2', { cost: 2 ** 12 }), await hashPassword('correct horse battery staple')]
 * assert.deepEqual(imported.map((passwordHash) => costOf(passwordHash) < DEFAULT_SCRYPT_COST), [true, false])
 * ```
 */
export const DEFAULT_SCRYPT_COST = 2 ** 15
const BLOCK_SIZE = 8
const PARALLELISM = 1
const KEY_BYTES = 32
const SALT_BYTES = 16
const FORMAT = /^\$scrypt\$(?:v=(\d{1,2})\$)?ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{22,})\$([A-Za-z0-9+/]{43,})$/
/**
 * The hash format {@link hashPassword} writes. Version 1 (no `v=`, before issue 14) ran scrypt on
 * the text itself, and scrypt's HMAC pads a short key with zero bytes, so `secret` and
 * `secret + "\0"` hashed alike. Version 2 runs it on the SHA-256 of the text's UTF-8 bytes: every
 * byte counts. Version 1 hashes still verify (and are rehashed at the next login).
 */
const VERSION = 2
// C0 controls (NUL, tab, line breaks…), DEL and C1 controls; and UTF-16 lone surrogates, which
// UTF-8 encodes as U+FFFD, so that two different texts would give the same bytes.
const UNUSABLE = /[\u0000-\u001f\u007f-\u009f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Whether `secret` (a password or a client secret) is one the server accepts: no control character
 * (U+0000–U+001F, U+007F–U+009F) and no lone surrogate. Others are refused where they enter: they
 * never verify ({@link verifyPassword}) and are never hashed ({@link hashPassword}).
 */
export function isUsableSecret(secret: string): boolean {
  return !UNUSABLE.test(secret)
}

/**
 * Hash a password (or a client secret) with scrypt, in a self-describing PHC-style string:
 * `$scrypt$v=2$ln=15,r=8,p=1$<salt>$<hash>`. Every byte of the password counts (scrypt runs on
 * the SHA-256 of its NFC-normalized UTF-8 bytes); a password with a control character or a lone
 * surrogate is refused with a `TypeError`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { hashPassword, verifyPassword } from '@tokenrules/oauth'
 *
 * const passwordHash = await hashPassword('correct horse battery staple')
 * assert.match(passwordHash, /^\$scrypt\$v=2\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
 * assert.equal(await verifyPassword('correct horse battery staple', passwordHash), true)
 * // A trailing NUL is not the same password; a password with one is never hashed.
 * assert.equal(await verifyPassword('correct horse battery staple\0', passwordHash), false)
 * await assert.rejects(hashPassword('correct horse battery staple\0'), TypeError)
 * // A fresh salt each time: the same password never hashes the same.
 * assert.notEqual(await hashPassword('correct horse battery staple', { cost: 2 ** 12 }), passwordHash)
 * ```
 */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  const cost = options.cost ?? DEFAULT_SCRYPT_COST
  if (!Number.isInteger(Math.log2(cost)) || cost < 2 ** 4 || cost > 2 ** 20) {
    throw new TypeError('hashPassword: cost must be a power of two between 2^4 and 2^20')
  }
  if (!isUsableSecret(password)) {
    throw new TypeError('hashPassword: the password contains a control character (U+0000–U+001F, U+007F–U+009F) or a lone surrogate')
  }
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(VERSION, password, salt, cost, BLOCK_SIZE, PARALLELISM)
  return `$scrypt$v=${VERSION}$ln=${Math.log2(cost)},r=${BLOCK_SIZE},p=${PARALLELISM}$${unpad(salt)}$${unpad(key)}`
}

/**
 * Whether `password` matches `passwordHash` (from {@link hashPassword}, either format version).
 * Compares in constant time; a malformed hash is `false`, never an exception that would tell it
 * apart. A password that {@link isUsableSecret} refuses is `false` for every hash: that is what keeps
 * `password + "\0"` from matching a version 1 hash of `password`.
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
  if (parsed === undefined || !isUsableSecret(password)) return false
  const key = await derive(parsed.version, password, parsed.salt, parsed.cost, parsed.blockSize, parsed.parallelism)
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key)
}

/** The scrypt cost a hash was made with, or `undefined` when it is not one of ours. */
export function hashCost(passwordHash: string): number | undefined {
  return parseHash(passwordHash)?.cost
}

/** Whether a hash that just verified should be replaced: made with less than `cost`, or in an older format. */
export function needsRehash(passwordHash: string, cost: number): boolean {
  const parsed = parseHash(passwordHash)
  return parsed === undefined || parsed.cost < cost || parsed.version < VERSION
}

function parseHash(value: string) {
  const match = FORMAT.exec(value)
  if (match === null) return undefined
  const [, v, ln, r, p, salt, key] = match as unknown as [string, string | undefined, string, string, string, string, string]
  // Version 1 is the format without `v=`; an explicit version is 2 or a later one this code knows.
  const version = v === undefined ? 1 : Number(v)
  const cost = 2 ** Number(ln)
  if ((v !== undefined && (version < 2 || version > VERSION)) || cost < 2 ** 4 || cost > 2 ** 20 || Number(r) < 1 || Number(p) < 1) return undefined
  return { version, cost, blockSize: Number(r), parallelism: Number(p), salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') }
}

function derive(version: number, password: string, salt: Buffer, cost: number, blockSize: number, parallelism: number): Promise<Buffer> {
  const options: ScryptOptions = { N: cost, r: blockSize, p: parallelism, maxmem: 256 * cost * blockSize + 1024 * 1024 }
  const text = password.normalize('NFC')
  // Version 2: a fixed-length key, so no two texts reach scrypt's HMAC as the same zero-padded key.
  const input = version === 1 ? text : createHash('sha256').update(text, 'utf8').digest()
  return new Promise((resolve, reject) => {
    scrypt(input, salt, KEY_BYTES, options, (error, key) => (error === null ? resolve(key) : reject(error)))
  })
}

function unpad(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '')
}
