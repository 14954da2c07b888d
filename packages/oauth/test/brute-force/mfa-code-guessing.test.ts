// Issue 14, class 8: MFA code guessing. A correct password reset the (user, IP) attempt counter
// before the MFA step, so whoever had the password got unlimited one-time-code guesses. Wrong
// codes now spend guess budgets of their own (per user and factor, per mfa_token) that no
// password login refills: Auth0's 10 wrong codes, then one more every 6 minutes.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GRANT_TYPES, createMemoryStores } from '@tokenrules/oauth'
import { createRedisStores } from '@tokenrules/oauth/redis'
import { createSqliteStores } from '@tokenrules/oauth/sqlite'
import { startRedisServer, type RunningRedis } from '../setup/redis-server.js'
import { ALICE, CLIENT_ID, CLIENT_SECRET, rule, startServer, totpCode, type TestServer, type TestServerOptions } from '../helpers.js'

const requireMfa = rule('require-mfa', "context.multifactor = { provider: 'any' }; callback(null, user, context);")
const LOCKED = { error: 'too_many_attempts', error_description: 'Too many failed codes. Wait for some minutes before retrying.' }
const TOKEN_SPENT = { error: 'too_many_attempts', error_description: 'Too many failed codes for this mfa_token; log in again.' }
const WRONG_OTP = { error: 'invalid_grant', error_description: 'Invalid otp_code.' }
const WRONG_RECOVERY_CODE = { error: 'invalid_grant', error_description: 'Invalid recovery_code.' }

/** A password login that stops at the second factor: its mfa_token. */
async function mfaToken(t: TestServer, ip?: string): Promise<string> {
  const answer = await t.login(ALICE, 'Employees', {}, ip)
  expect(answer.body.error).toBe('mfa_required')
  return answer.body.mfa_token as string
}

/** Alice enrolled and confirmed (her first code spent); returns the TOTP secret and the recovery codes. */
async function enroll(t: TestServer): Promise<{ secret: string; recoveryCodes: string[] }> {
  const token = await mfaToken(t)
  const { body } = await t.post(
    '/mfa/associate',
    { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, authenticator_types: ['otp'] },
    { json: true, headers: { authorization: `Bearer ${token}` } },
  )
  expect((await otp(t, token, totpCode(body.secret, t.clock.now))).status).toBe(200)
  t.clock.advance(30_000)
  return { secret: body.secret, recoveryCodes: body.recovery_codes }
}

const otp = (t: TestServer, token: string, code: string, ip?: string) =>
  t.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: token, otp: code }, ip === undefined ? {} : { ip })
const recovery = (t: TestServer, token: string, code: string) => t.token({ grant_type: GRANT_TYPES.mfaRecoveryCode, mfa_token: token, recovery_code: code })

/** A six-digit code that is not the current one (nor the one before or after). */
function wrongCode(secret: string, now: number): string {
  const valid = new Set([-30_000, 0, 30_000].map((drift) => totpCode(secret, now + drift)))
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0')
    if (!valid.has(code)) return code
  }
}

/** `count` wrong codes, each on a fresh password login (a new mfa_token), one after the other. */
async function wrongCodesAcrossLogins(t: TestServer, secret: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) expect((await otp(t, await mfaToken(t), wrongCode(secret, t.clock.now))).body).toEqual(WRONG_OTP)
}

async function mfaServer(options: TestServerOptions = {}): Promise<TestServer> {
  return startServer({ rules: [requireMfa], ...options })
}

describe('MFA code guessing (issue 14, class 8)', () => {
  it('locks the factor after 10 wrong codes spread over 10 password logins: the right code gets 429 and Retry-After 360', async () => {
    await using t = await mfaServer()
    const { secret } = await enroll(t)
    await wrongCodesAcrossLogins(t, secret, 10)
    // Each of those logins had the right password: none of them gave a guess back.
    const token = await mfaToken(t)
    const locked = await otp(t, token, totpCode(secret, t.clock.now))
    expect(locked.status).toBe(429)
    expect(locked.body).toEqual(LOCKED)
    expect(locked.headers.get('retry-after')).toBe('360')
  })

  it('checks at most 5 codes of 50 sent at once on one mfa_token, and the user budget holds across new mfa_tokens', async () => {
    await using t = await mfaServer()
    const { secret } = await enroll(t)
    const token = await mfaToken(t)
    const code = wrongCode(secret, t.clock.now)
    const answers = await Promise.all(Array.from({ length: 50 }, () => otp(t, token, code)))
    expect(answers.filter((a) => a.status === 403).map((a) => a.body)).toEqual(Array(5).fill(WRONG_OTP))
    expect(answers.filter((a) => a.status === 429).map((a) => a.body)).toEqual(Array(45).fill(TOKEN_SPENT))
    // The spent mfa_token stays refused, even with the right code.
    expect((await otp(t, token, totpCode(secret, t.clock.now))).body).toEqual(TOKEN_SPENT)
    // Fresh logins: the user has 5 of 10 wrong codes left, then the factor locks.
    await wrongCodesAcrossLogins(t, secret, 5)
    expect((await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))).body).toEqual(LOCKED)
  })

  it('checks at most 10 codes of 50 sent at once on 50 fresh mfa_tokens', async () => {
    await using t = await mfaServer()
    const { secret } = await enroll(t)
    const tokens: string[] = []
    for (let i = 0; i < 50; i++) tokens.push(await mfaToken(t))
    const code = wrongCode(secret, t.clock.now)
    const answers = await Promise.all(tokens.map((token) => otp(t, token, code)))
    expect(answers.filter((a) => a.status === 403)).toHaveLength(10)
    expect(answers.filter((a) => a.status === 429).map((a) => a.body)).toEqual(Array(40).fill(LOCKED))
  })

  it('counts wrong codes from every IP address together (the budget is the user, not the user and IP)', async () => {
    await using t = await mfaServer()
    const { secret } = await enroll(t)
    for (let i = 0; i < 10; i++) {
      const ip = `203.0.113.${i + 1}`
      expect((await otp(t, await mfaToken(t, ip), wrongCode(secret, t.clock.now), ip)).body).toEqual(WRONG_OTP)
    }
    expect((await otp(t, await mfaToken(t, '192.0.2.200'), totpCode(secret, t.clock.now), '192.0.2.200')).body).toEqual(LOCKED)
  })

  it('gives one attempt back every 6 minutes once locked, and a wrong one locks again', async () => {
    await using t = await mfaServer()
    const { secret } = await enroll(t)
    await wrongCodesAcrossLogins(t, secret, 10)
    t.clock.advance(359_000)
    const still = await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))
    expect(still.body).toEqual(LOCKED)
    expect(still.headers.get('retry-after')).toBe('1')
    t.clock.advance(1_000)
    await wrongCodesAcrossLogins(t, secret, 1)
    expect((await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))).body).toEqual(LOCKED)
    t.clock.advance(360_000)
    expect((await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))).status).toBe(200)
  })

  it('does not refill the budget on a right code: it only gives back the guess that code spent', async () => {
    await using t = await mfaServer()
    const { secret } = await enroll(t)
    await wrongCodesAcrossLogins(t, secret, 9)
    expect((await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))).status).toBe(200)
    t.clock.advance(30_000)
    await wrongCodesAcrossLogins(t, secret, 1)
    expect((await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))).body).toEqual(LOCKED)
  })

  it('counts wrong recovery codes on a budget of their own, under the same per-mfa_token limit', async () => {
    await using t = await mfaServer()
    const { secret, recoveryCodes } = await enroll(t)
    const wrong = 'ABCDEFGHJKLMNPQRSTUVWXYZ'
    for (let i = 0; i < 10; i++) expect((await recovery(t, await mfaToken(t), wrong)).body).toEqual(WRONG_RECOVERY_CODE)
    expect((await recovery(t, await mfaToken(t), recoveryCodes[0] as string)).body).toEqual(LOCKED)
    // The one-time-code factor is not locked by them.
    expect((await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))).status).toBe(200)
    t.clock.advance(3_600_000)
    // One mfa_token carries at most 5 wrong codes, one-time and recovery codes together.
    const token = await mfaToken(t)
    for (let i = 0; i < 3; i++) expect((await otp(t, token, wrongCode(secret, t.clock.now))).body).toEqual(WRONG_OTP)
    for (let i = 0; i < 2; i++) expect((await recovery(t, token, wrong)).body).toEqual(WRONG_RECOVERY_CODE)
    expect((await recovery(t, token, recoveryCodes[0] as string)).body).toEqual(TOKEN_SPENT)
  })

  it('lets an operator lift the lock (unblock, or a new password), and honours the configured budget', async () => {
    await using t = await mfaServer({ mfa: { codeAttempts: 3, codeRefillSeconds: 60, codeAttemptsPerMfaToken: 2 } })
    const { secret } = await enroll(t)
    const token = await mfaToken(t)
    for (let i = 0; i < 2; i++) expect((await otp(t, token, wrongCode(secret, t.clock.now))).body).toEqual(WRONG_OTP)
    expect((await otp(t, token, wrongCode(secret, t.clock.now))).body).toEqual(TOKEN_SPENT)
    await wrongCodesAcrossLogins(t, secret, 1)
    const locked = await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))
    expect([locked.body, locked.headers.get('retry-after')]).toEqual([LOCKED, '60'])
    await t.server.users.unblock(t.aliceId, '198.51.100.7') // one IP's password block: not the factor
    expect((await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))).body).toEqual(LOCKED)
    await t.server.users.unblock(t.aliceId)
    expect((await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))).status).toBe(200)
    t.clock.advance(30_000)
    await wrongCodesAcrossLogins(t, secret, 3)
    expect((await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))).body).toEqual(LOCKED)
    await t.server.users.setPassword(t.aliceId, ALICE.password)
    expect((await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))).status).toBe(200)
  })

  it('refuses budget options out of range with a configuration error', async () => {
    for (const mfa of [{ codeAttempts: 0 }, { codeRefillSeconds: -1 }, { codeAttemptsPerMfaToken: 1.5 }, { codeAttempts: 101 }]) {
      await expect(startServer({ mfa })).rejects.toThrow(/mfa\.code/)
    }
  })
})

describe('MFA code guessing: the lock lives in Redis, for every server (issue 14, class 8)', () => {
  let redis: RunningRedis
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it('locks the factor on every server that shares Redis, even against 50 parallel guesses spread over two servers', async () => {
    await using shared = await createRedisStores({ url: redis.url, prefix: `mfa-guessing-${randomBytes(4).toString('hex')}:` })
    const { users, mfa, keys } = createMemoryStores()
    const options = { rules: [requireMfa], stores: { users, mfa, keys, attempts: shared.attempts }, encryptionKey: randomBytes(32) }
    await using one = await startServer(options)
    await using two = await startServer(options)
    const alice = await one.server.users.create({ directory: 'Employees', ...ALICE })
    one.aliceId = alice.user_id
    two.clock.now = one.clock.now
    const { secret } = await enroll(one)
    two.clock.now = one.clock.now
    const tokens: { server: TestServer; token: string }[] = []
    for (let i = 0; i < 50; i++) {
      const server = i % 2 === 0 ? one : two
      tokens.push({ server, token: await mfaToken(server) })
    }
    const code = wrongCode(secret, one.clock.now)
    const answers = await Promise.all(tokens.map(({ server, token }) => otp(server, token, code)))
    expect(answers.filter((a) => a.status === 403)).toHaveLength(10)
    expect(answers.filter((a) => a.status === 429)).toHaveLength(40)
    // From another IP (the 10 wrong codes also blocked the (user, IP) pair's password logins), on either server.
    const ip = '192.0.2.200'
    expect((await otp(two, await mfaToken(two, ip), totpCode(secret, two.clock.now), ip)).body).toEqual(LOCKED)
    expect((await otp(one, await mfaToken(one, ip), totpCode(secret, one.clock.now), ip)).body).toEqual(LOCKED)
  })

  it('sets each budget to expire when it would be full, and deletes a budget that is full again', async () => {
    const prefix = `mfa-ttl-${randomBytes(4).toString('hex')}:`
    await using stores = await createRedisStores({ url: redis.url, prefix })
    const { createClient } = await import('@redis/client')
    const client = createClient({ url: redis.url })
    await client.connect()
    try {
      const key = { subject: 'auth0|ttl', budget: 'otp' }
      const settings = { now: Date.now(), capacity: 10, refillMs: 360_000 }
      for (let i = 0; i < 3; i++) await stores.attempts.takeGuess(key, settings)
      const budgets = await client.keys(`${prefix}guesses:*`)
      expect(budgets).toHaveLength(2) // the budget and the subject's list of budgets
      for (const name of budgets) {
        const ttl = await client.pTTL(name)
        expect(ttl).toBeGreaterThan(2 * 360_000)
        expect(ttl).toBeLessThanOrEqual(3 * 360_000)
      }
      for (let i = 0; i < 3; i++) await stores.attempts.returnGuess(key, settings)
      expect(await client.keys(`${prefix}guesses:*:otp`)).toEqual([])
      expect((await stores.attempts.takeGuess(key, settings)).remaining).toBe(9)
    } finally {
      await client.close()
    }
  })
})

describe('MFA code guessing: SQLite keeps the lock across a restart (issue 14, class 8)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tokenrules-mfa-guessing-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  const encryptionKey = randomBytes(32)

  it('keeps a locked factor locked after the server and the database are reopened', async () => {
    const path = join(root, 'restart', 'tokenrules.db')
    let secret = ''
    let aliceId = ''
    {
      using stores = createSqliteStores({ path })
      await using t = await mfaServer({ stores, encryptionKey })
      aliceId = (await t.server.users.create({ directory: 'Employees', ...ALICE })).user_id
      t.aliceId = aliceId
      secret = (await enroll(t)).secret
      await wrongCodesAcrossLogins(t, secret, 10)
    }
    using stores = createSqliteStores({ path })
    await using t = await mfaServer({ stores, encryptionKey })
    t.aliceId = aliceId
    t.clock.advance(30_000)
    expect((await otp(t, await mfaToken(t), totpCode(secret, t.clock.now))).body).toEqual(LOCKED)
  })

  it('migrates a database of schema version 1 to the latest, keeping its data and adding the guess budgets', async () => {
    const path = join(root, 'v1', 'tokenrules.db')
    {
      using stores = createSqliteStores({ path })
      await stores.users.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
    }
    // Make the file what version 1 left: no guesses table nor anything later schemas add, user_version 1.
    const db = new Database(path)
    const latest = db.pragma('user_version', { simple: true }) as number
    const SCHEMA_1_TABLES = new Set([
      'directories',
      'users',
      'refresh_tokens',
      'refresh_families',
      'mfa_transactions',
      'mfa_enrollments',
      'attempts',
      'signing_keys',
    ])
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]) {
      if (!SCHEMA_1_TABLES.has(name)) db.exec(`DROP TABLE ${name}`)
    }
    db.exec('ALTER TABLE users DROP COLUMN linked')
    db.pragma('user_version = 1')
    db.close()
    using stores = createSqliteStores({ path })
    expect((await stores.users.listDirectories()).map((d) => d.name)).toEqual(['Employees'])
    const settings = { now: Date.now(), capacity: 1, refillMs: 60_000 }
    expect((await stores.attempts.takeGuess({ subject: 'auth0|1', budget: 'otp' }, settings)).allowed).toBe(true)
    expect((await stores.attempts.takeGuess({ subject: 'auth0|1', budget: 'otp' }, settings)).allowed).toBe(false)
    const reopened = new Database(path, { readonly: true })
    expect(reopened.pragma('user_version', { simple: true })).toBe(latest)
    reopened.close()
  })
})
