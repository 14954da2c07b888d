import pg from 'pg'
import type { JsonValue } from '@tokenrules/engine'
import { StoreConflictError } from './conflict.js'
import { fullAt, refilled } from './lib/guess-budget.js'
import { changedRoles, loginKey, mergeMetadata } from './lib/metadata.js'
import { guardOutages, isNetworkError } from './lib/outage.js'
import { StoreUnavailableError } from './unavailable.js'
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

/**
 * Options of {@link createPostgresStores} and {@link migratePostgres}: a `connectionString` (the
 * stores own a pool and {@link PostgresStores.close} ends it) or a `pool` of yours.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createPostgresStores, type PostgresStoresOptions } from '@tokenrules/oauth/postgres'
 *
 * // Two tenants in one database, each in a PostgreSQL schema of its own.
 * const tenantA: PostgresStoresOptions = { connectionString: process.env.DATABASE_URL, schema: 'tenant_a', timeoutMs: 3_000 }
 * await using a = await createPostgresStores(tenantA)
 * await using b = await createPostgresStores({ ...tenantA, schema: 'tenant_b' })
 * await a.users.createDirectory({ id: 'con_a', name: 'Employees', metadata: {} })
 * assert.equal((await a.users.listDirectories()).length, 1)
 * assert.deepEqual(await b.users.listDirectories(), [])
 * ```
 */
export interface PostgresStoresOptions {
  /** e.g. `postgres://tokenrules@db.internal:5432/tokenrules` (libpq's URL, `sslmode` included). */
  connectionString?: string | undefined
  /** A `pg` pool you made and will end yourself; give it an `error` listener (idle connections report a restart there). */
  pool?: pg.Pool | undefined
  /** The PostgreSQL schema of the tables (created when missing). Default `public`. */
  schema?: string | undefined
  /**
   * How long connecting or one statement may take before the store answers unavailable (a `503
   * temporarily_unavailable` at the endpoint), in milliseconds. Default 5000. Applies to a pool the
   * stores make.
   */
  timeoutMs?: number | undefined
  /** Connections of the pool the stores make. Default 10. */
  maxConnections?: number | undefined
  /**
   * Run the schema migrations at start (default `true`; safe with several servers starting at
   * once). `false`: only check that {@link migratePostgres} already brought the schema up to date.
   */
  migrate?: boolean | undefined
}

/**
 * Every store in PostgreSQL, shared by any number of token servers, with housekeeping.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createPostgresStores, type PostgresStores } from '@tokenrules/oauth/postgres'
 *
 * const stores: PostgresStores = await createPostgresStores({ connectionString: process.env.DATABASE_URL, schema: 'housekeeping_example' })
 * try {
 *   const now = Date.now()
 *   await stores.mfa.saveTransaction({ id: 'tx-1', clientId: 'mobile', userId: 'auth0|alice', expiresAt: now + 600_000, issuance: {} })
 *   // A nightly job: nothing has expired now; in an hour the MFA transaction has.
 *   assert.equal(await stores.purgeExpired(now), 0)
 *   assert.equal(await stores.purgeExpired(now + 3_600_000), 1)
 * } finally {
 *   await stores.close()
 * }
 * ```
 */
export interface PostgresStores extends TokenServerStores, AsyncDisposable {
  /** Deletes expired MFA transactions, refresh tokens (and their families), attempt counters, refilled guess budgets and userinfo records as of `now` (ms). Resolves to the rows deleted. */
  purgeExpired(now: number): Promise<number>
  /** Ends the pool when the stores made it. */
  close(): Promise<void>
}

/** One schema version: what it adds to the one before. Never edit one that shipped; add the next. */
const MIGRATIONS: { version: number; name: string; sql: (t: (table: string) => string) => string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: (t) => `
CREATE TABLE ${t('directories')} (
  id text PRIMARY KEY,
  name text NOT NULL,
  metadata json NOT NULL,
  seq bigserial NOT NULL,
  CONSTRAINT directories_name_unique UNIQUE (name)
);
CREATE TABLE ${t('users')} (
  user_id text PRIMARY KEY,
  directory text NOT NULL,
  email_key text,
  username_key text,
  profile json NOT NULL,
  password_hash text NOT NULL,
  roles json NOT NULL,
  linked json
);
CREATE UNIQUE INDEX users_email ON ${t('users')} (directory, email_key) WHERE email_key IS NOT NULL;
CREATE UNIQUE INDEX users_username ON ${t('users')} (directory, username_key) WHERE username_key IS NOT NULL;
CREATE INDEX users_directory ON ${t('users')} (directory, user_id COLLATE "C");
CREATE TABLE ${t('refresh_tokens')} (
  id text PRIMARY KEY,
  family_id text NOT NULL,
  record json NOT NULL,
  used_at bigint,
  expires_at bigint NOT NULL
);
CREATE INDEX refresh_tokens_family ON ${t('refresh_tokens')} (family_id);
CREATE INDEX refresh_tokens_expires ON ${t('refresh_tokens')} (expires_at);
CREATE TABLE ${t('refresh_families')} (family_id text PRIMARY KEY, revoked_at bigint NOT NULL);
CREATE TABLE ${t('mfa_transactions')} (id text PRIMARY KEY, record json NOT NULL, expires_at bigint NOT NULL);
CREATE INDEX mfa_transactions_expires ON ${t('mfa_transactions')} (expires_at);
CREATE TABLE ${t('mfa_enrollments')} (
  user_id text PRIMARY KEY,
  sealed_secret text NOT NULL,
  confirmed boolean NOT NULL,
  last_step bigint NOT NULL,
  recovery_codes json NOT NULL,
  created_at bigint NOT NULL
);
CREATE TABLE ${t('attempts')} (
  subject text NOT NULL,
  ip text NOT NULL,
  failures integer NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (subject, ip)
);
CREATE INDEX attempts_expires ON ${t('attempts')} (expires_at);
CREATE TABLE ${t('guesses')} (
  subject text NOT NULL,
  budget text NOT NULL,
  guesses integer NOT NULL,
  at bigint NOT NULL,
  full_at bigint NOT NULL,
  PRIMARY KEY (subject, budget)
);
CREATE TABLE ${t('signing_keys')} (
  kid text PRIMARY KEY,
  alg text NOT NULL,
  sealed_private_jwk text NOT NULL,
  public_jwk json NOT NULL,
  created_at bigint NOT NULL,
  seq bigserial NOT NULL
);
CREATE TABLE ${t('userinfo')} (jti text PRIMARY KEY, record json NOT NULL, expires_at bigint NOT NULL);
CREATE INDEX userinfo_expires ON ${t('userinfo')} (expires_at);
`,
  },
]

/** The newest schema version this package knows. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length

/**
 * What {@link migratePostgres} did: the version before and after, and the versions it applied
 * (none when the schema was current, or another server migrated it first).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { migratePostgres, type PostgresMigration } from '@tokenrules/oauth/postgres'
 *
 * const first: PostgresMigration = await migratePostgres({ connectionString: process.env.DATABASE_URL, schema: 'migration_example' })
 * assert.equal(first.from, 0)
 * assert.deepEqual(first.applied, [1])
 * // Running them again changes nothing.
 * const again = await migratePostgres({ connectionString: process.env.DATABASE_URL, schema: 'migration_example' })
 * assert.deepEqual(again, { from: first.to, to: first.to, applied: [] })
 * ```
 */
export interface PostgresMigration {
  /** The schema version found. 0: a database without the tables. */
  from: number
  /** The schema version now. */
  to: number
  /** The versions applied, in order. */
  applied: number[]
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

function checkedSchema(schema: string | undefined): string {
  const name = schema ?? 'public'
  if (!SCHEMA_NAME.test(name)) {
    throw new TypeError(`PostgreSQL schema ${JSON.stringify(name)} is not a plain lower-case identifier (a-z, 0-9, _; at most 63 characters)`)
  }
  return name
}

function checkedTimeout(timeoutMs: number | undefined): number {
  const value = timeoutMs ?? 5_000
  if (!Number.isInteger(value) || value < 1) throw new TypeError('PostgreSQL stores: `timeoutMs` must be a positive integer of milliseconds')
  return value
}

function makePool(options: PostgresStoresOptions): { pool: pg.Pool; owned: boolean } {
  if (options.pool !== undefined) {
    if (options.connectionString !== undefined) throw new TypeError('PostgreSQL stores: pass `connectionString` or `pool`, not both')
    return { pool: options.pool, owned: false }
  }
  if (typeof options.connectionString !== 'string' || options.connectionString === '') {
    throw new TypeError('PostgreSQL stores: pass `connectionString` (e.g. postgres://user@host:5432/db) or `pool`')
  }
  const timeoutMs = checkedTimeout(options.timeoutMs)
  const max = options.maxConnections ?? 10
  if (!Number.isInteger(max) || max < 1) throw new TypeError('PostgreSQL stores: `maxConnections` must be a positive integer')
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max,
    connectionTimeoutMillis: timeoutMs,
    // The server cancels a statement past the limit; the client gives up a little later in case
    // the server itself is unreachable.
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs + 1_000,
    idle_in_transaction_session_timeout: timeoutMs * 2,
    application_name: 'tokenrules',
  })
  // An idle connection cut by a restart of PostgreSQL is reported here; without a listener Node
  // would crash. The pool replaces it at the next query.
  pool.on('error', () => undefined)
  return { pool, owned: true }
}

/**
 * Brings the tables in `schema` up to the newest version this package knows, in one transaction
 * under an advisory lock: several servers starting at once apply each migration exactly once, the
 * others wait and find the schema current. Idempotent. {@link createPostgresStores} runs it at
 * start unless `migrate: false`; run it alone before a rolling upgrade.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { POSTGRES_SCHEMA_VERSION, migratePostgres } from '@tokenrules/oauth/postgres'
 *
 * // Three servers starting at the same moment on an empty schema: one migrates, two find it done.
 * const options = { connectionString: process.env.DATABASE_URL, schema: 'concurrent_start_example' }
 * const runs = await Promise.all([migratePostgres(options), migratePostgres(options), migratePostgres(options)])
 * assert.deepEqual(runs.map((run) => run.applied.length).sort(), [0, 0, POSTGRES_SCHEMA_VERSION])
 * assert.ok(runs.every((run) => run.to === POSTGRES_SCHEMA_VERSION))
 * ```
 */
export async function migratePostgres(options: PostgresStoresOptions): Promise<PostgresMigration> {
  const schema = checkedSchema(options.schema)
  const { pool, owned } = makePool(options)
  try {
    return await guardOutages({ run: () => migrate(pool, schema) }, 'PostgreSQL', isPostgresOutage).run()
  } finally {
    if (owned) await pool.end()
  }
}

async function migrate(pool: pg.Pool, schema: string): Promise<PostgresMigration> {
  const t = qualify(schema)
  const client = await pool.connect()
  let failed: unknown
  try {
    await client.query('BEGIN')
    // One lock per schema, held until COMMIT: concurrent starts run one after the other.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tokenrules.migrate:${schema}`])
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${t('tokenrules_migrations')} (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
    const found = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${t('tokenrules_migrations')}`)
    const from = found.rows[0]?.version ?? 0
    if (from > POSTGRES_SCHEMA_VERSION) {
      throw new Error(
        `The PostgreSQL schema "${schema}" has version ${from}; this version of @tokenrules/oauth knows ${POSTGRES_SCHEMA_VERSION}. Upgrade the server.`,
      )
    }
    const applied: number[] = []
    for (const migration of MIGRATIONS.filter((m) => m.version > from)) {
      await client.query(migration.sql(t))
      await client.query(`INSERT INTO ${t('tokenrules_migrations')} (version, name) VALUES ($1, $2)`, [migration.version, migration.name])
      applied.push(migration.version)
    }
    await client.query('COMMIT')
    return { from, to: Math.max(from, POSTGRES_SCHEMA_VERSION), applied }
  } catch (error) {
    failed = error
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  } finally {
    client.release(failed !== undefined && isPostgresOutage(failed))
  }
}

async function schemaVersion(pool: pg.Pool, schema: string): Promise<number> {
  const exists = await pool.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`"${schema}".tokenrules_migrations`])
  if (exists.rows[0]?.found === null) return 0
  const found = await pool.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${qualify(schema)('tokenrules_migrations')}`)
  return found.rows[0]?.version ?? 0
}

/** SQLSTATE classes and codes that mean "not now": connection exceptions, shutdowns, timeouts, resources, deadlocks. */
const OUTAGE_SQLSTATE = /^(08|53|57P0|57014|58|40001|40P01|55P03)/

/**
 * Whether a `pg` error means PostgreSQL cannot answer now: a connection refused, cut or timed
 * out, the server shutting down or restarting, a statement cancelled by `statement_timeout`, too
 * many connections. Constraint violations, syntax errors and the rest are not.
 */
export function isPostgresOutage(error: unknown): boolean {
  if (isNetworkError(error)) return true
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return OUTAGE_SQLSTATE.test(code)
  return /connection terminated|timeout exceeded|query read timeout|connection error|not queryable|connection timeout|terminating connection/i.test(
    error.message,
  )
}

/**
 * Every store in PostgreSQL ([pg](https://node-postgres.com), a dependency of this package): users
 * and directories, refresh token families, MFA state, attempt counters and guess budgets, signing
 * keys and userinfo records, shared by every token server on the database. Each check-and-set is
 * one statement or one transaction with row locks, so two servers racing on one refresh token,
 * one attempt counter or one user's metadata never both win. Runs the schema migrations at start
 * ({@link migratePostgres}). A database that is down, restarting or slower than `timeoutMs`
 * rejects with `StoreUnavailableError` (the endpoint answers `503 temporarily_unavailable`) and
 * the stores serve again once it is back.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { GRANT_TYPES, createTokenServer, type TokenServerOptions } from '@tokenrules/oauth'
 * import { createPostgresStores } from '@tokenrules/oauth/postgres'
 *
 * const encryptionKey = randomBytes(32) // in production: the same secret on every server
 * await using stores = await createPostgresStores({ connectionString: process.env.DATABASE_URL, schema: 'two_servers_example' })
 * const options: TokenServerOptions = {
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password, GRANT_TYPES.refreshToken], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'], allowOfflineAccess: true }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores,
 *   encryptionKey,
 * }
 * // Two servers behind one name: a user made through one logs in through the other, with the same key.
 * await using one = await createTokenServer(options)
 * await using two = await createTokenServer(options)
 * await one.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const body = new URLSearchParams({
 *   grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple',
 *   audience: 'https://api.example.com', scope: 'offline_access',
 * })
 * const response = await two.handler(new Request('http://localhost/oauth/token', { method: 'POST', body }), { remoteAddress: '127.0.0.1' })
 * assert.equal(response.status, 200)
 * assert.deepEqual(two.keys.jwks(), one.keys.jwks())
 * ```
 */
export async function createPostgresStores(options: PostgresStoresOptions): Promise<PostgresStores> {
  const schema = checkedSchema(options.schema)
  const { pool, owned } = makePool(options)
  const close = async () => {
    if (owned && !pool.ended) await pool.end()
  }
  try {
    if (options.migrate === false) {
      const version = await schemaVersion(pool, schema)
      if (version !== POSTGRES_SCHEMA_VERSION) {
        throw new Error(
          `The PostgreSQL schema "${schema}" has version ${version}, not ${POSTGRES_SCHEMA_VERSION}: run the migrations first (migratePostgres, or start with migrate: true).`,
        )
      }
    } else {
      await migrate(pool, schema)
    }
  } catch (error) {
    await close()
    if (isPostgresOutage(error)) throw new StoreUnavailableError(`PostgreSQL is unavailable: ${(error as Error).message}`, { cause: error })
    throw error
  }
  const db = new Db(pool, schema)
  const guard = <T extends object>(store: T) => guardOutages(store, 'PostgreSQL', isPostgresOutage)
  return {
    users: guard(new PostgresUserStore(db)),
    refreshTokens: guard(new PostgresRefreshTokenStore(db)),
    mfa: guard(new PostgresMfaStore(db)),
    attempts: guard(new PostgresAttemptStore(db)),
    keys: guard(new PostgresKeyStore(db)),
    userinfo: guard(new PostgresUserinfoStore(db)),
    purgeExpired: guard({ purge: (now: number) => purge(db, now) }).purge,
    close,
    [Symbol.asyncDispose]: close,
  }
}

function qualify(schema: string): (table: string) => string {
  return (table) => `"${schema}".${table}`
}

/** A pool or a client inside a transaction. */
interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>
}

/** The pool, the schema's table names, and transactions that give a broken connection back destroyed. */
class Db {
  readonly t: (table: string) => string
  constructor(
    readonly pool: pg.Pool,
    schema: string,
  ) {
    this.t = qualify(schema)
  }
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values)
  }
  async tx<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    let failed: unknown
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      failed = error
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      client.release(failed !== undefined && isPostgresOutage(failed))
    }
  }
}

/**
 * Runs a write; a unique violation (SQLSTATE 23505) becomes the interface's {@link StoreConflictError},
 * `reason` picked from the constraint's name.
 */
async function unique<T>(write: () => Promise<T>, reason: (constraint: string) => StoreConflictError['reason']): Promise<T> {
  try {
    return await write()
  } catch (error) {
    if ((error as { code?: unknown }).code !== '23505') throw error
    const constraint = String((error as { constraint?: unknown }).constraint ?? '')
    throw new StoreConflictError(reason(constraint), `unique constraint ${constraint} failed`, { cause: error })
  }
}

async function purge(db: Db, now: number): Promise<number> {
  const { t } = db
  return db.tx(async (client) => {
    let deleted = 0
    const expiring: [table: string, column: string][] = [
      ['mfa_transactions', 'expires_at'],
      ['refresh_tokens', 'expires_at'],
      ['attempts', 'expires_at'],
      ['guesses', 'full_at'],
      ['userinfo', 'expires_at'],
    ]
    for (const [table, column] of expiring) deleted += (await client.query(`DELETE FROM ${t(table)} WHERE ${column} <= $1`, [now])).rowCount ?? 0
    // Revocations of families whose every token is gone.
    const families = await client.query(
      `DELETE FROM ${t('refresh_families')} f WHERE NOT EXISTS (SELECT 1 FROM ${t('refresh_tokens')} r WHERE r.family_id = f.family_id)`,
    )
    deleted += families.rowCount ?? 0
    return deleted
  })
}

interface UserRow {
  directory: string
  profile: UserProfile
  password_hash: string
  roles: string[]
  linked: UserRecord[] | null
}

const USER_COLUMNS = 'directory, profile, password_hash, roles, linked'

function toUser(row: UserRow | undefined): UserRecord | undefined {
  if (row === undefined) return undefined
  const user: UserRecord = { directory: row.directory, profile: row.profile, passwordHash: row.password_hash, roles: row.roles }
  if (row.linked !== null && row.linked.length > 0) user.linked = row.linked
  return user
}

function toDirectory(row: { id: string; name: string; metadata: Record<string, string> }): Directory {
  return { id: row.id, name: row.name, metadata: row.metadata }
}

/** The columns of a user's row, in the INSERT's order. */
function userValues(user: UserRecord): unknown[] {
  const { profile } = user
  return [
    profile.user_id,
    user.directory,
    profile.email === undefined ? null : loginKey(profile.email),
    profile.username === undefined ? null : loginKey(profile.username),
    JSON.stringify(profile),
    user.passwordHash,
    JSON.stringify(user.roles),
    user.linked === undefined || user.linked.length === 0 ? null : JSON.stringify(user.linked),
  ]
}

class PostgresUserStore implements UserStore {
  constructor(readonly db: Db) {}

  async getDirectory(name: string) {
    const { rows } = await this.db.query<{ id: string; name: string; metadata: Record<string, string> }>(
      `SELECT id, name, metadata FROM ${this.db.t('directories')} WHERE name = $1`,
      [name],
    )
    return rows[0] === undefined ? undefined : toDirectory(rows[0])
  }
  async listDirectories() {
    const { rows } = await this.db.query<{ id: string; name: string; metadata: Record<string, string> }>(
      `SELECT id, name, metadata FROM ${this.db.t('directories')} ORDER BY seq`,
    )
    return rows.map(toDirectory)
  }
  async createDirectory(directory: Directory) {
    await unique(
      () =>
        this.db.query(`INSERT INTO ${this.db.t('directories')} (id, name, metadata) VALUES ($1, $2, $3)`, [
          directory.id,
          directory.name,
          JSON.stringify(directory.metadata),
        ]),
      () => 'duplicate_directory',
    )
  }
  async findUser(directory: string, login: string) {
    const key = loginKey(login)
    const { rows } = await this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM ${this.db.t('users')} WHERE directory = $1 AND (email_key = $2 OR username_key = $2)
       ORDER BY (email_key = $2) DESC NULLS LAST LIMIT 1`,
      [directory, key],
    )
    return toUser(rows[0])
  }
  async getUser(userId: string) {
    return this.#read(this.db, userId)
  }
  async createUser(user: UserRecord) {
    await this.#insert(this.db, user)
  }
  async #insert(client: Queryable, user: UserRecord): Promise<void> {
    await unique(
      () =>
        client.query(
          `INSERT INTO ${this.db.t('users')} (user_id, directory, email_key, username_key, profile, password_hash, roles, linked)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          userValues(user),
        ),
      (constraint) => (constraint === 'users_pkey' ? 'duplicate_user' : 'duplicate_login'),
    )
  }
  async #read(client: Queryable, userId: string, lock = false): Promise<UserRecord | undefined> {
    const { rows } = await client.query<UserRow>(`SELECT ${USER_COLUMNS} FROM ${this.db.t('users')} WHERE user_id = $1${lock ? ' FOR UPDATE' : ''}`, [userId])
    return toUser(rows[0])
  }
  async recordLogin(userId: string, login: { at: number; ip: string }) {
    return this.#update(userId, login.at, (profile) => {
      profile.logins_count += 1
      profile.last_login = new Date(login.at).toISOString()
      profile.last_ip = login.ip
    })
  }
  async setPasswordHash(userId: string, passwordHash: string, change: { at: number; reset: boolean }) {
    await this.db.tx(async (client) => {
      await client.query(`UPDATE ${this.db.t('users')} SET password_hash = $1 WHERE user_id = $2`, [passwordHash, userId])
      if (change.reset) {
        await this.#updateWith(client, userId, change.at, (profile) => {
          profile.last_password_reset = new Date(change.at).toISOString()
        })
      }
    })
  }
  async setBlocked(userId: string, blocked: boolean, at: number) {
    await this.#update(userId, at, (profile) => {
      profile.blocked = blocked
    })
  }
  async setEmailVerified(userId: string, verified: boolean, at: number) {
    await this.#update(userId, at, (profile) => {
      profile.email_verified = verified
    })
  }
  async linkUser(primaryId: string, secondaryId: string, at: number) {
    if (primaryId === secondaryId) return undefined
    return this.db.tx(async (client) => {
      // Both rows locked in one order, so two links crossing each other wait instead of deadlocking.
      const { rows } = await client.query<{ user_id: string }>(
        `SELECT user_id FROM ${this.db.t('users')} WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE`,
        [[primaryId, secondaryId]],
      )
      if (rows.length !== 2) return undefined
      const primary = await this.#read(client, primaryId)
      const secondary = await this.#read(client, secondaryId)
      if (primary === undefined || secondary === undefined) return undefined
      await client.query(`DELETE FROM ${this.db.t('users')} WHERE user_id = $1`, [secondaryId])
      const linked = [...(primary.linked ?? []), secondary]
      await client.query(`UPDATE ${this.db.t('users')} SET linked = $1 WHERE user_id = $2`, [JSON.stringify(linked), primaryId])
      await this.#updateWith(client, primaryId, at, () => undefined)
      return this.#read(client, primaryId)
    })
  }
  async unlinkUser(primaryId: string, secondaryId: string, at: number) {
    return this.db.tx(async (client) => {
      const current = await this.#read(client, primaryId, true)
      const secondary = current?.linked?.find((record) => record.profile.user_id === secondaryId)
      if (current === undefined || secondary === undefined) return undefined
      const rest = (current.linked ?? []).filter((record) => record.profile.user_id !== secondaryId)
      await client.query(`UPDATE ${this.db.t('users')} SET linked = $1 WHERE user_id = $2`, [rest.length === 0 ? null : JSON.stringify(rest), primaryId])
      // A login name taken meanwhile rejects with StoreConflictError: the transaction rolls back, the link stays.
      await this.#insert(client, secondary)
      await this.#updateWith(client, primaryId, at, () => undefined)
      return this.#read(client, primaryId)
    })
  }
  async updateAppMetadata(userId: string, metadata: Record<string, JsonValue>, at: number) {
    await this.#update(userId, at, (profile) => {
      profile.app_metadata = mergeMetadata(profile.app_metadata, metadata)
    })
  }
  async updateUserMetadata(userId: string, metadata: Record<string, JsonValue>, at: number) {
    await this.#update(userId, at, (profile) => {
      profile.user_metadata = mergeMetadata(profile.user_metadata, metadata)
    })
  }
  async updateRoles(userId: string, change: { add: readonly string[]; remove: readonly string[] }) {
    return this.db.tx(async (client) => {
      const { rows } = await client.query<{ roles: string[] }>(`SELECT roles FROM ${this.db.t('users')} WHERE user_id = $1 FOR UPDATE`, [userId])
      const row = rows[0]
      if (row === undefined) return undefined
      const roles = changedRoles(row.roles, change)
      await client.query(`UPDATE ${this.db.t('users')} SET roles = $1 WHERE user_id = $2`, [JSON.stringify(roles), userId])
      return roles
    })
  }
  async listUsers(query: { directory?: string | undefined; offset: number; limit: number }) {
    const page = [Math.max(0, Math.trunc(query.limit)), Math.max(0, Math.trunc(query.offset))]
    // COLLATE "C": code point order whatever the database's collation, as JavaScript sorts.
    const { rows } =
      query.directory === undefined
        ? await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM ${this.db.t('users')} ORDER BY user_id COLLATE "C" LIMIT $1 OFFSET $2`, page)
        : await this.db.query<UserRow>(
            `SELECT ${USER_COLUMNS} FROM ${this.db.t('users')} WHERE directory = $3 ORDER BY user_id COLLATE "C" LIMIT $1 OFFSET $2`,
            [...page, query.directory],
          )
    return rows.map((row) => toUser(row) as UserRecord)
  }
  async deleteUser(userId: string) {
    const result = await this.db.query(`DELETE FROM ${this.db.t('users')} WHERE user_id = $1`, [userId])
    return (result.rowCount ?? 0) > 0
  }
  async importUsers(users: readonly UserRecord[]) {
    // One transaction: a conflict anywhere rolls back every insert before it.
    return this.db.tx(async (client) => {
      const outcomes: Array<'created' | 'exists'> = []
      for (const user of users) {
        const inserted = await unique(
          () =>
            client.query(
              `INSERT INTO ${this.db.t('users')} (user_id, directory, email_key, username_key, profile, password_hash, roles, linked)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id) DO NOTHING`,
              userValues(user),
            ),
          () => 'duplicate_login',
        )
        outcomes.push(inserted.rowCount === 1 ? 'created' : 'exists')
      }
      return outcomes
    })
  }
  /** Read-modify-write of the profile under the row's lock: concurrent merges from several servers all persist. */
  async #update(userId: string, at: number, change: (profile: UserProfile) => void): Promise<UserProfile | undefined> {
    return this.db.tx((client) => this.#updateWith(client, userId, at, change))
  }
  async #updateWith(client: Queryable, userId: string, at: number, change: (profile: UserProfile) => void): Promise<UserProfile | undefined> {
    const { rows } = await client.query<{ profile: UserProfile }>(`SELECT profile FROM ${this.db.t('users')} WHERE user_id = $1 FOR UPDATE`, [userId])
    const profile = rows[0]?.profile
    if (profile === undefined) return undefined
    change(profile)
    profile.updated_at = new Date(at).toISOString()
    await client.query(`UPDATE ${this.db.t('users')} SET profile = $1 WHERE user_id = $2`, [JSON.stringify(profile), userId])
    return profile
  }
}

class PostgresRefreshTokenStore implements RefreshTokenStore {
  constructor(readonly db: Db) {}

  async save(record: RefreshTokenRecord) {
    await unique(
      () =>
        this.db.query(`INSERT INTO ${this.db.t('refresh_tokens')} (id, family_id, record, used_at, expires_at) VALUES ($1, $2, $3, NULL, $4)`, [
          record.id,
          record.familyId,
          JSON.stringify(record),
          record.expiresAt,
        ]),
      () => 'duplicate_refresh_token',
    )
  }
  async get(id: string) {
    const { rows } = await this.db.query<{ record: RefreshTokenRecord }>(`SELECT record FROM ${this.db.t('refresh_tokens')} WHERE id = $1`, [id])
    return rows[0]?.record
  }
  async state(id: string) {
    const { rows } = await this.db.query<{ used_at: string | null; revoked_at: string | null }>(
      `SELECT t.used_at, f.revoked_at FROM ${this.db.t('refresh_tokens')} t LEFT JOIN ${this.db.t('refresh_families')} f ON f.family_id = t.family_id WHERE t.id = $1`,
      [id],
    )
    const row = rows[0]
    if (row === undefined) return undefined
    if (row.revoked_at !== null) return 'revoked' as const
    return row.used_at === null ? ('active' as const) : ('used' as const)
  }
  async use(id: string, at: number): Promise<RefreshTokenUse | undefined> {
    // One transaction holding the token's row lock: of two servers presenting the same token, the
    // second waits, then reads it used.
    return this.db.tx(async (client): Promise<RefreshTokenUse | undefined> => {
      const { rows } = await client.query<{ record: RefreshTokenRecord; used_at: string | null; revoked_at: string | null }>(
        `SELECT t.record, t.used_at, f.revoked_at FROM ${this.db.t('refresh_tokens')} t
         LEFT JOIN ${this.db.t('refresh_families')} f ON f.family_id = t.family_id WHERE t.id = $1 FOR UPDATE OF t`,
        [id],
      )
      const row = rows[0]
      if (row === undefined) return undefined
      if (row.revoked_at !== null) return { outcome: 'revoked', record: row.record }
      if (row.used_at !== null) return { outcome: 'reused', record: row.record }
      await client.query(`UPDATE ${this.db.t('refresh_tokens')} SET used_at = $1 WHERE id = $2`, [at, id])
      return { outcome: 'rotated', record: row.record }
    })
  }
  async revokeFamily(familyId: string, at: number) {
    await this.db.query(`INSERT INTO ${this.db.t('refresh_families')} (family_id, revoked_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [familyId, at])
  }
}

interface EnrollmentRow {
  user_id: string
  sealed_secret: string
  confirmed: boolean
  last_step: string
  recovery_codes: string[]
  created_at: string
}

class PostgresMfaStore implements MfaStore {
  constructor(readonly db: Db) {}

  async saveTransaction(transaction: MfaTransaction) {
    await this.db.query(`INSERT INTO ${this.db.t('mfa_transactions')} (id, record, expires_at) VALUES ($1, $2, $3)`, [
      transaction.id,
      JSON.stringify(transaction),
      transaction.expiresAt,
    ])
  }
  async getTransaction(id: string) {
    const { rows } = await this.db.query<{ record: MfaTransaction }>(`SELECT record FROM ${this.db.t('mfa_transactions')} WHERE id = $1`, [id])
    return rows[0]?.record
  }
  async takeTransaction(id: string) {
    const { rows } = await this.db.query<{ record: MfaTransaction }>(`DELETE FROM ${this.db.t('mfa_transactions')} WHERE id = $1 RETURNING record`, [id])
    return rows[0]?.record
  }
  async getEnrollment(userId: string) {
    const { rows } = await this.db.query<EnrollmentRow>(`SELECT * FROM ${this.db.t('mfa_enrollments')} WHERE user_id = $1`, [userId])
    const row = rows[0]
    return row === undefined
      ? undefined
      : {
          userId: row.user_id,
          sealedSecret: row.sealed_secret,
          confirmed: row.confirmed,
          lastStep: Number(row.last_step),
          recoveryCodes: row.recovery_codes,
          createdAt: Number(row.created_at),
        }
  }
  async saveEnrollment(enrollment: MfaEnrollment) {
    await this.db.query(
      `INSERT INTO ${this.db.t('mfa_enrollments')} (user_id, sealed_secret, confirmed, last_step, recovery_codes, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, confirmed = excluded.confirmed,
         last_step = excluded.last_step, recovery_codes = excluded.recovery_codes, created_at = excluded.created_at`,
      [enrollment.userId, enrollment.sealedSecret, enrollment.confirmed, enrollment.lastStep, JSON.stringify(enrollment.recoveryCodes), enrollment.createdAt],
    )
  }
  async useOtpStep(userId: string, step: number) {
    const result = await this.db.query(`UPDATE ${this.db.t('mfa_enrollments')} SET last_step = $1, confirmed = true WHERE user_id = $2 AND last_step < $1`, [
      step,
      userId,
    ])
    return result.rowCount === 1
  }
  async useRecoveryCode(userId: string, codeDigest: string) {
    return this.db.tx(async (client) => {
      const { rows } = await client.query<{ recovery_codes: string[] }>(
        `SELECT recovery_codes FROM ${this.db.t('mfa_enrollments')} WHERE user_id = $1 FOR UPDATE`,
        [userId],
      )
      const codes = rows[0]?.recovery_codes
      if (codes === undefined) return false
      const index = codes.indexOf(codeDigest)
      if (index === -1) return false
      codes.splice(index, 1)
      await client.query(`UPDATE ${this.db.t('mfa_enrollments')} SET recovery_codes = $1 WHERE user_id = $2`, [JSON.stringify(codes), userId])
      return true
    })
  }
  async deleteEnrollment(userId: string) {
    await this.db.query(`DELETE FROM ${this.db.t('mfa_enrollments')} WHERE user_id = $1`, [userId])
  }
}

class PostgresAttemptStore implements AttemptStore {
  constructor(readonly db: Db) {}

  async attempt(key: AttemptKey, settings: { now: number; windowMs: number; threshold: number }): Promise<AttemptOutcome> {
    const expiresAt = settings.now + settings.windowMs
    // One statement: insert or count; a pair at the threshold is left as it is (no row returned).
    const { rows } = await this.db.query<{ failures: number; expires_at: string }>(
      `INSERT INTO ${this.db.t('attempts')} AS a (subject, ip, failures, expires_at) VALUES ($1, $2, 1, $4)
       ON CONFLICT (subject, ip) DO UPDATE SET
         failures = CASE WHEN a.expires_at <= $3 THEN 1 ELSE a.failures + 1 END,
         expires_at = $4
       WHERE a.expires_at <= $3 OR a.failures < $5
       RETURNING failures, expires_at`,
      [key.subject, key.ip, settings.now, expiresAt, settings.threshold],
    )
    const counted = rows[0]
    if (counted !== undefined) return { blocked: false, failures: counted.failures, expiresAt: Number(counted.expires_at) }
    const blocked = await this.db.query<{ failures: number; expires_at: string }>(
      `SELECT failures, expires_at FROM ${this.db.t('attempts')} WHERE subject = $1 AND ip = $2`,
      [key.subject, key.ip],
    )
    const row = blocked.rows[0]
    return { blocked: true, failures: row?.failures ?? settings.threshold, expiresAt: Number(row?.expires_at ?? expiresAt) }
  }
  async reset(key: AttemptKey) {
    await this.db.query(`DELETE FROM ${this.db.t('attempts')} WHERE subject = $1 AND ip = $2`, [key.subject, key.ip])
  }
  async resetSubject(subject: string) {
    await this.db.tx(async (client) => {
      await client.query(`DELETE FROM ${this.db.t('attempts')} WHERE subject = $1`, [subject])
      await client.query(`DELETE FROM ${this.db.t('guesses')} WHERE subject = $1`, [subject])
    })
  }
  async takeGuess(key: GuessKey, settings: GuessBudget & { now: number }): Promise<GuessOutcome> {
    return this.#guess(key, settings, 'take')
  }
  async returnGuess(key: GuessKey, settings: GuessBudget & { now: number }) {
    await this.#guess(key, settings, 'return')
  }
  async #guess(key: GuessKey, settings: GuessBudget & { now: number }, change: 'take' | 'return'): Promise<GuessOutcome> {
    return this.db.tx(async (client): Promise<GuessOutcome> => {
      // A full budget has no row: make one to lock (a full one, which `refilled` reads as full).
      await client.query(`INSERT INTO ${this.db.t('guesses')} (subject, budget, guesses, at, full_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING`, [
        key.subject,
        key.budget,
        settings.capacity,
        settings.now,
      ])
      const { rows } = await client.query<{ guesses: number; at: string }>(
        `SELECT guesses, at FROM ${this.db.t('guesses')} WHERE subject = $1 AND budget = $2 FOR UPDATE`,
        [key.subject, key.budget],
      )
      const row = rows[0]
      const state = refilled(row === undefined ? undefined : { guesses: row.guesses, at: Number(row.at) }, settings)
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
        await client.query(`DELETE FROM ${this.db.t('guesses')} WHERE subject = $1 AND budget = $2`, [key.subject, key.budget])
      } else {
        await client.query(`UPDATE ${this.db.t('guesses')} SET guesses = $3, at = $4, full_at = $5 WHERE subject = $1 AND budget = $2`, [
          key.subject,
          key.budget,
          state.guesses,
          state.at,
          full,
        ])
      }
      return { allowed, remaining: state.guesses, nextAt: state.at + settings.refillMs }
    })
  }
}

class PostgresKeyStore implements KeyStore {
  constructor(readonly db: Db) {}

  async list() {
    const { rows } = await this.db.query<{
      kid: string
      alg: SigningKeyRecord['alg']
      sealed_private_jwk: string
      public_jwk: Record<string, string>
      created_at: string
    }>(`SELECT kid, alg, sealed_private_jwk, public_jwk, created_at FROM ${this.db.t('signing_keys')} ORDER BY created_at DESC, seq DESC`)
    return rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      sealedPrivateJwk: row.sealed_private_jwk,
      publicJwk: row.public_jwk,
      createdAt: Number(row.created_at),
    }))
  }
  async add(key: SigningKeyRecord) {
    await unique(
      () =>
        this.db.query(`INSERT INTO ${this.db.t('signing_keys')} (kid, alg, sealed_private_jwk, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)`, [
          key.kid,
          key.alg,
          key.sealedPrivateJwk,
          JSON.stringify(key.publicJwk),
          key.createdAt,
        ]),
      () => 'duplicate_signing_key',
    )
  }
  async addFirst(key: SigningKeyRecord) {
    const table = this.db.t('signing_keys')
    return this.db.tx(async (client) => {
      // Servers starting at once take turns here; the first one in stores its key, the others see it.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tokenrules.first-signing-key:${table}`])
      const { rowCount } = await client.query(
        `INSERT INTO ${table} (kid, alg, sealed_private_jwk, public_jwk, created_at) SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM ${table})`,
        [key.kid, key.alg, key.sealedPrivateJwk, JSON.stringify(key.publicJwk), key.createdAt],
      )
      return rowCount === 1
    })
  }
  async remove(kid: string) {
    await this.db.query(`DELETE FROM ${this.db.t('signing_keys')} WHERE kid = $1`, [kid])
  }
}

class PostgresUserinfoStore implements UserinfoStore {
  constructor(readonly db: Db) {}

  async save(record: UserinfoRecord) {
    // Expired records go with purgeExpired (the host schedules it), as the other expiring rows.
    await this.db.query(
      `INSERT INTO ${this.db.t('userinfo')} (jti, record, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (jti) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at`,
      [record.jti, JSON.stringify(record), record.expiresAt],
    )
  }
  async get(jti: string, now: number) {
    const { rows } = await this.db.query<{ record: UserinfoRecord }>(`SELECT record FROM ${this.db.t('userinfo')} WHERE jti = $1 AND expires_at > $2`, [
      jti,
      now,
    ])
    return rows[0]?.record
  }
}
