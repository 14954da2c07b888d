import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API, demoConfig } from '../src/config.js'
import { PASSWORD_REALM_GRANT, startOidcServer, type LogEvent, type OidcServer } from '../src/server.js'

/** A test-only last rule: what the rules saw of `context`, as a claim, to check it against docs/behaviour.md#the-context-object. */
const SEEN_CONTEXT_RULE = `function seenContext(user, context, callback) {
  context.accessToken['https://tokenrules.example/seen'] = {
    protocol: context.protocol,
    clientID: context.clientID,
    clientName: context.clientName,
    connection: context.connection,
    body: context.request.body,
    methods: context.authentication.methods.map(function (m) { return m.name }),
    timestampIsNumber: typeof context.authentication.methods[0].timestamp === 'number',
    sso: context.sso,
    hasPassword: JSON.stringify(context).indexOf('correct horse') !== -1,
  }
  callback(null, user, context)
}`

let server: OidcServer
const logs: LogEvent[] = []

beforeAll(async () => {
  const config = demoConfig()
  server = await startOidcServer({
    ...config,
    rules: [...config.rules, { name: 'seen-context', script: SEEN_CONTEXT_RULE, order: 99 }],
    engine: { concurrency: 1 },
    port: 0,
    log: (event) => logs.push(event),
  })
})

afterAll(async () => {
  await server?.close()
})

const CLIENT = { client_id: 'demo-app', client_secret: 'demo-app-secret' }

async function token(params: Record<string, string>): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(params),
  })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> }
}

async function verify(accessToken: unknown): Promise<JWTPayload> {
  expect(typeof accessToken).toBe('string')
  expect(decodeProtectedHeader(accessToken as string)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' })
  const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`))
  const { payload } = await jwtVerify(accessToken as string, jwks, { issuer: server.issuer, audience: API, typ: 'at+jwt' })
  return payload
}

describe('node-oidc-provider password grant with rules', () => {
  it('issues a JWT access token, verified against the JWKS, carrying the rules claims and scope', async () => {
    const { status, headers, body } = await token({
      grant_type: 'password',
      username: 'alice',
      password: 'correct horse battery staple',
      audience: API,
      scope: 'openid email read:messages write:messages',
      ...CLIENT,
    })
    expect(status).toBe(200)
    expect(headers.get('cache-control')).toBe('no-store')
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid email read:messages write:messages' })

    const claims = await verify(body['access_token'])
    expect(claims).toMatchObject({
      sub: 'auth0|alice',
      client_id: 'demo-app',
      azp: 'demo-app',
      gty: 'password',
      scope: 'openid email read:messages write:messages',
      'https://tokenrules.example/roles': ['admin'],
      'https://tokenrules.example/department': 'engineering',
    })

    // openid granted: an ID token for the client, with the profile claims the scopes allow and the rules' ID token claims.
    const { payload: id } = await jwtVerify(body['id_token'] as string, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), {
      issuer: server.issuer,
      audience: 'demo-app',
    })
    expect(id).toMatchObject({ sub: 'auth0|alice', email: 'alice@example.com', email_verified: true, 'https://tokenrules.example/roles': ['admin'] })
    expect(id['name']).toBeUndefined() // profile was not requested
    expect(typeof id['auth_time']).toBe('number')
  })

  it('builds the context of docs/behaviour.md#the-context-object: oauth2-password, pwd authentication, no secrets in request.body', async () => {
    const { status, body } = await token({
      grant_type: 'password',
      username: 'ALICE@example.com',
      password: 'correct horse battery staple',
      scope: 'read:messages',
      ...CLIENT,
    })
    expect(status).toBe(200)
    expect(body['id_token']).toBeUndefined() // no openid
    const claims = await verify(body['access_token'])
    expect(claims['https://tokenrules.example/seen']).toEqual({
      protocol: 'oauth2-password',
      clientID: 'demo-app',
      clientName: 'Demo App',
      connection: 'Username-Password-Authentication',
      body: { grant_type: 'password', username: 'ALICE@example.com', scope: 'read:messages', client_id: 'demo-app' },
      methods: ['pwd'],
      timestampIsNumber: true,
      sso: { with_auth0: false, with_dbconn: false, current_clients: [] },
      hasPassword: false,
    })
  })

  it('password-realm: the realm picks the directory, and the rules narrow the scope', async () => {
    const { status, body } = await token({
      grant_type: PASSWORD_REALM_GRANT,
      realm: 'Customers',
      username: 'erin@customer.example',
      password: 'erin-password-1',
      scope: 'read:messages write:messages',
      ...CLIENT,
    })
    expect(status).toBe(200)
    expect(body['scope']).toBe('read:messages')
    const claims = await verify(body['access_token'])
    expect(claims['scope']).toBe('read:messages')
    expect(claims['https://tokenrules.example/roles']).toEqual(['customer'])
    expect(claims['https://tokenrules.example/seen']).toMatchObject({ protocol: 'oauth2-password', connection: 'Customers' })

    const unknownRealm = await token({
      grant_type: PASSWORD_REALM_GRANT,
      realm: 'Nope',
      username: 'erin@customer.example',
      password: 'erin-password-1',
      ...CLIENT,
    })
    expect(unknownRealm.status).toBe(400)
    expect(unknownRealm.body['error']).toBe('invalid_request')
    // Erin exists only in Customers: the default directory does not know her.
    const wrongDirectory = await token({ grant_type: 'password', username: 'erin@customer.example', password: 'erin-password-1', ...CLIENT })
    expect(wrongDirectory.body['error']).toBe('invalid_grant')
  })

  it('a rule denial (UnauthorizedError) answers 401 unauthorized with the rule message', async () => {
    const { status, headers, body } = await token({ grant_type: 'password', username: 'bob', password: 'hunter2hunter2', ...CLIENT })
    expect(status).toBe(401)
    expect(headers.get('cache-control')).toBe('no-store')
    expect(body).toEqual({ error: 'unauthorized', error_description: 'Please verify your email before logging in.' })
  })

  it('a rule exception answers 403 access_denied with a generic description; the detail goes to the log', async () => {
    const before = logs.length
    const { status, headers, body } = await token({ grant_type: 'password', username: 'carol', password: 'carol-password-1', ...CLIENT })
    expect(status).toBe(403)
    expect(headers.get('cache-control')).toBe('no-store')
    expect(body).toEqual({ error: 'access_denied', error_description: 'Rule execution failed.' })
    expect(JSON.stringify(body)).not.toContain('toLowerCase')
    const ruleError = logs.slice(before).find((event) => event.message === 'rule error')
    expect(JSON.stringify(ruleError?.detail)).toContain('toLowerCase')
  })

  it('a wrong password, or an unknown user, answers 403 invalid_grant', async () => {
    for (const username of ['alice', 'nobody@example.com']) {
      const { status, headers, body } = await token({ grant_type: 'password', username, password: 'not the password', ...CLIENT })
      expect(status).toBe(403)
      expect(headers.get('cache-control')).toBe('no-store')
      expect(body).toEqual({ error: 'invalid_grant', error_description: 'Wrong email or password.' })
    }
  })

  it('the password with a NUL or another control character appended is a wrong password (every byte is hashed)', async () => {
    for (const suffix of ['\u0000', '\u0000\u0000', '\n', '\u007f']) {
      const { status, body } = await token({ grant_type: 'password', username: 'alice', password: `correct horse battery staple${suffix}`, ...CLIENT })
      expect(status).toBe(403)
      expect(body).toEqual({ error: 'invalid_grant', error_description: 'Wrong email or password.' })
    }
  })

  it('a blocked user answers 401 unauthorized before any rule runs', async () => {
    const { status, body } = await token({ grant_type: 'password', username: 'dave', password: 'dave-password-1', ...CLIENT })
    expect(status).toBe(401)
    expect(body).toEqual({ error: 'unauthorized', error_description: 'user is blocked' })
  })

  it('an unknown client or a wrong secret answers 401 invalid_client', async () => {
    const login = { grant_type: 'password', username: 'alice', password: 'correct horse battery staple' }
    for (const client of [
      { client_id: 'nobody', client_secret: 'x' },
      { client_id: 'demo-app', client_secret: 'wrong' },
    ]) {
      const { status, headers, body } = await token({ ...login, ...client })
      expect(status).toBe(401)
      expect(headers.get('cache-control')).toBe('no-store')
      expect(body['error']).toBe('invalid_client')
    }
  })

  it('an unknown audience answers 400 invalid_target; missing parameters 400 invalid_request', async () => {
    const unknown = await token({
      grant_type: 'password',
      username: 'alice',
      password: 'correct horse battery staple',
      audience: 'https://nope.example/',
      ...CLIENT,
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body['error']).toBe('invalid_target')
    const missing = await token({ grant_type: 'password', username: 'alice', ...CLIENT })
    expect(missing.status).toBe(400)
    expect(missing.body['error']).toBe('invalid_request')
  })
})
