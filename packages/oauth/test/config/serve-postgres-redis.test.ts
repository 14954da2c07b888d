import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runServerCommand, serve } from '@tokenrules/oauth/cli'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgresServer, type RunningPostgres } from '../setup/postgres-server.js'
import { startRedisServer, type RunningRedis } from '../setup/redis-server.js'
import { memoryIo } from './cli-io.js'

/** A config file naming PostgreSQL (every store) and Redis beside it, URLs from the environment: the users commands and serve share them. */
let postgres: RunningPostgres
let redis: RunningRedis
const dir = mkdtempSync(join(tmpdir(), 'tokenrules-serve-pg-'))
beforeAll(async () => {
  ;[postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer()])
}, 90_000)
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()])
  rmSync(dir, { recursive: true, force: true })
})

describe('serve on PostgreSQL and Redis', () => {
  it('creates a user with tokenrules users, serves it, and never logs a URL password', async () => {
    const database = (await postgres.createDatabase('serve_config')).replace('tokenrules@', 'tokenrules:db-password@')
    const env = { TOKENRULES_KEY: randomBytes(32).toString('base64url'), DATABASE_URL: database, REDIS_URL: redis.url }
    const config = join(dir, 'tokenrules.yaml')
    writeFileSync(
      config,
      [
        'issuer: https://auth.example.com/',
        'clients: [{ clientId: app, allowPublic: true, grants: [password] }]',
        'apis: [{ identifier: https://api.example.com, scopes: [] }]',
        'directories: [{ name: Employees }]',
        'defaultAudience: https://api.example.com',
        'passwords: { scryptCost: 4096 }',
        'engine: { concurrency: 1 }',
        'encryptionKey: { env: TOKENRULES_KEY }',
        'stores: { postgres: { env: DATABASE_URL }, redis: { env: REDIS_URL } }',
      ].join('\n'),
    )
    const io = memoryIo({ env, stdin: 'Ada-Password-2026\n' })
    expect(
      await runServerCommand('users', ['create', '--directory', 'Employees', '--email', 'ada@example.com', '--password-stdin', '--config', config], io),
      io.err,
    ).toBe(0)

    const logs: string[] = []
    await using server = await serve({ config, env, port: 0, watch: false, log: (line) => logs.push(line) })
    const login = async (password: string) =>
      fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'password', client_id: 'app', username: 'ada@example.com', password }),
      })
    expect((await login('Ada-Password-2026')).status).toBe(200)
    expect((await login('wrong')).status).toBe(403)
    const shown = new URL(database)
    shown.username = ''
    shown.password = ''
    expect(logs).toContain(`tokenrules serve: users, keys and tokens in PostgreSQL ${shown.href}`)
    expect(logs).toContain(`tokenrules serve: attempt counters, refresh tokens and userinfo in Redis ${new URL(redis.url).href}`)
    expect(logs.join('\n')).not.toContain('db-password')
  })
})
