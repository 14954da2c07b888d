import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import type { User } from '@tokenrules/engine'

/** scrypt cost parameters (node's defaults: N = 2^14, r = 8, p = 1) and the derived key's length. */
const SCRYPT = { N: 16384, r: 8, p: 1 } as const
const KEY_LENGTH = 32

/** Control characters (C0, DEL, C1): never part of a password here. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * scrypt of the SHA-256 of the password's UTF-8 bytes: every byte counts. scrypt's HMAC pads a
 * short key with zero bytes, so a string given as it is would make `password + '\0'` the password.
 */
function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const secret = createHash('sha256').update(password.normalize('NFC'), 'utf8').digest()
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { ...params, maxmem: 64 * 1024 * 1024 }, (error, key) => {
      if (error) reject(error)
      else resolve(key)
    })
  })
}

/** `scrypt$N$r$p$salt$key` (salt and key base64url). */
export async function hashPassword(password: string): Promise<string> {
  if (CONTROL.test(password)) throw new TypeError('A password must not contain control characters.')
  const salt = randomBytes(16)
  const key = await derive(password, salt, SCRYPT)
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Whether `password` matches `hash`; the keys are compared in constant time. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = hash.split('$')
  if (scheme !== 'scrypt' || n === undefined || r === undefined || p === undefined || salt === undefined || key === undefined) return false
  const expected = Buffer.from(key, 'base64url')
  const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) })
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/** A user as the directory stores it: an Auth0 profile (docs/behaviour.md#the-user-object) and a password hash. */
export interface StoredUser {
  profile: User
  passwordHash: string
}

/** A user as the example's configuration gives it: a profile and a clear-text password to hash. */
export interface UserSeed {
  profile: User
  password: string
}

/**
 * One database connection ("realm" in Auth0's password-realm grant): users by lower-cased
 * username and email, in memory.
 */
export class Directory {
  readonly #byLogin = new Map<string, StoredUser>()
  readonly #byUserId = new Map<string, StoredUser>()
  /** Hashed once, checked against when the login is unknown, so both cases cost one scrypt. */
  readonly #dummyHash: Promise<string>

  private constructor(
    readonly name: string,
    readonly id: string,
    users: StoredUser[],
  ) {
    this.#dummyHash = hashPassword(randomBytes(16).toString('hex'))
    for (const user of users) {
      this.#byUserId.set(user.profile.user_id, user)
      for (const login of [user.profile['username'], user.profile.email]) {
        if (typeof login === 'string' && login !== '') this.#byLogin.set(login.toLowerCase(), user)
      }
    }
  }

  static async create(name: string, seeds: readonly UserSeed[]): Promise<Directory> {
    const users = await Promise.all(seeds.map(async (seed) => ({ profile: seed.profile, passwordHash: await hashPassword(seed.password) })))
    return new Directory(name, `con_${Buffer.from(name).toString('hex').slice(0, 16)}`, users)
  }

  byUserId(userId: string): StoredUser | undefined {
    return this.#byUserId.get(userId)
  }

  /** The user whose username or email is `login` and whose password is `password`, else undefined. */
  async authenticate(login: string, password: string): Promise<StoredUser | undefined> {
    const user = this.#byLogin.get(login.toLowerCase())
    // A password with a control character is a wrong one: checked against the dummy, at the same cost.
    const refused = CONTROL.test(password)
    const ok = await verifyPassword(password, refused || user === undefined ? await this.#dummyHash : user.passwordHash)
    return ok && !refused ? user : undefined
  }
}
