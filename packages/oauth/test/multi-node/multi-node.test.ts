/**
 * Issue 18: three token servers on one PostgreSQL and one Redis, or on PostgreSQL alone (both
 * real, started for this suite on loopback), each with its own connection pool and Redis connection as three processes
 * would have, and a client that spreads its requests round-robin across them. What one node writes
 * the others read: users and blocks, refresh-token families (rotation and reuse detection), attempt
 * counters, MFA enrolments and transactions, and the signing keys (a rotation on one node is used
 * by the others after their reload).
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { GRANT_TYPES, type TokenServerStores } from '@tokenrules/oauth'
import { createPostgresStores } from '@tokenrules/oauth/postgres'
import { createRedisStores } from '@tokenrules/oauth/redis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { ALICE, API, CLIENT_ID, CLIENT_SECRET, ISSUER, rule, startServer, totpCode, type Answer, type TestServer } from '../helpers.js'
import { startPostgresServer, type RunningPostgres } from '../setup/postgres-server.js'
import { startRedisServer, type RunningRedis } from '../setup/redis-server.js'

let postgres: RunningPostgres
let redis: RunningRedis
beforeAll(async () => {
  ;[postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer()])
}, 60_000)
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()])
})
afterEach(() => {
  vi.useRealTimers()
})

const ENCRYPTION_KEY = new Uint8Array(32).fill(3)
const WRONG = { ...ALICE, password: 'wrong password' }

const requireMfa = rule(
  'require-mfa',
  `if (context.connection === 'Employees') context.multifactor = { provider: 'any', allowRememberBrowser: false };
   callback(null, user, context);`,
)

/** One clock for the cluster (as NTP would keep real nodes), moved by hand. */
const clock = { now: Date.now(), read: () => clock.now }

interface Cluster extends AsyncDisposable {
  nodes: TestServer[]
  /** The next node, round-robin. */
  next(): TestServer
}

let tenants = 0
/**
 * Three nodes on a schema (and with `redis`, a Redis prefix) of their own, with alice created
 * through the first. `reloadSeconds` as the servers take it.
 */
async function cluster(options: { redis: boolean; mfa?: boolean; reloadSeconds?: number }): Promise<Cluster> {
  const tenant = `tenant_${tenants++}`
  const closers: (() => Promise<void>)[] = []
  const nodes: TestServer[] = []
  try {
    for (let i = 0; i < 3; i++) {
      const pg = await createPostgresStores({ connectionString: postgres.url, schema: tenant, maxConnections: 5 })
      closers.push(() => pg.close())
      let stores: TokenServerStores = pg
      if (options.redis) {
        const shared = await createRedisStores({ url: redis.url, prefix: `${tenant}:` })
        closers.push(() => shared.close())
        stores = { ...pg, attempts: shared.attempts, refreshTokens: shared.refreshTokens, userinfo: shared.userinfo }
      }
      const node = await startServer({
        stores,
        encryptionKey: ENCRYPTION_KEY,
        clock: clock.read,
        keys: { algorithm: 'ES256', reloadSeconds: options.reloadSeconds ?? 0 },
        rules: options.mfa === true ? [requireMfa] : [],
      })
      closers.push(() => node.server.close())
      nodes.push(node)
    }
    const alice = await nodes[0]!.server.users.create({ directory: 'Employees', ...ALICE, app_metadata: { roles: ['admin'] } })
    for (const node of nodes) node.aliceId = alice.user_id
  } catch (error) {
    for (const close of closers.reverse()) await close()
    throw error
  }
  let turn = 0
  return {
    nodes,
    next: () => nodes[turn++ % nodes.length]!,
    async [Symbol.asyncDispose]() {
      for (const close of closers.reverse()) await close()
    },
  }
}

/** Verifies a token against one node's JWKS, at the cluster's clock. */
async function verifiedBy(node: TestServer, token: string): Promise<string | undefined> {
  const jwks = createLocalJWKSet(node.server.keys.jwks() as Parameters<typeof createLocalJWKSet>[0])
  await jwtVerify(token, jwks, { issuer: ISSUER, audience: API, currentDate: new Date(clock.now) })
  return decodeProtectedHeader(token).kid
}

const refresh = (node: TestServer, token: string) => node.token({ grant_type: 'refresh_token', refresh_token: token })
const statuses = (answers: Answer[]) => answers.map((answer) => answer.status).sort()

describe.each([
  ['one PostgreSQL and one Redis (attempt counters, refresh tokens and userinfo there)', true],
  ['one PostgreSQL alone (every store there)', false],
])('three token servers on %s, requests round-robin', (_, redis) => {
  it('a user made through one node logs in through every node; blocked through one, it is refused by all', async () => {
    await using c = await cluster({ redis })
    for (const node of c.nodes) expect((await node.login(ALICE, 'Employees')).status).toBe(200)
    await c.nodes[1]!.server.users.setBlocked(c.nodes[1]!.aliceId, true)
    for (const node of c.nodes) expect((await node.login(ALICE, 'Employees')).body).toEqual({ error: 'unauthorized', error_description: 'user is blocked' })
    await c.nodes[2]!.server.users.setBlocked(c.nodes[2]!.aliceId, false)
    expect((await c.nodes[0]!.login(ALICE, 'Employees')).status).toBe(200)
  })

  it('a login on node A refreshes on node B; the old refresh token replayed on node C is refused and revokes the family', async () => {
    await using c = await cluster({ redis })
    const [a, b, nodeC] = c.nodes as [TestServer, TestServer, TestServer]
    const login = await a.login(ALICE, 'Employees', { scope: 'offline_access read:messages' })
    expect(login.status).toBe(200)
    const rotated = await refresh(b, login.body.refresh_token)
    expect(rotated.status).toBe(200)
    expect(rotated.body.refresh_token).not.toBe(login.body.refresh_token)
    expect(await verifiedBy(nodeC, rotated.body.access_token)).toBe(a.server.keys.jwks().keys[0]?.kid)

    const replay = await refresh(nodeC, login.body.refresh_token)
    expect(replay.status).toBe(403)
    expect(replay.body).toEqual({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' })
    // The family is revoked everywhere: the token node B issued works on no node.
    for (const node of c.nodes) expect((await refresh(node, rotated.body.refresh_token)).body.error).toBe('invalid_grant')
  })

  it('one refresh token used at once on all three nodes: exactly one rotation wins, the family is then revoked', async () => {
    await using c = await cluster({ redis })
    for (let round = 0; round < 3; round++) {
      const login = await c.next().login(ALICE, 'Employees', { scope: 'offline_access' })
      const uses = await Promise.all(Array.from({ length: 9 }, () => refresh(c.next(), login.body.refresh_token)))
      expect(statuses(uses)).toEqual([200, 403, 403, 403, 403, 403, 403, 403, 403])
      const winner = uses.find((use) => use.status === 200)
      expect((await refresh(c.next(), winner?.body.refresh_token)).status).toBe(403)
    }
  })

  it('brute-force counting is shared: ten failures spread over the nodes block the pair on every node', async () => {
    await using c = await cluster({ redis })
    for (let i = 0; i < 10; i++) expect((await c.next().login(WRONG, 'Employees', {}, '192.0.2.10')).body.error).toBe('invalid_grant')
    for (const node of c.nodes) {
      const answer = await node.login(ALICE, 'Employees', {}, '192.0.2.10')
      expect(answer.status).toBe(429)
      expect(answer.body.error).toBe('too_many_attempts')
    }
    // Another IP is another pair; unblocking through one node lifts it for all.
    expect((await c.next().login(ALICE, 'Employees', {}, '192.0.2.11')).status).toBe(200)
    await c.nodes[0]!.server.users.unblock(c.nodes[0]!.aliceId, '192.0.2.10')
    expect((await c.nodes[2]!.login(ALICE, 'Employees', {}, '192.0.2.10')).status).toBe(200)
  })

  it('the limit holds with a parallel burst across the nodes: ten attempts reach the password check, the rest are refused', async () => {
    await using c = await cluster({ redis })
    const burst = await Promise.all(Array.from({ length: 30 }, () => c.next().login(WRONG, 'Employees', {}, '192.0.2.20')))
    expect(burst.filter((answer) => answer.status === 403 && answer.body.error === 'invalid_grant')).toHaveLength(10)
    expect(burst.filter((answer) => answer.status === 429)).toHaveLength(20)
    for (const node of c.nodes) expect((await node.login(ALICE, 'Employees', {}, '192.0.2.20')).status).toBe(429)
  })

  it('MFA: enrolled through one node, challenged through another, answered through the third', async () => {
    await using c = await cluster({ redis, mfa: true })
    const [a, b, nodeC] = c.nodes as [TestServer, TestServer, TestServer]
    const first = await a.login(ALICE, 'Employees')
    expect(first.body.mfa_requirements).toEqual({ enroll: [{ type: 'otp' }] })
    const enrolment = await b.post(
      '/mfa/associate',
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, authenticator_types: ['otp'] },
      { json: true, headers: { authorization: `Bearer ${first.body.mfa_token}` } },
    )
    expect(enrolment.status).toBe(200)
    const confirmed = await nodeC.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: first.body.mfa_token, otp: totpCode(enrolment.body.secret, clock.now) })
    expect(confirmed.status).toBe(200)

    clock.now += 30_000
    const second = await nodeC.login(ALICE, 'Employees')
    expect(second.body.mfa_requirements).toEqual({ challenge: [{ type: 'otp' }] })
    const challenge = await a.post('/mfa/challenge', {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      mfa_token: second.body.mfa_token,
      challenge_type: 'otp',
    })
    expect(challenge.body).toEqual({ challenge_type: 'otp' })
    const code = totpCode(enrolment.body.secret, clock.now)
    expect((await b.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: second.body.mfa_token, otp: code })).status).toBe(200)
    // The code was used on node B: node A refuses it for the same user, in the same period.
    const third = await a.login(ALICE, 'Employees')
    const again = await a.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: third.body.mfa_token, otp: code })
    expect(again.status).toBe(403)
    // A recovery code works once, on any node.
    const [recovery] = enrolment.body.recovery_codes as string[]
    const fourth = await nodeC.login(ALICE, 'Employees')
    expect((await nodeC.token({ grant_type: GRANT_TYPES.mfaRecoveryCode, mfa_token: fourth.body.mfa_token, recovery_code: recovery! })).status).toBe(200)
    const fifth = await a.login(ALICE, 'Employees')
    expect((await b.token({ grant_type: GRANT_TYPES.mfaRecoveryCode, mfa_token: fifth.body.mfa_token, recovery_code: recovery! })).status).toBe(403)
  })

  it('a key rotation on one node: the others sign with it and publish it after their reload, and every token verifies on every node', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    await using c = await cluster({ redis, reloadSeconds: 60 })
    const [a, b, nodeC] = c.nodes as [TestServer, TestServer, TestServer]
    const before = (await b.login(ALICE, 'Employees')).body.access_token as string
    const old = a.server.keys.jwks().keys[0]?.kid
    for (const node of c.nodes) expect(node.server.keys.jwks().keys.map((key) => key.kid)).toEqual([old])

    const rotated = await a.server.keys.rotate()
    await vi.advanceTimersByTimeAsync(60_000)
    await vi.waitFor(() => {
      for (const node of c.nodes) expect(node.server.keys.jwks().keys.map((key) => key.kid)).toEqual([rotated, old])
    })
    for (const signer of [a, b, nodeC]) {
      const token = (await signer.login(ALICE, 'Employees')).body.access_token as string
      for (const verifier of c.nodes) expect(await verifiedBy(verifier, token)).toBe(rotated)
    }
    // A token signed before the rotation still verifies everywhere.
    for (const verifier of c.nodes) expect(await verifiedBy(verifier, before)).toBe(old)
    expect((await a.send(new Request('http://localhost/.well-known/jwks.json'))).body).toEqual(
      (await nodeC.send(new Request('http://localhost/.well-known/jwks.json'))).body,
    )
  })
})
