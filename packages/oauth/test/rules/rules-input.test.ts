import { describe, expect, it } from 'vitest'
import { ALICE, API, CLIENT_ID, SOCKET_IP, rule, startServer } from '../helpers.js'

/** A rule that copies what it sees into a claim, for the test to read. */
const capture = rule(
  'capture',
  `context.accessToken['https://example.com/seen'] = { user: user, context: {
     tenant: context.tenant, clientID: context.clientID, clientName: context.clientName, clientMetadata: context.clientMetadata,
     connection: context.connection, connectionID: context.connectionID, connectionStrategy: context.connectionStrategy,
     connectionMetadata: context.connectionMetadata, protocol: context.protocol, stats: context.stats, sso: context.sso,
     request: context.request, authentication: context.authentication, authorization: context.authorization,
     sessionID: context.sessionID === undefined ? 'absent' : 'present'
   } };
   callback(null, user, context);`,
)

describe('the user and context rules see (docs/behaviour.md#the-user-object, docs/behaviour.md#the-context-object)', () => {
  it('builds the context of the password exchange', async () => {
    await using t = await startServer({ rules: [capture], tenant: 'acme' })
    const answer = await t.login(ALICE, 'Employees', { scope: 'openid read:messages' })
    const { payload } = await t.verify(answer.body.access_token)
    const seen = payload['https://example.com/seen'] as { context: Record<string, unknown> }
    expect(seen.context).toEqual({
      tenant: 'acme',
      clientID: CLIENT_ID,
      clientName: 'Demo App',
      clientMetadata: {},
      connection: 'Employees',
      connectionID: expect.stringMatching(/^con_/),
      connectionStrategy: 'auth0',
      connectionMetadata: {},
      protocol: 'oauth2-password',
      stats: { loginsCount: 1 },
      sso: { with_auth0: false, with_dbconn: false, current_clients: [] },
      request: {
        userAgent: '',
        ip: SOCKET_IP,
        hostname: 'localhost',
        query: {},
        body: {
          grant_type: 'http://auth0.com/oauth/grant-type/password-realm',
          client_id: CLIENT_ID,
          username: ALICE.email,
          realm: 'Employees',
          audience: API,
          scope: 'openid read:messages',
        },
      },
      authentication: { methods: [{ name: 'pwd', timestamp: t.clock.now }] },
      authorization: { roles: ['Administrator'] },
      sessionID: 'absent',
    })
  })

  it('never shows the password, client secret or client assertion to rules', async () => {
    await using t = await startServer({ rules: [capture] })
    const answer = await t.login(ALICE, 'Employees', { client_assertion: 'eyJhbGciOi.assertion' })
    const text = JSON.stringify((await t.verify(answer.body.access_token)).payload)
    expect(text).not.toContain(ALICE.password)
    expect(text).not.toContain('demo-secret')
    expect(text).not.toContain('eyJhbGciOi.assertion')
    expect(text).not.toContain('passwordHash')
    expect(text).not.toContain('$scrypt$')
  })

  it('builds the user from the stored profile, with its identity and without the password hash', async () => {
    await using t = await startServer({ rules: [capture] })
    const answer = await t.login(ALICE, 'Employees')
    const { user } = (await t.verify(answer.body.access_token)).payload['https://example.com/seen'] as { user: Record<string, unknown> }
    expect(user).toEqual({
      user_id: t.aliceId,
      email: ALICE.email,
      email_verified: true,
      name: 'Alice Liddell',
      nickname: 'alice',
      given_name: 'Alice',
      family_name: 'Liddell',
      picture: 'https://example.com/alice.png',
      created_at: new Date(t.clock.now).toISOString(),
      updated_at: new Date(t.clock.now).toISOString(),
      last_login: new Date(t.clock.now).toISOString(),
      last_ip: SOCKET_IP,
      logins_count: 1,
      app_metadata: { roles: ['admin'] },
      user_metadata: { theme: 'dark' },
      identities: [{ connection: 'Employees', provider: 'auth0', user_id: t.aliceId.replace('auth0|', ''), isSocial: false }],
    })
  })

  it('passes the User-Agent and the query string', async () => {
    await using t = await startServer({ rules: [capture] })
    const answer = await t.post(
      '/oauth/token?trace=1&password=leaked-in-the-url',
      { grant_type: 'password', client_id: CLIENT_ID, client_secret: 'demo-secret', username: ALICE.email, password: ALICE.password, audience: API },
      { headers: { 'user-agent': 'curl/8.5.0' } },
    )
    const { context } = (await t.verify(answer.body.access_token)).payload['https://example.com/seen'] as { context: { request: Record<string, unknown> } }
    expect(context.request['userAgent']).toBe('curl/8.5.0')
    expect(context.request['query']).toEqual({ trace: '1' })
  })

  it('shows rules the clock the server was given', async () => {
    await using t = await startServer({ rules: [rule('now', "context.accessToken['https://example.com/now'] = Date.now(); callback(null, user, context);")] })
    const { payload } = await t.verify((await t.login(ALICE, 'Employees')).body.access_token)
    expect(payload['https://example.com/now']).toBe(t.clock.now)
  })
})
