import { describe, expect, it } from 'vitest'
import { GRANT_TYPES, hashSecret } from '@tokenrules/oauth'
import { ALICE, ALL_GRANTS, API, CLIENT_ID, TEST_SCRYPT_COST, expectNoStore, rule, startServer, type TestServer } from '../helpers.js'

const INVALID = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' }

async function offlineLogin(t: TestServer, scope = 'openid offline_access read:messages'): Promise<string> {
  const answer = await t.login(ALICE, 'Employees', { scope })
  expect(answer.status).toBe(200)
  return answer.body.refresh_token as string
}

const refresh = (t: TestServer, token: string, extra: Record<string, string> = {}) => t.token({ grant_type: 'refresh_token', refresh_token: token, ...extra })

describe('grant_type=refresh_token', () => {
  it('issues a refresh token with offline_access when the API allows offline access', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Employees', { scope: 'offline_access read:messages' })
    expect(answer.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.stringMatching(/^[\w-]{43}$/),
      expires_in: 86400,
      token_type: 'Bearer',
    })
  })

  it('exchanges a refresh token for new tokens and a new refresh token (rotation)', async () => {
    await using t = await startServer()
    const first = await offlineLogin(t)
    t.clock.advance(60_000)
    const answer = await refresh(t, first)
    expect(answer.status).toBe(200)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({
      access_token: expect.any(String),
      id_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 86400,
      token_type: 'Bearer',
    })
    expect(answer.body.refresh_token).not.toBe(first)
    const { payload } = await t.verify(answer.body.access_token)
    expect(payload).toMatchObject({ sub: t.aliceId, scope: 'openid offline_access read:messages', iat: Math.floor(t.clock.now / 1000) })
    const id = await t.verify(answer.body.id_token, CLIENT_ID)
    expect(id.payload.auth_time).toBe(Math.floor((t.clock.now - 60_000) / 1000))
  })

  it('refuses a used refresh token and revokes the whole family (reuse detection)', async () => {
    await using t = await startServer()
    const first = await offlineLogin(t)
    const second = (await refresh(t, first)).body.refresh_token as string
    const replay = await refresh(t, first)
    expect(replay.status).toBe(403)
    expectNoStore(replay.headers)
    expect(replay.body).toEqual(INVALID)
    const descendant = await refresh(t, second)
    expect(descendant.status).toBe(403)
    expect(descendant.body).toEqual(INVALID)
  })

  it('keeps other families alive when one is revoked', async () => {
    await using t = await startServer()
    const a = await offlineLogin(t)
    const b = await offlineLogin(t)
    await refresh(t, a)
    await refresh(t, a)
    expect((await refresh(t, b)).status).toBe(200)
  })

  it('rotates exactly once when the same token is presented twice at once', async () => {
    await using t = await startServer()
    const first = await offlineLogin(t)
    const answers = await Promise.all([refresh(t, first), refresh(t, first)])
    expect(answers.map((a) => a.status).sort()).toEqual([200, 403])
  })

  it('refuses an unknown refresh token', async () => {
    await using t = await startServer()
    const answer = await refresh(t, 'x'.repeat(43))
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual(INVALID)
  })

  it('refuses a missing refresh_token with 400 invalid_request', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'refresh_token' })
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'Missing required parameter: refresh_token' })
  })

  it("refuses another client's refresh token without burning it", async () => {
    await using t = await startServer({
      clients: [
        { clientId: CLIENT_ID, secretHash: await hashSecret('demo-secret', { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS },
        { clientId: 'other', secretHash: await hashSecret('other-secret', { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS },
      ],
    })
    const token = await offlineLogin(t)
    const stolen = await t.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: token, client_id: 'other', client_secret: 'other-secret' })
    expect(stolen.status).toBe(403)
    expect(stolen.body).toEqual(INVALID)
    expect((await refresh(t, token)).status).toBe(200)
  })

  it('refuses a refresh token after its family expires (30 days by default)', async () => {
    await using t = await startServer()
    const first = await offlineLogin(t)
    t.clock.advance(29 * 86_400_000)
    const second = (await refresh(t, first)).body.refresh_token as string
    t.clock.advance(86_400_000)
    const answer = await refresh(t, second)
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual(INVALID)
  })

  it('uses the configured refresh token lifetime', async () => {
    await using t = await startServer({ refreshTokens: { lifetimeSeconds: 60 } })
    const first = await offlineLogin(t)
    t.clock.advance(61_000)
    expect((await refresh(t, first)).body).toEqual(INVALID)
  })

  it('runs the rules again with protocol oauth2-refresh-token and no authentication methods', async () => {
    await using t = await startServer({
      rules: [
        rule(
          'seen',
          `context.accessToken['https://example.com/seen'] = [context.protocol, context.authentication ? context.authentication.methods.length : 0, context.request.body.refresh_token === undefined];
           callback(null, user, context);`,
        ),
      ],
    })
    const first = await offlineLogin(t)
    const login = await t.verify((await t.login(ALICE, 'Employees', { scope: 'read:messages' })).body.access_token)
    expect(login.payload['https://example.com/seen']).toEqual(['oauth2-password', 1, true])
    const refreshed = await t.verify((await refresh(t, first)).body.access_token)
    expect(refreshed.payload['https://example.com/seen']).toEqual(['oauth2-refresh-token', 0, true])
  })

  it('answers a rule denial on refresh like on login', async () => {
    await using t = await startServer({
      rules: [
        rule(
          'deny-refresh',
          "if (context.protocol === 'oauth2-refresh-token') return callback(new UnauthorizedError('Session revoked.')); callback(null, user, context);",
        ),
      ],
    })
    const first = await offlineLogin(t)
    const answer = await refresh(t, first)
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual({ error: 'unauthorized', error_description: 'Session revoked.' })
  })

  it('refuses a refresh for a user blocked since the login', async () => {
    await using t = await startServer()
    const first = await offlineLogin(t)
    await t.server.users.setBlocked(t.aliceId, true)
    const answer = await refresh(t, first)
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual({ error: 'unauthorized', error_description: 'user is blocked' })
  })

  it('grants a narrower scope on request and keeps the original one for the next refresh', async () => {
    await using t = await startServer()
    const first = await offlineLogin(t, 'offline_access read:messages write:messages')
    const narrow = await refresh(t, first, { scope: 'read:messages' })
    expect(narrow.status).toBe(200)
    expect((await t.verify(narrow.body.access_token)).payload.scope).toBe('read:messages')
    const wide = await refresh(t, narrow.body.refresh_token as string)
    expect((await t.verify(wide.body.access_token)).payload.scope).toBe('offline_access read:messages write:messages')
  })

  it('refuses a scope beyond the original grant with 400 invalid_scope', async () => {
    await using t = await startServer()
    const first = await offlineLogin(t, 'offline_access read:messages')
    const answer = await refresh(t, first, { scope: 'write:messages' })
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: 'invalid_scope', error_description: 'The requested scope exceeds the scope originally granted.' })
  })

  it('refuses the refresh grant to a client not allowed it', async () => {
    await using t = await startServer()
    const first = await offlineLogin(t)
    await using other = await startServer({
      clients: [{ clientId: CLIENT_ID, secretHash: await hashSecret('demo-secret', { cost: TEST_SCRYPT_COST }), grants: [GRANT_TYPES.password] }],
    })
    const answer = await refresh(other, first)
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'unauthorized_client', error_description: "Grant type 'refresh_token' not allowed for the client." })
  })

  it('ends the family when the rules drop offline_access', async () => {
    await using t = await startServer({
      rules: [
        rule('no-offline', "if (context.protocol === 'oauth2-refresh-token') context.accessToken.scope = ['read:messages']; callback(null, user, context);"),
      ],
    })
    const first = await offlineLogin(t)
    const answer = await refresh(t, first)
    expect(answer.status).toBe(200)
    expect(answer.body).not.toHaveProperty('refresh_token')
    expect(answer.body.scope).toBe('read:messages')
    expect(API).toBe((await t.verify(answer.body.access_token)).payload.aud)
  })
})
