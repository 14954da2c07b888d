/**
 * Password hashes imported from Auth0 (its bulk-import `password_hash` and `custom_password_hash`,
 * or the bcrypt hashes of a password-hash export): read and checked at import, verified at login,
 * and replaced with the server's scrypt at the first successful login.
 *
 * What a store keeps (`UserRecord.passwordHash`):
 * - our scrypt hashes, `$scrypt$…` ({@link hashPassword});
 * - a bcrypt hash as it came, `$2a$`, `$2b$` or `$2y$`;
 * - any other imported hash as `$auth0$` and the base64url of its checked `custom_password_hash`
 *   JSON (the algorithm and everything it needs: salt, key, encodings, parameters);
 * - {@link NO_PASSWORD} for a user imported without a password: nothing verifies it, the user sets
 *   one through a password reset.
 *
 * @module
 */
import { createHash, createHmac, getHashes, pbkdf2, scrypt, timingSafeEqual } from 'node:crypto'
import { verify as verifyArgon2 } from '@node-rs/argon2'
import bcrypt from 'bcryptjs'
import { z } from 'zod'
import { verifyPassword } from './hash.js'

/** The stored hash of a user imported without a password: no password verifies against it. */
export const NO_PASSWORD = '$none$'

const PREFIX = '$auth0$'

/** The algorithms of Auth0's `custom_password_hash.algorithm`. */
export const AUTH0_HASH_ALGORITHMS = ['argon2', 'bcrypt', 'hmac', 'ldap', 'md4', 'md5', 'sha1', 'sha256', 'sha512', 'pbkdf2', 'scrypt'] as const

/**
 * An imported password hash the server cannot use: `invalid` (not in Auth0's documented format,
 * `path` names the field) or `unsupported` (documented, but not available here, such as MD4 in a
 * Node.js whose OpenSSL 3 has no legacy provider).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { PasswordHashImportError, importedPasswordHash } from '@tokenrules/oauth'
 *
 * const error = (() => {
 *   try {
 *     importedPasswordHash({ custom_password_hash: { algorithm: 'sha256', hash: { value: 'zz', encoding: 'hex' } } })
 *   } catch (e) {
 *     return e
 *   }
 * })()
 * assert.ok(error instanceof PasswordHashImportError)
 * assert.deepEqual([error.code, error.reason, error.path], ['ERR_PASSWORD_HASH_IMPORT', 'invalid', 'custom_password_hash.hash.value'])
 * ```
 */
export class PasswordHashImportError extends Error {
  /** Stable across versions: `ERR_PASSWORD_HASH_IMPORT`. */
  readonly code = 'ERR_PASSWORD_HASH_IMPORT'
  /** `invalid`: not Auth0's format; `unsupported`: a documented algorithm this Node.js cannot compute. */
  readonly reason: 'invalid' | 'unsupported'
  /** The field at fault, e.g. `custom_password_hash.hash.digest`. */
  readonly path: string

  /** Made by {@link importedPasswordHash} with the reason, the field and a message naming both. */
  constructor(reason: 'invalid' | 'unsupported', path: string, message: string) {
    super(message)
    this.name = 'PasswordHashImportError'
    this.reason = reason
    this.path = path
  }
}

const encoding = z.enum(['base64', 'hex', 'utf8'])
const customSchema = z.strictObject({
  algorithm: z.enum(AUTH0_HASH_ALGORITHMS),
  hash: z.strictObject({
    value: z.string().min(1),
    encoding: encoding.optional(),
    digest: z.enum(['md4', 'md5', 'ripemd160', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'whirlpool']).optional(),
    key: z.strictObject({ value: z.string().min(1), encoding: encoding.optional() }).optional(),
  }),
  salt: z.strictObject({ value: z.string(), encoding: encoding.optional(), position: z.enum(['prefix', 'suffix']).optional() }).optional(),
  password: z.strictObject({ encoding: z.enum(['ascii', 'utf8', 'utf16le', 'ucs2', 'latin1', 'binary']).optional() }).optional(),
  keylen: z.number().int().positive().max(1024).optional(),
  cost: z
    .number()
    .int()
    .min(2)
    .max(2 ** 20)
    .optional(),
  blockSize: z.number().int().positive().max(64).optional(),
  parallelization: z.number().int().positive().max(16).optional(),
})

/** Auth0's `custom_password_hash`, as the bulk import documents it. */
export type Auth0CustomPasswordHash = z.infer<typeof customSchema>

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/
const ARGON2 = /^\$argon2(id|i|d)\$(?:v=(\d+)\$)?m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/
const PBKDF2 = /^\$pbkdf2-([a-z0-9-]+)\$(?:((?:[a-z]+=\d+)(?:,[a-z]+=\d+)*)\$)?([A-Za-z0-9+/.]+)\$([A-Za-z0-9+/.]+)$/
const LDAP = /^\{(MD5|SMD5|SHA|SSHA|SHA256|SSHA256|SHA384|SSHA384|SHA512|SSHA512)\}([A-Za-z0-9+/]+={0,2})$/i
const HEX = /^(?:[0-9a-fA-F]{2})+$/
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/
// Enough for any real hash; more would let one imported record tie up a login for minutes.
const MAX_PBKDF2_ITERATIONS = 10_000_000
const MAX_ARGON2_MEMORY_KIB = 1 << 20
const MAX_SCRYPT_MEMORY = 1 << 30
const LDAP_DIGEST: Record<string, { digest: string; bytes: number }> = {
  MD5: { digest: 'md5', bytes: 16 },
  SHA: { digest: 'sha1', bytes: 20 },
  SHA256: { digest: 'sha256', bytes: 32 },
  SHA384: { digest: 'sha384', bytes: 48 },
  SHA512: { digest: 'sha512', bytes: 64 },
}

/**
 * The stored form of a user's imported password: from Auth0's bulk-import `password_hash` (bcrypt)
 * or `custom_password_hash` (every documented algorithm), `undefined` when the record has neither.
 * Everything is checked here, before anything is written: a hash that could never verify throws a
 * {@link PasswordHashImportError}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createHash } from 'node:crypto'
 * import { importedPasswordHash, verifyUserPassword } from '@tokenrules/oauth'
 *
 * // SHA-256 over a prefix salt and the password, hex: one of Auth0's documented custom hashes.
 * const value = createHash('sha256').update('abc123' + 'correct horse battery staple').digest('hex')
 * const stored = importedPasswordHash({ custom_password_hash: { algorithm: 'sha256', hash: { value, encoding: 'hex' }, salt: { value: 'abc123', position: 'prefix' } } })
 * assert.match(stored ?? '', /^\$auth0\$/)
 * assert.equal(await verifyUserPassword('correct horse battery staple', stored ?? ''), true)
 * assert.equal(await verifyUserPassword('wrong', stored ?? ''), false)
 * // Auth0's own bcrypt example, the password `hello`.
 * assert.equal(await verifyUserPassword('hello', importedPasswordHash({ password_hash: '$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K' }) ?? ''), true)
 * ```
 */
export function importedPasswordHash(record: { password_hash?: unknown; custom_password_hash?: unknown }): string | undefined {
  const { password_hash: plain, custom_password_hash: custom } = record
  if (plain !== undefined && custom !== undefined) {
    throw new PasswordHashImportError('invalid', 'password_hash', 'password_hash and custom_password_hash are mutually exclusive')
  }
  if (plain !== undefined) {
    if (typeof plain !== 'string' || !BCRYPT.test(plain)) {
      throw new PasswordHashImportError(
        'invalid',
        'password_hash',
        'password_hash must be a bcrypt hash ($2a$, $2b$ or $2y$ with a cost and 53 characters of salt and hash)',
      )
    }
    return plain
  }
  if (custom === undefined) return undefined
  const parsed = customSchema.safeParse(custom)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = ['custom_password_hash', ...(issue?.path ?? []).map(String)].join('.')
    throw new PasswordHashImportError('invalid', path, `${path}: ${issue?.message ?? 'invalid'}`)
  }
  const spec = parsed.data
  checkCustom(spec)
  // A plain bcrypt hash with nothing else is stored as it came, like password_hash.
  if (spec.algorithm === 'bcrypt' && spec.salt === undefined && spec.password === undefined) return spec.hash.value
  return PREFIX + Buffer.from(JSON.stringify(spec), 'utf8').toString('base64url')
}

/**
 * Whether `password` matches a user's stored hash, whatever its kind: the server's scrypt
 * ({@link verifyPassword}) or an imported one (bcrypt, argon2, PBKDF2, scrypt, MD4/MD5/SHA
 * with their salt, HMAC, LDAP). Digests compare in constant time; a malformed or unusable hash
 * (and {@link NO_PASSWORD}) is `false`, never an exception.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { pbkdf2Sync, randomBytes } from 'node:crypto'
 * import { hashPassword, importedPasswordHash, verifyUserPassword } from '@tokenrules/oauth'
 *
 * // A PBKDF2 hash in the PHC string format Auth0's bulk import documents.
 * const salt = randomBytes(16)
 * const key = pbkdf2Sync('correct horse battery staple', salt, 10_000, 32, 'sha256')
 * const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '')
 * const phc = `$pbkdf2-sha256$i=10000,l=32$${b64(salt)}$${b64(key)}`
 * const imported = importedPasswordHash({ custom_password_hash: { algorithm: 'pbkdf2', hash: { value: phc, encoding: 'utf8' } } }) ?? ''
 * assert.equal(await verifyUserPassword('correct horse battery staple', imported), true)
 * assert.equal(await verifyUserPassword('Correct horse battery staple', imported), false)
 * // The server's own hashes verify through it too; garbage is false, not an exception.
 * assert.equal(await verifyUserPassword('s3cret s3cret', await hashPassword('s3cret s3cret', { cost: 2 ** 12 })), true)
 * assert.equal(await verifyUserPassword('x', '$auth0$not-json'), false)
 * ```
 */
export async function verifyUserPassword(password: string, passwordHash: string): Promise<boolean> {
  if (passwordHash.startsWith('$scrypt$')) return verifyPassword(password, passwordHash)
  try {
    if (BCRYPT.test(passwordHash)) return await bcrypt.compare(password, passwordHash)
    if (!passwordHash.startsWith(PREFIX)) return false
    const spec = customSchema.parse(JSON.parse(Buffer.from(passwordHash.slice(PREFIX.length), 'base64url').toString('utf8')))
    checkCustom(spec)
    return await verifyCustom(password, spec)
  } catch {
    return false
  }
}

/** Whether the server can verify a password against this stored hash (one of ours or an imported one). */
export function isVerifiableHash(passwordHash: string): boolean {
  return passwordHash.startsWith('$scrypt$') || BCRYPT.test(passwordHash) || passwordHash.startsWith(PREFIX)
}

function invalid(path: string, message: string): PasswordHashImportError {
  return new PasswordHashImportError('invalid', `custom_password_hash.${path}`, `custom_password_hash.${path}: ${message}`)
}

function unsupported(path: string, digest: string): PasswordHashImportError {
  return new PasswordHashImportError(
    'unsupported',
    `custom_password_hash.${path}`,
    `custom_password_hash.${path}: ${digest} is not available in this Node.js (its OpenSSL 3 has no legacy provider); import these users without the hash and let them reset their password`,
  )
}

function digestAvailable(name: string): string | undefined {
  const wanted = name.toLowerCase()
  return getHashes().find((hash) => hash.toLowerCase() === wanted)
}

/** Everything about a parsed `custom_password_hash` that verification relies on. */
function checkCustom(spec: Auth0CustomPasswordHash): void {
  const { algorithm, hash, salt } = spec
  const noSalt = (why: string) => {
    if (salt !== undefined) throw invalid('salt', `not allowed with ${algorithm} (${why})`)
  }
  const binaryEncoding = () => {
    if (hash.encoding !== 'hex' && hash.encoding !== 'base64') throw invalid('hash.encoding', `must be hex or base64 with ${algorithm}`)
    decode(hash.value, hash.encoding, 'hash.value')
  }
  const textEncoding = () => {
    if (hash.encoding !== undefined && hash.encoding !== 'utf8') throw invalid('hash.encoding', `must be utf8 with ${algorithm}`)
  }
  if (salt !== undefined) decode(salt.value, salt.encoding ?? 'utf8', 'salt.value')
  if (algorithm !== 'hmac' && (hash.digest !== undefined || hash.key !== undefined))
    throw invalid(hash.digest !== undefined ? 'hash.digest' : 'hash.key', 'only for hmac')
  if (algorithm !== 'scrypt' && (spec.keylen ?? spec.cost ?? spec.blockSize ?? spec.parallelization) !== undefined) {
    throw invalid('keylen', 'keylen, cost, blockSize and parallelization are only for scrypt')
  }
  switch (algorithm) {
    case 'bcrypt':
      textEncoding()
      if (!BCRYPT.test(hash.value)) throw invalid('hash.value', 'must be a bcrypt hash with the prefix $2a$, $2b$ or $2y$')
      // bcryptjs hashes the UTF-8 of a string: a salt or a password encoding beyond that is not expressible.
      if (salt !== undefined && (salt.encoding ?? 'utf8') !== 'utf8') throw invalid('salt.encoding', 'must be utf8 with bcrypt')
      if (spec.password?.encoding !== undefined && spec.password.encoding !== 'utf8') throw invalid('password.encoding', 'must be utf8 with bcrypt')
      return
    case 'argon2': {
      textEncoding()
      noSalt('the PHC string holds it')
      const match = ARGON2.exec(hash.value)
      if (match === null) throw invalid('hash.value', 'must be an argon2 PHC string: $argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>')
      if (Number(match[3]) > MAX_ARGON2_MEMORY_KIB || Number(match[4]) > 100) throw invalid('hash.value', 'argon2 parameters beyond m=1048576 or t=100')
      return
    }
    case 'pbkdf2': {
      textEncoding()
      noSalt('the PHC string holds it')
      const parsed = parsePbkdf2(hash.value)
      if (parsed === undefined) throw invalid('hash.value', 'must be a PBKDF2 PHC string: $pbkdf2-<digest>$i=<iterations>,l=<keylen>$<salt>$<hash>')
      if (digestAvailable(parsed.digest) === undefined) throw unsupported('hash.value', parsed.digest)
      return
    }
    case 'ldap': {
      textEncoding()
      noSalt('the userPassword value holds it')
      const ldap = parseLdap(hash.value)
      if (ldap === undefined) throw invalid('hash.value', 'must be an RFC 2307 userPassword: {SSHA}…, {SHA256}…, {SMD5}… (crypt is not supported)')
      if (ldap.salted ? ldap.decoded.length <= ldap.bytes : ldap.decoded.length !== ldap.bytes) {
        throw invalid('hash.value', `not a {${ldap.scheme}} value (${ldap.decoded.length} bytes)`)
      }
      return
    }
    case 'hmac': {
      binaryEncoding()
      if (hash.digest === undefined) throw invalid('hash.digest', 'is required with hmac')
      if (hash.key === undefined) throw invalid('hash.key', 'is required with hmac')
      decode(hash.key.value, hash.key.encoding ?? 'utf8', 'hash.key.value')
      if (digestAvailable(hash.digest) === undefined) throw unsupported('hash.digest', hash.digest)
      return
    }
    case 'scrypt': {
      binaryEncoding()
      if (spec.keylen === undefined) throw invalid('keylen', 'is required with scrypt')
      const cost = spec.cost ?? 16384
      if (!Number.isInteger(Math.log2(cost))) throw invalid('cost', 'must be a power of two')
      if (128 * cost * (spec.blockSize ?? 8) * (spec.parallelization ?? 1) > MAX_SCRYPT_MEMORY)
        throw invalid('cost', 'scrypt parameters beyond 1 GiB of memory')
      return
    }
    default:
      // md4, md5, sha1, sha256, sha512
      binaryEncoding()
      if (digestAvailable(algorithm) === undefined) throw unsupported('algorithm', algorithm)
  }
}

function decode(value: string, encoding: 'base64' | 'hex' | 'utf8', path: string): Buffer {
  if (encoding === 'hex' && !HEX.test(value)) throw invalid(path, 'is not hex')
  if (encoding === 'base64' && !BASE64.test(value)) throw invalid(path, 'is not base64')
  return encoding === 'base64' ? Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : Buffer.from(value, encoding)
}

function parsePbkdf2(value: string): { digest: string; iterations: number; keylen: number; salt: Buffer; hash: Buffer } | undefined {
  const match = PBKDF2.exec(value)
  if (match === null) return undefined
  const params = new Map(
    (match[2] ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split('=') as [string, string]),
  )
  if ([...params.keys()].some((key) => key !== 'i' && key !== 'l')) return undefined
  const iterations = Number(params.get('i') ?? 100_000)
  const keylen = Number(params.get('l') ?? 64)
  const salt = Buffer.from((match[3] ?? '').replace(/\./g, '+'), 'base64')
  const hash = Buffer.from((match[4] ?? '').replace(/\./g, '+'), 'base64')
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS || keylen < 1 || keylen > 1024 || hash.length !== keylen || salt.length === 0) return undefined
  return { digest: match[1] ?? '', iterations, keylen, salt, hash }
}

/** An RFC 2307 `{SCHEME}base64` value: the digest, its length, and whether a salt follows it. */
function parseLdap(value: string): { scheme: string; digest: string; bytes: number; salted: boolean; decoded: Buffer } | undefined {
  const match = LDAP.exec(value)
  if (match === null) return undefined
  const scheme = (match[1] ?? '').toUpperCase()
  const salted = scheme === 'SMD5' || scheme.startsWith('SSHA')
  const info = LDAP_DIGEST[salted ? scheme.slice(1) : scheme]
  if (info === undefined) return undefined
  return { scheme, ...info, salted, decoded: Buffer.from(match[2] ?? '', 'base64') }
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

async function verifyCustom(password: string, spec: Auth0CustomPasswordHash): Promise<boolean> {
  const { algorithm, hash, salt } = spec
  const passwordBytes = Buffer.from(password, spec.password?.encoding ?? 'utf8')
  const saltBytes = salt === undefined ? Buffer.alloc(0) : decode(salt.value, salt.encoding ?? 'utf8', 'salt.value')
  const salted = salt?.position === 'suffix' ? Buffer.concat([passwordBytes, saltBytes]) : Buffer.concat([saltBytes, passwordBytes])
  switch (algorithm) {
    case 'bcrypt':
      return bcrypt.compare(salted.toString('utf8'), hash.value)
    case 'argon2':
      return verifyArgon2(hash.value, passwordBytes)
    case 'pbkdf2': {
      const parsed = parsePbkdf2(hash.value)
      const digest = parsed === undefined ? undefined : digestAvailable(parsed.digest)
      if (parsed === undefined || digest === undefined) return false
      const derived = await new Promise<Buffer>((resolve, reject) =>
        pbkdf2(passwordBytes, parsed.salt, parsed.iterations, parsed.keylen, digest, (error, key) => (error === null ? resolve(key) : reject(error))),
      )
      return same(derived, parsed.hash)
    }
    case 'ldap': {
      const ldap = parseLdap(hash.value)
      if (ldap === undefined || ldap.decoded.length < ldap.bytes) return false
      const expected = ldap.decoded.subarray(0, ldap.bytes)
      const ldapSalt = ldap.decoded.subarray(ldap.bytes)
      return same(createHash(ldap.digest).update(passwordBytes).update(ldapSalt).digest(), expected)
    }
    case 'hmac': {
      const digest = digestAvailable(hash.digest ?? '')
      if (digest === undefined || hash.key === undefined) return false
      const key = decode(hash.key.value, hash.key.encoding ?? 'utf8', 'hash.key.value')
      return same(createHmac(digest, key).update(salted).digest(), decode(hash.value, hash.encoding ?? 'hex', 'hash.value'))
    }
    case 'scrypt': {
      const cost = spec.cost ?? 16384
      const blockSize = spec.blockSize ?? 8
      const parallelization = spec.parallelization ?? 1
      const derived = await new Promise<Buffer>((resolve, reject) =>
        scrypt(
          passwordBytes,
          saltBytes,
          spec.keylen ?? 0,
          { N: cost, r: blockSize, p: parallelization, maxmem: 256 * cost * blockSize * parallelization + (1 << 20) },
          (error, key) => (error === null ? resolve(key) : reject(error)),
        ),
      )
      return same(derived, decode(hash.value, hash.encoding ?? 'hex', 'hash.value'))
    }
    default: {
      const digest = digestAvailable(algorithm)
      if (digest === undefined) return false
      return same(createHash(digest).update(salted).digest(), decode(hash.value, hash.encoding ?? 'hex', 'hash.value'))
    }
  }
}
