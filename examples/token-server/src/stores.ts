import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { StoreUnavailableError, type TokenServerStores } from '@tokenrules/oauth'
import { redactedUrl } from '@tokenrules/oauth/cli'
import { SettingsError } from './listen.js'

/**
 * The demo's stores, from the environment:
 * - neither `DATABASE_URL` nor `REDIS_URL`: everything in one SQLite file, `DATA_DIR/tokenrules.db`
 *   (one node);
 * - `DATABASE_URL` (PostgreSQL): every store there, shared by every node on the database;
 * - `REDIS_URL` as well (or alone, beside SQLite): attempt counters, refresh tokens and userinfo
 *   records in Redis.
 */
export interface DemoStores {
  stores: TokenServerStores
  /** For the start-up lines: where each kind of data lives (no password). */
  description: string
  /** Whether the data was there before (an existing SQLite file, a migrated PostgreSQL schema). */
  existing: boolean
  /** Whether the stores can be shared by several nodes (DATABASE_URL). */
  shared: boolean
  close(): Promise<void>
}

/** The URL of `name` when set (and not empty), refused with a {@link SettingsError} unless it is one of `schemes`. */
function urlSetting(env: NodeJS.ProcessEnv, name: string, schemes: string[], example: string): string | undefined {
  const value = env[name]
  if (value === undefined || value === '') return undefined
  let scheme: string
  try {
    scheme = new URL(value).protocol.slice(0, -1)
  } catch {
    // Not echoed: it may hold a password.
    throw new SettingsError(`${name} does not parse as a URL; it must look like ${example}.`)
  }
  if (!schemes.includes(scheme))
    throw new SettingsError(`${name} must be a ${schemes.map((s) => `${s}://`).join(' or ')} URL such as ${example}, not '${redactedUrl(value)}'.`)
  return value
}

/**
 * Opens the stores the environment asks for; PostgreSQL's migrations run first (or `migrate:
 * false`: only checked). A malformed `DATABASE_URL` or `REDIS_URL` is a {@link SettingsError}; a
 * database that does not answer, `StoreUnavailableError`.
 */
export async function demoStores(env: NodeJS.ProcessEnv, dataDir: string, options: { migrate?: boolean } = {}): Promise<DemoStores> {
  const databaseUrl = urlSetting(env, 'DATABASE_URL', ['postgres', 'postgresql'], 'postgres://tokenrules@db.internal:5432/tokenrules')
  const redisUrl = urlSetting(env, 'REDIS_URL', ['redis', 'rediss'], 'redis://cache.internal:6379')
  const closers: (() => Promise<void> | void)[] = []
  const close = async () => {
    for (const closer of closers.reverse()) await closer()
  }
  try {
    let base: TokenServerStores
    let description: string
    let existing: boolean
    if (databaseUrl !== undefined) {
      const { createPostgresStores, migratePostgres, POSTGRES_SCHEMA_VERSION } = await import('@tokenrules/oauth/postgres')
      const migration = options.migrate === false ? undefined : await migratePostgres({ connectionString: databaseUrl })
      const postgres = await createPostgresStores({ connectionString: databaseUrl, migrate: false })
      closers.push(() => postgres.close())
      base = postgres
      existing = migration === undefined || migration.from === POSTGRES_SCHEMA_VERSION
      description = `PostgreSQL ${redactedUrl(databaseUrl)} schema version ${POSTGRES_SCHEMA_VERSION}`
    } else {
      const { createSqliteStores } = await import('@tokenrules/oauth/sqlite')
      const path = join(dataDir, 'tokenrules.db')
      existing = existsSync(path)
      const sqlite = createSqliteStores({ path })
      closers.push(() => sqlite.close())
      base = sqlite
      description = path
    }
    if (redisUrl === undefined) return { stores: base, description, existing, shared: databaseUrl !== undefined, close }
    const { createRedisStores } = await import('@tokenrules/oauth/redis')
    const redis = await createRedisStores({ url: redisUrl })
    closers.push(() => redis.close())
    return {
      stores: { ...base, attempts: redis.attempts, refreshTokens: redis.refreshTokens, userinfo: redis.userinfo },
      description: `${description}; attempt counters, refresh tokens and userinfo in Redis ${redactedUrl(redisUrl)}`,
      existing,
      shared: databaseUrl !== undefined,
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * {@link demoStores} for a command line: a bad setting prints its message and exits 2, a database
 * or Redis that does not answer prints which and why (the driver's message names the address) and exits 1.
 */
export async function openStores(env: NodeJS.ProcessEnv, dataDir: string, options: { migrate?: boolean } = {}): Promise<DemoStores> {
  try {
    return await demoStores(env, dataDir, options)
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(error.message)
      process.exit(2)
    }
    if (StoreUnavailableError.is(error)) {
      console.error(`${error.message}. Nothing was started: start it (or correct the URL) and run this again.`)
      process.exit(1)
    }
    throw error
  }
}
