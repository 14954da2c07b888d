import type { createClient as CreateClient } from '@redis/client'
import { missingPeer } from '../lib/optional-peer.js'
import { StoreConflictError } from './conflict.js'
import { guardOutages, isRedisOutage } from './lib/outage.js'
import type {
  AttemptKey,
  AttemptOutcome,
  AttemptStore,
  GuessBudget,
  GuessKey,
  GuessOutcome,
  RefreshTokenRecord,
  RefreshTokenStore,
  RefreshTokenUse,
  UserinfoRecord,
  UserinfoStore,
} from './types.js'

// Loaded here, not by the package's main entry point: only `@tokenrules/oauth/redis` needs the driver.
const { createClient } = await import('@redis/client').catch((error: unknown) => {
  throw missingPeer('@redis/client', '@tokenrules/oauth/redis', error)
})

/**
 * A connected node-redis client (from `@redis/client` or `redis`), for {@link RedisStoresOptions.client}:
 * the stores then share the application's connection and never close it.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createClient } from '@redis/client'
 * import { createRedisStores, type RedisClient } from '@tokenrules/oauth/redis'
 *
 * // The application's own connection, opened at start and closed at exit.
 * const client: RedisClient = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' })
 * await client.connect()
 * try {
 *   const stores = await createRedisStores({ client, prefix: 'auth:' })
 *   await stores.close() // the stores leave the shared client open
 *   assert.ok(client.isOpen)
 * } finally {
 *   await client.close()
 * }
 * ```
 */
export type RedisClient = ReturnType<typeof CreateClient>

/**
 * Options of {@link createRedisStores}: either a `url` (the stores own the connection) or a `client` (yours).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import type { AttemptKey } from '@tokenrules/oauth'
 * import { createRedisStores, type RedisStoresOptions } from '@tokenrules/oauth/redis'
 *
 * // Two tenants share one Redis; their prefixes keep their counters apart.
 * const tenantA: RedisStoresOptions = { url: process.env.REDIS_URL, prefix: 'tenant-a:' }
 * await using a = await createRedisStores(tenantA)
 * await using b = await createRedisStores({ ...tenantA, prefix: 'tenant-b:' })
 *
 * const key: AttemptKey = { subject: 'auth0|alice', ip: '203.0.113.7' }
 * const settings = { now: Date.now(), windowMs: 60_000, threshold: 10 }
 * await a.attempts.attempt(key, settings)
 * assert.equal((await a.attempts.attempt(key, settings)).failures, 2)
 * assert.equal((await b.attempts.attempt(key, settings)).failures, 1)
 * await a.attempts.resetSubject(key.subject)
 * await b.attempts.resetSubject(key.subject)
 * ```
 */
export interface RedisStoresOptions {
  /** e.g. `redis://127.0.0.1:6379`; the stores connect and {@link RedisStores.close} disconnects. */
  url?: string | undefined
  /** A client you connected and will close yourself. */
  client?: RedisClient | undefined
  /** Prefix of every key. Default `tokenrules:`. */
  prefix?: string | undefined
  /**
   * How long a command may take before it fails as unavailable (a `503 temporarily_unavailable`
   * at the endpoint), in milliseconds. Default 5000.
   */
  timeoutMs?: number | undefined
}

/**
 * The stores several token servers can share through Redis: attempt counters and refresh tokens.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, type TokenServerOptions } from '@tokenrules/oauth'
 * import { createRedisStores, type RedisStores } from '@tokenrules/oauth/redis'
 *
 * const redis: RedisStores = await createRedisStores({ url: process.env.REDIS_URL })
 * const shared = createMemoryStores() // users and keys: a shared database in production
 * const options: TokenServerOptions = {
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password, GRANT_TYPES.refreshToken], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'], allowOfflineAccess: true }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores: { ...shared, attempts: redis.attempts, refreshTokens: redis.refreshTokens },
 *   encryptionKey: randomBytes(32),
 * }
 * try {
 *   // Two servers behind a load balancer.
 *   await using one = await createTokenServer(options)
 *   await using two = await createTokenServer(options)
 *   await one.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 *   const token = async (server: typeof one, params: Record<string, string>) => {
 *     const body = new URLSearchParams({ client_id: 'mobile', ...params })
 *     const response = await server.handler(new Request('http://localhost/oauth/token', { method: 'POST', body }), { remoteAddress: '127.0.0.1' })
 *     return { status: response.status, body: (await response.json()) as { refresh_token: string; error?: string } }
 *   }
 *   const login = await token(one, { grant_type: 'password', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com', scope: 'offline_access' })
 *
 *   // Server two rotates the refresh token server one issued; replaying it on server one is refused.
 *   const refreshed = await token(two, { grant_type: 'refresh_token', refresh_token: login.body.refresh_token })
 *   assert.equal(refreshed.status, 200)
 *   const replay = await token(one, { grant_type: 'refresh_token', refresh_token: login.body.refresh_token })
 *   assert.deepEqual([replay.status, replay.body.error], [403, 'invalid_grant'])
 * } finally {
 *   await redis.close()
 * }
 * ```
 */
export interface RedisStores extends AsyncDisposable {
  /** Failed-login counters per (user, IP) and second-factor guess budgets, shared by every server. */
  attempts: AttemptStore
  /** Refresh tokens, rotated exactly once across every server. */
  refreshTokens: RefreshTokenStore
  /** The rules' ID token claims of unexpired access tokens (`GET /userinfo` on any server), expiring with the tokens. */
  userinfo: UserinfoStore
  /** Disconnects when the stores made the connection. */
  close(): Promise<void>
}

/**
 * Attempt counters and refresh tokens in Redis, for several token servers behind one load
 * balancer: a (user, IP) pair is blocked on every server at once, and a refresh token is rotated
 * exactly once across all of them (each check-and-set is one Lua script). Standalone or
 * Sentinel-managed Redis; keys of one refresh token family are not hash-tagged for Cluster.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { GRANT_TYPES, createMemoryStores, createTokenServer, type TokenServerOptions } from '@tokenrules/oauth'
 * import { createRedisStores } from '@tokenrules/oauth/redis'
 *
 * await using redis = await createRedisStores({ url: process.env.REDIS_URL })
 * const { users, mfa, keys } = createMemoryStores() // a shared database in production
 * const options: TokenServerOptions = {
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   bruteForce: { threshold: 2 },
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores: { users, mfa, keys, attempts: redis.attempts, refreshTokens: redis.refreshTokens },
 *   encryptionKey: randomBytes(32), // the same on every server
 * }
 * await using one = await createTokenServer(options)
 * await using two = await createTokenServer(options)
 * await one.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 *
 * const login = (server: typeof one, password: string) =>
 *   server.handler(
 *     new Request('http://localhost/oauth/token', {
 *       method: 'POST',
 *       body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password, audience: 'https://api.example.com' }),
 *     }),
 *     { remoteAddress: '203.0.113.7' },
 *   )
 * assert.equal((await login(one, 'guess-1')).status, 403)
 * assert.equal((await login(one, 'guess-2')).status, 403)
 * // The (user, IP) pair is blocked on every server, even with the right password.
 * const blocked = await login(two, 'correct horse battery staple')
 * assert.equal(blocked.status, 429)
 * assert.ok(Number(blocked.headers.get('retry-after')) > 0)
 * ```
 */
export async function createRedisStores(options: RedisStoresOptions): Promise<RedisStores> {
  const prefix = options.prefix ?? 'tokenrules:'
  const timeoutMs = options.timeoutMs ?? 5_000
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new TypeError('createRedisStores: `timeoutMs` must be a positive integer of milliseconds')
  let client = options.client
  let owned = false
  if (client === undefined) {
    if (options.url === undefined) throw new TypeError('createRedisStores: pass `url` or `client`')
    // Commands fail at once while the connection is down (a login answers 503 promptly) instead of
    // waiting in node-redis's offline queue until Redis is back, which would hang requests.
    client = createClient({ url: options.url, disableOfflineQueue: true })
    // Without a listener node-redis rethrows connection errors as uncaught exceptions.
    client.on('error', () => undefined)
    await client.connect()
    owned = true
  }
  const connected = client
  const close = async () => {
    if (owned && connected.isOpen) await connected.close()
  }
  // A slow Redis fails each command after timeoutMs; every outage rejects as StoreUnavailableError.
  const bounded = connected.withCommandOptions({ timeout: timeoutMs }) as unknown as RedisClient
  return {
    attempts: guardOutages(new RedisAttemptStore(bounded, prefix), 'Redis', isRedisOutage),
    refreshTokens: guardOutages(new RedisRefreshTokenStore(bounded, prefix), 'Redis', isRedisOutage),
    userinfo: guardOutages(new RedisUserinfoStore(bounded, prefix), 'Redis', isRedisOutage),
    close,
    [Symbol.asyncDispose]: close,
  }
}

const ATTEMPT = `
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local e = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
local now = tonumber(ARGV[1])
if e <= now then n = 0 end
if n >= tonumber(ARGV[3]) then return {1, n, tostring(e)} end
n = n + 1
local expires = tostring(now + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'n', n, 'e', expires)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return {0, n, expires}
`

const RESET_SUBJECT = `
local ips = redis.call('SMEMBERS', KEYS[1])
for _, ip in ipairs(ips) do redis.call('DEL', ARGV[1] .. ip) end
redis.call('DEL', KEYS[1])
return #ips
`

// The token bucket of guess-budget.ts, in one script: refill, then take or give back one guess.
// A budget that is full again is deleted; otherwise it expires when it would be full.
const GUESS = `
local now = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local refill = tonumber(ARGV[3])
local guesses = tonumber(redis.call('HGET', KEYS[1], 'g') or '-1')
local at = tonumber(redis.call('HGET', KEYS[1], 'a') or '0')
if guesses < 0 or guesses >= capacity then
  guesses = capacity
  at = now
else
  local gained = math.floor(math.max(0, now - at) / refill)
  guesses = math.min(capacity, guesses + gained)
  if guesses >= capacity then at = now else at = at + gained * refill end
end
local allowed = 0
if ARGV[4] == 'take' then
  if guesses >= 1 then
    guesses = guesses - 1
    allowed = 1
  end
else
  guesses = math.min(capacity, guesses + 1)
  if guesses >= capacity then at = now end
end
local ttl = at + (capacity - guesses) * refill - now
if ttl <= 0 then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[5])
else
  redis.call('HSET', KEYS[1], 'g', guesses, 'a', string.format('%.0f', at))
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', ttl))
  redis.call('SADD', KEYS[2], ARGV[5])
  if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], string.format('%.0f', ttl)) end
end
return {allowed, guesses, string.format('%.0f', at + refill)}
`

/**
 * Attempt counters in Redis: one hash per (subject, IP), and one set per subject naming its IPs;
 * guess budgets likewise, one hash per (subject, budget) and one set per subject naming its budgets.
 */
export class RedisAttemptStore implements AttemptStore {
  constructor(
    readonly client: RedisClient,
    readonly prefix: string,
  ) {}

  async attempt(key: AttemptKey, settings: { now: number; windowMs: number; threshold: number }): Promise<AttemptOutcome> {
    const reply = (await this.client.eval(ATTEMPT, {
      keys: [this.#pair(key), this.#index(key.subject)],
      arguments: [String(settings.now), String(Math.ceil(settings.windowMs)), String(settings.threshold), key.ip],
    })) as [number, number, string]
    return { blocked: reply[0] === 1, failures: Number(reply[1]), expiresAt: Number(reply[2]) }
  }
  async reset(key: AttemptKey) {
    await this.client.del(this.#pair(key))
    await this.client.sRem(this.#index(key.subject), key.ip)
  }
  async resetSubject(subject: string) {
    await this.client.eval(RESET_SUBJECT, { keys: [this.#index(subject)], arguments: [`${this.#index(subject)}:`] })
    await this.client.eval(RESET_SUBJECT, { keys: [this.#guessIndex(subject)], arguments: [`${this.#guessIndex(subject)}:`] })
  }
  async takeGuess(key: GuessKey, settings: GuessBudget & { now: number }): Promise<GuessOutcome> {
    const reply = await this.#guess(key, settings, 'take')
    return { allowed: reply[0] === 1, remaining: Number(reply[1]), nextAt: Number(reply[2]) }
  }
  async returnGuess(key: GuessKey, settings: GuessBudget & { now: number }) {
    await this.#guess(key, settings, 'return')
  }
  async #guess(key: GuessKey, settings: GuessBudget & { now: number }, change: 'take' | 'return') {
    return (await this.client.eval(GUESS, {
      keys: [`${this.#guessIndex(key.subject)}:${key.budget}`, this.#guessIndex(key.subject)],
      arguments: [String(settings.now), String(settings.capacity), String(Math.max(1, Math.ceil(settings.refillMs))), change, key.budget],
    })) as [number, number, string]
  }
  #index(subject: string) {
    // Hash-tagged on the subject, so one subject's keys share a Cluster slot.
    return `${this.prefix}attempts:{${Buffer.from(subject, 'utf8').toString('base64url')}}`
  }
  #guessIndex(subject: string) {
    return `${this.prefix}guesses:{${Buffer.from(subject, 'utf8').toString('base64url')}}`
  }
  #pair(key: AttemptKey) {
    return `${this.#index(key.subject)}:${key.ip}`
  }
}

const SAVE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'f', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`

const USE = `
local record = redis.call('HGET', KEYS[1], 'r')
if not record then return nil end
local family = redis.call('HGET', KEYS[1], 'f')
if redis.call('EXISTS', ARGV[2] .. family) == 1 then return {'revoked', record} end
if redis.call('HSETNX', KEYS[1], 'u', ARGV[1]) == 0 then return {'reused', record} end
return {'rotated', record}
`

const STATE = `
local family = redis.call('HGET', KEYS[1], 'f')
if not family then return nil end
if redis.call('EXISTS', ARGV[1] .. family) == 1 then return 'revoked' end
if redis.call('HEXISTS', KEYS[1], 'u') == 1 then return 'used' end
return 'active'
`

const REVOKE = `
local ttl = redis.call('PTTL', KEYS[2])
if ttl < 1 then ttl = 86400000 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
return ttl
`

/** Refresh tokens in Redis: a hash per token (expiring with its family), a revocation marker per family. */
export class RedisRefreshTokenStore implements RefreshTokenStore {
  constructor(
    readonly client: RedisClient,
    readonly prefix: string,
  ) {}

  async save(record: RefreshTokenRecord) {
    const ttl = Math.max(1, record.expiresAt - record.createdAt)
    const saved = await this.client.eval(SAVE, {
      keys: [this.#token(record.id), this.#members(record.familyId)],
      arguments: [JSON.stringify(record), record.familyId, String(ttl), record.id],
    })
    if (saved === 0) throw new StoreConflictError('duplicate_refresh_token', 'A refresh token with this id is stored.')
  }
  async get(id: string) {
    const text = await this.client.hGet(this.#token(id), 'r')
    return text === null || text === undefined ? undefined : (JSON.parse(text) as RefreshTokenRecord)
  }
  async state(id: string) {
    const reply = (await this.client.eval(STATE, { keys: [this.#token(id)], arguments: [`${this.prefix}rt-revoked:`] })) as 'active' | 'used' | 'revoked' | null
    return reply ?? undefined
  }
  async use(id: string, at: number): Promise<RefreshTokenUse | undefined> {
    const reply = (await this.client.eval(USE, { keys: [this.#token(id)], arguments: [String(at), `${this.prefix}rt-revoked:`] })) as
      [RefreshTokenUse['outcome'], string] | null
    if (reply === null) return undefined
    return { outcome: reply[0], record: JSON.parse(reply[1]) as RefreshTokenRecord }
  }
  async revokeFamily(familyId: string, at: number) {
    await this.client.eval(REVOKE, { keys: [`${this.prefix}rt-revoked:${familyId}`, this.#members(familyId)], arguments: [String(at)] })
  }
  #token(id: string) {
    return `${this.prefix}rt:${id}`
  }
  #members(familyId: string) {
    return `${this.prefix}rt-family:${familyId}`
  }
}

/** Userinfo records in Redis: one string per access token, expiring with it. */
export class RedisUserinfoStore implements UserinfoStore {
  constructor(
    readonly client: RedisClient,
    readonly prefix: string,
  ) {}

  async save(record: UserinfoRecord, now: number) {
    const ttl = record.expiresAt - now
    if (ttl <= 0) return
    await this.client.set(this.#key(record.jti), JSON.stringify(record), { expiration: { type: 'PX', value: ttl } })
  }
  async get(jti: string, now: number) {
    const text = await this.client.get(this.#key(jti))
    if (text === null || text === undefined) return undefined
    const record = JSON.parse(text) as UserinfoRecord
    // The server's clock decides, not only Redis's: a record is never answered past its expiry.
    return record.expiresAt > now ? record : undefined
  }
  #key(jti: string) {
    return `${this.prefix}userinfo:${jti}`
  }
}
