/**
 * The demo's settings for several nodes (issue 18): which stores the environment opens
 * (`DATABASE_URL`, `REDIS_URL`, neither: SQLite), the sealing key (`TOKENRULES_ENCRYPTION_KEY`),
 * `TOKENRULES_KEY_RELOAD_SECONDS`, and seeding from several nodes at once. Against a real
 * PostgreSQL and Redis started for this file on loopback.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTokenServer, StoreUnavailableError } from '@tokenrules/oauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgresServer, type RunningPostgres } from '../../../packages/oauth/test/setup/postgres-server.js'
import { startRedisServer, type RunningRedis } from '../../../packages/oauth/test/setup/redis-server.js'
import { USERS, demoEncryptionKey, demoKeyReloadSeconds, demoServerOptions, seedUsers } from '../src/config.js'
import { SettingsError } from '../src/listen.js'
import { redactedUrl } from '@tokenrules/oauth/cli'
import { demoStores } from '../src/stores.js'
import { demoArgs, demoCommand, demoRoot } from './demo-process.js'

const KEY = Buffer.alloc(32, 5).toString('base64url')
let postgres: RunningPostgres
let redis: RunningRedis
const dirs: string[] = []
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenrules-demo-stores-'))
  dirs.push(dir)
  return dir
}
beforeAll(async () => {
  ;[postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer()])
}, 60_000)
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()])
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** The error `work` throws (or fails the test when it throws none). */
function thrown(work: () => unknown): Error {
  try {
    work()
  } catch (error) {
    return error as Error
  }
  throw new Error('nothing was thrown')
}

const record = (id: string) => ({
  id,
  familyId: `family-${id}`,
  clientId: 'demo-app',
  userId: 'auth0|x',
  directory: 'Employees',
  audience: 'https://api.example.com',
  scope: ['offline_access'],
  authTime: 1,
  mfa: false,
  createdAt: Date.now(),
  expiresAt: Date.now() + 60_000,
})

describe('demoEncryptionKey (TOKENRULES_ENCRYPTION_KEY)', () => {
  it('one node on SQLite: made once in DATA_DIR/encryption.key, owner-only, and read back after', () => {
    const dir = dataDir()
    const key = demoEncryptionKey({}, dir)
    expect(Buffer.from(key, 'base64url')).toHaveLength(32)
    expect(readFileSync(join(dir, 'encryption.key'), 'utf8')).toBe(key)
    expect(statSync(join(dir, 'encryption.key')).mode & 0o777).toBe(0o600)
    expect(demoEncryptionKey({}, dir)).toBe(key)
  })

  it('the variable wins, in base64url or base64; nothing is written', () => {
    const dir = dataDir()
    expect(demoEncryptionKey({ TOKENRULES_ENCRYPTION_KEY: KEY }, dir)).toBe(KEY)
    const base64 = Buffer.alloc(32, 0xfb).toString('base64')
    expect(base64).toMatch(/[+/]/)
    expect(demoEncryptionKey({ TOKENRULES_ENCRYPTION_KEY: base64 }, dir)).toBe(base64)
    expect(() => statSync(join(dir, 'encryption.key'))).toThrow(/ENOENT/)
  })

  it('with DATABASE_URL the variable is required: a key made on one node would not open on another', () => {
    const error = thrown(() => demoEncryptionKey({ DATABASE_URL: 'postgres://db.internal/tokenrules' }, dataDir()))
    expect(error).toBeInstanceOf(SettingsError)
    expect(error.message).toMatch(/^DATABASE_URL is set: set TOKENRULES_ENCRYPTION_KEY to the same secret on every node\. Make one with: node -e /)
  })

  it.each([['too-short'], [`${KEY}AA`], ['!'.repeat(43)]])('refuses %s without echoing it', (value) => {
    const error = thrown(() => demoEncryptionKey({ TOKENRULES_ENCRYPTION_KEY: value }, dataDir()))
    expect(error).toBeInstanceOf(SettingsError)
    expect(error.message).toContain(`TOKENRULES_ENCRYPTION_KEY is not 32 bytes in base64url (or base64): 43 characters, the one set has ${value.length}.`)
    expect(error.message).not.toContain(value)
  })
})

describe('demoKeyReloadSeconds (TOKENRULES_KEY_RELOAD_SECONDS)', () => {
  it('unset (or empty) leaves the server’s default; a whole number of seconds is taken, 0 included', () => {
    expect(demoKeyReloadSeconds({})).toBeUndefined()
    expect(demoKeyReloadSeconds({ TOKENRULES_KEY_RELOAD_SECONDS: '' })).toBeUndefined()
    expect(demoKeyReloadSeconds({ TOKENRULES_KEY_RELOAD_SECONDS: '0' })).toBe(0)
    expect(demoKeyReloadSeconds({ TOKENRULES_KEY_RELOAD_SECONDS: '86400' })).toBe(86_400)
  })

  it.each([['-1'], ['1.5'], ['86401'], ['ten'], [' 5']])('refuses %j', (value) => {
    const error = thrown(() => demoKeyReloadSeconds({ TOKENRULES_KEY_RELOAD_SECONDS: value }))
    expect(error).toBeInstanceOf(SettingsError)
    expect(error.message).toBe(`TOKENRULES_KEY_RELOAD_SECONDS must be a whole number of seconds from 0 to 86400, not '${value}'.`)
  })
})

describe('demoStores', () => {
  it('neither DATABASE_URL nor REDIS_URL: one SQLite file in DATA_DIR, created then existing, not shared', async () => {
    const dir = dataDir()
    const first = await demoStores({}, dir)
    expect(first).toMatchObject({ description: join(dir, 'tokenrules.db'), existing: false, shared: false })
    await first.stores.users.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
    await first.close()
    const second = await demoStores({}, dir)
    try {
      expect(second.existing).toBe(true)
      expect((await second.stores.users.listDirectories()).map((d) => d.name)).toEqual(['Employees'])
    } finally {
      await second.close()
    }
  })

  it('DATABASE_URL: every store on PostgreSQL, migrated at the first open; the description has no password', async () => {
    const url = new URL(await postgres.createDatabase('demo_stores'))
    url.password = 's3cret-password'
    const env = { DATABASE_URL: url.href }
    const first = await demoStores(env, dataDir())
    try {
      expect(first.shared).toBe(true)
      expect(first.existing).toBe(false)
      expect(first.description).toMatch(new RegExp(`^PostgreSQL postgres://127\\.0\\.0\\.1:${postgres.port}/demo_stores schema version \\d+$`))
      await first.stores.users.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
    } finally {
      await first.close()
    }
    const second = await demoStores(env, dataDir())
    try {
      expect(second.existing).toBe(true)
      expect((await second.stores.users.listDirectories()).map((d) => d.name)).toEqual(['Employees'])
    } finally {
      await second.close()
    }
  })

  it('migrate: false (a node started after `migrate`) refuses a database that was not migrated', async () => {
    const env = { DATABASE_URL: await postgres.createDatabase('demo_not_migrated') }
    await expect(demoStores(env, dataDir(), { migrate: false })).rejects.toThrow(/run the migrations first/)
    await (await demoStores(env, dataDir())).close()
    const after = await demoStores(env, dataDir(), { migrate: false })
    expect(after.existing).toBe(true)
    await after.close()
  })

  it('REDIS_URL beside DATABASE_URL: attempt counters, refresh tokens and userinfo in Redis, the rest on PostgreSQL', async () => {
    const DATABASE_URL = await postgres.createDatabase('demo_with_redis')
    const withRedis = await demoStores({ DATABASE_URL, REDIS_URL: redis.url }, dataDir())
    const withoutRedis = await demoStores({ DATABASE_URL }, dataDir())
    const otherNode = await demoStores({ DATABASE_URL, REDIS_URL: redis.url }, dataDir())
    try {
      expect(withRedis.description).toBe(`${withoutRedis.description}; attempt counters, refresh tokens and userinfo in Redis ${redactedUrl(redis.url)}`)
      await withRedis.stores.refreshTokens.save(record('t1'))
      expect((await otherNode.stores.refreshTokens.use('t1', Date.now()))?.outcome).toBe('rotated')
      expect(await withoutRedis.stores.refreshTokens.use('t1', Date.now())).toBeUndefined()
      await withRedis.stores.users.createDirectory({ id: 'con_1', name: 'Customers', metadata: {} })
      expect((await withoutRedis.stores.users.listDirectories()).map((d) => d.name)).toEqual(['Customers'])
    } finally {
      await Promise.all([withRedis.close(), withoutRedis.close(), otherNode.close()])
    }
  })

  it.each([
    [
      'DATABASE_URL',
      'mysql://root:hunter2@db.internal/tokenrules',
      "DATABASE_URL must be a postgres:// or postgresql:// URL such as postgres://tokenrules@db.internal:5432/tokenrules, not 'mysql://db.internal/tokenrules'.",
    ],
    [
      'DATABASE_URL',
      'host=db.internal password=hunter2',
      'DATABASE_URL does not parse as a URL; it must look like postgres://tokenrules@db.internal:5432/tokenrules.',
    ],
    [
      'REDIS_URL',
      'http://:hunter2@cache.internal:6379',
      "REDIS_URL must be a redis:// or rediss:// URL such as redis://cache.internal:6379, not 'http://cache.internal:6379/'.",
    ],
  ])('refuses %s=%s with a SettingsError that does not show the password', async (name, value, message) => {
    const error = await demoStores({ [name]: value }, dataDir()).catch((e: unknown) => e as Error)
    expect(error).toBeInstanceOf(SettingsError)
    expect((error as Error).message).toBe(message)
    expect((error as Error).message).not.toContain('hunter2')
  })

  it('a PostgreSQL nobody listens on: StoreUnavailableError, and nothing is left open', async () => {
    const url = new URL(postgres.url)
    url.port = '1'
    const error = await demoStores({ DATABASE_URL: url.href }, dataDir()).catch((e: unknown) => e)
    expect(StoreUnavailableError.is(error)).toBe(true)
  })
})

describe('seedUsers', () => {
  it('three nodes seeding one empty database at once create each demo user once', async () => {
    const env = { DATABASE_URL: await postgres.createDatabase('demo_seed'), TOKENRULES_ENCRYPTION_KEY: KEY }
    await (await demoStores(env, dataDir())).close()
    const options = await demoServerOptions('https://auth.example.com/')
    const nodes = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const opened = await demoStores(env, dataDir(), { migrate: false })
        const server = await createTokenServer({
          ...options,
          stores: opened.stores,
          encryptionKey: KEY,
          keys: { reloadSeconds: 0 },
          passwords: { scryptCost: 2 ** 10 },
        })
        return { opened, server }
      }),
    )
    try {
      const seeded = await Promise.all(nodes.map(({ server, opened }) => seedUsers(server, opened.stores)))
      expect(seeded.reduce((sum, n) => sum + n, 0)).toBe(USERS.length)
      const users = nodes[0]!.opened.stores.users
      for (const user of USERS) expect(await users.findUser(user.directory, user.email!)).toMatchObject({ profile: { email: user.email } })
      expect(await seedUsers(nodes[1]!.server, nodes[1]!.opened.stores)).toBe(0)
    } finally {
      for (const { server, opened } of nodes) {
        await server.close()
        await opened.close()
      }
    }
  })
})

/** The demo (`src/main.ts`) or its `admin.ts` run with `env`: exit code and what it printed on stderr. */
function runDemo(entry: 'src/main.ts' | 'src/admin.ts', args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const argv = demoArgs([]).map((arg) => (arg === 'src/main.ts' ? entry : arg))
  return new Promise((resolve) => {
    execFile(
      demoCommand,
      [...argv, ...args],
      { cwd: demoRoot, env: { ...process.env, DATA_DIR: dataDir(), PORT: '0', ...env }, timeout: 60_000 },
      (error, _stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stderr })
      },
    )
  })
}

describe('the demo and its commands refuse what they cannot run with', () => {
  it('DATABASE_URL without TOKENRULES_ENCRYPTION_KEY: exit 2, before opening anything', async () => {
    const { code, stderr } = await runDemo('src/main.ts', [], { DATABASE_URL: postgres.url })
    expect(code).toBe(2)
    expect(stderr).toMatch(/^DATABASE_URL is set: set TOKENRULES_ENCRYPTION_KEY to the same secret on every node\./)
  })

  it('a DATABASE_URL that is not PostgreSQL’s: exit 2 with the setting named', async () => {
    const { code, stderr } = await runDemo('src/admin.ts', ['migrate'], { DATABASE_URL: 'mysql://db.internal/x', TOKENRULES_ENCRYPTION_KEY: KEY })
    expect(code).toBe(2)
    expect(stderr).toContain(
      "DATABASE_URL must be a postgres:// or postgresql:// URL such as postgres://tokenrules@db.internal:5432/tokenrules, not 'mysql://db.internal/x'.",
    )
  })

  it('a PostgreSQL that does not answer: exit 1 naming it, no stack trace', async () => {
    const url = new URL(postgres.url)
    url.port = '1'
    const { code, stderr } = await runDemo('src/main.ts', [], { DATABASE_URL: url.href, TOKENRULES_ENCRYPTION_KEY: KEY })
    expect(code).toBe(1)
    expect(stderr).toMatch(/^PostgreSQL is unavailable: .*127\.0\.0\.1:1.*\. Nothing was started: start it \(or correct the URL\) and run this again\.\n$/)
  })

  it('admin.ts with another command: its usage, exit 2', async () => {
    const { code, stderr } = await runDemo('src/admin.ts', ['rotate'], {})
    expect(code).toBe(2)
    expect(stderr).toBe('usage: admin.ts migrate | rotate-key\n')
  })
})
