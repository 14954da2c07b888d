import type { JsonValue } from '@tokenrules/engine'
import { resetPassword } from '../dbconnections/change-password.js'
import { randomBytes } from 'node:crypto'
import type { Core } from '../lib/core.js'
import { normalizeIp } from '../lib/ip.js'
import { randomId } from '../lib/random.js'
import { hashPassword } from '../passwords/hash.js'
import { StoreConflictError } from '../stores/conflict.js'
import type { Directory, UserProfile, UserRecord } from '../stores/types.js'

/**
 * A user to create with {@link UserAdmin.create}: the profile fields rules will see, the password
 * (hashed before it is stored) and RBAC roles.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createTokenServer, type NewUser } from '@tokenrules/oauth'
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 * })
 * const alice: NewUser = {
 *   directory: 'Employees',
 *   email: 'alice@example.com',
 *   email_verified: true,
 *   password: 'correct horse battery staple',
 *   given_name: 'Alice',
 *   family_name: 'Liddell',
 *   app_metadata: { plan: 'enterprise' },
 *   roles: ['Administrator'],
 * }
 * const profile = await server.users.create(alice)
 * assert.match(profile.user_id, /^auth0\|[0-9a-f]{24}$/)
 * // `name` and `nickname` default to the login and its local part; the password is not in the profile.
 * assert.deepEqual(
 *   { name: profile.name, nickname: profile.nickname, logins_count: profile.logins_count, app_metadata: profile.app_metadata, password: profile['password'] },
 *   { name: 'alice@example.com', nickname: 'alice', logins_count: 0, app_metadata: { plan: 'enterprise' }, password: undefined },
 * )
 * ```
 */
export interface NewUser {
  /** The directory (realm) name. */
  directory: string
  /** At least one of `email` and `username`: what the user logs in with. */
  email?: string | undefined
  /** A login name, unique in the directory (case-insensitive) like the email. */
  username?: string | undefined
  /** The plain password; stored only as an scrypt hash of the server's `passwords.scryptCost`. */
  password: string
  /** Default `auth0|` and 24 random hex digits. */
  userId?: string | undefined
  /** Whether the email is verified. Default `false` when there is an email. */
  email_verified?: boolean | undefined
  /** Full name. Default: the email, else the username. */
  name?: string | undefined
  /** Short name. Default: the part of the email (or username) before `@`. */
  nickname?: string | undefined
  /** First name. */
  given_name?: string | undefined
  /** Last name. */
  family_name?: string | undefined
  /** URL of the user's picture. */
  picture?: string | undefined
  /** Create the user blocked: logins answer `401 unauthorized` "user is blocked". Default `false`. */
  blocked?: boolean | undefined
  /** Data the user cannot change (roles, plan…); rules see it as `user.app_metadata`. Default `{}`. */
  app_metadata?: Record<string, JsonValue> | undefined
  /** The user's own preferences; rules see it as `user.user_metadata`. Default `{}`. */
  user_metadata?: Record<string, JsonValue> | undefined
  /** RBAC roles: `context.authorization.roles`. */
  roles?: readonly string[] | undefined
}

/**
 * Operator actions on users, directories and brute-force blocks: `server.users` of a
 * {@link TokenServer}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createTokenServer, type UserAdmin } from '@tokenrules/oauth'
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.passwordRealm], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   passwords: { scryptCost: 2 ** 12 },
 * })
 * const admin: UserAdmin = server.users
 * await admin.ensureDirectory('Contractors', { agency: 'acme' })
 * const { user_id } = await admin.create({ directory: 'Contractors', username: 'carol', password: 'open sesame seed bagel' })
 * await admin.setBlocked(user_id, true) // the contract ended
 *
 * const login = () =>
 *   server.handler(
 *     new Request('http://localhost/oauth/token', {
 *       method: 'POST',
 *       body: new URLSearchParams({
 *         grant_type: GRANT_TYPES.passwordRealm, client_id: 'mobile', realm: 'Contractors',
 *         username: 'carol', password: 'open sesame seed bagel', audience: 'https://api.example.com',
 *       }),
 *     }),
 *     { remoteAddress: '127.0.0.1' },
 *   )
 * const blocked = await login()
 * assert.deepEqual([blocked.status, await blocked.json()], [401, { error: 'unauthorized', error_description: 'user is blocked' }])
 * await admin.setBlocked(user_id, false)
 * assert.equal((await login()).status, 200)
 * ```
 */
export interface UserAdmin {
  /** Adds a directory (realm) unless it exists. */
  ensureDirectory(name: string, metadata?: Readonly<Record<string, string>>): Promise<Directory>
  /**
   * Creates a user, hashing the password with the configured scrypt cost; a login taken in the directory rejects with {@link StoreConflictError} `duplicate_login`,
   * a password with a control character or a lone surrogate with a `TypeError`.
   */
  create(user: NewUser): Promise<UserProfile>
  /**
   * Sets a new password (a control character or a lone surrogate rejects with a `TypeError`); also lifts every brute-force block of the user, the
   * second-factor locks included ([behaviour: brute-force protection](../../../../docs/behaviour.md#brute-force-protection)).
   */
  setPassword(userId: string, password: string): Promise<void>
  /** Blocks or unblocks the user (`401 unauthorized "user is blocked"`). */
  setBlocked(userId: string, blocked: boolean): Promise<void>
  /** Lifts a brute-force block: of one IP, or of every IP and the second-factor locks when `ip` is left out. */
  unblock(userId: string, ip?: string): Promise<void>
  /** Removes the user's MFA enrollment (lost authenticator and recovery codes). */
  resetMfa(userId: string): Promise<void>
  /**
   * Completes a password reset of `POST /dbconnections/change_password` with the ticket
   * `hooks.deliverPasswordReset` got: checks the ticket (unexpired, for the password the user still
   * has: it works once) and the directory's `passwordPolicy`, sets the password, lifts the user's
   * brute-force blocks, and returns the user's id. Rejects with a `PasswordResetError`
   * (`invalid_ticket` or `invalid_password`).
   */
  resetPassword(ticket: string, newPassword: string): Promise<string>
}

export function userAdmin(core: Core): UserAdmin {
  const { users } = core.stores
  return {
    async ensureDirectory(name, metadata = {}) {
      const existing = await users.getDirectory(name)
      if (existing !== undefined) return existing
      const directory = { id: randomId('con'), name, metadata: { ...metadata } }
      try {
        await users.createDirectory(directory)
      } catch (error) {
        // Another server on the same store created it meanwhile: that one is the directory.
        const created = StoreConflictError.is(error) && error.reason === 'duplicate_directory' ? await users.getDirectory(name) : undefined
        if (created === undefined) throw error
        return created
      }
      return directory
    },
    async create(input) {
      if (input.email === undefined && input.username === undefined) throw new TypeError('A user needs an email or a username.')
      if ((await users.getDirectory(input.directory)) === undefined) throw new TypeError(`Unknown directory '${input.directory}'.`)
      const record = newUserRecord(input, core.now(), await hashPassword(input.password, { cost: core.scryptCost }))
      await users.createUser(record)
      return record.profile
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
    resetPassword: (ticket, newPassword) => resetPassword(core, ticket, newPassword),
  }
}

/** The record {@link UserAdmin.create} stores for `input` (its password hashed already), as of `now` (ms). */
export function newUserRecord(input: Omit<NewUser, 'password'>, now: number, passwordHash: string): UserRecord {
  if (input.email === undefined && input.username === undefined) throw new TypeError('A user needs an email or a username.')
  const at = new Date(now).toISOString()
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
  return { directory: input.directory, profile, passwordHash, roles: [...(input.roles ?? [])] }
}
