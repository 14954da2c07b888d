/**
 * Store failures at the token endpoint: clean answers, no partial state.
 *
 * - A refresh token is consumed only once its successor is stored: a failing `save`, a failing
 *   `use`, a rule denial or a failing metadata hook leave it usable; a replay is still caught.
 * - Metadata hooks that fail issue no token (and store no refresh token).
 * - SQLite: a database locked by another connection, or closed, answers a generic 500.
 * - Redis down in the middle of a refresh (the connection cut by a loopback proxy while the rules
 *   run) answers 503 temporarily_unavailable with Retry-After within bounded time, and the refresh
 *   token survives.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GRANT_TYPES, createMemoryStores, type RefreshTokenStore, type ServerErrorEvent, type TokenServerStores } from '@tokenrules/oauth'
import { createRedisStores } from '@tokenrules/oauth/redis'
import { createSqliteStores } from '@tokenrules/oauth/sqlite'
import { ALICE, CLIENT_ID, CLIENT_SECRET, rule, startServer, totpCode, type Answer, type TestServer } from '../helpers.js'
import { startRedisServer, type RunningRedis } from '../setup/redis-server.js'

const GENERIC_500 = { error: 'server_error', error_description: 'The server encountered an unexpected error.' }
const UNAVAILABLE = { error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable; try again later.' }
const INVALID = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' }
const encryptionKey = 'qjD0Yq8mQ1oM2Zt9l5cT4h3bW7xN6eR1uI0oP9aS8dF'

const refresh = (t: TestServer, token: string) => t.token({ grant_type: 'refresh_token', refresh_token: token })

async function offlineLogin(t: TestServer): Promise<string> {
  const answer = await t.login(ALICE, 'Employees', { scope: 'openid offline_access' })
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body.refresh_token as string
}

/** A refresh token store whose methods fail while `failing` names them; counts every call. */
function faulty(inner: RefreshTokenStore) {
  const failing = new Set<string>()
  const calls: Record<string, number> = {}
  const wrap =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      calls[name] = (calls[name] ?? 0) + 1
      if (failing.has(name)) throw new Error(`injected ${name} failure`)
      return fn(...args)
    }
  const store: RefreshTokenStore = {
    save: wrap('save', (r) => inner.save(r)),
    get: wrap('get', (id) => inner.get(id)),
    use: wrap('use', (id, at) => inner.use(id, at)),
    revokeFamily: wrap('revokeFamily', (f, at) => inner.revokeFamily(f, at)),
    ...(inner.state === undefined ? {} : { state: wrap('state', (id: string) => (inner.state as NonNullable<RefreshTokenStore['state']>)(id)) }),
  }
  return { store, failing, calls }
}

function expectGeneric500(answer: Answer): void {
  expect(answer.status).toBe(500)
  expect(answer.body).toEqual(GENERIC_500)
}

describe('refresh tokens are consumed only when the successor is stored', () => {
  const setup = async (options: { rules?: ReturnType<typeof rule>[]; globals?: Record<string, unknown>; users?: TokenServerStores['users'] } = {}) => {
    const memory = createMemoryStores()
    const rt = faulty(memory.refreshTokens)
    const errors: ServerErrorEvent[] = []
    const t = await startServer({
      stores: { ...memory, refreshTokens: rt.store, ...(options.users === undefined ? {} : { users: options.users }) },
      rules: options.rules ?? [],
      engineOptions: { globals: options.globals ?? {} },
      encryptionKey,
      hooks: { onError: (event) => void errors.push(event) },
    })
    if (options.users !== undefined || t.aliceId === '') {
      t.aliceId = (await t.server.users.create({ directory: 'Employees', ...ALICE, email_verified: true, app_metadata: {} })).user_id
    }
    return { t, rt, errors }
  }

  it('a failing save of the successor answers 500 and leaves the presented token usable', async () => {
    const { t, rt, errors } = await setup()
    await using _ = t
    const first = await offlineLogin(t)
    rt.failing.add('save')
    expectGeneric500(await refresh(t, first))
    expect(errors.map((e) => String((e.error as Error).message))).toEqual(['injected save failure'])
    rt.failing.clear()
    const retry = await refresh(t, first)
    expect(retry.status, JSON.stringify(retry.body)).toBe(200)
    // And the rotation still works once: the token is now used, a replay revokes the family.
    expect((await refresh(t, first)).body).toEqual(INVALID)
    expect((await refresh(t, retry.body.refresh_token as string)).body).toEqual(INVALID)
  })

  it('a failing consume (store down after the successor was stored) answers 500; the token still works', async () => {
    const { t, rt } = await setup()
    await using _ = t
    const first = await offlineLogin(t)
    rt.failing.add('use')
    expectGeneric500(await refresh(t, first))
    rt.failing.clear()
    expect((await refresh(t, first)).status).toBe(200)
  })

  it('a rule denial on refresh does not burn the token', async () => {
    let deny = true
    const { t } = await setup({
      rules: [
        rule(
          'maybe-deny',
          "if (context.protocol === 'oauth2-refresh-token' && denyNow()) return callback(new Error('Not now.')); callback(null, user, context);",
        ),
      ],
      globals: { denyNow: () => deny },
    })
    await using _ = t
    const first = await offlineLogin(t)
    const denied = await refresh(t, first)
    expect(denied.status).toBe(403)
    expect(denied.body).toEqual({ error: 'access_denied', error_description: 'Not now.' })
    deny = false
    expect((await refresh(t, first)).status).toBe(200)
  })

  it('mfa_required on refresh keeps the token until the second factor succeeds, then rotates it', async () => {
    let requireMfa = false
    const { t } = await setup({
      rules: [
        rule(
          'mfa-on-refresh',
          "if (context.protocol === 'oauth2-refresh-token' && mfaNow()) context.multifactor = { provider: 'any' }; callback(null, user, context);",
        ),
      ],
      globals: { mfaNow: () => requireMfa },
    })
    await using _ = t
    const first = await offlineLogin(t)
    requireMfa = true
    const required = await refresh(t, first)
    expect(required.status).toBe(403)
    expect(required.body.error).toBe('mfa_required')
    const mfaToken = required.body.mfa_token as string
    const enrollment = await t.post(
      '/mfa/associate',
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, authenticator_types: ['otp'] },
      { json: true, headers: { authorization: `Bearer ${mfaToken}` } },
    )
    expect(enrollment.status).toBe(200)
    // A wrong code changes nothing: the presented refresh token is not consumed.
    expect((await t.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: mfaToken, otp: '000000' })).status).toBe(403)
    const done = await t.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: mfaToken, otp: totpCode(enrollment.body.secret as string, t.clock.now) })
    expect(done.status, JSON.stringify(done.body)).toBe(200)
    expect(typeof done.body.refresh_token).toBe('string')
    // Now the presented token is used: a replay revokes the family, the successor included.
    expect((await refresh(t, first)).body).toEqual(INVALID)
    expect((await refresh(t, done.body.refresh_token as string)).body).toEqual(INVALID)
  })

  it('a failing metadata hook issues no token, stores no refresh token, and burns nothing', async () => {
    const memory = createMemoryStores()
    let failUpdates = true
    const users = new Proxy(memory.users, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown
        if (key === 'updateAppMetadata' && typeof value === 'function') {
          return (...args: unknown[]) =>
            failUpdates ? Promise.reject(new Error('users store is down')) : (value as (...a: unknown[]) => unknown).apply(target, args)
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    })
    const { t, rt, errors } = await setup({
      users,
      rules: [
        rule(
          'count-logins',
          `if (context.protocol !== 'oauth2-refresh-token' && !failing()) return callback(null, user, context);
           auth0.users.updateAppMetadata(user.user_id, { seen: true }).then(function () { callback(null, user, context); }, callback);`,
        ),
      ],
      globals: { failing: () => failUpdates },
    })
    await using _ = t
    // Login: the hook fails, so no token at all, and no refresh token stored.
    const savesBefore = rt.calls.save ?? 0
    const failedLogin = await t.login(ALICE, 'Employees', { scope: 'openid offline_access' })
    expectGeneric500(failedLogin)
    expect(failedLogin.body).not.toHaveProperty('access_token')
    expect(rt.calls.save ?? 0).toBe(savesBefore)
    expect(errors.some((e) => String((e.error as { code?: string }).code) === 'ERR_METADATA_UPDATE_FAILED')).toBe(true)
    // Refresh: same; and the presented token is not consumed.
    failUpdates = false
    const first = await offlineLogin(t)
    failUpdates = true
    const saves = rt.calls.save ?? 0
    const uses = rt.calls.use ?? 0
    expectGeneric500(await refresh(t, first))
    expect(rt.calls.save ?? 0).toBe(saves)
    expect(rt.calls.use ?? 0).toBe(uses)
    failUpdates = false
    expect((await refresh(t, first)).status).toBe(200)
  })
})

describe('SQLite store failures', () => {
  let root = ''
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tokenrules-faults-'))
  })
  afterAll(() => {
    rmSync(root, { recursive: true, force: true })
  })

  it('a database locked by another connection answers a generic 500, then recovers', async () => {
    const path = join(root, 'locked', 'tokenrules.db')
    const stores = createSqliteStores({ path })
    const errors: ServerErrorEvent[] = []
    await using t = await startServer({ stores, encryptionKey, hooks: { onError: (e) => void errors.push(e) } })
    await t.server.users.create({ directory: 'Employees', ...ALICE, email_verified: true })
    const first = await offlineLogin(t)
    const other = new Database(path)
    try {
      other.exec('BEGIN EXCLUSIVE')
      // Every write waits for busy_timeout (5 s, synchronously: better-sqlite3), then fails.
      const started = performance.now()
      const answer = await refresh(t, first)
      const ms = performance.now() - started
      expectGeneric500(answer)
      expect(ms).toBeLessThan(15_000)
      expect(JSON.stringify(errors.map((e) => String((e.error as Error).message)))).toMatch(/locked|busy/i)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    // Nothing was consumed while locked: the same token refreshes now.
    expect((await refresh(t, first)).status).toBe(200)
    stores.close()
  }, 30_000)

  it('a closed database answers a generic 500 and reports the cause to onError only', async () => {
    const stores = createSqliteStores({ path: join(root, 'closed', 'tokenrules.db') })
    const errors: ServerErrorEvent[] = []
    await using t = await startServer({ stores, encryptionKey, hooks: { onError: (e) => void errors.push(e) } })
    await t.server.users.create({ directory: 'Employees', ...ALICE, email_verified: true })
    stores.close()
    const answer = await t.login(ALICE, 'Employees')
    expectGeneric500(answer)
    expect(errors.length).toBeGreaterThan(0)
  })
})

/** A loopback TCP proxy in front of redis-server that can cut every connection and refuse new ones. */
async function redisProxy(target: URL) {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0
  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname)
      for (const s of [client, upstream]) {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.on('error', () => undefined)
      }
      client.pipe(upstream).pipe(client)
    })
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
    port = (server.address() as { port: number }).port
  }
  await listen()
  return {
    url: () => `redis://127.0.0.1:${port}`,
    async down() {
      const closed = server === undefined ? Promise.resolve() : new Promise((resolve) => server?.close(resolve))
      for (const s of sockets) s.destroy()
      await closed
    },
    up: listen,
  }
}

describe('Redis down in the middle of a request', () => {
  let redis: RunningRedis
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it('answers 503 temporarily_unavailable in bounded time, keeps the refresh token, and serves again when Redis is back', async () => {
    const proxy = await redisProxy(new URL(redis.url))
    const remote = await createRedisStores({ url: proxy.url(), prefix: 'faults:' })
    const errors: ServerErrorEvent[] = []
    let cut = false
    try {
      await using t = await startServer({
        stores: { ...createMemoryStores(), refreshTokens: remote.refreshTokens, attempts: remote.attempts },
        rules: [
          rule(
            'cut',
            "if (context.protocol === 'oauth2-refresh-token' && cutRedis()) { return setTimeout(function () { callback(null, user, context); }, 50); } callback(null, user, context);",
          ),
        ],
        engineOptions: {
          globals: {
            cutRedis: () => {
              if (!cut) return false
              void proxy.down()
              return true
            },
          },
        },
        hooks: { onError: (e) => void errors.push(e) },
        encryptionKey,
      })
      await t.server.users.create({ directory: 'Employees', ...ALICE, email_verified: true })
      const first = await offlineLogin(t)
      cut = true
      const started = performance.now()
      const answer = await refresh(t, first)
      expect(performance.now() - started).toBeLessThan(10_000)
      expect(answer.status).toBe(503)
      expect(answer.body).toEqual(UNAVAILABLE)
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect(errors.length).toBeGreaterThan(0)
      cut = false
      await proxy.up()
      // node-redis reconnects by itself; the token was never consumed.
      let again: Answer | undefined
      for (let i = 0; i < 50; i++) {
        again = await refresh(t, first)
        if (again.status !== 503) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(again?.status, JSON.stringify(again?.body)).toBe(200)
    } finally {
      await proxy.down()
      await remote.close().catch(() => undefined)
    }
  }, 30_000)
})
