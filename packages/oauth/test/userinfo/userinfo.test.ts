import { SignJWT, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { createMemoryStores, hashSecret, type UserinfoStore } from '@tokenrules/oauth'
import { ALICE, ALL_GRANTS, API, CLIENT_ID, ISSUER, TEST_SCRYPT_COST, rule, startServer, type TestServer } from '../helpers.js'

const ROLES_RULE = rule(
  'roles',
  `context.idToken['https://example.com/roles'] = user.app_metadata.roles;
   context.accessToken['https://example.com/at-only'] = 'access';
   callback(null, user, context);`,
)

async function accessToken(t: TestServer, scope: string): Promise<string> {
  const answer = await t.login(ALICE, 'Employees', { scope })
  expect(answer.status).toBe(200)
  return answer.body.access_token as string
}

function get(t: TestServer, token: string | undefined, init: { method?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers }
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`
  return t.send(new Request('http://localhost/userinfo', { method: init.method ?? 'GET', headers }))
}

describe('GET /userinfo (OIDC Core §5.3, as Auth0 serves it)', () => {
  it('answers sub, the claims of the scopes, and the rules’ namespaced ID token claims (not the access token’s)', async () => {
    await using t = await startServer({ rules: [ROLES_RULE] })
    const answer = await get(t, await accessToken(t, 'openid profile email'))
    expect(answer.status).toBe(200)
    expect(answer.headers.get('cache-control')).toBe('no-store')
    expect(answer.body).toEqual({
      sub: t.aliceId,
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      nickname: 'alice',
      picture: 'https://example.com/alice.png',
      updated_at: new Date(t.clock.now).toISOString(),
      email: ALICE.email,
      email_verified: true,
      'https://example.com/roles': ['admin'],
    })
  })

  it('answers only what the scopes allow: openid alone is sub and the rules’ claims', async () => {
    await using t = await startServer({ rules: [ROLES_RULE] })
    const answer = await get(t, await accessToken(t, 'openid'))
    expect(answer.body).toEqual({ sub: t.aliceId, 'https://example.com/roles': ['admin'] })
    const email = await get(t, await accessToken(t, 'openid email'))
    expect(email.body).toEqual({ sub: t.aliceId, email: ALICE.email, email_verified: true, 'https://example.com/roles': ['admin'] })
  })

  it('reads the profile as the store has it now; the rules’ claims stay those of the login', async () => {
    const stores = createMemoryStores()
    await using t = await startServer({ rules: [ROLES_RULE], stores: { users: stores.users } })
    const alice = await t.server.users.create({ directory: 'Employees', ...ALICE, email_verified: true, app_metadata: { roles: ['admin'] } })
    const token = await accessToken(t, 'openid email')
    t.clock.advance(1_000)
    await stores.users.setEmailVerified(alice.user_id, false, t.clock.now)
    await stores.users.updateAppMetadata(alice.user_id, { roles: ['reader'] }, t.clock.now)
    const answer = await get(t, token)
    expect(answer.body).toEqual({ sub: alice.user_id, email: ALICE.email, email_verified: false, 'https://example.com/roles': ['admin'] })
  })

  it('POST is answered like GET', async () => {
    await using t = await startServer({ rules: [ROLES_RULE] })
    const token = await accessToken(t, 'openid')
    const answer = await get(t, token, { method: 'POST' })
    expect(answer).toMatchObject({ status: 200, body: { sub: t.aliceId, 'https://example.com/roles': ['admin'] } })
  })

  it('without a token: 401 with WWW-Authenticate: Bearer', async () => {
    await using t = await startServer()
    const answer = await get(t, undefined)
    expect(answer.status).toBe(401)
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer /)
  })

  it('a token without openid: 403 insufficient_scope (RFC 6750 §3.1)', async () => {
    await using t = await startServer()
    const answer = await get(t, await accessToken(t, 'read:messages'))
    expect(answer.status).toBe(403)
    expect(answer.body.error).toBe('insufficient_scope')
    expect(answer.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="openid"')
  })

  it('an expired, tampered or foreign-key token, or an ID token (typ JWT): 401 invalid_token', async () => {
    await using t = await startServer()
    const token = await accessToken(t, 'openid')
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: t.bobId })).toString('base64url')}.${signature}`
    const { privateKey } = await generateKeyPair('ES256')
    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: JSON.parse(Buffer.from(header, 'base64url').toString()).kid })
      .sign(privateKey)
    // The ID token is signed by the same key but is not an access token.
    const idToken = (await t.login(ALICE, 'Employees', { scope: 'openid' })).body.id_token as string
    for (const bad of [tampered, foreign, idToken, 'not-a-jwt']) {
      const answer = await get(t, bad)
      expect(answer.status, bad).toBe(401)
      expect(answer.body.error).toBe('invalid_token')
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
    }
    t.clock.advance(86_400_000)
    const expired = await get(t, token)
    expect(expired).toMatchObject({ status: 401, body: { error: 'invalid_token', error_description: 'The access token is expired.' } })
  })

  it('a blocked user is refused (as Auth0 does); unblocked, the same token works again', async () => {
    await using t = await startServer()
    const token = await accessToken(t, 'openid')
    await t.server.users.setBlocked(t.aliceId, true)
    const blocked = await get(t, token)
    expect(blocked).toMatchObject({ status: 401, body: { error: 'invalid_token', error_description: 'user is blocked' } })
    await t.server.users.setBlocked(t.aliceId, false)
    expect((await get(t, token)).status).toBe(200)
  })

  it('a user who no longer exists (linked into another account) is refused', async () => {
    const stores = createMemoryStores()
    await using t = await startServer({ stores })
    const bob = await t.server.users.create({ directory: 'Employees', email: 'bob.e@example.com', password: 'another long password' })
    const answer = await t.login({ email: 'bob.e@example.com', password: 'another long password' }, 'Employees', { scope: 'openid' })
    const alice = await t.server.users.create({ directory: 'Employees', email: ALICE.email, password: ALICE.password })
    await stores.users.linkUser(alice.user_id, bob.user_id, t.clock.now)
    const refused = await get(t, answer.body.access_token as string)
    expect(refused).toMatchObject({ status: 401, body: { error: 'invalid_token' } })
  })

  it('a token whose claims record is gone (a memory store lost at a restart) is refused, not answered without the rules’ claims', async () => {
    const records: UserinfoStore = { save: async () => undefined, get: async () => undefined }
    const refused: string[] = []
    await using t = await startServer({
      stores: { userinfo: records },
      encryptionKey: Buffer.alloc(32, 7),
      hooks: { onRefused: ({ error }) => void refused.push(String(error.detail)) },
    })
    const answer = await get(t, await accessToken(t, 'openid'))
    expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_token', error_description: 'The access token is invalid.' } })
    expect(refused).toEqual(['userinfo_claims_gone'])
  })

  it('records expire with the access token (bounded), whatever the API’s lifetime', async () => {
    const stores = createMemoryStores()
    const saved: number[] = []
    const userinfo: UserinfoStore = {
      save: async (record, now) => {
        saved.push(record.expiresAt - now)
        await stores.userinfo.save(record, now)
      },
      get: (jti, now) => stores.userinfo.get(jti, now),
    }
    await using t = await startServer({
      stores: { userinfo },
      encryptionKey: Buffer.alloc(32, 7),
      apis: [{ identifier: API, scopes: [], tokenLifetimeSeconds: 600 }],
    })
    const token = await accessToken(t, 'openid')
    expect(saved).toEqual([600_000])
    const { payload } = await t.verify(token)
    expect(await stores.userinfo.get(payload.jti as string, t.clock.now + 599_999)).toBeDefined()
    expect(await stores.userinfo.get(payload.jti as string, t.clock.now + 600_000)).toBeUndefined()
    // Tokens without openid store nothing.
    await accessToken(t, 'read:messages')
    expect(saved).toHaveLength(1)
  })

  it('after MFA, the token issued by the mfa-otp grant answers too', async () => {
    const { totpCode } = await import('../helpers.js')
    await using t = await startServer({
      rules: [rule('mfa', "context.multifactor = { provider: 'any' }; context.idToken['https://example.com/mfa'] = true; callback(null, user, context);")],
    })
    const first = await t.login(ALICE, 'Employees', { scope: 'openid' })
    expect(first.body.error).toBe('mfa_required')
    const mfaToken = first.body.mfa_token as string
    const enrolled = await t.post('/mfa/associate', { authenticator_types: ['otp'] }, { json: true, headers: { authorization: `Bearer ${mfaToken}` } })
    const code = totpCode(enrolled.body.secret as string, t.clock.now)
    const tokens = await t.token({ grant_type: 'http://auth0.com/oauth/grant-type/mfa-otp', mfa_token: mfaToken, otp: code })
    expect(tokens.status).toBe(200)
    const answer = await get(t, tokens.body.access_token as string)
    expect(answer).toMatchObject({ status: 200, body: { sub: t.aliceId, 'https://example.com/mfa': true } })
  })

  it('CORS follows the token’s client: its allowed origins may read the answer, others not', async () => {
    await using t = await startServer({
      clients: [
        {
          clientId: CLIENT_ID,
          secretHash: await hashSecret('demo-secret', { cost: TEST_SCRYPT_COST }),
          grants: ALL_GRANTS,
          allowedOrigins: ['https://app.example.com'],
        },
      ],
    })
    const token = await accessToken(t, 'openid')
    const allowed = await get(t, token, { headers: { origin: 'https://app.example.com' } })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    const other = await get(t, token, { headers: { origin: 'https://evil.example.net' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    const preflight = await t.send(
      new Request('http://localhost/userinfo', {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      }),
    )
    expect(preflight.status).toBeLessThan(300)
  })

  it('is listed in discovery as userinfo_endpoint', async () => {
    await using t = await startServer()
    const discovery = await t.send(new Request('http://localhost/.well-known/openid-configuration'))
    expect(discovery.body.userinfo_endpoint).toBe(new URL('userinfo', ISSUER).href)
  })
})
