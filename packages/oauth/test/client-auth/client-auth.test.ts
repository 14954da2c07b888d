import { describe, expect, it } from 'vitest'
import { GRANT_TYPES, hashSecret } from '@tokenrules/oauth'
import { ALICE, API, CLIENT_ID, CLIENT_SECRET, TEST_SCRYPT_COST, expectNoStore, startServer } from '../helpers.js'

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`
const login = { grant_type: 'password', username: ALICE.email, password: ALICE.password, audience: API }
const FAILED = { error: 'invalid_client', error_description: 'Client authentication failed.' }

describe('client authentication', () => {
  it('accepts client_secret_post', async () => {
    await using t = await startServer()
    expect((await t.post('/oauth/token', { ...login, client_id: CLIENT_ID, client_secret: CLIENT_SECRET })).status).toBe(200)
  })

  it('accepts HTTP Basic', async () => {
    await using t = await startServer()
    const answer = await t.post('/oauth/token', login, { headers: { authorization: basic(CLIENT_ID, CLIENT_SECRET) } })
    expect(answer.status).toBe(200)
    expect((await t.verify(answer.body.access_token)).payload.azp).toBe(CLIENT_ID)
  })

  it('accepts HTTP Basic with a client_id in the body that agrees', async () => {
    await using t = await startServer()
    const answer = await t.post('/oauth/token', { ...login, client_id: CLIENT_ID }, { headers: { authorization: basic(CLIENT_ID, CLIENT_SECRET) } })
    expect(answer.status).toBe(200)
  })

  it('refuses a wrong secret with 401 invalid_client', async () => {
    await using t = await startServer()
    const answer = await t.post('/oauth/token', { ...login, client_id: CLIENT_ID, client_secret: 'wrong' })
    expect(answer.status).toBe(401)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual(FAILED)
    expect(answer.headers.get('www-authenticate')).toBeNull()
  })

  it('refuses a wrong Basic secret with 401 and WWW-Authenticate', async () => {
    await using t = await startServer()
    const answer = await t.post('/oauth/token', login, { headers: { authorization: basic(CLIENT_ID, 'wrong') } })
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual(FAILED)
    expect(answer.headers.get('www-authenticate')).toBe('Basic realm="tokenrules"')
  })

  it('refuses an unknown client with the same answer', async () => {
    await using t = await startServer()
    const answer = await t.post('/oauth/token', { ...login, client_id: 'nobody', client_secret: 'x' })
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual(FAILED)
  })

  it('refuses a confidential client without its secret', async () => {
    await using t = await startServer()
    const answer = await t.post('/oauth/token', { ...login, client_id: CLIENT_ID })
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual(FAILED)
  })

  it('refuses a request that names no client', async () => {
    await using t = await startServer()
    const answer = await t.post('/oauth/token', login)
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual(FAILED)
  })

  it('refuses two authentication methods at once', async () => {
    await using t = await startServer()
    const answer = await t.post('/oauth/token', { ...login, client_secret: CLIENT_SECRET }, { headers: { authorization: basic(CLIENT_ID, CLIENT_SECRET) } })
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'Use only one client authentication method.' })
  })

  it('refuses a body client_id that contradicts HTTP Basic', async () => {
    await using t = await startServer()
    const answer = await t.post('/oauth/token', { ...login, client_id: 'other' }, { headers: { authorization: basic(CLIENT_ID, CLIENT_SECRET) } })
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({
      error: 'invalid_request',
      error_description: 'client_id does not match the client authenticated by the Authorization header.',
    })
  })

  it('refuses a malformed Basic header with 401 invalid_client', async () => {
    await using t = await startServer()
    const answer = await t.post('/oauth/token', login, { headers: { authorization: 'Basic !!!' } })
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual(FAILED)
  })

  it('refuses another Authorization scheme with 401 invalid_client', async () => {
    await using t = await startServer()
    const answer = await t.post('/oauth/token', login, { headers: { authorization: 'Bearer abc' } })
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual({ error: 'invalid_client', error_description: 'Unsupported Authorization scheme for client authentication.' })
  })

  it('refuses a grant the client is not allowed with 403 unauthorized_client', async () => {
    await using t = await startServer({
      clients: [{ clientId: CLIENT_ID, secretHash: await hashSecret(CLIENT_SECRET, { cost: TEST_SCRYPT_COST }), grants: [GRANT_TYPES.passwordRealm] }],
    })
    const answer = await t.token(login)
    expect(answer.status).toBe(403)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({ error: 'unauthorized_client', error_description: "Grant type 'password' not allowed for the client." })
  })

  it('refuses a public client unless it is allowed', async () => {
    await using t = await startServer({ clients: [{ clientId: 'spa', grants: [GRANT_TYPES.password] }] })
    const answer = await t.post('/oauth/token', { ...login, client_id: 'spa' })
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual({ error: 'invalid_client', error_description: 'Public clients may not use this grant; authenticate with the client secret.' })
  })

  it('lets an explicitly allowed public client log in without a secret', async () => {
    await using t = await startServer({ clients: [{ clientId: 'spa', grants: [GRANT_TYPES.password], allowPublic: true }] })
    const answer = await t.post('/oauth/token', { ...login, client_id: 'spa' })
    expect(answer.status).toBe(200)
    expect((await t.verify(answer.body.access_token)).payload.azp).toBe('spa')
  })

  it('refuses a secret sent for a public client', async () => {
    await using t = await startServer({ clients: [{ clientId: 'spa', grants: [GRANT_TYPES.password], allowPublic: true }] })
    const answer = await t.post('/oauth/token', { ...login, client_id: 'spa', client_secret: 'guess' })
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual(FAILED)
  })

  it('decodes form-encoded Basic credentials (RFC 6749 §2.3.1)', async () => {
    const id = 'app:with colon'
    const secret = 'p@ss w0rd+/='
    await using t = await startServer({
      clients: [{ clientId: id, secretHash: await hashSecret(secret, { cost: TEST_SCRYPT_COST }), grants: [GRANT_TYPES.password] }],
    })
    const answer = await t.post('/oauth/token', login, { headers: { authorization: basic(id, secret) } })
    expect(answer.status).toBe(200)
  })
})
