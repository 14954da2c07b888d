import { describe, expect, it } from 'vitest'
import { ALICE, CLIENT_ID, ISSUER, rule, startServer } from '../helpers.js'

describe('the ID token', () => {
  it('is issued only when openid is granted', async () => {
    await using t = await startServer()
    const without = await t.login(ALICE, 'Employees', { scope: 'read:messages' })
    expect(without.body).not.toHaveProperty('id_token')
    const withOpenid = await t.login(ALICE, 'Employees', { scope: 'openid read:messages' })
    expect(withOpenid.body.id_token).toEqual(expect.any(String))
  })

  it('carries only the registered claims for scope openid', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Employees', { scope: 'openid' })
    const { payload, header } = await t.verify(answer.body.id_token, CLIENT_ID)
    const iat = Math.floor(t.clock.now / 1000)
    expect(header).toEqual({ alg: 'ES256', kid: expect.any(String), typ: 'JWT' })
    expect(payload).toEqual({ iss: ISSUER, sub: t.aliceId, aud: CLIENT_ID, iat, exp: iat + 36000, auth_time: iat })
  })

  it('adds the profile claims for scope profile', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Employees', { scope: 'openid profile' })
    const { payload } = await t.verify(answer.body.id_token, CLIENT_ID)
    expect(payload).toMatchObject({
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      nickname: 'alice',
      picture: 'https://example.com/alice.png',
      updated_at: new Date(t.clock.now).toISOString(),
    })
    expect(payload).not.toHaveProperty('email')
  })

  it('adds email and email_verified for scope email', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Employees', { scope: 'openid email' })
    const { payload } = await t.verify(answer.body.id_token, CLIENT_ID)
    expect(payload).toMatchObject({ email: ALICE.email, email_verified: true })
    expect(payload).not.toHaveProperty('name')
  })

  it("reflects the rules' changes to the user's profile (docs/behaviour.md#the-user-object)", async () => {
    await using t = await startServer({
      rules: [rule('rename', "user.name = 'Alice L.'; user.picture = 'https://cdn.example.com/a.png'; callback(null, user, context);")],
    })
    const answer = await t.login(ALICE, 'Employees', { scope: 'openid profile' })
    const { payload } = await t.verify(answer.body.id_token, CLIENT_ID)
    expect(payload).toMatchObject({ name: 'Alice L.', picture: 'https://cdn.example.com/a.png' })
  })

  it("carries the rules' custom ID token claims, and the access token its own", async () => {
    await using t = await startServer({
      rules: [
        rule(
          'claims',
          `context.idToken['https://example.com/roles'] = user.app_metadata.roles;
           context.accessToken['https://example.com/plan'] = 'gold';
           callback(null, user, context);`,
        ),
      ],
    })
    const answer = await t.login(ALICE, 'Employees', { scope: 'openid read:messages' })
    const id = await t.verify(answer.body.id_token, CLIENT_ID)
    const access = await t.verify(answer.body.access_token)
    expect(id.payload['https://example.com/roles']).toEqual(['admin'])
    expect(id.payload).not.toHaveProperty('https://example.com/plan')
    expect(access.payload['https://example.com/plan']).toBe('gold')
    expect(access.payload).not.toHaveProperty('https://example.com/roles')
  })

  it('is not issued when the rules drop openid from the scopes', async () => {
    await using t = await startServer({ rules: [rule('drop', "context.accessToken.scope = ['read:messages']; callback(null, user, context);")] })
    const answer = await t.login(ALICE, 'Employees', { scope: 'openid read:messages' })
    expect(answer.body).not.toHaveProperty('id_token')
    expect(answer.body.scope).toBe('read:messages')
  })

  it('uses the configured ID token lifetime', async () => {
    await using t = await startServer({ idToken: { lifetimeSeconds: 300 } })
    const answer = await t.login(ALICE, 'Employees', { scope: 'openid' })
    const { payload } = await t.verify(answer.body.id_token, CLIENT_ID)
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300)
  })
})
