import { describe, expect, it } from 'vitest'
import { GRANT_TYPES, hashSecret } from '@tokenrules/oauth'
import {
  ALICE,
  ALL_GRANTS,
  API,
  BOB,
  CLIENT_ID,
  CLIENT_SECRET,
  SOCKET_IP,
  TEST_SCRYPT_COST,
  expectNoStore,
  rule,
  startServer,
  type TestServer,
} from '../helpers.js'

const WRONG = { ...ALICE, password: 'wrong password' }
const TOO_MANY = { error: 'too_many_attempts', error_description: 'Too many failed attempts for this user from this IP address; try again later.' }

async function fail(t: TestServer, times: number, ip?: string, user = WRONG): Promise<void> {
  for (let i = 0; i < times; i++) expect((await t.login(user, 'Employees', {}, ip)).status).toBe(403)
}

describe('brute-force protection per (user, IP)', () => {
  it('blocks the right password after 10 failures with 429 too_many_attempts and Retry-After', async () => {
    await using t = await startServer()
    await fail(t, 10)
    const answer = await t.login(ALICE, 'Employees')
    expect(answer.status).toBe(429)
    expectNoStore(answer.headers)
    expect(answer.headers.get('retry-after')).toBe('900')
    expect(answer.body).toEqual(TOO_MANY)
  })

  it('blocks wrong passwords too once the threshold is reached', async () => {
    await using t = await startServer()
    await fail(t, 10)
    expect((await t.login(WRONG, 'Employees')).body).toEqual(TOO_MANY)
  })

  it('lets the 10th attempt through and resets the count on success', async () => {
    await using t = await startServer()
    await fail(t, 9)
    expect((await t.login(ALICE, 'Employees')).status).toBe(200)
    await fail(t, 9)
    expect((await t.login(ALICE, 'Employees')).status).toBe(200)
  })

  it('blocks only the pair: the same user from another IP, and another user from the same IP, still log in', async () => {
    await using t = await startServer()
    await fail(t, 10)
    expect((await t.login(ALICE, 'Employees', {}, '192.0.2.99')).status).toBe(200)
    expect((await t.login(BOB, 'Customers')).status).toBe(200)
  })

  it('lifts the block when it expires (default 15 minutes after the last failure)', async () => {
    await using t = await startServer()
    await fail(t, 10)
    t.clock.advance(900_000 - 1000)
    const still = await t.login(ALICE, 'Employees')
    expect(still.status).toBe(429)
    expect(still.headers.get('retry-after')).toBe('1')
    t.clock.advance(1000)
    expect((await t.login(ALICE, 'Employees')).status).toBe(200)
  })

  it('uses the configured threshold and block duration', async () => {
    await using t = await startServer({ bruteForce: { threshold: 3, blockSeconds: 60 } })
    await fail(t, 3)
    const blocked = await t.login(ALICE, 'Employees')
    expect(blocked.status).toBe(429)
    expect(blocked.headers.get('retry-after')).toBe('60')
    t.clock.advance(60_000)
    expect((await t.login(ALICE, 'Employees')).status).toBe(200)
  })

  it('lets an operator unblock every IP of a user', async () => {
    await using t = await startServer()
    await fail(t, 10)
    await t.server.users.unblock(t.aliceId)
    expect((await t.login(ALICE, 'Employees')).status).toBe(200)
  })

  it('lets an operator unblock one IP of a user', async () => {
    await using t = await startServer()
    await fail(t, 10)
    await fail(t, 10, '192.0.2.1')
    await t.server.users.unblock(t.aliceId, `::ffff:${SOCKET_IP}`)
    expect((await t.login(ALICE, 'Employees')).status).toBe(200)
    expect((await t.login(ALICE, 'Employees', {}, '192.0.2.1')).status).toBe(429)
  })

  it('lifts every block of the user when the password changes', async () => {
    await using t = await startServer()
    await fail(t, 10)
    await t.server.users.setPassword(t.aliceId, 'a brand new password')
    expect((await t.login({ ...ALICE, password: 'a brand new password' }, 'Employees')).status).toBe(200)
    expect((await t.login(ALICE, 'Employees')).status).toBe(403)
  })

  it('counts unknown users the same way, so a 429 does not reveal who exists', async () => {
    await using t = await startServer()
    const ghost = { email: 'ghost@example.com', password: 'x' }
    await fail(t, 10, undefined, ghost)
    expect((await t.login(ghost, 'Employees')).body).toEqual(TOO_MANY)
  })

  it('lets no more than the threshold of parallel guesses be checked', async () => {
    await using t = await startServer()
    const answers = await Promise.all(Array.from({ length: 25 }, () => t.login(WRONG, 'Employees')))
    expect(answers.filter((a) => a.status === 403)).toHaveLength(10)
    expect(answers.filter((a) => a.status === 429)).toHaveLength(15)
  })
})

describe('auth0-forwarded-for (docs/behaviour.md#the-context-object)', () => {
  const ipRule = rule('ip', "context.accessToken['https://example.com/ip'] = context.request.ip; callback(null, user, context);")
  const clients = async () => [
    { clientId: CLIENT_ID, secretHash: await hashSecret(CLIENT_SECRET, { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS, trustForwardedFor: true },
    { clientId: 'untrusted', secretHash: await hashSecret('untrusted-secret', { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS },
    { clientId: 'spa', grants: [GRANT_TYPES.passwordRealm], allowPublic: true, trustForwardedFor: true },
  ]
  const realmLogin = (user: { email: string; password: string }) => ({
    grant_type: GRANT_TYPES.passwordRealm,
    username: user.email,
    password: user.password,
    realm: 'Employees',
    audience: API,
  })

  it("shows rules the header's IP for a trusted client that authenticated", async () => {
    await using t = await startServer({ rules: [ipRule], clients: await clients() })
    const answer = await t.token(realmLogin(ALICE), { headers: { 'auth0-forwarded-for': '203.0.113.50' } })
    expect((await t.verify(answer.body.access_token)).payload['https://example.com/ip']).toBe('203.0.113.50')
  })

  it('counts failures against the end user IP of a trusted client', async () => {
    await using t = await startServer({ clients: await clients() })
    for (let i = 0; i < 10; i++) await t.token(realmLogin(WRONG), { headers: { 'auth0-forwarded-for': '203.0.113.50' } })
    expect((await t.token(realmLogin(ALICE), { headers: { 'auth0-forwarded-for': '203.0.113.50' } })).status).toBe(429)
    expect((await t.token(realmLogin(ALICE), { headers: { 'auth0-forwarded-for': '203.0.113.51' } })).status).toBe(200)
  })

  it("ignores the header of a client that is not trusted: the socket's IP is counted and shown", async () => {
    await using t = await startServer({ rules: [ipRule], clients: await clients() })
    const headers = { 'auth0-forwarded-for': '203.0.113.50' }
    const answer = await t.post('/oauth/token', { ...realmLogin(ALICE), client_id: 'untrusted', client_secret: 'untrusted-secret' }, { headers })
    expect((await t.verify(answer.body.access_token)).payload['https://example.com/ip']).toBe(SOCKET_IP)
    for (let i = 0; i < 10; i++) {
      await t.post(
        '/oauth/token',
        { ...realmLogin(WRONG), client_id: 'untrusted', client_secret: 'untrusted-secret' },
        { headers: { 'auth0-forwarded-for': `203.0.113.${i}` } },
      )
    }
    expect((await t.post('/oauth/token', { ...realmLogin(ALICE), client_id: 'untrusted', client_secret: 'untrusted-secret' })).status).toBe(429)
  })

  it('ignores the header of a public client even when configured to trust it', async () => {
    await using t = await startServer({ rules: [ipRule], clients: await clients() })
    const answer = await t.post('/oauth/token', { ...realmLogin(ALICE), client_id: 'spa' }, { headers: { 'auth0-forwarded-for': '203.0.113.50' } })
    expect((await t.verify(answer.body.access_token)).payload['https://example.com/ip']).toBe(SOCKET_IP)
  })

  it('refuses a trusted client whose header is not an IP address', async () => {
    await using t = await startServer({ clients: await clients() })
    const answer = await t.token(realmLogin(ALICE), { headers: { 'auth0-forwarded-for': '203.0.113.50, 10.0.0.1' } })
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'The auth0-forwarded-for header must be one IP address.' })
  })
})
