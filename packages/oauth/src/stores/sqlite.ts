import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import type { JsonValue } from '@tokenrules/engine'
import { missingPeer } from '../lib/optional-peer.js'
import { StoreConflictError } from './conflict.js'
import { fullAt, refilled } from './lib/guess-budget.js'
import { changedRoles, loginKey, mergeMetadata } from './lib/metadata.js'
import type {
  AttemptKey,
  AttemptOutcome,
  AttemptStore,
  Directory,
  GuessBudget,
  GuessKey,
  GuessOutcome,
  KeyStore,
  MfaEnrollment,
  MfaStore,
  MfaTransaction,
  RefreshTokenRecord,
  RefreshTokenStore,
  RefreshTokenUse,
  SigningKeyRecord,
  TokenServerStores,
  UserProfile,
  UserRecord,
  UserStore,
  UserinfoRecord,
  UserinfoStore,
} from './types.js'

// Loaded here, not by the package's main entry point: only `@tokenrules/oauth/sqlite` needs the driver.
const { default: Database } = await import('better-sqlite3').catch((error: unknown) => {
  throw missingPeer('better-sqlite3', '@tokenrules/oauth/sqlite', error)
})

/**
 * Options of {@link createSqliteStores}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { existsSync, mkdtempSync, rmSync } from 'node:fs'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { createSqliteStores, type SqliteStoresOptions } from '@tokenrules/oauth/sqlite'
 *
 * const dir = mkdtempSync(join(tmpdir(), 'tokenrules-'))
 * try {
 *   const options: SqliteStoresOptions = { path: join(dir, 'data', 'tokenrules.db') } // `data/` is created
 *   using stores = createSqliteStores(options)
 *   assert.ok(existsSync(options.path))
 *   assert.deepEqual(await stores.users.listDirectories(), [])
 * } finally {
 *   rmSync(dir, { recursive: true, force: true })
 * }
 * ```
 */
export interface SqliteStoresOptions {
  /** The database file; its folder is created when missing. `:memory:` for a throwaway database. */
  path: string
}

/**
 * Every store in one SQLite file, with housekeeping: purge expired rows, close the database.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { GRANT_TYPES, createTokenServer } from '@tokenrules/oauth'
 * import { createSqliteStores, type SqliteStores } from '@tokenrules/oauth/sqlite'
 *
 * const stores: SqliteStores = createSqliteStores({ path: ':memory:' })
 * try {
 *   await using server = await createTokenServer({
 *     issuer: 'https://auth.example.com/',
 *     engine: { rules: [] },
 *     clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password, GRANT_TYPES.refreshToken], allowPublic: true }],
 *     apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'], allowOfflineAccess: true }],
 *     directories: [{ name: 'Employees' }],
 *     refreshTokens: { lifetimeSeconds: 3_600 },
 *     passwords: { scryptCost: 2 ** 12 },
 *     stores,
 *     encryptionKey: randomBytes(32),
 *   })
 *   await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 *   const response = await server.handler(
 *     new Request('http://localhost/oauth/token', {
 *       method: 'POST',
 *       body: new URLSearchParams({
 *         grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple',
 *         audience: 'https://api.example.com', scope: 'offline_access',
 *       }),
 *     }),
 *     { remoteAddress: '127.0.0.1' },
 *   )
 *   assert.ok(((await response.json()) as { refresh_token?: string }).refresh_token)
 *
 *   // A nightly job: nothing has expired yet; in two hours the refresh token has.
 *   assert.equal(stores.purgeExpired(Date.now()), 0)
 *   assert.equal(stores.purgeExpired(Date.now() + 2 * 3_600_000), 1)
 * } finally {
 *   stores.close()
 * }
 * ```
 */
export interface SqliteStores extends TokenServerStores, Disposable {
  /** Deletes expired MFA transactions, refresh tokens, attempt counters, refilled guess budgets and userinfo records as of `now` (ms). Returns rows deleted. */
  purgeExpired(now: number): number
  /** Closes the database. */
  close(): void
}

const SCHEMA_VERSION = 5
const SCHEMA = `
CREATE TABLE directories (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, metadata TEXT NOT NULL);
CREATE TABLE users (
  user_id TEXT PRIMARY KEY,
  directory TEXT NOT NULL,
  email_key TEXT,
  username_key TEXT,
  profile TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  roles TEXT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (directory, email_key) WHERE email_key IS NOT NULL;
CREATE UNIQUE INDEX users_username ON users (directory, username_key) WHERE username_key IS NOT NULL;
CREATE TABLE refresh_tokens (
  id TEXT PRIMARY KEY,
  family_id TEXT NOT NULL,
  record TEXT NOT NULL,
  used_at INTEGER,
  expires_at INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE TABLE refresh_families (family_id TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL);
CREATE TABLE mfa_transactions (id TEXT PRIMARY KEY, record TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE mfa_enrollments (
  user_id TEXT PRIMARY KEY,
  sealed_secret TEXT NOT NULL,
  confirmed INTEGER NOT NULL,
  last_step INTEGER NOT NULL,
  recovery_codes TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE attempts (
  subject TEXT NOT NULL,
  ip TEXT NOT NULL,
  failures INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (subject, ip)
);
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  sealed_private_jwk TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`

/** What each schema version adds to the one before (index 0: version 1 to 2). */
const MIGRATIONS = [
  `
CREATE TABLE guesses (
  subject TEXT NOT NULL,
  budget TEXT NOT NULL,
  guesses INTEGER NOT NULL,
  at INTEGER NOT NULL,
  full_at INTEGER NOT NULL,
  PRIMARY KEY (subject, budget)
);
`,
  // Version 2 to 3: accounts linked into a user (the Management API's identities), as JSON.
  `
ALTER TABLE users ADD COLUMN linked TEXT;
`,
  // Version 3 to 4: the rules' ID token claims of unexpired access tokens, for GET /userinfo.
  `
CREATE TABLE userinfo (jti TEXT PRIMARY KEY, record TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX userinfo_expires ON userinfo (expires_at);
`,
  // Version 4 to 5: an operator lists a directory's users (tokenrules users list) in user_id order.
  `
CREATE INDEX IF NOT EXISTS users_directory ON users (directory, user_id);
`,
]

/**
 * Every store in one SQLite file (WAL mode): users and directories, refresh tokens, MFA state,
 * attempt counters and signing keys survive a restart. Writes are synchronous and each operation
 * is one transaction, so a single process sees them atomically.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { mkdtempSync, rmSync } from 'node:fs'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { createTokenServer, type TokenServerOptions } from '@tokenrules/oauth'
 * import { createSqliteStores } from '@tokenrules/oauth/sqlite'
 *
 * const dir = mkdtempSync(join(tmpdir(), 'tokenrules-'))
 * const path = join(dir, 'tokenrules.db')
 * const encryptionKey = randomBytes(32) // in production: a secret from the environment, the same at every start
 * const options: TokenServerOptions = {
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   encryptionKey,
 * }
 * try {
 *   let kid: string | undefined
 *   {
 *     using stores = createSqliteStores({ path })
 *     await using server = await createTokenServer({ ...options, stores })
 *     await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 *     kid = server.keys.jwks().keys[0]?.kid
 *   }
 *   // After a restart: the same users and the same signing key.
 *   using stores = createSqliteStores({ path })
 *   await using server = await createTokenServer({ ...options, stores })
 *   assert.equal(server.keys.jwks().keys[0]?.kid, kid)
 *   assert.ok(await stores.users.findUser('Employees', 'alice@example.com'))
 * } finally {
 *   rmSync(dir, { recursive: true, force: true })
 * }
 * ```
 */
export function createSqliteStores(options: SqliteStoresOptions): SqliteStores {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
  const db = new Database(options.path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  migrate(db)
  const stores = {
    users: new SqliteUserStore(db),
    refreshTokens: new SqliteRefreshTokenStore(db),
    mfa: new SqliteMfaStore(db),
    attempts: new SqliteAttemptStore(db),
    keys: new SqliteKeyStore(db),
    userinfo: new SqliteUserinfoStore(db),
    purgeExpired(now: number) {
      return db.transaction(() => {
        let deleted = 0
        deleted += db.prepare('DELETE FROM mfa_transactions WHERE expires_at <= ?').run(now).changes
        deleted += db.prepare('DELETE FROM refresh_tokens WHERE expires_at <= ?').run(now).changes
        deleted += db.prepare('DELETE FROM refresh_families WHERE family_id NOT IN (SELECT family_id FROM refresh_tokens)').run().changes
        deleted += db.prepare('DELETE FROM attempts WHERE expires_at <= ?').run(now).changes
        deleted += db.prepare('DELETE FROM guesses WHERE full_at <= ?').run(now).changes
        deleted += db.prepare('DELETE FROM userinfo WHERE expires_at <= ?').run(now).changes
        return deleted
      })()
    },
    close() {
      if (db.open) db.close()
    },
    [Symbol.dispose]() {
      stores.close()
    },
  }
  return stores
}

function migrate(db: BetterSqlite3.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version === SCHEMA_VERSION) return
  if (!Number.isInteger(version) || version < 0 || version > SCHEMA_VERSION) {
    throw new Error(`The database has schema version ${version}; this version of @tokenrules/oauth knows ${SCHEMA_VERSION}.`)
  }
  db.transaction(() => {
    if (version === 0) db.exec(SCHEMA)
    // A new database runs every migration after the first schema; an older one those it lacks.
    for (const step of MIGRATIONS.slice(Math.max(0, version - 1))) db.exec(step)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  })()
}

/**
 * Runs a write; a uniqueness constraint it breaks becomes the interface's {@link StoreConflictError}
 * (`reason` picked from the constraint's message, e.g. `UNIQUE constraint failed: users.user_id`).
 */
function unique<T>(write: () => T, reason: (constraint: string) => StoreConflictError['reason']): T {
  try {
    return write()
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code !== 'SQLITE_CONSTRAINT_PRIMARYKEY' && code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error
    const constraint = String((error as Error).message)
    throw new StoreConflictError(reason(constraint), constraint, { cause: error })
  }
}

interface UserRow {
  directory: string
  profile: string
  password_hash: string
  roles: string
  linked: string | null
}

const USER_COLUMNS = 'directory, profile, password_hash, roles, linked'

function toUser(row: UserRow | undefined): UserRecord | undefined {
  if (row === undefined) return undefined
  const user: UserRecord = {
    directory: row.directory,
    profile: JSON.parse(row.profile) as UserProfile,
    passwordHash: row.password_hash,
    roles: JSON.parse(row.roles) as string[],
  }
  const linked = row.linked === null ? [] : (JSON.parse(row.linked) as UserRecord[])
  if (linked.length > 0) user.linked = linked
  return user
}

class SqliteUserStore implements UserStore {
  constructor(readonly db: BetterSqlite3.Database) {}

  async getDirectory(name: string) {
    const row = this.db.prepare('SELECT id, name, metadata FROM directories WHERE name = ?').get(name) as
      { id: string; name: string; metadata: string } | undefined
    return row === undefined ? undefined : { id: row.id, name: row.name, metadata: JSON.parse(row.metadata) as Record<string, string> }
  }
  async listDirectories() {
    const rows = this.db.prepare('SELECT id, name, metadata FROM directories ORDER BY rowid').all() as { id: string; name: string; metadata: string }[]
    return rows.map((row) => ({ id: row.id, name: row.name, metadata: JSON.parse(row.metadata) as Record<string, string> }))
  }
  async createDirectory(directory: Directory) {
    unique(
      () =>
        this.db.prepare('INSERT INTO directories (id, name, metadata) VALUES (?, ?, ?)').run(directory.id, directory.name, JSON.stringify(directory.metadata)),
      () => 'duplicate_directory',
    )
  }
  async findUser(directory: string, login: string) {
    const key = loginKey(login)
    const row = this.db
      .prepare(`SELECT ${USER_COLUMNS} FROM users WHERE directory = ? AND (email_key = ? OR username_key = ?) ORDER BY email_key = ? DESC LIMIT 1`)
      .get(directory, key, key, key) as UserRow | undefined
    return toUser(row)
  }
  async getUser(userId: string) {
    return toUser(this.db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE user_id = ?`).get(userId) as UserRow | undefined)
  }
  async createUser(user: UserRecord) {
    this.#insert(user)
  }
  #insert(user: UserRecord): void {
    const { profile } = user
    unique(
      () =>
        this.db
          .prepare('INSERT INTO users (user_id, directory, email_key, username_key, profile, password_hash, roles, linked) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(
            profile.user_id,
            user.directory,
            profile.email === undefined ? null : loginKey(profile.email),
            profile.username === undefined ? null : loginKey(profile.username),
            JSON.stringify(profile),
            user.passwordHash,
            JSON.stringify(user.roles),
            user.linked === undefined || user.linked.length === 0 ? null : JSON.stringify(user.linked),
          ),
      (constraint) => (constraint.includes('users.user_id') ? 'duplicate_user' : 'duplicate_login'),
    )
  }
  async recordLogin(userId: string, login: { at: number; ip: string }) {
    return this.#update(userId, login.at, (profile) => {
      profile.logins_count += 1
      profile.last_login = new Date(login.at).toISOString()
      profile.last_ip = login.ip
    })
  }
  async setPasswordHash(userId: string, passwordHash: string, change: { at: number; reset: boolean }) {
    this.db.transaction(() => {
      this.db.prepare('UPDATE users SET password_hash = ? WHERE user_id = ?').run(passwordHash, userId)
      if (change.reset) {
        this.#update(userId, change.at, (profile) => {
          profile.last_password_reset = new Date(change.at).toISOString()
        })
      }
    })()
  }
  async setBlocked(userId: string, blocked: boolean, at: number) {
    this.#update(userId, at, (profile) => {
      profile.blocked = blocked
    })
  }
  async setEmailVerified(userId: string, verified: boolean, at: number) {
    this.#update(userId, at, (profile) => {
      profile.email_verified = verified
    })
  }
  async linkUser(primaryId: string, secondaryId: string, at: number) {
    return this.db.transaction(() => {
      const primary = this.#read(primaryId)
      const secondary = this.#read(secondaryId)
      if (primary === undefined || secondary === undefined || primaryId === secondaryId) return undefined
      this.db.prepare('DELETE FROM users WHERE user_id = ?').run(secondaryId)
      const linked = [...(primary.linked ?? []), secondary]
      this.db.prepare('UPDATE users SET linked = ? WHERE user_id = ?').run(JSON.stringify(linked), primaryId)
      this.#update(primaryId, at, () => undefined)
      return this.#read(primaryId)
    })()
  }
  async unlinkUser(primaryId: string, secondaryId: string, at: number) {
    const primary = await this.getUser(primaryId)
    const secondary = primary?.linked?.find((record) => record.profile.user_id === secondaryId)
    if (primary === undefined || secondary === undefined) return undefined
    return this.db.transaction(() => {
      const current = this.#read(primaryId)
      const rest = (current?.linked ?? []).filter((record) => record.profile.user_id !== secondaryId)
      if (current === undefined || rest.length === (current.linked ?? []).length) return undefined
      this.db.prepare('UPDATE users SET linked = ? WHERE user_id = ?').run(rest.length === 0 ? null : JSON.stringify(rest), primaryId)
      // A login name taken meanwhile throws StoreConflictError: the transaction rolls back, the link stays.
      this.#insert(secondary)
      this.#update(primaryId, at, () => undefined)
      return this.#read(primaryId)
    })()
  }
  #read(userId: string): UserRecord | undefined {
    return toUser(this.db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE user_id = ?`).get(userId) as UserRow | undefined)
  }
  async updateAppMetadata(userId: string, metadata: Record<string, JsonValue>, at: number) {
    this.#update(userId, at, (profile) => {
      profile.app_metadata = mergeMetadata(profile.app_metadata, metadata)
    })
  }
  async updateUserMetadata(userId: string, metadata: Record<string, JsonValue>, at: number) {
    this.#update(userId, at, (profile) => {
      profile.user_metadata = mergeMetadata(profile.user_metadata, metadata)
    })
  }
  async updateRoles(userId: string, change: { add: readonly string[]; remove: readonly string[] }) {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT roles FROM users WHERE user_id = ?').get(userId) as { roles: string } | undefined
      if (row === undefined) return undefined
      const roles = changedRoles(JSON.parse(row.roles) as string[], change)
      this.db.prepare('UPDATE users SET roles = ? WHERE user_id = ?').run(JSON.stringify(roles), userId)
      return roles
    })()
  }
  async listUsers(query: { directory?: string | undefined; offset: number; limit: number }) {
    const page = [Math.max(0, Math.trunc(query.limit)), Math.max(0, Math.trunc(query.offset))]
    const rows = (
      query.directory === undefined
        ? this.db.prepare(`SELECT ${USER_COLUMNS} FROM users ORDER BY user_id LIMIT ? OFFSET ?`).all(...page)
        : this.db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE directory = ? ORDER BY user_id LIMIT ? OFFSET ?`).all(query.directory, ...page)
    ) as UserRow[]
    return rows.map((row) => toUser(row) as UserRecord)
  }
  async deleteUser(userId: string) {
    return this.db.prepare('DELETE FROM users WHERE user_id = ?').run(userId).changes > 0
  }
  async importUsers(users: readonly UserRecord[]) {
    // One transaction: a conflict anywhere rolls back every insert before it.
    return this.db.transaction(() =>
      users.map((user): 'created' | 'exists' => {
        if (this.db.prepare('SELECT 1 FROM users WHERE user_id = ?').get(user.profile.user_id) !== undefined) return 'exists'
        this.#insert(user)
        return 'created'
      }),
    )()
  }
  #update(userId: string, at: number, change: (profile: UserProfile) => void): UserProfile | undefined {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT profile FROM users WHERE user_id = ?').get(userId) as { profile: string } | undefined
      if (row === undefined) return undefined
      const profile = JSON.parse(row.profile) as UserProfile
      change(profile)
      profile.updated_at = new Date(at).toISOString()
      this.db.prepare('UPDATE users SET profile = ? WHERE user_id = ?').run(JSON.stringify(profile), userId)
      return profile
    })()
  }
}

class SqliteRefreshTokenStore implements RefreshTokenStore {
  constructor(readonly db: BetterSqlite3.Database) {}

  async save(record: RefreshTokenRecord) {
    unique(
      () =>
        this.db
          .prepare('INSERT INTO refresh_tokens (id, family_id, record, used_at, expires_at) VALUES (?, ?, ?, NULL, ?)')
          .run(record.id, record.familyId, JSON.stringify(record), record.expiresAt),
      () => 'duplicate_refresh_token',
    )
  }
  async get(id: string) {
    const row = this.db.prepare('SELECT record FROM refresh_tokens WHERE id = ?').get(id) as { record: string } | undefined
    return row === undefined ? undefined : (JSON.parse(row.record) as RefreshTokenRecord)
  }
  async state(id: string) {
    const row = this.db
      .prepare('SELECT t.used_at, f.revoked_at FROM refresh_tokens t LEFT JOIN refresh_families f ON f.family_id = t.family_id WHERE t.id = ?')
      .get(id) as { used_at: number | null; revoked_at: number | null } | undefined
    if (row === undefined) return undefined
    if (row.revoked_at !== null) return 'revoked' as const
    return row.used_at === null ? ('active' as const) : ('used' as const)
  }
  async use(id: string, at: number): Promise<RefreshTokenUse | undefined> {
    return this.db.transaction((): RefreshTokenUse | undefined => {
      const row = this.db
        .prepare('SELECT t.record, t.used_at, f.revoked_at FROM refresh_tokens t LEFT JOIN refresh_families f ON f.family_id = t.family_id WHERE t.id = ?')
        .get(id) as { record: string; used_at: number | null; revoked_at: number | null } | undefined
      if (row === undefined) return undefined
      const record = JSON.parse(row.record) as RefreshTokenRecord
      if (row.revoked_at !== null) return { outcome: 'revoked', record }
      if (row.used_at !== null) return { outcome: 'reused', record }
      this.db.prepare('UPDATE refresh_tokens SET used_at = ? WHERE id = ?').run(at, id)
      return { outcome: 'rotated', record }
    })()
  }
  async revokeFamily(familyId: string, at: number) {
    this.db.prepare('INSERT INTO refresh_families (family_id, revoked_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(familyId, at)
  }
}

interface EnrollmentRow {
  user_id: string
  sealed_secret: string
  confirmed: number
  last_step: number
  recovery_codes: string
  created_at: number
}

class SqliteMfaStore implements MfaStore {
  constructor(readonly db: BetterSqlite3.Database) {}

  async saveTransaction(transaction: MfaTransaction) {
    this.db
      .prepare('INSERT INTO mfa_transactions (id, record, expires_at) VALUES (?, ?, ?)')
      .run(transaction.id, JSON.stringify(transaction), transaction.expiresAt)
  }
  async getTransaction(id: string) {
    const row = this.db.prepare('SELECT record FROM mfa_transactions WHERE id = ?').get(id) as { record: string } | undefined
    return row === undefined ? undefined : (JSON.parse(row.record) as MfaTransaction)
  }
  async takeTransaction(id: string) {
    const row = this.db.prepare('DELETE FROM mfa_transactions WHERE id = ? RETURNING record').get(id) as { record: string } | undefined
    return row === undefined ? undefined : (JSON.parse(row.record) as MfaTransaction)
  }
  async getEnrollment(userId: string) {
    const row = this.db.prepare('SELECT * FROM mfa_enrollments WHERE user_id = ?').get(userId) as EnrollmentRow | undefined
    return row === undefined
      ? undefined
      : {
          userId: row.user_id,
          sealedSecret: row.sealed_secret,
          confirmed: row.confirmed === 1,
          lastStep: row.last_step,
          recoveryCodes: JSON.parse(row.recovery_codes) as string[],
          createdAt: row.created_at,
        }
  }
  async saveEnrollment(enrollment: MfaEnrollment) {
    this.db
      .prepare(
        `INSERT INTO mfa_enrollments (user_id, sealed_secret, confirmed, last_step, recovery_codes, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, confirmed = excluded.confirmed,
           last_step = excluded.last_step, recovery_codes = excluded.recovery_codes, created_at = excluded.created_at`,
      )
      .run(
        enrollment.userId,
        enrollment.sealedSecret,
        enrollment.confirmed ? 1 : 0,
        enrollment.lastStep,
        JSON.stringify(enrollment.recoveryCodes),
        enrollment.createdAt,
      )
  }
  async useOtpStep(userId: string, step: number) {
    return this.db.prepare('UPDATE mfa_enrollments SET last_step = ?, confirmed = 1 WHERE user_id = ? AND last_step < ?').run(step, userId, step).changes === 1
  }
  async useRecoveryCode(userId: string, codeDigest: string) {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT recovery_codes FROM mfa_enrollments WHERE user_id = ?').get(userId) as { recovery_codes: string } | undefined
      if (row === undefined) return false
      const codes = JSON.parse(row.recovery_codes) as string[]
      const index = codes.indexOf(codeDigest)
      if (index === -1) return false
      codes.splice(index, 1)
      this.db.prepare('UPDATE mfa_enrollments SET recovery_codes = ? WHERE user_id = ?').run(JSON.stringify(codes), userId)
      return true
    })()
  }
  async deleteEnrollment(userId: string) {
    this.db.prepare('DELETE FROM mfa_enrollments WHERE user_id = ?').run(userId)
  }
}

class SqliteAttemptStore implements AttemptStore {
  constructor(readonly db: BetterSqlite3.Database) {}

  async attempt(key: AttemptKey, settings: { now: number; windowMs: number; threshold: number }): Promise<AttemptOutcome> {
    return this.db.transaction((): AttemptOutcome => {
      const row = this.db.prepare('SELECT failures, expires_at FROM attempts WHERE subject = ? AND ip = ?').get(key.subject, key.ip) as
        { failures: number; expires_at: number } | undefined
      const current = row === undefined || row.expires_at <= settings.now ? undefined : row
      if (current !== undefined && current.failures >= settings.threshold) {
        return { blocked: true, failures: current.failures, expiresAt: current.expires_at }
      }
      const failures = (current?.failures ?? 0) + 1
      const expiresAt = settings.now + settings.windowMs
      this.db
        .prepare(
          'INSERT INTO attempts (subject, ip, failures, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (subject, ip) DO UPDATE SET failures = excluded.failures, expires_at = excluded.expires_at',
        )
        .run(key.subject, key.ip, failures, expiresAt)
      return { blocked: false, failures, expiresAt }
    })()
  }
  async reset(key: AttemptKey) {
    this.db.prepare('DELETE FROM attempts WHERE subject = ? AND ip = ?').run(key.subject, key.ip)
  }
  async resetSubject(subject: string) {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM attempts WHERE subject = ?').run(subject)
      this.db.prepare('DELETE FROM guesses WHERE subject = ?').run(subject)
    })()
  }
  async takeGuess(key: GuessKey, settings: GuessBudget & { now: number }): Promise<GuessOutcome> {
    return this.#guess(key, settings, 'take')
  }
  async returnGuess(key: GuessKey, settings: GuessBudget & { now: number }) {
    this.#guess(key, settings, 'return')
  }
  #guess(key: GuessKey, settings: GuessBudget & { now: number }, change: 'take' | 'return'): GuessOutcome {
    return this.db.transaction((): GuessOutcome => {
      const row = this.db.prepare('SELECT guesses, at FROM guesses WHERE subject = ? AND budget = ?').get(key.subject, key.budget) as
        { guesses: number; at: number } | undefined
      const state = refilled(row, settings)
      let allowed = false
      if (change === 'take' && state.guesses >= 1) {
        state.guesses -= 1
        allowed = true
      }
      if (change === 'return') {
        state.guesses = Math.min(settings.capacity, state.guesses + 1)
        if (state.guesses >= settings.capacity) state.at = settings.now
      }
      const full = fullAt(state, settings)
      if (full <= settings.now) {
        this.db.prepare('DELETE FROM guesses WHERE subject = ? AND budget = ?').run(key.subject, key.budget)
      } else {
        this.db
          .prepare(
            'INSERT INTO guesses (subject, budget, guesses, at, full_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (subject, budget) DO UPDATE SET guesses = excluded.guesses, at = excluded.at, full_at = excluded.full_at',
          )
          .run(key.subject, key.budget, state.guesses, state.at, full)
      }
      return { allowed, remaining: state.guesses, nextAt: state.at + settings.refillMs }
    })()
  }
}

class SqliteKeyStore implements KeyStore {
  constructor(readonly db: BetterSqlite3.Database) {}

  async list() {
    const rows = this.db.prepare('SELECT * FROM signing_keys ORDER BY created_at DESC, rowid DESC').all() as {
      kid: string
      alg: SigningKeyRecord['alg']
      sealed_private_jwk: string
      public_jwk: string
      created_at: number
    }[]
    return rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      sealedPrivateJwk: row.sealed_private_jwk,
      publicJwk: JSON.parse(row.public_jwk) as Record<string, string>,
      createdAt: row.created_at,
    }))
  }
  async add(key: SigningKeyRecord) {
    unique(
      () =>
        this.db
          .prepare('INSERT INTO signing_keys (kid, alg, sealed_private_jwk, public_jwk, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(key.kid, key.alg, key.sealedPrivateJwk, JSON.stringify(key.publicJwk), key.createdAt),
      () => 'duplicate_signing_key',
    )
  }
  async addFirst(key: SigningKeyRecord) {
    // One statement, so one write transaction: another process on the same file waits for it.
    const { changes } = this.db
      .prepare(
        'INSERT INTO signing_keys (kid, alg, sealed_private_jwk, public_jwk, created_at) SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM signing_keys)',
      )
      .run(key.kid, key.alg, key.sealedPrivateJwk, JSON.stringify(key.publicJwk), key.createdAt)
    return changes === 1
  }
  async remove(kid: string) {
    this.db.prepare('DELETE FROM signing_keys WHERE kid = ?').run(kid)
  }
}

class SqliteUserinfoStore implements UserinfoStore {
  constructor(readonly db: BetterSqlite3.Database) {}

  async save(record: UserinfoRecord) {
    // Expired records go with purgeExpired (the host schedules it), as the other expiring rows.
    this.db
      .prepare(
        'INSERT INTO userinfo (jti, record, expires_at) VALUES (?, ?, ?) ON CONFLICT (jti) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at',
      )
      .run(record.jti, JSON.stringify(record), record.expiresAt)
  }
  async get(jti: string, now: number) {
    const row = this.db.prepare('SELECT record FROM userinfo WHERE jti = ? AND expires_at > ?').get(jti, now) as { record: string } | undefined
    return row === undefined ? undefined : (JSON.parse(row.record) as UserinfoRecord)
  }
}
