/**
 * The PostgreSQL stores against a real PostgreSQL (Debian's package, a cluster of the test's own):
 * the store contract, schema migrations (versioned, idempotent, concurrent starts), check-and-set
 * across two pools as two servers would race, and two token servers sharing one database.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StoreUnavailableError } from '@tokenrules/oauth'
import { POSTGRES_SCHEMA_VERSION, createPostgresStores, migratePostgres, type PostgresStores } from '@tokenrules/oauth/postgres'
import { describeStoreContract } from '@tokenrules/oauth/testing'
import { ALICE, startServer } from '../helpers.js'
import { startPostgresServer, type RunningPostgres } from '../setup/postgres-server.js'

let server: RunningPostgres
beforeAll(async () => {
  server = await startPostgresServer()
}, 60_000)
afterAll(async () => {
  await server?.stop()
})

let n = 0
/** Stores in a schema of their own on the shared cluster. */
const fresh = (schema = `contract_${n++}`): Promise<PostgresStores> => createPostgresStores({ connectionString: server.url, schema, maxConnections: 4 })

const on =
  <K extends 'users' | 'refreshTokens' | 'mfa' | 'attempts' | 'keys' | 'userinfo'>(kind: K) =>
  async () => {
    const stores = await fresh()
    return { store: stores[kind], dispose: () => stores.close() }
  }

describeStoreContract('PostgreSQL stores: the contract, against a real PostgreSQL', {
  users: on('users'),
  refreshTokens: on('refreshTokens'),
  mfa: on('mfa'),
  attempts: on('attempts'),
  keys: on('keys'),
  userinfo: on('userinfo'),
})

const record = (id: string, familyId: string, now: number) => ({
  id,
  familyId,
  clientId: 'c',
  userId: 'u',
  directory: 'd',
  audience: 'a',
  scope: ['offline_access'],
  authTime: Math.floor(now / 1000),
  mfa: false,
  createdAt: now,
  expiresAt: now + 60_000,
})

describe('PostgreSQL schema migrations', () => {
  it('a new schema gets every version once; running again applies nothing', async () => {
    const first = await migratePostgres({ connectionString: server.url, schema: 'migrate_once' })
    expect(first).toEqual({ from: 0, to: POSTGRES_SCHEMA_VERSION, applied: Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1) })
    expect(await migratePostgres({ connectionString: server.url, schema: 'migrate_once' })).toEqual({
      from: POSTGRES_SCHEMA_VERSION,
      to: POSTGRES_SCHEMA_VERSION,
      applied: [],
    })
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    try {
      const { rows } = await client.query<{ version: number }>('SELECT version FROM migrate_once.tokenrules_migrations ORDER BY version')
      expect(rows.map((row) => row.version)).toEqual(first.applied)
    } finally {
      await client.end()
    }
  })

  it('five servers migrating at once on an empty schema: exactly one applies the migrations, the others find the schema current', async () => {
    const runs = await Promise.all(Array.from({ length: 5 }, () => migratePostgres({ connectionString: server.url, schema: 'concurrent_migrate' })))
    expect(runs.map((run) => run.applied.length).sort()).toEqual([0, 0, 0, 0, POSTGRES_SCHEMA_VERSION])
    expect(runs.every((run) => run.to === POSTGRES_SCHEMA_VERSION)).toBe(true)
  })

  it('three servers starting at once on an empty schema all start, on the same tables', async () => {
    const starts = await Promise.all(Array.from({ length: 3 }, () => fresh('concurrent_start')))
    try {
      await starts[0]?.users.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      for (const stores of starts) expect((await stores.users.listDirectories()).map((d) => d.name)).toEqual(['Employees'])
    } finally {
      await Promise.all(starts.map((stores) => stores.close()))
    }
  })

  it('migrate: false refuses a schema that is not migrated, with what to run', async () => {
    await expect(createPostgresStores({ connectionString: server.url, schema: 'never_migrated', migrate: false })).rejects.toThrow(/run the migrations first/)
    await migratePostgres({ connectionString: server.url, schema: 'migrated_first' })
    await using stores = await createPostgresStores({ connectionString: server.url, schema: 'migrated_first', migrate: false })
    expect(await stores.users.listDirectories()).toEqual([])
  })

  it('a schema newer than this version is refused, not downgraded', async () => {
    await migratePostgres({ connectionString: server.url, schema: 'from_the_future' })
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    await client.query("INSERT INTO from_the_future.tokenrules_migrations (version, name) VALUES (999, 'later')")
    await client.end()
    await expect(migratePostgres({ connectionString: server.url, schema: 'from_the_future' })).rejects.toThrow(/version 999/)
  })

  it('refuses bad options with typed errors', async () => {
    await expect(createPostgresStores({ connectionString: server.url, schema: 'Robert"; DROP TABLE users' })).rejects.toThrow(TypeError)
    await expect(createPostgresStores({})).rejects.toThrow(/connectionString/)
    await expect(createPostgresStores({ connectionString: server.url, timeoutMs: 0 })).rejects.toThrow(/timeoutMs/)
  })

  it('a database nobody listens on is unavailable at start (StoreUnavailableError), in bounded time', async () => {
    const url = new URL(server.url)
    url.port = '1'
    const error = await createPostgresStores({ connectionString: url.href, timeoutMs: 2_000 }).catch((e: unknown) => e)
    expect(StoreUnavailableError.is(error)).toBe(true)
  })
})

describe('PostgreSQL stores shared by two servers (two pools)', () => {
  it('of many uses of one refresh token through two pools, exactly one rotates', async () => {
    await using a = await fresh('race_refresh')
    await using b = await fresh('race_refresh')
    const now = Date.now()
    for (let round = 0; round < 5; round++) {
      await a.refreshTokens.save(record(`t${round}`, `f${round}`, now))
      const uses = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).refreshTokens.use(`t${round}`, now)))
      expect(uses.filter((use) => use?.outcome === 'rotated')).toHaveLength(1)
      expect(uses.filter((use) => use?.outcome === 'reused')).toHaveLength(7)
    }
  })

  it('concurrent metadata merges from two pools all persist (atomic JSON merge)', async () => {
    await using a = await fresh('race_metadata')
    await using b = await fresh('race_metadata')
    await a.users.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
    const at = Date.now()
    await a.users.createUser({
      directory: 'Employees',
      profile: { user_id: 'auth0|m', email: 'm@example.com', created_at: '', updated_at: '', logins_count: 0, app_metadata: { keep: 1 }, user_metadata: {} },
      passwordHash: 'x',
      roles: [],
    })
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).users.updateAppMetadata('auth0|m', { [`k${i}`]: i, ...(i === 3 ? { keep: null } : {}) }, at)),
    )
    await Promise.all(Array.from({ length: 10 }, () => b.users.recordLogin('auth0|m', { at, ip: '192.0.2.1' })))
    const user = await a.users.getUser('auth0|m')
    expect(user?.profile.app_metadata).toEqual(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])))
    expect(user?.profile.logins_count).toBe(10)
  })

  it('an attempt counter never passes the threshold with a burst through two pools', async () => {
    await using a = await fresh('race_attempts')
    await using b = await fresh('race_attempts')
    const key = { subject: 'auth0|x', ip: '192.0.2.9' }
    const settings = { now: Date.now(), windowMs: 60_000, threshold: 5 }
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).attempts.attempt(key, settings)))
    expect(outcomes.filter((o) => !o.blocked)).toHaveLength(5)
    expect(outcomes.filter((o) => o.blocked).every((o) => o.failures === 5)).toBe(true)
  })

  it('keeps JSON as written (key order of metadata survives, unlike jsonb)', async () => {
    await using stores = await fresh()
    await stores.users.createDirectory({ id: 'con_1', name: 'Employees', metadata: { zeta: '1', alpha: '2' } })
    expect(Object.keys((await stores.users.getDirectory('Employees'))?.metadata ?? {})).toEqual(['zeta', 'alpha'])
  })

  it('purgeExpired deletes what expired, families without tokens included', async () => {
    await using stores = await fresh()
    const now = Date.now()
    await stores.refreshTokens.save({ ...record('old', 'fam-old', now - 120_000), expiresAt: now - 1 })
    await stores.refreshTokens.revokeFamily('fam-old', now)
    await stores.userinfo.save({ jti: 'j', userId: 'u', clientId: 'c', claims: {}, expiresAt: now - 1 }, now)
    await stores.attempts.attempt({ subject: 'u', ip: '192.0.2.1' }, { now: now - 120_000, windowMs: 60_000, threshold: 10 })
    expect(await stores.purgeExpired(now)).toBe(4)
    expect(await stores.purgeExpired(now)).toBe(0)
  })
})

describe('two token servers on one PostgreSQL', () => {
  it('a user created through one logs in through the other, with the same signing keys', async () => {
    await using shared = await fresh('two_servers')
    const encryptionKey = new Uint8Array(32).fill(9)
    await using a = await startServer({ stores: shared, encryptionKey })
    await using b = await startServer({ stores: shared, encryptionKey })
    a.aliceId = (await a.server.users.create({ directory: 'Employees', ...ALICE })).user_id
    const login = await b.login(ALICE, 'Employees', { scope: 'offline_access read:messages' })
    expect(login.status, JSON.stringify(login.body)).toBe(200)
    expect(b.server.keys.jwks()).toEqual(a.server.keys.jwks())
    const rotated = await a.token({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token })
    expect(rotated.status).toBe(200)
    const replay = await b.token({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token })
    expect(replay.body).toEqual({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' })
    expect((await a.token({ grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token })).status).toBe(403)
  })
})
