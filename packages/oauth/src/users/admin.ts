import type { JsonValue } from '@tokenrules/engine'
import { randomBytes } from 'node:crypto'
import type { Core } from '../lib/core.js'
import { normalizeIp } from '../lib/ip.js'
import { randomId } from '../lib/random.js'
import { hashPassword } from '../passwords/hash.js'
import type { Directory, UserProfile } from '../stores/types.js'

/** A user to create with {@link UserAdmin.create}. */
export interface NewUser {
  /** The directory (realm) name. */
  directory: string
  /** At least one of `email` and `username`: what the user logs in with. */
  email?: string | undefined
  username?: string | undefined
  password: string
  /** Default `auth0|` and 24 random hex digits. */
  userId?: string | undefined
  email_verified?: boolean | undefined
  name?: string | undefined
  nickname?: string | undefined
  given_name?: string | undefined
  family_name?: string | undefined
  picture?: string | undefined
  blocked?: boolean | undefined
  app_metadata?: Record<string, JsonValue> | undefined
  user_metadata?: Record<string, JsonValue> | undefined
  /** RBAC roles: `context.authorization.roles`. */
  roles?: readonly string[] | undefined
}

/** Operator actions on users, directories and brute-force blocks. */
export interface UserAdmin {
  /** Adds a directory (realm) unless it exists. */
  ensureDirectory(name: string, metadata?: Readonly<Record<string, string>>): Promise<Directory>
  /** Creates a user, hashing the password with the configured scrypt cost. */
  create(user: NewUser): Promise<UserProfile>
  /** Sets a new password; also lifts every brute-force block of the user (SPEC.md §7). */
  setPassword(userId: string, password: string): Promise<void>
  /** Blocks or unblocks the user (`401 unauthorized "user is blocked"`). */
  setBlocked(userId: string, blocked: boolean): Promise<void>
  /** Lifts a brute-force block: of one IP, or of every IP when `ip` is left out. */
  unblock(userId: string, ip?: string): Promise<void>
  /** Removes the user's MFA enrollment (lost authenticator and recovery codes). */
  resetMfa(userId: string): Promise<void>
}

export function userAdmin(core: Core): UserAdmin {
  const { users } = core.stores
  return {
    async ensureDirectory(name, metadata = {}) {
      const existing = await users.getDirectory(name)
      if (existing !== undefined) return existing
      const directory = { id: randomId('con'), name, metadata: { ...metadata } }
      await users.createDirectory(directory)
      return directory
    },
    async create(input) {
      if (input.email === undefined && input.username === undefined) throw new TypeError('A user needs an email or a username.')
      if ((await users.getDirectory(input.directory)) === undefined) throw new TypeError(`Unknown directory '${input.directory}'.`)
      const at = new Date(core.now()).toISOString()
      const profile: UserProfile = {
        user_id: input.userId ?? `auth0|${randomBytes(12).toString('hex')}`,
        created_at: at,
        updated_at: at,
        logins_count: 0,
        app_metadata: structuredClone(input.app_metadata ?? {}),
        user_metadata: structuredClone(input.user_metadata ?? {}),
      }
      const login = input.email ?? input.username ?? ''
      const fields = {
        email: input.email,
        email_verified: input.email === undefined ? undefined : (input.email_verified ?? false),
        username: input.username,
        name: input.name ?? login,
        nickname: input.nickname ?? login.split('@')[0],
        given_name: input.given_name,
        family_name: input.family_name,
        picture: input.picture,
        blocked: input.blocked,
      }
      for (const [key, value] of Object.entries(fields)) if (value !== undefined) profile[key] = value
      await users.createUser({
        directory: input.directory,
        profile,
        passwordHash: await hashPassword(input.password, { cost: core.scryptCost }),
        roles: [...(input.roles ?? [])],
      })
      return profile
    },
    async setPassword(userId, password) {
      await users.setPasswordHash(userId, await hashPassword(password, { cost: core.scryptCost }), { at: core.now(), reset: true })
      await core.stores.attempts.resetSubject(userId)
    },
    async setBlocked(userId, blocked) {
      await users.setBlocked(userId, blocked, core.now())
    },
    async unblock(userId, ip) {
      if (ip === undefined) await core.stores.attempts.resetSubject(userId)
      else await core.stores.attempts.reset({ subject: userId, ip: normalizeIp(ip) ?? ip })
    },
    async resetMfa(userId) {
      await core.stores.mfa.deleteEnrollment(userId)
    },
  }
}
