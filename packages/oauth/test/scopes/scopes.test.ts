import { describe, expect, it } from 'vitest'
import { GRANT_TYPES, hashSecret } from '@tokenrules/oauth'
import { ALICE, API, CLIENT_ID, CLIENT_SECRET, TEST_SCRYPT_COST, expectNoStore, rule, startServer } from '../helpers.js'

describe('audience and scope resolution (docs/behaviour.md#the-token-endpoint)', () => {
  it('grants every scope of the API when no API scope is requested, and says so in `scope`', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Employees')
    expect(answer.body.scope).toBe('read:messages write:messages')
    expect((await t.verify(answer.body.access_token)).payload.scope).toBe('read:messages write:messages')
  })

  it('grants every scope of the API beside the OIDC scopes requested', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Employees', { scope: 'openid email' })
    expect(answer.body.scope).toBe('openid email read:messages write:messages')
  })

  it('grants exactly the requested API scopes and leaves `scope` out when nothing differs', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Employees', { scope: 'read:messages' })
    expect(answer.status).toBe(200)
    expect(answer.body).not.toHaveProperty('scope')
    expect((await t.verify(answer.body.access_token)).payload.scope).toBe('read:messages')
  })

  it('does not grant a requested scope the API does not define', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Employees', { scope: 'read:messages delete:everything' })
    expect(answer.body.scope).toBe('read:messages')
  })

  it('grants no API scope when only undefined API scopes are requested', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Employees', { scope: 'delete:everything' })
    expect(answer.status).toBe(200)
    expect(answer.body.scope).toBe('')
    expect((await t.verify(answer.body.access_token)).payload.scope).toBe('')
  })

  it('answers an unknown audience with 403 access_denied "Service not found: <audience>"', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Employees', { audience: 'https://unknown.example.com' })
    expect(answer.status).toBe(403)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({ error: 'access_denied', error_description: 'Service not found: https://unknown.example.com' })
  })

  it('answers a missing audience with 400 invalid_request when no default is configured', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'password', username: ALICE.email, password: ALICE.password })
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'Missing required parameter: audience' })
  })

  it("uses the client's default audience before the server's", async () => {
    await using t = await startServer({
      apis: [
        { identifier: API, scopes: ['read:messages'] },
        { identifier: 'https://billing.example.com', scopes: ['read:invoices'] },
      ],
      defaultAudience: API,
      clients: [
        {
          clientId: CLIENT_ID,
          secretHash: await hashSecret(CLIENT_SECRET, { cost: TEST_SCRYPT_COST }),
          grants: [GRANT_TYPES.password],
          defaultAudience: 'https://billing.example.com',
        },
      ],
    })
    const answer = await t.token({ grant_type: 'password', username: ALICE.email, password: ALICE.password })
    expect((await t.verify(answer.body.access_token, 'https://billing.example.com')).payload.scope).toBe('read:invoices')
  })

  it('lets the rules replace the granted scopes', async () => {
    await using t = await startServer({ rules: [rule('restrict', "context.accessToken.scope = ['read:messages']; callback(null, user, context);")] })
    const answer = await t.login(ALICE, 'Employees', { scope: 'read:messages write:messages' })
    expect(answer.body.scope).toBe('read:messages')
    expect((await t.verify(answer.body.access_token)).payload.scope).toBe('read:messages')
  })

  it("accepts a space-separated string as the rules' scope", async () => {
    await using t = await startServer({
      rules: [rule('restrict', "context.accessToken.scope = 'write:messages  write:messages'; callback(null, user, context);")],
    })
    const answer = await t.login(ALICE, 'Employees', { scope: 'read:messages write:messages' })
    expect(answer.body.scope).toBe('write:messages')
  })

  it('grants offline_access only when the API allows offline access', async () => {
    await using t = await startServer({ apis: [{ identifier: API, scopes: ['read:messages'] }] })
    const answer = await t.login(ALICE, 'Employees', { scope: 'offline_access read:messages' })
    expect(answer.body).not.toHaveProperty('refresh_token')
    expect(answer.body.scope).toBe('read:messages')
  })

  it('grants offline_access only to a client allowed the refresh_token grant', async () => {
    await using t = await startServer({
      clients: [{ clientId: CLIENT_ID, secretHash: await hashSecret(CLIENT_SECRET, { cost: TEST_SCRYPT_COST }), grants: [GRANT_TYPES.passwordRealm] }],
    })
    const answer = await t.login(ALICE, 'Employees', { scope: 'offline_access read:messages' })
    expect(answer.body).not.toHaveProperty('refresh_token')
    expect(answer.body.scope).toBe('read:messages')
  })

  it('uses the API token lifetime for expires_in and exp', async () => {
    await using t = await startServer({ apis: [{ identifier: API, scopes: ['read:messages'], tokenLifetimeSeconds: 600 }] })
    const answer = await t.login(ALICE, 'Employees')
    expect(answer.body.expires_in).toBe(600)
    const { payload } = await t.verify(answer.body.access_token)
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600)
  })
})
