import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryStores } from '@tokenrules/oauth'
import { createRedisStores, type RedisStores } from '@tokenrules/oauth/redis'
import { describeStoreContract } from '@tokenrules/oauth/testing'
import { startRedisServer, type RunningRedis } from '../setup/redis-server.js'
import { ALICE, startServer } from '../helpers.js'

let redis: RunningRedis
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

let n = 0
/** Stores on the shared server, isolated by a key prefix of their own. */
const fresh = async (): Promise<RedisStores> => createRedisStores({ url: redis.url, prefix: `test${n++}:` })

describeStoreContract('Redis stores: the contract, against a real redis-server', {
  attempts: async () => {
    const stores = await fresh()
    return { store: stores.attempts, dispose: () => stores.close() }
  },
  refreshTokens: async () => {
    const stores = await fresh()
    return { store: stores.refreshTokens, dispose: () => stores.close() }
  },
  userinfo: async () => {
    const stores = await fresh()
    return { store: stores.userinfo, dispose: () => stores.close() }
  },
})

describe('Redis stores, against a real redis-server', () => {
  it('expires a refresh token in Redis with its family (a TTL is set)', async () => {
    await using stores = await fresh()
    const now = Date.now()
    await stores.refreshTokens.save({
      id: 'ttl',
      familyId: 'f',
      clientId: 'c',
      userId: 'u',
      directory: 'd',
      audience: 'a',
      scope: [],
      authTime: 0,
      mfa: false,
      createdAt: now,
      expiresAt: now + 5_000,
    })
    const { createClient } = await import('@redis/client')
    const client = createClient({ url: redis.url })
    await client.connect()
    try {
      const ttl = await client.pTTL(`test${n - 1}:rt:ttl`)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(5_000)
    } finally {
      await client.close()
    }
  })
})

describe('two token servers sharing Redis', () => {
  async function pair() {
    const shared = await fresh()
    const memory = createMemoryStores()
    const encryptionKey = new Uint8Array(32).fill(7)
    const stores = { users: memory.users, keys: memory.keys, attempts: shared.attempts, refreshTokens: shared.refreshTokens }
    const a = await startServer({ stores, encryptionKey })
    const b = await startServer({ stores, encryptionKey })
    a.aliceId = (await a.server.users.create({ directory: 'Employees', ...ALICE })).user_id
    return {
      a,
      b,
      async [Symbol.asyncDispose]() {
        await a.server.close()
        await b.server.close()
        await shared.close()
      },
    }
  }

  it('blocks a (user, IP) pair on every server once failures reach the threshold across them', async () => {
    await using servers = await pair()
    for (let i = 0; i < 5; i++) expect((await servers.a.login({ ...ALICE, password: 'wrong' }, 'Employees')).status).toBe(403)
    for (let i = 0; i < 5; i++) expect((await servers.b.login({ ...ALICE, password: 'wrong' }, 'Employees')).status).toBe(403)
    expect((await servers.a.login(ALICE, 'Employees')).status).toBe(429)
    expect((await servers.b.login(ALICE, 'Employees')).status).toBe(429)
  })

  it('detects a refresh token reused on another server and revokes the family everywhere', async () => {
    await using servers = await pair()
    const login = await servers.a.login(ALICE, 'Employees', { scope: 'offline_access read:messages' })
    const rotated = await servers.a.token({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token })
    expect(rotated.status).toBe(200)
    const replay = await servers.b.token({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token })
    expect(replay.body).toEqual({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' })
    const next = await servers.a.token({ grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token })
    expect(next.body).toEqual({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' })
  })
})
