import { describe, expect, it } from 'vitest'
import { createTokenServer, hashSecret } from '@tokenrules/oauth'
import { ALICE, ALL_GRANTS, API, CLIENT_ID, CLIENT_SECRET, ISSUER, TEST_SCRYPT_COST, startServer, type TestServer } from '../helpers.js'

async function offlineLogin(t: TestServer): Promise<string> {
  const answer = await t.login(ALICE, 'Employees', { scope: 'openid offline_access' })
  expect(answer.status).toBe(200)
  return answer.body.refresh_token as string
}

function refresh(t: TestServer, refreshToken: string) {
  return t.token({ grant_type: 'refresh_token', refresh_token: refreshToken })
}

describe('POST /oauth/revoke (RFC 7009, as Auth0 serves it)', () => {
  it('revokes a refresh token: 200 with an empty body, and the token no longer refreshes', async () => {
    await using t = await startServer()
    const token = await offlineLogin(t)
    const answer = await t.post('/oauth/revoke', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token })
    expect(answer).toMatchObject({ status: 200, body: undefined })
    expect(answer.headers.get('cache-control')).toBe('no-store')
    const after = await refresh(t, token)
    expect(after.status).toBe(403)
    expect(after.body).toEqual({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' })
  })

  it('revokes the whole family: the token rotated from the revoked one is dead too', async () => {
    await using t = await startServer()
    const first = await offlineLogin(t)
    const rotated = await refresh(t, first)
    expect(rotated.status).toBe(200)
    const second = rotated.body.refresh_token as string
    expect((await t.post('/oauth/revoke', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token: first })).status).toBe(200)
    expect((await refresh(t, second)).status).toBe(403)
  })

  it('leaves other logins of the same user alone', async () => {
    await using t = await startServer()
    const revoked = await offlineLogin(t)
    const other = await offlineLogin(t)
    await t.post('/oauth/revoke', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token: revoked })
    expect((await refresh(t, other)).status).toBe(200)
  })

  it('answers 200 for an unknown or already revoked token, so that nothing is learnt from it', async () => {
    await using t = await startServer()
    const unknown = await t.post('/oauth/revoke', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token: 'x'.repeat(43) })
    expect(unknown).toMatchObject({ status: 200, body: undefined })
    const token = await offlineLogin(t)
    await t.post('/oauth/revoke', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token })
    expect((await t.post('/oauth/revoke', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token })).status).toBe(200)
  })

  it('authenticates the client like the token endpoint, with HTTP Basic too', async () => {
    await using t = await startServer()
    const token = await offlineLogin(t)
    const wrong = await t.post('/oauth/revoke', { client_id: CLIENT_ID, client_secret: 'wrong', token })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error).toBe('invalid_client')
    expect((await refresh(t, token)).status).toBe(200)
    const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`
    const next = await offlineLogin(t)
    expect((await t.post('/oauth/revoke', { token: next }, { headers: { authorization: basic } })).status).toBe(200)
    expect((await refresh(t, next)).status).toBe(403)
  })

  it('refuses a refresh token issued to another client, and it stays valid', async () => {
    // Two clients of one server.
    await using both = await createTokenServer({
      issuer: ISSUER,
      engine: { rules: [], concurrency: 1 },
      clients: [
        { clientId: CLIENT_ID, secretHash: await hashSecret(CLIENT_SECRET, { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS },
        { clientId: 'other', secretHash: await hashSecret('other-secret', { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS },
      ],
      apis: [{ identifier: API, scopes: ['read:messages'], allowOfflineAccess: true }],
      directories: [{ name: 'Employees' }],
      passwords: { scryptCost: TEST_SCRYPT_COST },
    })
    await both.users.create({ directory: 'Employees', ...ALICE })
    const login = await both.handler(
      new Request('http://localhost/oauth/token', {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          username: ALICE.email,
          password: ALICE.password,
          audience: API,
          scope: 'offline_access',
        }),
      }),
    )
    const mine = ((await login.json()) as { refresh_token: string }).refresh_token
    const revokeAsOther = await both.handler(
      new Request('http://localhost/oauth/revoke', {
        method: 'POST',
        body: new URLSearchParams({ client_id: 'other', client_secret: 'other-secret', token: mine }),
      }),
    )
    expect(revokeAsOther.status).toBe(400)
    expect(await revokeAsOther.json()).toEqual({ error: 'invalid_grant', error_description: 'The refresh token was not issued to this client.' })
    const still = await both.handler(
      new Request('http://localhost/oauth/token', {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: mine }),
      }),
    )
    expect(still.status).toBe(200)
  })

  it('answers a missing token with invalid_request, an access token hint with unsupported_token_type, and GET with 405', async () => {
    await using t = await startServer()
    const missing = await t.post('/oauth/revoke', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET })
    expect([missing.status, missing.body]).toEqual([400, { error: 'invalid_request', error_description: 'Missing required parameter: token' }])
    const hint = await t.post('/oauth/revoke', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token: 'abc', token_type_hint: 'access_token' })
    expect([hint.status, hint.body.error]).toEqual([400, 'unsupported_token_type'])
    const get = await t.send(new Request('http://localhost/oauth/revoke'))
    expect(get.status).toBe(405)
  })

  it('takes a JSON body as Auth0 does', async () => {
    await using t = await startServer()
    const token = await offlineLogin(t)
    expect((await t.post('/oauth/revoke', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token }, { json: true })).status).toBe(200)
    expect((await refresh(t, token)).status).toBe(403)
  })

  it('is listed in discovery', async () => {
    await using t = await startServer()
    const discovery = await t.send(new Request('http://localhost/.well-known/openid-configuration'))
    expect(discovery.body.revocation_endpoint).toBe(new URL('oauth/revoke', ISSUER).href)
    expect(discovery.body.revocation_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post'])
  })
})
