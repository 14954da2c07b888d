import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { GRANT_TYPES } from '@tokenrules/oauth'
import { createSqliteStores, type SqliteStores } from '@tokenrules/oauth/sqlite'
import { describeStoreContract } from '@tokenrules/oauth/testing'
import { ALICE, CLIENT_ID, CLIENT_SECRET, rule, startServer, totpCode, type TestServer } from '../helpers.js'

const root = mkdtempSync(join(tmpdir(), 'tokenrules-sqlite-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const fresh = async () => {
  const stores = createSqliteStores({ path: join(root, `contract-${n++}`, 'tokenrules.db') })
  return stores
}

/** Each kind of store on a database file of its own. */
const on =
  <K extends keyof SqliteStores>(kind: K) =>
  async () => {
    const stores = await fresh()
    return { store: stores[kind], dispose: () => stores.close() }
  }

describeStoreContract('SQLite stores: the contract', {
  users: on('users'),
  refreshTokens: on('refreshTokens'),
  mfa: on('mfa'),
  attempts: on('attempts'),
  keys: on('keys'),
  userinfo: on('userinfo'),
})

const encryptionKey = 'qjD0Yq8mQ1oM2Zt9l5cT4h3bW7xN6eR1uI0oP9aS8dF' // 32 bytes, base64url

const requireMfa = rule('mfa', "if (user.app_metadata.mfa) context.multifactor = { provider: 'any' }; callback(null, user, context);")

/** A token server on the SQLite file at `path`; seeds alice the first time. */
async function serverOn(path: string): Promise<{ t: TestServer; stores: SqliteStores }> {
  const stores = createSqliteStores({ path })
  const t = await startServer({ stores, encryptionKey, rules: [requireMfa] })
  const existing = await stores.users.findUser('Employees', ALICE.email)
  t.aliceId = existing?.profile.user_id ?? (await t.server.users.create({ directory: 'Employees', ...ALICE, email_verified: true })).user_id
  return { t, stores }
}

async function stop({ t, stores }: { t: TestServer; stores: SqliteStores }): Promise<void> {
  await t.server.close()
  stores.close()
}

describe('SQLite stores: a restart keeps everything', () => {
  it('creates the database file and its folder', async () => {
    const path = join(root, 'new', 'nested', 'tokenrules.db')
    const running = await serverOn(path)
    await stop(running)
    expect(statSync(path).size).toBeGreaterThan(0)
  })

  it('keeps users, signing keys, refresh tokens and attempt counts across a restart', async () => {
    const path = join(root, 'restart', 'tokenrules.db')
    const before = await serverOn(path)
    const login = await before.t.login(ALICE, 'Employees', { scope: 'offline_access read:messages' })
    expect(login.status).toBe(200)
    const jwksBefore = before.t.server.keys.jwks()
    for (let i = 0; i < 4; i++) expect((await before.t.login({ ...ALICE, password: 'wrong' }, 'Employees')).status).toBe(403)
    await stop(before)

    const after = await serverOn(path)
    try {
      expect(after.t.server.keys.jwks()).toEqual(jwksBefore)
      expect((await after.t.verify(login.body.access_token)).payload.sub).toBe(after.t.aliceId)
      const refreshed = await after.t.token({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token })
      expect(refreshed.status).toBe(200)
      const replay = await after.t.token({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token })
      expect(replay.body).toEqual({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' })
      for (let i = 0; i < 6; i++) expect((await after.t.login({ ...ALICE, password: 'wrong' }, 'Employees')).status).toBe(403)
      expect((await after.t.login(ALICE, 'Employees')).status).toBe(429)
      const alice = await after.stores.users.getUser(after.t.aliceId)
      expect(alice?.profile.logins_count).toBe(1)
    } finally {
      await stop(after)
    }
  })

  it('keeps an MFA enrollment across a restart (secret sealed in the file)', async () => {
    const path = join(root, 'mfa', 'tokenrules.db')
    const before = await serverOn(path)
    await before.stores.users.updateAppMetadata(before.t.aliceId, { mfa: true }, Date.now())
    const first = await before.t.login(ALICE, 'Employees')
    const enrollment = await before.t.post(
      '/mfa/associate',
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, authenticator_types: ['otp'] },
      { json: true, headers: { authorization: `Bearer ${first.body.mfa_token}` } },
    )
    const secret = enrollment.body.secret as string
    expect((await before.t.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: first.body.mfa_token, otp: totpCode(secret, before.t.clock.now) })).status).toBe(
      200,
    )
    await stop(before)

    const after = await serverOn(path)
    try {
      after.t.clock.advance(60_000)
      const second = await after.t.login(ALICE, 'Employees')
      expect(second.body.error).toBe('mfa_required')
      const answer = await after.t.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: second.body.mfa_token, otp: totpCode(secret, after.t.clock.now) })
      expect(answer.status).toBe(200)
    } finally {
      await stop(after)
    }
  })

  it('purges expired MFA transactions, refresh tokens and attempt counts', async () => {
    const stores = await fresh()
    try {
      const now = Date.UTC(2026, 0, 1)
      await stores.mfa.saveTransaction({ id: 'm', clientId: 'c', userId: 'u', expiresAt: now - 1, issuance: {} })
      await stores.attempts.attempt({ subject: 'u', ip: '192.0.2.1' }, { now: now - 120_000, windowMs: 60_000, threshold: 10 })
      await stores.attempts.attempt({ subject: 'u', ip: '192.0.2.2' }, { now, windowMs: 60_000, threshold: 10 })
      expect(stores.purgeExpired(now)).toBe(2)
      expect(await stores.mfa.getTransaction('m')).toBeUndefined()
    } finally {
      stores.close()
    }
  })
})
