/**
 * The storage interfaces of the token server. Each is small on purpose: an in-memory and a SQLite
 * implementation ship with the package, and Redis ones for attempt counters and refresh tokens.
 * Times are milliseconds since the epoch, from the server's clock (which tests inject).
 *
 * @module
 */
import type { JsonValue } from '@tokenrules/engine'
import type { StoreConflictError } from './conflict.js'

/**
 * A user directory (Auth0: a database connection), selected by `realm`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createTokenServer, type Directory } from '@tokenrules/oauth'
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 * })
 * const partners: Directory = await server.users.ensureDirectory('Partners', { region: 'eu' })
 * assert.match(partners.id, /^con_/)
 * assert.deepEqual(partners.metadata, { region: 'eu' })
 * // Ensuring it again returns the same directory.
 * assert.equal((await server.users.ensureDirectory('Partners')).id, partners.id)
 * ```
 */
export interface Directory {
  /** Stable id, `con_…`; rules see it as `context.connectionID`. */
  id: string
  /** The realm name, e.g. `Employees`; rules see it as `context.connection`. */
  name: string
  /** String settings rules see as `context.connectionMetadata`. */
  metadata: Record<string, string>
}

/**
 * The normalized profile rules see as `user` ([behaviour: the user object](../../../../docs/behaviour.md#the-user-object)); unknown fields pass through.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, type UserProfile } from '@tokenrules/oauth'
 *
 * const stores = createMemoryStores()
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores,
 *   clock: () => Date.parse('2026-01-01T09:00:00Z'),
 * })
 * const created: UserProfile = await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * assert.equal(created.logins_count, 0)
 *
 * await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com' }),
 *   }),
 *   { remoteAddress: '203.0.113.7' },
 * )
 * // A successful login is recorded in the profile.
 * const profile = (await stores.users.getUser(created.user_id))?.profile
 * assert.deepEqual(
 *   { logins_count: profile?.logins_count, last_login: profile?.last_login, last_ip: profile?.last_ip },
 *   { logins_count: 1, last_login: '2026-01-01T09:00:00.000Z', last_ip: '203.0.113.7' },
 * )
 * ```
 */
export interface UserProfile {
  /** Stable id, e.g. `auth0|…`; the tokens' `sub`. */
  user_id: string
  /** Email address, a login name unique in the directory. */
  email?: string
  /** Whether the email is verified. */
  email_verified?: boolean
  /** Login name, unique in the directory. */
  username?: string
  /** Full name. */
  name?: string
  /** Short name. */
  nickname?: string
  /** First name. */
  given_name?: string
  /** Last name. */
  family_name?: string
  /** URL of the user's picture. */
  picture?: string
  /** Phone number. */
  phone_number?: string
  /** Whether the phone number is verified. */
  phone_verified?: boolean
  /** When the user was created (ISO 8601). */
  created_at: string
  /** When the profile last changed (ISO 8601). */
  updated_at: string
  /** When the user last logged in successfully (ISO 8601). */
  last_login?: string
  /** The IP address of that login. */
  last_ip?: string
  /** Successful logins so far. */
  logins_count: number
  /** Whether logins are refused with `401 unauthorized` "user is blocked". */
  blocked?: boolean
  /** When the password was last set by an operator (ISO 8601). */
  last_password_reset?: string
  /** Data the user cannot change (roles, plan…). */
  app_metadata: Record<string, JsonValue>
  /** The user's own preferences. */
  user_metadata: Record<string, JsonValue>
  [field: string]: JsonValue | undefined
}

/**
 * A user as a store keeps it: the profile, its directory, and the password hash (never shown to rules).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, hashPassword, type UserRecord } from '@tokenrules/oauth'
 *
 * // Importing a user with an existing hash, straight into the store.
 * const stores = createMemoryStores()
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [{ name: 'roles', script: `function (user, context, callback) {
 *     context.accessToken['https://example.com/roles'] = context.authorization.roles;
 *     callback(null, user, context);
 *   }` }] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores,
 * })
 * const imported: UserRecord = {
 *   directory: 'Employees',
 *   profile: { user_id: 'auth0|legacy-42', email: 'alice@example.com', created_at: '2019-05-01T00:00:00.000Z', updated_at: '2019-05-01T00:00:00.000Z', logins_count: 12, app_metadata: {}, user_metadata: {} },
 *   passwordHash: await hashPassword('correct horse battery staple', { cost: 2 ** 12 }),
 *   roles: ['Administrator'],
 * }
 * await stores.users.createUser(imported)
 *
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com' }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * const { access_token } = (await response.json()) as { access_token: string }
 * const claims = JSON.parse(Buffer.from(access_token.split('.')[1] ?? '', 'base64url').toString())
 * assert.deepEqual([claims.sub, claims['https://example.com/roles']], ['auth0|legacy-42', ['Administrator']])
 * ```
 */
export interface UserRecord {
  /** The directory's name. */
  directory: string
  /** The profile rules see as `user`. */
  profile: UserProfile
  /** From {@link hashPassword}. */
  passwordHash: string
  /** RBAC roles, which rules see as `context.authorization.roles`. */
  roles: string[]
  /**
   * Accounts linked into this one (Auth0's account linking, `POST /api/v2/users/{id}/identities`):
   * each is the whole secondary user as it was when linked, so unlinking gives it back. Its
   * identity appears in this user's `identities`. Absent when none.
   */
  linked?: UserRecord[]
}

/**
 * Users and directories.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, type UserStore } from '@tokenrules/oauth'
 *
 * // The memory store, wrapped to publish every successful login to an audit log.
 * const inner = createMemoryStores().users
 * const audit: string[] = []
 * const users: UserStore = {
 *   getDirectory: (name) => inner.getDirectory(name),
 *   listDirectories: () => inner.listDirectories(),
 *   createDirectory: (directory) => inner.createDirectory(directory),
 *   findUser: (directory, login) => inner.findUser(directory, login),
 *   getUser: (userId) => inner.getUser(userId),
 *   createUser: (user) => inner.createUser(user),
 *   async recordLogin(userId, login) {
 *     audit.push(`${userId} from ${login.ip}`)
 *     return inner.recordLogin(userId, login)
 *   },
 *   setPasswordHash: (userId, passwordHash, change) => inner.setPasswordHash(userId, passwordHash, change),
 *   setBlocked: (userId, blocked, at) => inner.setBlocked(userId, blocked, at),
 *   setEmailVerified: (userId, verified, at) => inner.setEmailVerified(userId, verified, at),
 *   linkUser: (primaryId, secondaryId, at) => inner.linkUser(primaryId, secondaryId, at),
 *   unlinkUser: (primaryId, secondaryId, at) => inner.unlinkUser(primaryId, secondaryId, at),
 *   updateAppMetadata: (userId, metadata, at) => inner.updateAppMetadata(userId, metadata, at),
 *   updateUserMetadata: (userId, metadata, at) => inner.updateUserMetadata(userId, metadata, at),
 *   updateRoles: (userId, change) => inner.updateRoles(userId, change),
 *   listUsers: (query) => inner.listUsers(query),
 *   deleteUser: (userId) => inner.deleteUser(userId),
 *   importUsers: (users) => inner.importUsers(users),
 * }
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores: { users },
 *   encryptionKey: randomBytes(32), // required with any store but the built-in memory ones
 * })
 * const { user_id } = await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com' }),
 *   }),
 *   { remoteAddress: '203.0.113.7' },
 * )
 * assert.equal(response.status, 200)
 * assert.deepEqual(audit, [`${user_id} from 203.0.113.7`])
 * ```
 */
export interface UserStore {
  /** The directory named `name`, or `undefined`. */
  getDirectory(name: string): Promise<Directory | undefined>
  /** Every directory. */
  listDirectories(): Promise<Directory[]>
  /** Adds a directory; a name (or id) that exists rejects with {@link StoreConflictError} `duplicate_directory`. */
  createDirectory(directory: Directory): Promise<void>
  /** The user of `directory` whose email or username is `login` (case-insensitive). */
  findUser(directory: string, login: string): Promise<UserRecord | undefined>
  /** The user with this `user_id`, or `undefined`. */
  getUser(userId: string): Promise<UserRecord | undefined>
  /**
   * Adds a user. A `user_id` that exists rejects with {@link StoreConflictError} `duplicate_user`;
   * an email or username already taken in the directory (case-insensitively), `duplicate_login`.
   */
  createUser(user: UserRecord): Promise<void>
  /** Counts a successful login: `logins_count + 1`, `last_login`, `last_ip`. Returns the new profile. */
  recordLogin(userId: string, login: { at: number; ip: string }): Promise<UserProfile | undefined>
  /**
   * Replaces the password hash. `reset: true` for a new password (sets `last_password_reset`);
   * `false` for a rehash of the same password with a higher cost.
   */
  setPasswordHash(userId: string, passwordHash: string, change: { at: number; reset: boolean }): Promise<void>
  /** Sets the profile's `blocked` flag (and `updated_at` to `at`). */
  setBlocked(userId: string, blocked: boolean, at: number): Promise<void>
  /** Sets the profile's `email_verified` flag (and `updated_at` to `at`). */
  setEmailVerified(userId: string, verified: boolean, at: number): Promise<void>
  /**
   * Links `secondaryId` into `primaryId`, atomically: the secondary user stops existing as a user
   * (its email and username are free again) and becomes one of the primary's `linked`. Returns the
   * primary's new record, or `undefined` when either user does not exist.
   */
  linkUser(primaryId: string, secondaryId: string, at: number): Promise<UserRecord | undefined>
  /**
   * Gives back the linked account `secondaryId` of `primaryId` as a user of its own, atomically.
   * Returns the primary's new record, or `undefined` when it has no such link; an email or
   * username taken meanwhile rejects with {@link StoreConflictError} `duplicate_login`.
   */
  unlinkUser(primaryId: string, secondaryId: string, at: number): Promise<UserRecord | undefined>
  /** Merges `metadata` into `app_metadata` (Auth0's semantics: a `null` value removes the key). */
  updateAppMetadata(userId: string, metadata: Record<string, JsonValue>, at: number): Promise<void>
  /** Merges `metadata` into `user_metadata`, like {@link UserStore.updateAppMetadata}. */
  updateUserMetadata(userId: string, metadata: Record<string, JsonValue>, at: number): Promise<void>
  /**
   * Changes the user's RBAC role names atomically (the Management API's role assignment): adds
   * each of `add` it does not hold (after those it holds, in the order given), then removes each of
   * `remove`. Returns the new roles, or `undefined` when the user does not exist.
   */
  updateRoles(userId: string, change: { add: readonly string[]; remove: readonly string[] }): Promise<string[] | undefined>
  /**
   * The users of `directory` (of every directory when it is left out) sorted by `user_id` (for
   * ASCII ids, as JavaScript's `<` orders them), from `offset`, at most `limit`: an operator's listing.
   */
  listUsers(query: { directory?: string | undefined; offset: number; limit: number }): Promise<UserRecord[]>
  /** Removes the user, the accounts linked into it with it. Returns whether the user existed. */
  deleteUser(userId: string): Promise<boolean>
  /**
   * Adds many users at once, all or none (a bulk import): each user whose `user_id` exists is left
   * as it is (`'exists'`), each other one is created as {@link UserStore.createUser} creates it
   * (`'created'`), in order. A login name taken in its directory, by a stored user or by one before
   * it in `users`, rejects with {@link StoreConflictError} `duplicate_login` and nothing is written.
   * The password hash is stored as given: an imported one (bcrypt, Auth0's custom hashes) stays
   * until the server replaces it with {@link UserStore.setPasswordHash} at the first login.
   */
  importUsers(users: readonly UserRecord[]): Promise<Array<'created' | 'exists'>>
}

/**
 * One refresh token. Its family is every token rotated from one login.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createHash } from 'node:crypto'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, type RefreshTokenRecord } from '@tokenrules/oauth'
 *
 * const stores = createMemoryStores()
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password, GRANT_TYPES.refreshToken], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'], allowOfflineAccess: true }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   refreshTokens: { lifetimeSeconds: 7 * 86_400 },
 *   stores,
 * })
 * const { user_id } = await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({
 *       grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple',
 *       audience: 'https://api.example.com', scope: 'read:messages offline_access',
 *     }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * const { refresh_token } = (await response.json()) as { refresh_token: string }
 *
 * // The store keeps a digest of the token, never the token itself.
 * const id = createHash('sha256').update(refresh_token).digest('base64url')
 * const record: RefreshTokenRecord | undefined = await stores.refreshTokens.get(id)
 * assert.ok(record)
 * const { clientId, userId, directory, audience, scope, createdAt, expiresAt } = record
 * assert.deepEqual(
 *   { clientId, userId, directory, audience, scope, lifetime: expiresAt - createdAt },
 *   { clientId: 'mobile', userId: user_id, directory: 'Employees', audience: 'https://api.example.com', scope: ['read:messages', 'offline_access'], lifetime: 7 * 86_400_000 },
 * )
 * ```
 */
export interface RefreshTokenRecord {
  /** SHA-256 of the token; the token itself is never stored. */
  id: string
  /** The id of the family: every token rotated from one login shares it. */
  familyId: string
  /** The client the token was issued to; only it may use the token. */
  clientId: string
  /** The user's `user_id`. */
  userId: string
  /** The name of the user's directory. */
  directory: string
  /** The API the tokens are for. */
  audience: string
  /** The scopes granted at login; a refresh may ask for fewer, never more. */
  scope: string[]
  /** When the user authenticated (seconds), for the ID token's `auth_time`. */
  authTime: number
  /** Whether the login of this family passed MFA. */
  mfa: boolean
  /** When this token was issued (ms). */
  createdAt: number
  /** The family's absolute expiry: rotation never extends it. */
  expiresAt: number
}

/**
 * What using a refresh token found: {@link RefreshTokenStore.use}'s answer.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, type RefreshTokenRecord, type RefreshTokenUse } from '@tokenrules/oauth'
 *
 * const { refreshTokens } = createMemoryStores()
 * const now = Date.now()
 * const record: RefreshTokenRecord = {
 *   id: 'digest-1', familyId: 'family-1', clientId: 'mobile', userId: 'auth0|alice', directory: 'Employees',
 *   audience: 'https://api.example.com', scope: ['offline_access'], authTime: Math.floor(now / 1000), mfa: false,
 *   createdAt: now, expiresAt: now + 86_400_000,
 * }
 * await refreshTokens.save(record)
 *
 * const outcome = (use: RefreshTokenUse | undefined) => use?.outcome
 * assert.equal(outcome(await refreshTokens.use('digest-1', now)), 'rotated') // first use
 * assert.equal(outcome(await refreshTokens.use('digest-1', now)), 'reused') // a replay: revoke the family
 * await refreshTokens.revokeFamily('family-1', now)
 * assert.equal(outcome(await refreshTokens.use('digest-1', now)), 'revoked')
 * assert.equal(outcome(await refreshTokens.use('unknown', now)), undefined)
 * ```
 */
export type RefreshTokenUse =
  /** This call used the token first: rotate it. */
  | { outcome: 'rotated'; record: RefreshTokenRecord }
  /** The token had been used before: a replay, so the family must be revoked. */
  | { outcome: 'reused'; record: RefreshTokenRecord }
  /** The token's family was revoked. */
  | { outcome: 'revoked'; record: RefreshTokenRecord }

/**
 * Refresh tokens with rotation and family revocation.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, type RefreshTokenStore } from '@tokenrules/oauth'
 *
 * // The memory store, wrapped to raise an alert when a replayed token revokes its family.
 * const inner = createMemoryStores().refreshTokens
 * const alerts: string[] = []
 * const refreshTokens: RefreshTokenStore = {
 *   save: (record) => inner.save(record),
 *   get: (id) => inner.get(id),
 *   use: (id, at) => inner.use(id, at),
 *   async revokeFamily(familyId, at) {
 *     alerts.push(`refresh token family ${familyId} revoked`)
 *     await inner.revokeFamily(familyId, at)
 *   },
 * }
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password, GRANT_TYPES.refreshToken], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'], allowOfflineAccess: true }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores: { refreshTokens },
 *   encryptionKey: randomBytes(32),
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const token = async (params: Record<string, string>) => {
 *   const body = new URLSearchParams({ client_id: 'mobile', ...params })
 *   const response = await server.handler(new Request('http://localhost/oauth/token', { method: 'POST', body }), { remoteAddress: '127.0.0.1' })
 *   return { status: response.status, body: (await response.json()) as { refresh_token: string } }
 * }
 * const login = await token({ grant_type: 'password', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com', scope: 'offline_access' })
 * const first = await token({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token })
 * assert.equal(first.status, 200)
 * // The first token again: a replay. The whole family is revoked, the rotated token too.
 * assert.equal((await token({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token })).status, 403)
 * assert.equal((await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token })).status, 403)
 * assert.equal(alerts.length, 1)
 * ```
 */
export interface RefreshTokenStore {
  /** Stores a new token (its record, keyed by `id`); an `id` stored before rejects with {@link StoreConflictError} `duplicate_refresh_token`. */
  save(record: RefreshTokenRecord): Promise<void>
  /** The token's record, used or not, or `undefined`. */
  get(id: string): Promise<RefreshTokenRecord | undefined>
  /**
   * Whether the token is still usable, without changing anything: lets the server refuse a replayed
   * token (and revoke its family) before running rules. Optional: without it, replays are caught
   * by {@link RefreshTokenStore.use}, after the rules ran.
   */
  state?(id: string): Promise<'active' | 'used' | 'revoked' | undefined>
  /**
   * Marks the token used, atomically: of two concurrent calls only one sees `rotated`. The server
   * calls it only once the successor is stored, so a failure never leaves a token consumed without one.
   */
  use(id: string, at: number): Promise<RefreshTokenUse | undefined>
  /** Revokes every token of the family, used or not. */
  revokeFamily(familyId: string, at: number): Promise<void>
}

/**
 * An `mfa_required` answer waiting for the second factor: the tokens the rules computed.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createHash } from 'node:crypto'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, type MfaTransaction } from '@tokenrules/oauth'
 *
 * const stores = createMemoryStores()
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [{ name: 'require-mfa', script: `function (user, context, callback) {
 *     context.multifactor = { provider: 'any' };
 *     callback(null, user, context);
 *   }` }] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password, GRANT_TYPES.mfaOtp], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores,
 *   clock: () => Date.parse('2026-01-01T09:00:00Z'),
 * })
 * const { user_id } = await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com' }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * const { error, mfa_token } = (await response.json()) as { error: string; mfa_token: string }
 * assert.deepEqual([response.status, error], [403, 'mfa_required'])
 *
 * // The transaction is stored under the token's SHA-256 and lives 10 minutes.
 * const transaction: MfaTransaction | undefined = await stores.mfa.getTransaction(createHash('sha256').update(mfa_token).digest('base64url'))
 * assert.deepEqual(
 *   { clientId: transaction?.clientId, userId: transaction?.userId, expiresAt: transaction?.expiresAt },
 *   { clientId: 'mobile', userId: user_id, expiresAt: Date.parse('2026-01-01T09:10:00Z') },
 * )
 * ```
 */
export interface MfaTransaction {
  /** SHA-256 of the `mfa_token`. */
  id: string
  /** The client that logged in; only it may complete the transaction. */
  clientId: string
  /** The user who logged in. */
  userId: string
  /** When the `mfa_token` expires (ms): 10 minutes after the login. */
  expiresAt: number
  /** The issuance the rules computed (JSON), replayed once MFA succeeds. */
  issuance: JsonValue
}

/**
 * A user's TOTP authenticator, stored by `POST /mfa/associate`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, type MfaEnrollment } from '@tokenrules/oauth'
 *
 * const stores = createMemoryStores()
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [{ name: 'require-mfa', script: `function (user, context, callback) {
 *     context.multifactor = { provider: 'any' };
 *     callback(null, user, context);
 *   }` }] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password, GRANT_TYPES.mfaOtp], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores,
 * })
 * const { user_id } = await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com' }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * const { mfa_token } = (await response.json()) as { mfa_token: string }
 *
 * // Enroll an authenticator app: the secret and the recovery codes are answered once.
 * const associate = await server.handler(
 *   new Request('http://localhost/mfa/associate', {
 *     method: 'POST',
 *     headers: { authorization: `Bearer ${mfa_token}`, 'content-type': 'application/json' },
 *     body: JSON.stringify({ client_id: 'mobile', authenticator_types: ['otp'] }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * const answer = (await associate.json()) as { secret: string; recovery_codes: string[] }
 * assert.equal(answer.recovery_codes.length, 5)
 *
 * const enrollment: MfaEnrollment | undefined = await stores.mfa.getEnrollment(user_id)
 * assert.ok(enrollment)
 * assert.equal(enrollment.confirmed, false) // until the first valid code
 * assert.equal(enrollment.lastStep, -1)
 * assert.equal(enrollment.recoveryCodes.length, 5)
 * assert.ok(!enrollment.sealedSecret.includes(answer.secret)) // sealed, and codes kept as digests
 * assert.ok(!enrollment.recoveryCodes.some((digest) => answer.recovery_codes.includes(digest)))
 * ```
 */
export interface MfaEnrollment {
  /** The enrolled user. */
  userId: string
  /** The TOTP secret, sealed with AES-256-GCM under the server's encryption key. */
  sealedSecret: string
  /** `false` until the first valid code; an unconfirmed enrollment may be replaced. */
  confirmed: boolean
  /** The last TOTP time step accepted (replay protection); -1 before the first. */
  lastStep: number
  /** SHA-256 of each unused recovery code. */
  recoveryCodes: string[]
  /** When the authenticator was enrolled (ms). */
  createdAt: number
}

/**
 * MFA transactions and enrollments.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, type MfaStore } from '@tokenrules/oauth'
 *
 * // The memory store, wrapped to count logins that stopped at the second factor.
 * const inner = createMemoryStores().mfa
 * let challenged = 0
 * const mfa: MfaStore = {
 *   async saveTransaction(transaction) {
 *     challenged++
 *     await inner.saveTransaction(transaction)
 *   },
 *   getTransaction: (id) => inner.getTransaction(id),
 *   takeTransaction: (id) => inner.takeTransaction(id),
 *   getEnrollment: (userId) => inner.getEnrollment(userId),
 *   saveEnrollment: (enrollment) => inner.saveEnrollment(enrollment),
 *   useOtpStep: (userId, step) => inner.useOtpStep(userId, step),
 *   useRecoveryCode: (userId, codeDigest) => inner.useRecoveryCode(userId, codeDigest),
 *   deleteEnrollment: (userId) => inner.deleteEnrollment(userId),
 * }
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [{ name: 'require-mfa', script: `function (user, context, callback) {
 *     context.multifactor = { provider: 'any' };
 *     callback(null, user, context);
 *   }` }] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password, GRANT_TYPES.mfaOtp], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores: { mfa },
 *   encryptionKey: randomBytes(32),
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com' }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * assert.equal(response.status, 403)
 * assert.equal(challenged, 1)
 * ```
 */
export interface MfaStore {
  /** Stores a transaction (an `mfa_required` answer) under its `id`. */
  saveTransaction(transaction: MfaTransaction): Promise<void>
  /** The transaction, without consuming it, or `undefined`. */
  getTransaction(id: string): Promise<MfaTransaction | undefined>
  /** Deletes and returns the transaction, atomically: it completes at most once. */
  takeTransaction(id: string): Promise<MfaTransaction | undefined>
  /** The user's enrollment, confirmed or not, or `undefined`. */
  getEnrollment(userId: string): Promise<MfaEnrollment | undefined>
  /** Saves (or replaces) the user's enrollment. */
  saveEnrollment(enrollment: MfaEnrollment): Promise<void>
  /** Accepts TOTP step `step` when it is later than the last one accepted, and confirms the enrollment. Atomic. */
  useOtpStep(userId: string, step: number): Promise<boolean>
  /** Consumes a recovery code (by digest) when it is unused. Atomic. */
  useRecoveryCode(userId: string, codeDigest: string): Promise<boolean>
  /** Removes the user's enrollment (an operator's MFA reset). */
  deleteEnrollment(userId: string): Promise<void>
}

/**
 * Which (subject, IP) pair an attempt belongs to. `subject` is a user id, or a key for an unknown login.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, type AttemptKey } from '@tokenrules/oauth'
 *
 * const { attempts } = createMemoryStores()
 * const settings = { now: Date.now(), windowMs: 900_000, threshold: 10 }
 * const office: AttemptKey = { subject: 'auth0|alice', ip: '203.0.113.7' }
 * const home: AttemptKey = { subject: 'auth0|alice', ip: '198.51.100.23' }
 * await attempts.attempt(office, settings)
 * await attempts.attempt(office, settings)
 * // Each IP counts on its own, so an attacker cannot lock the user out everywhere.
 * assert.equal((await attempts.attempt(home, settings)).failures, 1)
 * await attempts.resetSubject('auth0|alice') // a new password forgets every pair
 * assert.equal((await attempts.attempt(office, settings)).failures, 1)
 * ```
 */
export interface AttemptKey {
  /** The user's id, or a key derived from the login name when no such user exists. */
  subject: string
  /** The end user's IP address. */
  ip: string
}

/**
 * What {@link AttemptStore.attempt} decided.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, type AttemptOutcome } from '@tokenrules/oauth'
 *
 * const { attempts } = createMemoryStores()
 * const key = { subject: 'auth0|alice', ip: '203.0.113.7' }
 * const now = Date.parse('2026-01-01T09:00:00Z')
 * const settings = { now, windowMs: 900_000, threshold: 2 }
 * await attempts.attempt(key, settings)
 * await attempts.attempt(key, settings)
 * const outcome: AttemptOutcome = await attempts.attempt(key, settings)
 * // Blocked: the server answers 429 with Retry-After until the count expires.
 * assert.deepEqual(outcome, { blocked: true, failures: 2, expiresAt: now + 900_000 })
 * assert.equal(Math.ceil((outcome.expiresAt - now) / 1000), 900)
 * ```
 */
export interface AttemptOutcome {
  /** The pair had reached the threshold: refuse without checking the credentials. */
  blocked: boolean
  /** Failed (or pending) attempts counted for the pair, this one included when not blocked. */
  failures: number
  /** When the count expires (ms); meaningful when `failures > 0`. */
  expiresAt: number
}

/**
 * Which guess budget {@link AttemptStore.takeGuess} draws on: a `budget` name under a `subject`
 * (the user), e.g. the user's OTP factor, or one `mfa_token`. Every budget of a subject is
 * forgotten by {@link AttemptStore.resetSubject}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, type GuessKey } from '@tokenrules/oauth'
 *
 * const { attempts } = createMemoryStores()
 * const settings = { now: Date.now(), capacity: 2, refillMs: 360_000 }
 * const otp: GuessKey = { subject: 'auth0|alice', budget: 'otp' }
 * const recovery: GuessKey = { subject: 'auth0|alice', budget: 'recovery-code' }
 * await attempts.takeGuess(otp, settings)
 * await attempts.takeGuess(otp, settings)
 * assert.equal((await attempts.takeGuess(otp, settings)).allowed, false)
 * // Each budget counts on its own.
 * assert.equal((await attempts.takeGuess(recovery, settings)).allowed, true)
 * ```
 */
export interface GuessKey {
  /** The user's id. */
  subject: string
  /** The budget's name under the subject, e.g. `otp` or `mfa_token:<digest>`. */
  budget: string
}

/**
 * The size of a guess budget: a token bucket of `capacity` guesses that gets one back every
 * `refillMs`, never more than `capacity`; an unused budget is full.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, type GuessBudget } from '@tokenrules/oauth'
 *
 * // Auth0's limit on wrong one-time codes: 10, then one more every 6 minutes.
 * const auth0: GuessBudget = { capacity: 10, refillMs: 6 * 60_000 }
 * const { attempts } = createMemoryStores()
 * const key = { subject: 'auth0|alice', budget: 'otp' }
 * const now = Date.parse('2026-01-01T09:00:00Z')
 * for (let i = 0; i < 10; i++) await attempts.takeGuess(key, { now, ...auth0 })
 * assert.deepEqual(await attempts.takeGuess(key, { now, ...auth0 }), { allowed: false, remaining: 0, nextAt: now + 360_000 })
 * assert.equal((await attempts.takeGuess(key, { now: now + 360_000, ...auth0 })).allowed, true)
 * ```
 */
export interface GuessBudget {
  /** Guesses of a full budget. */
  capacity: number
  /** One guess comes back every `refillMs` milliseconds. */
  refillMs: number
}

/**
 * What {@link AttemptStore.takeGuess} decided.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, type GuessOutcome } from '@tokenrules/oauth'
 *
 * const { attempts } = createMemoryStores()
 * const now = Date.parse('2026-01-01T09:00:00Z')
 * const outcome: GuessOutcome = await attempts.takeGuess({ subject: 'auth0|alice', budget: 'otp' }, { now, capacity: 10, refillMs: 360_000 })
 * assert.deepEqual(outcome, { allowed: true, remaining: 9, nextAt: now + 360_000 })
 * ```
 */
export interface GuessOutcome {
  /** A guess was left and is now spent: check the code. `false`: refuse without checking it. */
  allowed: boolean
  /** Guesses left in the budget after this call. */
  remaining: number
  /** When the budget gets its next guess back (ms); when refused, what `Retry-After` tells. */
  nextAt: number
}

/**
 * Failed-login counters per (user, IP), and guess budgets for second-factor codes per user and
 * per `mfa_token`. An attempt is counted (a guess spent) *before* the credentials are checked and
 * the count is reset (the guess given back) on success, so parallel guesses cannot slip past the
 * threshold. A correct password never refills a guess budget.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, type AttemptStore } from '@tokenrules/oauth'
 *
 * // The memory store, wrapped to report pairs that hit the threshold (e.g. to a SIEM).
 * const inner = createMemoryStores().attempts
 * const blockedPairs: string[] = []
 * const attempts: AttemptStore = {
 *   async attempt(key, settings) {
 *     const outcome = await inner.attempt(key, settings)
 *     if (outcome.blocked) blockedPairs.push(key.ip)
 *     return outcome
 *   },
 *   reset: (key) => inner.reset(key),
 *   resetSubject: (subject) => inner.resetSubject(subject),
 *   takeGuess: (key, settings) => inner.takeGuess(key, settings),
 *   returnGuess: (key, settings) => inner.returnGuess(key, settings),
 * }
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   bruteForce: { threshold: 3 },
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores: { attempts },
 *   encryptionKey: randomBytes(32),
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const login = async (password: string) => {
 *   const body = new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password, audience: 'https://api.example.com' })
 *   return (await server.handler(new Request('http://localhost/oauth/token', { method: 'POST', body }), { remoteAddress: '203.0.113.7' })).status
 * }
 * assert.deepEqual([await login('a'), await login('b'), await login('c'), await login('correct horse battery staple')], [403, 403, 403, 429])
 * assert.deepEqual(blockedPairs, ['203.0.113.7'])
 * ```
 */
export interface AttemptStore {
  /**
   * Atomically: when the pair has at least `threshold` unexpired failures, report `blocked` and
   * change nothing; otherwise count this attempt and push the expiry to `now + windowMs`.
   */
  attempt(key: AttemptKey, settings: { now: number; windowMs: number; threshold: number }): Promise<AttemptOutcome>
  /** Forgets the pair (a successful login, an operator's unblock of one IP). */
  reset(key: AttemptKey): Promise<void>
  /** Forgets every pair and every guess budget of the subject (a password change, an operator's unblock). */
  resetSubject(subject: string): Promise<void>
  /**
   * Atomically: refill the budget by the time elapsed (one guess per `refillMs`, up to
   * `capacity`), then spend one guess when one is left (`allowed`), or change nothing. The caller
   * spends a guess *before* checking a second-factor code and gives it back with
   * {@link AttemptStore.returnGuess} when the code was right, so parallel guesses never pass the budget.
   */
  takeGuess(key: GuessKey, settings: GuessBudget & { now: number }): Promise<GuessOutcome>
  /** Atomically gives one guess back (a right code), never past `capacity`. */
  returnGuess(key: GuessKey, settings: GuessBudget & { now: number }): Promise<void>
}

/**
 * A signing key as stored.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, createTokenServer, type SigningKeyRecord } from '@tokenrules/oauth'
 *
 * const stores = createMemoryStores()
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   keys: { algorithm: 'ES256' },
 *   stores,
 * })
 * const [current]: SigningKeyRecord[] = await stores.keys.list()
 * assert.ok(current)
 * assert.equal(current.alg, 'ES256')
 * assert.deepEqual(current.publicJwk, server.keys.jwks().keys[0])
 * // The private key is stored sealed: no private JWK member `d` in clear.
 * assert.ok(!current.sealedPrivateJwk.includes('"d"'))
 * ```
 */
export interface SigningKeyRecord {
  /** The key id: the public JWK's thumbprint (RFC 7638), in the tokens' `kid` header. */
  kid: string
  /** The signing algorithm. */
  alg: 'RS256' | 'ES256' | 'EdDSA'
  /** The private JWK as JSON, sealed with the server's encryption key. */
  sealedPrivateJwk: string
  /** The public JWK (with `kid`, `alg`, `use`). */
  publicJwk: Record<string, string>
  /** When the key was made (ms); the newest signs. */
  createdAt: number
}

/**
 * Signing keys, newest first.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { createTokenServer, type KeyStore, type SigningKeyRecord } from '@tokenrules/oauth'
 *
 * // A minimal store of its own (in production: a table, a secrets manager…).
 * const records: SigningKeyRecord[] = []
 * const keys: KeyStore = {
 *   list: async () => [...records].sort((a, b) => b.createdAt - a.createdAt),
 *   add: async (key) => void records.push(key),
 *   remove: async (kid) => void records.splice(records.findIndex((key) => key.kid === kid), 1),
 * }
 * let now = Date.parse('2026-01-01T00:00:00Z')
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   keys: { algorithm: 'ES256', published: 2 },
 *   stores: { keys },
 *   encryptionKey: randomBytes(32),
 *   clock: () => now,
 * })
 * now += 86_400_000
 * const second = await server.keys.rotate()
 * now += 86_400_000
 * const third = await server.keys.rotate()
 * // Only the `published` newest keys are kept.
 * assert.deepEqual((await keys.list()).map((key) => key.kid), [third, second])
 * ```
 */
export interface KeyStore {
  /** Every stored key, newest (`createdAt`) first. */
  list(): Promise<SigningKeyRecord[]>
  /** Stores a new key; a `kid` stored before rejects with {@link StoreConflictError} `duplicate_signing_key`. */
  add(key: SigningKeyRecord): Promise<void>
  /**
   * Stores `key` only when no key is stored, in one atomic step, and answers whether it did: servers
   * starting at once on an empty shared store make one first key between them (each would otherwise
   * make its own and delete the others' beyond `published` while they still sign with them). A store
   * shared by several servers implements it; without it a server starting on an empty store adds
   * its key as {@link KeyStore.add} does (right for a store of one server).
   */
  addFirst?(key: SigningKeyRecord): Promise<boolean>
  /** Deletes the key with this `kid`. */
  remove(kid: string): Promise<void>
}

/**
 * What `GET /userinfo` answers beyond the user's profile for one access token: the rules'
 * (namespaced) ID token claims of the login that issued it, kept under the token's `jti` until the
 * token expires ([behaviour: userinfo](../../../../docs/behaviour.md#get-userinfo)).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, type UserinfoRecord } from '@tokenrules/oauth'
 *
 * const { userinfo } = createMemoryStores()
 * const now = Date.parse('2026-01-01T09:00:00Z')
 * const record: UserinfoRecord = {
 *   jti: 'at_1', userId: 'auth0|alice', clientId: 'mobile',
 *   claims: { 'https://example.com/roles': ['admin'] }, expiresAt: now + 3_600_000,
 * }
 * await userinfo.save(record, now)
 * assert.deepEqual(await userinfo.get('at_1', now), record)
 * // Gone once the access token has expired.
 * assert.equal(await userinfo.get('at_1', now + 3_600_000), undefined)
 * ```
 */
export interface UserinfoRecord {
  /** The access token's `jti`. */
  jti: string
  /** The token's `sub`. */
  userId: string
  /** The token's `client_id`. */
  clientId: string
  /** The rules' ID token claims of the login, as the ID token carried them. */
  claims: Record<string, JsonValue>
  /** When the access token expires (ms): the record is of no use from then on. */
  expiresAt: number
}

/**
 * The {@link UserinfoRecord}s of unexpired access tokens. Bounded: a record is never returned at or
 * after its `expiresAt`, and a store deletes expired records (memory: as it grows; SQLite:
 * `purgeExpired`; Redis: by key expiry).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, type UserinfoStore } from '@tokenrules/oauth'
 *
 * // The memory store, wrapped to count the access tokens whose claims /userinfo may answer.
 * const inner = createMemoryStores().userinfo
 * let saved = 0
 * const userinfo: UserinfoStore = {
 *   async save(record, now) {
 *     saved += 1
 *     await inner.save(record, now)
 *   },
 *   get: (jti, now) => inner.get(jti, now),
 * }
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: [] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores: { userinfo },
 *   encryptionKey: randomBytes(32),
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const body = new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com', scope: 'openid email' })
 * const { access_token } = (await (await server.handler(new Request('http://localhost/oauth/token', { method: 'POST', body }), { remoteAddress: '127.0.0.1' })).json()) as { access_token: string }
 * const info = await server.handler(new Request('http://localhost/userinfo', { headers: { authorization: `Bearer ${access_token}` } }))
 * assert.equal(((await info.json()) as { email: string }).email, 'alice@example.com')
 * assert.equal(saved, 1)
 * ```
 */
export interface UserinfoStore {
  /**
   * Stores the record under its `jti` (a record of the same `jti` is replaced); a store that prunes
   * as it writes deletes the records expired as of `now` (ms).
   */
  save(record: UserinfoRecord, now: number): Promise<void>
  /** The record, or `undefined` when there is none or `now` (ms) is at or after its `expiresAt`. */
  get(jti: string, now: number): Promise<UserinfoRecord | undefined>
}

/**
 * Every store the server uses ({@link TokenServerOptions.stores}; any left out is in memory).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, createTokenServer, verifyPassword, type TokenServerStores } from '@tokenrules/oauth'
 *
 * const stores: TokenServerStores = createMemoryStores()
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores,
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 *
 * // What the server wrote: the directory, the user with a password hash, the signing key.
 * assert.deepEqual((await stores.users.listDirectories()).map((directory) => directory.name), ['Employees'])
 * const alice = await stores.users.findUser('Employees', 'alice@example.com')
 * assert.equal(await verifyPassword('correct horse battery staple', alice?.passwordHash ?? ''), true)
 * assert.equal((await stores.keys.list()).length, 1)
 * ```
 */
export interface TokenServerStores {
  /** Users and directories. */
  users: UserStore
  /** Refresh tokens and their families. */
  refreshTokens: RefreshTokenStore
  /** MFA transactions and enrollments. */
  mfa: MfaStore
  /** Failed-login counters and second-factor guess budgets for brute-force protection. */
  attempts: AttemptStore
  /** Signing keys. */
  keys: KeyStore
  /** The rules' ID token claims of unexpired access tokens, for `GET /userinfo`. */
  userinfo: UserinfoStore
}
