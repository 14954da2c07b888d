import { describe, expect, it } from 'vitest'
import { BROWSER_PROTOCOLS, FIXED_NOW, makeContext, makeUser, runRules } from '@tokenrules/testing'

describe('makeUser', () => {
  it('is a fully shaped database user (docs/behaviour.md#the-user-object)', () => {
    const user = makeUser()
    expect(Object.keys(user).sort()).toEqual(
      [
        'user_id',
        'email',
        'email_verified',
        'username',
        'name',
        'nickname',
        'given_name',
        'family_name',
        'picture',
        'phone_number',
        'phone_verified',
        'created_at',
        'updated_at',
        'last_login',
        'last_ip',
        'logins_count',
        'blocked',
        'last_password_reset',
        'multifactor',
        'app_metadata',
        'user_metadata',
        'identities',
      ].sort(),
    )
    expect(user).toMatchObject({
      user_id: 'auth0|65a1f0c2e4b0a1b2c3d4e5f6',
      email_verified: true,
      blocked: false,
      multifactor: [],
      app_metadata: {},
      user_metadata: {},
      identities: [{ connection: 'Username-Password-Authentication', provider: 'auth0', user_id: '65a1f0c2e4b0a1b2c3d4e5f6', isSocial: false }],
      last_login: new Date(FIXED_NOW).toISOString(),
    })
    expect(Date.parse(user.created_at as string)).toBeLessThan(FIXED_NOW)
  })

  it('deep-merges overrides: objects merge, arrays replace, undefined removes', () => {
    const user = makeUser({
      email_verified: false,
      app_metadata: { roles: ['admin'], plan: { name: 'gold' } },
      multifactor: ['guardian'],
      phone_number: undefined,
    })
    expect(user.email_verified).toBe(false)
    expect(user.app_metadata).toEqual({ roles: ['admin'], plan: { name: 'gold' } })
    expect(user.multifactor).toEqual(['guardian'])
    expect('phone_number' in user).toBe(false)
    expect(user.email).toBe('ada.lovelace@example.com')
    expect(makeUser({ app_metadata: { roles: ['x'] } }).app_metadata).toEqual({ roles: ['x'] })
  })

  it('keeps the identity coherent with a changed user_id', () => {
    expect(makeUser({ user_id: 'google-oauth2|1029384756' }).identities).toEqual([
      { connection: 'google-oauth2', provider: 'google-oauth2', user_id: '1029384756', isSocial: true },
    ])
    expect(makeUser({ user_id: 'samlp|acme|jdoe' }).identities?.[0]).toMatchObject({ provider: 'samlp', user_id: 'acme|jdoe', isSocial: false })
    const explicit = [{ connection: 'Employees', provider: 'ad', user_id: 'x', isSocial: false }]
    expect(makeUser({ user_id: 'ad|x', identities: explicit }).identities).toEqual(explicit)
  })

  it('returns a fresh object every time', () => {
    const a = makeUser()
    ;(a.app_metadata as Record<string, unknown>).roles = ['changed']
    a.identities?.push({ connection: 'x', provider: 'x', user_id: 'x', isSocial: true })
    expect(makeUser().app_metadata).toEqual({})
    expect(makeUser().identities).toHaveLength(1)
  })

  it('does not let an own __proto__ key change the prototype', () => {
    const user = makeUser(JSON.parse('{"app_metadata": {"__proto__": {"polluted": true}}}'))
    expect(Object.getPrototypeOf(user.app_metadata)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('makeContext', () => {
  it('is the password grant by default, fully shaped (docs/behaviour.md#the-context-object)', () => {
    const context = makeContext()
    expect(context).toMatchObject({
      protocol: 'oauth2-password',
      tenant: 'acme',
      clientID: expect.any(String),
      clientName: expect.any(String),
      clientMetadata: {},
      connection: 'Username-Password-Authentication',
      connectionStrategy: 'auth0',
      connectionOptions: {},
      connectionMetadata: {},
      stats: { loginsCount: expect.any(Number) },
      sso: { with_auth0: false, with_dbconn: false, current_clients: [] },
      authentication: { methods: [{ name: 'pwd', timestamp: FIXED_NOW }] },
      authorization: { roles: [] },
      accessToken: {},
      idToken: {},
      riskAssessment: { confidence: 'high' },
      request: {
        ip: '203.0.113.7',
        hostname: expect.any(String),
        userAgent: expect.any(String),
        query: {},
        body: {
          grant_type: 'password',
          client_id: context.clientID,
          username: expect.any(String),
          audience: expect.any(String),
          scope: 'openid profile email',
        },
        geoip: { country_code: 'GB', city_name: 'London' },
      },
    })
    expect(context.request.body).not.toHaveProperty('password')
    expect(context).not.toHaveProperty('sessionID')
    expect(context).not.toHaveProperty('organization')
  })

  it('shapes a refresh: no authentication, the refresh_token grant', () => {
    const context = makeContext({ protocol: 'oauth2-refresh-token' })
    expect(context.authentication).toBeUndefined()
    expect(context.request.body).toEqual({ grant_type: 'refresh_token', client_id: context.clientID })
  })

  it.each(BROWSER_PROTOCOLS)('shapes a browser login (%s): a session and the authorization request', (protocol) => {
    const context = makeContext({ protocol })
    expect(context.sessionID).toEqual(expect.any(String))
    expect(context.request.query).toMatchObject({ response_type: 'code', client_id: context.clientID, redirect_uri: expect.stringMatching(/^https:/) })
    expect(context.request.body).toEqual({})
    expect(context.request.userAgent).toMatch(/Mozilla/)
  })

  it('accepts any protocol and any extra field', () => {
    const context = makeContext({ protocol: 'oauth2-device-code', organization: { id: 'org_1', name: 'acme' }, custom: { a: 1 } })
    expect(context.protocol).toBe('oauth2-device-code')
    expect(context.request.body.grant_type).toBe('urn:ietf:params:oauth:grant-type:device_code')
    expect(context.organization).toEqual({ id: 'org_1', name: 'acme' })
    expect(context.custom).toEqual({ a: 1 })
  })

  it('deep-merges overrides and keeps client_id in step with clientID', () => {
    const context = makeContext({ clientID: 'my-client', request: { ip: '198.51.100.4', geoip: undefined, body: { realm: 'Employees' } } })
    expect(context.request.ip).toBe('198.51.100.4')
    expect(context.request.geoip).toBeUndefined()
    expect(context.request.body).toMatchObject({ grant_type: 'password', client_id: 'my-client', realm: 'Employees' })
    expect(context.request.hostname).toBe('acme.auth.example.com')
  })

  it('builds inputs the engine accepts, for every shape', async () => {
    const rules = ['function (user, context, callback) { callback(null, user, context); }']
    for (const protocol of ['oauth2-password', 'oauth2-refresh-token', 'oidc-basic-profile', 'samlp', 'oauth2-token-exchange']) {
      await expect(runRules({ rules, context: { protocol } })).resolves.toMatchObject({ warnings: [] })
    }
  })
})
