/**
 * The Management API subset a token server serves its rules (docs/behaviour.md, the tenant as rules see it): reached in-process at
 * `auth0.baseUrl` with `auth0.accessToken`, in Auth0's shapes and error bodies; the token is per
 * run, for this tenant, short-lived; nothing of it is mounted on the server's public routes;
 * writes go through the same store path as `auth0.users.update*`, and a failed write fails the
 * login (no token).
 */
import { describe, expect, it } from 'vitest'
import { createMemoryStores, type UserStore } from '@tokenrules/oauth'
import { managementApi } from '../src/management/api.js'
import { RoleCatalogue, derivedRoleId } from '../src/management/roles.js'
import { ManagementTokens } from '../src/management/tokens.js'
import { ALICE, BOB, rule, startServer, type TestServer } from './helpers.js'

const DOMAIN = 'auth.example.com'
const BASE = `https://${DOMAIN}/api/v2`

/**
 * A rule that sends the calls of `configuration.PLAN` in order (`[method, path, body?, headers?]`,
 * `{id}` standing for the user's id) with the run's token, and puts `[status, body]` of each into
 * the ID token.
 */
const PLAN_RULE = rule(
  'management-plan',
  `var plan = JSON.parse(configuration.PLAN);
   var out = [];
   var token = auth0.accessToken;
   (function next(i) {
     if (i === plan.length) { context.idToken['https://t.example/mgmt'] = out; return callback(null, user, context); }
     var step = plan[i];
     var headers = Object.assign({ authorization: 'Bearer ' + token, 'content-type': 'application/json' }, step[3] || {});
     fetch(auth0.baseUrl + step[1].replace('{id}', encodeURIComponent(user.user_id)), { method: step[0], headers: headers, body: step[2] == null ? undefined : JSON.stringify(step[2]) })
       .then(function (res) { return res.text().then(function (text) { out.push([res.status, text === '' ? null : JSON.parse(text)]); next(i + 1); }); })
       .catch(function (e) { out.push(['error', e.code || e.message]); next(i + 1); });
   })(0);`,
)

type Step = [method: string, path: string, body?: unknown, headers?: Record<string, string>]

async function planServer(plan: Step[], options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  return startServer({ rules: [PLAN_RULE], ...options, engineOptions: { configuration: { PLAN: JSON.stringify(plan) }, ...options.engineOptions } })
}

/** Log alice in and return what the plan's calls answered. */
async function runPlan(server: TestServer): Promise<any> {
  const answer = await server.login(ALICE, 'Employees', { scope: 'openid' })
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  const { payload } = await server.verify(answer.body.id_token, 'demo-app')
  return payload['https://t.example/mgmt']
}

describe('users by id', () => {
  it("GET /users/{id} answers Auth0's user shape (identities, metadata, no password hash), fields/include_fields select", async () => {
    await using server = await planServer([
      ['GET', '/users/{id}'],
      ['GET', '/users/{id}?fields=email,user_id&include_fields=true'],
      ['GET', '/users/auth0%7Cnobody'],
    ])
    const [first, second, third] = await runPlan(server)
    const [status, user] = first ?? []
    const [, picked] = second ?? []
    const [missing, error] = third ?? []
    expect(status).toBe(200)
    expect(user).toMatchObject({
      user_id: server.aliceId,
      email: ALICE.email,
      email_verified: true,
      name: 'Alice Liddell',
      app_metadata: { roles: ['admin'] },
      user_metadata: { theme: 'dark' },
      identities: [{ connection: 'Employees', provider: 'auth0', user_id: server.aliceId.replace(/^auth0\|/, ''), isSocial: false }],
    })
    expect(JSON.stringify(user)).not.toMatch(/scrypt|password/)
    expect(picked).toEqual({ user_id: server.aliceId, email: ALICE.email })
    expect([missing, error]).toEqual([404, { statusCode: 404, error: 'Not Found', message: 'The user does not exist.', errorCode: 'inexistent_user' }])
  })

  it('PATCH merges app_metadata/user_metadata one level deep (null removes a key), sets email_verified and blocked, and persists like auth0.users.update*', async () => {
    const users = createMemoryStores().users
    await using server = await planServer(
      [
        ['PATCH', '/users/{id}', { app_metadata: { plan: 'gold', roles: null }, user_metadata: { lang: 'fr' } }],
        ['PATCH', '/users/{id}', { email_verified: false }],
      ],
      { stores: { users } },
    )
    await seed(server)
    const [[status, user], [status2, user2]] = await runPlan(server)
    expect([status, user.app_metadata, user.user_metadata]).toEqual([200, { plan: 'gold' }, { theme: 'dark', lang: 'fr' }])
    expect([status2, user2.email_verified]).toEqual([200, false])
    const stored = (await users.getUser(server.aliceId))?.profile
    expect(stored?.app_metadata).toEqual({ plan: 'gold' })
    expect(stored?.user_metadata).toEqual({ theme: 'dark', lang: 'fr' })
    expect(stored?.email_verified).toBe(false)
  })

  it("PATCH refuses every other field, wrong types, dotted or prototype keys and bad JSON with Auth0's 400 body, and changes nothing", async () => {
    const users = createMemoryStores().users
    await using server = await planServer(
      [
        ['PATCH', '/users/{id}', { email: 'x@example.com' }],
        ['PATCH', '/users/{id}', { app_metadata: 'gold' }],
        ['PATCH', '/users/{id}', { blocked: 'yes' }],
        ['PATCH', '/users/{id}', { app_metadata: { 'a.b': 1 } }],
        ['PATCH', '/users/{id}', { user_metadata: { nested: { constructor: 1 } } }],
        ['PATCH', '/users/{id}', {}],
        ['PATCH', '/users/{id}', [1]],
      ],
      { stores: { users } },
    )
    await seed(server)
    const answers = await runPlan(server)
    for (const [status, body] of answers) {
      expect(status).toBe(400)
      expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request', errorCode: 'invalid_body' })
      expect(body.message).toMatch(/^Payload validation error: /)
    }
    expect(answers[0]?.[1].message).toContain('Additional properties not allowed: email')
    const stored = (await users.getUser(server.aliceId))?.profile
    expect([stored?.email, stored?.app_metadata, stored?.blocked]).toEqual([ALICE.email, { roles: ['admin'] }, undefined])
  })

  it('PATCH blocked: true persists, and the next login of that user is refused', async () => {
    await using server = await planServer([['PATCH', '/users/{id}', { blocked: true }]])
    const [[status, user]] = await runPlan(server)
    expect([status, user.blocked]).toEqual([200, true])
    const next = await server.login(ALICE, 'Employees')
    expect([next.status, next.body.error]).toEqual([401, 'unauthorized'])
  })
})

describe('users by email, search, roles', () => {
  it('GET /users-by-email and GET /users?q=email:"…"&search_engine=v3 find users of every directory; other queries are a clear 400', async () => {
    await using server = await planServer([
      ['GET', `/users-by-email?email=${encodeURIComponent(BOB.email.toUpperCase())}`],
      ['GET', `/users?q=${encodeURIComponent(`email:"${ALICE.email}"`)}&search_engine=v3`],
      ['GET', `/users?q=${encodeURIComponent(`email:${ALICE.email}`)}&search_engine=v3&include_totals=true`],
      ['GET', '/users-by-email'],
      ['GET', `/users?q=${encodeURIComponent('name:"Alice"')}&search_engine=v3`],
      ['GET', '/users'],
    ])
    const [[, byEmail], [, search], [, totals], [s1, e1], [s2, e2], [s3, e3]] = await runPlan(server)
    expect(byEmail.map((u: { user_id: string }) => u.user_id)).toEqual([server.bobId])
    expect(search.map((u: { user_id: string }) => u.user_id)).toEqual([server.aliceId])
    expect(totals).toMatchObject({ start: 0, limit: 50, length: 1, total: 1 })
    for (const [status, error] of [
      [s1, e1],
      [s2, e2],
      [s3, e3],
    ]) {
      expect(status).toBe(400)
      expect(error).toMatchObject({ statusCode: 400, error: 'Bad Request', errorCode: 'invalid_query_string' })
    }
    expect(e2.message).toContain('searches users by email only')
  })

  it('GET /users/{id}/roles lists the RBAC roles with stable ids', async () => {
    await using server = await planServer([
      ['GET', '/users/{id}/roles'],
      ['GET', '/users/{id}/roles?include_totals=true'],
    ])
    const [[status, roles], [, totals]] = await runPlan(server)
    expect(status).toBe(200)
    expect(roles).toEqual([{ id: expect.stringMatching(/^rol_[A-Za-z0-9]{16}$/), name: 'Administrator', description: 'Administrator' }])
    expect(totals).toEqual({ roles, start: 0, limit: 50, total: 1 })
  })
})

describe('roles: the declared catalogue, assignment and removal by id', () => {
  const READER = 'rol_Reader0000000001'
  it('GET /roles (name_filter), POST and DELETE /users/{id}/roles persist role names through the store; unknown ids, bad bodies and missing users are Auth0 errors', async () => {
    const users = createMemoryStores().users
    const admin = derivedRoleId('Administrator')
    await using server = await planServer(
      [
        ['GET', '/roles'],
        ['GET', '/roles?name_filter=READ'],
        ['POST', '/users/{id}/roles', { roles: [READER] }],
        ['POST', '/users/{id}/roles', { roles: [READER] }],
        ['GET', '/users/{id}/roles'],
        ['POST', '/users/{id}/roles', { roles: [READER, 'rol_Nope'] }],
        ['POST', '/users/{id}/roles', { roles: [] }],
        ['POST', '/users/{id}/roles', { roles: 'rol_x', extra: 1 }],
        ['POST', '/users/auth0%7Cnobody/roles', { roles: [READER] }],
        ['DELETE', '/users/{id}/roles', { roles: [admin] }],
        ['GET', `/roles/${READER}`],
        ['GET', '/roles/rol_Nope'],
      ],
      { stores: { users }, managementApi: { roles: [{ name: 'Administrator' }, { name: 'Reader', id: READER, description: 'Reads' }] } },
    )
    await seed(server)
    const [list, filtered, assigned, again, held, unknown, empty, shape, nobody, removed, one, missing] = await runPlan(server)
    expect(list).toEqual([
      200,
      [
        { id: admin, name: 'Administrator', description: 'Administrator' },
        { id: READER, name: 'Reader', description: 'Reads' },
      ],
    ])
    expect(filtered).toEqual([200, [{ id: READER, name: 'Reader', description: 'Reads' }]])
    expect([assigned, again]).toEqual([
      [204, null],
      [204, null],
    ])
    expect(held).toEqual([200, [expect.objectContaining({ name: 'Administrator', id: admin }), { id: READER, name: 'Reader', description: 'Reads' }]])
    expect(unknown).toEqual([404, { statusCode: 404, error: 'Not Found', message: expect.stringContaining('"rol_Nope"'), errorCode: 'inexistent_role' }])
    expect(unknown[1].message).not.toContain(READER)
    for (const [status, body] of [empty, shape]) expect([status, body.errorCode]).toEqual([400, 'invalid_body'])
    expect(nobody).toEqual([404, expect.objectContaining({ errorCode: 'inexistent_user' })])
    expect(removed).toEqual([204, null])
    expect(one).toEqual([200, { id: READER, name: 'Reader', description: 'Reads' }])
    expect(missing).toEqual([404, expect.objectContaining({ errorCode: 'inexistent_role' })])
    // Names in the store, as context.authorization.roles reads them.
    expect((await users.getUser(server.aliceId))?.roles).toEqual(['Reader'])
  })

  it('managementApi.roles refuses duplicate names or ids and malformed ids at startup', async () => {
    for (const roles of [
      [{ name: 'A' }, { name: 'A' }],
      [
        { name: 'A', id: 'rol_X1' },
        { name: 'B', id: 'rol_X1' },
      ],
      [{ name: 'A', id: 'admin' }],
    ]) {
      await expect(startServer({ rules: [], managementApi: { roles } })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    }
  })
})

describe('routes this subset does not serve', () => {
  it("an Auth0 route it does not serve is a 501 naming it; a path that is no Auth0 resource is Auth0's 404", async () => {
    await using server = await planServer([
      ['GET', '/users/{id}/permissions'],
      ['PATCH', '/clients/abc', { client_metadata: { a: '1' } }],
      ['POST', '/organizations/org_1/members/{id}/roles', { roles: ['rol_x'] }],
      ['DELETE', '/users/{id}'],
      ['GET', '/nonsense'],
    ])
    const answers = await runPlan(server)
    for (const [status, body] of answers.slice(0, 4)) {
      expect(status).toBe(501)
      expect(body).toMatchObject({ statusCode: 501, error: 'Not Implemented', errorCode: 'not_implemented' })
      expect(body.message).toMatch(/^(GET|PATCH|POST|DELETE) \/api\/v2\/\S+ is not served/)
    }
    expect(answers[1][1].message).toContain('PATCH /api/v2/clients/abc')
    expect(answers[4]).toEqual([404, { statusCode: 404, error: 'Not Found', message: 'Not Found' }])
  })
})

describe('POST https://<domain>/oauth/token (client credentials, in-process)', () => {
  const ORIGIN = `https://${DOMAIN}`
  function direct(lifetimeMs = 120_000) {
    let now = 0
    const tokens = new ManagementTokens(ORIGIN, lifetimeMs, () => now)
    const api = managementApi({
      users: createMemoryStores().users,
      tokens,
      now: () => now,
      maxBodyBytes: 1_000,
      verifyIdToken: async () => undefined,
      roles: new RoleCatalogue(),
    })
    const token = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, origin = ORIGIN) =>
      api(new Request(`${origin}/oauth/token`, { method: 'POST', headers, body }))
    const json = (fields: Record<string, unknown>) => token(JSON.stringify(fields))
    return { api, token, json, advance: (ms: number) => void (now += ms) }
  }
  const GOOD = { grant_type: 'client_credentials', client_id: 'm2m-app', client_secret: 'm2m-secret', audience: `${ORIGIN}/api/v2/` }

  it("answers Auth0's token response with a token the Management API accepts for this tenant, for the same short lifetime", async () => {
    const { api, json, advance } = direct(60_000)
    const answer = await json({ ...GOOD, scope: 'read:users create:organization_member_roles' })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('cache-control')).toBe('no-store')
    const body = (await answer.json()) as Record<string, unknown>
    expect(body).toEqual({ access_token: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/), scope: 'read:users', expires_in: 60, token_type: 'Bearer' })
    expect(JSON.stringify(body)).not.toContain('m2m-secret')
    const use = (origin = ORIGIN) =>
      api(new Request(`${origin}/api/v2/users/auth0%7Cx`, { headers: { authorization: `Bearer ${String(body['access_token'])}` } }))
    expect((await use()).status).toBe(404) // accepted: no such user
    expect((await use('https://other.example.com')).status).toBe(401)
    advance(60_000)
    expect(await (await use()).json()).toMatchObject({ statusCode: 401, message: 'Expired token received for JSON Web Token validation' })
  })

  it('takes a form body and client_secret_basic as Auth0 does', async () => {
    const { token } = direct()
    const form = await token(new URLSearchParams(GOOD).toString(), { 'content-type': 'application/x-www-form-urlencoded' })
    expect(form.status).toBe(200)
    const basic = await token(JSON.stringify({ grant_type: GOOD.grant_type, audience: GOOD.audience }), {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from('m2m-app:m2m-secret').toString('base64')}`,
    })
    expect(basic.status).toBe(200)
  })

  it("any other grant, audience or missing credential is Auth0's {error, error_description}, and no token", async () => {
    const { json, token } = direct()
    const cases: [Record<string, unknown>, number, string, RegExp][] = [
      [{ ...GOOD, grant_type: undefined }, 400, 'invalid_request', /^Missing required parameter: grant_type$/],
      [{ ...GOOD, grant_type: 'password', username: 'a', password: 'b' }, 403, 'unauthorized_client', /^Grant type 'password' not allowed for the client/],
      [{ ...GOOD, client_id: undefined }, 401, 'access_denied', /^Unauthorized$/],
      [{ ...GOOD, client_secret: '' }, 401, 'access_denied', /^Unauthorized$/],
      [{ ...GOOD, audience: undefined }, 403, 'access_denied', /^No audience parameter was provided/],
      [{ ...GOOD, audience: 'https://api.example.com' }, 403, 'access_denied', /^Service not enabled within domain: https:\/\/api\.example\.com$/],
      [{ ...GOOD, audience: `${ORIGIN}/api/v2` }, 403, 'access_denied', /^Service not enabled within domain/],
    ]
    for (const [fields, status, error, description] of cases) {
      const answer = await json(fields)
      const body = (await answer.json()) as Record<string, string>
      expect([answer.status, body['error']], JSON.stringify(fields)).toEqual([status, error])
      expect(body['error_description']).toMatch(description)
      expect(body['access_token']).toBeUndefined()
    }
    expect((await token('{not json')).status).toBe(400)
    expect((await token('x'.repeat(20_000))).status).toBe(413)
    expect((await token(JSON.stringify(GOOD), { 'content-type': 'text/plain' })).status).toBe(400)
    // Another tenant's origin is not this handler's token endpoint.
    expect((await token(JSON.stringify(GOOD), { 'content-type': 'application/json' }, 'https://other.example.com')).status).toBe(404)
  })

  it('a rule exchanges client credentials at https://<auth0.domain>/oauth/token and calls the Management API with the token', async () => {
    const exchange = rule(
      'exchange',
      `fetch('https://' + auth0.domain + '/oauth/token', { method: 'POST', headers: { 'content-type': 'application/json' },
         body: JSON.stringify({ grant_type: 'client_credentials', client_id: configuration.CLIENT_ID, client_secret: configuration.CLIENT_SECRET, audience: 'https://' + auth0.domain + '/api/v2/' }) })
         .then(function (res) { return res.json(); })
         .then(function (t) { return fetch(auth0.baseUrl + '/users/' + encodeURIComponent(user.user_id), { headers: { authorization: t.token_type + ' ' + t.access_token } }); })
         .then(function (res) { return res.json(); })
         .then(function (u) { context.idToken['https://t.example/email'] = u.email; callback(null, user, context); }, callback);`,
    )
    await using server = await startServer({ rules: [exchange], engineOptions: { configuration: { CLIENT_ID: 'm2m', CLIENT_SECRET: 'secret' } } })
    const answer = await server.login(ALICE, 'Employees', { scope: 'openid' })
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect((await server.verify(answer.body.id_token, 'demo-app')).payload['https://t.example/email']).toBe(ALICE.email)
    // Not a route of the server's own handler.
    const open = await server.send(
      new Request(`https://${DOMAIN}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(GOOD) }),
    )
    expect([open.body.access_token, typeof open.body.error]).toEqual([undefined, 'string'])
  })
})

describe('account linking', () => {
  it('POST /users/{id}/identities links a user of another directory (it stops being a user); DELETE gives it back', async () => {
    const users = createMemoryStores().users
    const bobLocal = 'bob-0001'
    const plan: Step[] = [
      ['POST', '/users/{id}/identities', { provider: 'auth0', user_id: bobLocal }],
      ['GET', '/users/{id}'],
      ['POST', '/users/{id}/identities', { provider: 'auth0', user_id: 'alice-0001' }],
      ['DELETE', `/users/{id}/identities/auth0/${bobLocal}`],
      ['DELETE', `/users/{id}/identities/auth0/${bobLocal}`],
    ]
    await using linking = await planServer(plan, { stores: { users } })
    await seed(linking, { alice: 'auth0|alice-0001', bob: `auth0|${bobLocal}` })
    const [[linked, identities], [, user], [same, sameError], [unlinked, rest], [again, againError]] = await runPlan(linking)
    expect(linked).toBe(201)
    expect(identities).toEqual([
      { connection: 'Employees', provider: 'auth0', user_id: 'alice-0001', isSocial: false },
      expect.objectContaining({
        connection: 'Customers',
        provider: 'auth0',
        user_id: bobLocal,
        isSocial: false,
        profileData: expect.objectContaining({ email: BOB.email }),
      }),
    ])
    expect(user.identities).toHaveLength(2)
    expect([same, sameError.message]).toEqual([400, 'Main identity and the new one are the same.'])
    expect(unlinked).toBe(200)
    expect(rest).toHaveLength(1)
    expect(again).toBe(400)
    expect(againError).toMatchObject({ statusCode: 400, error: 'Bad Request' })
    // While linked, Bob is no user of his own; unlinked, he is again and can log in.
    expect((await linking.login(BOB, 'Customers')).status).toBe(200)
    expect(await users.getUser(`auth0|${bobLocal}`)).toBeDefined()
  })
})

describe('account linking with link_with', () => {
  it("links the account an ID token of this server names; a token that is not this tenant's is a 400", async () => {
    let idToken = 'not-a-jwt'
    const linker = rule(
      'link-with',
      `fetch(auth0.baseUrl + '/users/' + encodeURIComponent(user.user_id) + '/identities', {
         method: 'POST', headers: { authorization: 'Bearer ' + auth0.accessToken, 'content-type': 'application/json' }, body: JSON.stringify({ link_with: secondaryToken() }),
       }).then(function (res) { return res.json().then(function (body) { context.idToken['https://t.example/link'] = [res.status, body]; callback(null, user, context); }); }, callback);`,
    )
    const users = createMemoryStores().users
    await using linking = await startServer({ rules: [linker], stores: { users }, engineOptions: { globals: { secondaryToken: () => idToken } } })
    await seed(linking)
    const link = async () => {
      const answer = await linking.login(ALICE, 'Employees', { scope: 'openid' })
      return (await linking.verify(answer.body.id_token, 'demo-app')).payload['https://t.example/link'] as [number, any]
    }
    const [refused, error] = await link()
    expect([refused, error.statusCode, error.message]).toEqual([400, 400, 'The link_with token is not a valid ID token of this tenant.'])

    // Bob's own ID token, issued by this server: links Bob into Alice.
    const bob = await linking.login(BOB, 'Customers', { scope: 'openid' })
    idToken = bob.body.id_token
    const [status, identities] = await link()
    expect(status).toBe(201)
    expect(identities.map((identity: { connection: string }) => identity.connection)).toEqual(['Employees', 'Customers'])
    expect(await users.getUser(linking.bobId)).toBeUndefined()
  })
})

describe('authorisation', () => {
  it('a missing, malformed or unknown token is 401 as Auth0 answers; an expired one too', async () => {
    await using server = await planServer([
      ['GET', '/users/{id}', undefined, { authorization: '' }],
      ['GET', '/users/{id}', undefined, { authorization: 'Basic abc' }],
      ['GET', '/users/{id}', undefined, { authorization: 'Bearer not-a-token' }],
    ])
    const [[s1, e1], [s2, e2], [s3, e3]] = await runPlan(server)
    expect([s1, e1]).toEqual([401, { statusCode: 401, error: 'Unauthorized', message: 'Missing authentication' }])
    expect([s2, e2.message, s3, e3.message]).toEqual([401, 'Invalid token', 401, 'Invalid token'])

    const tokens = new ManagementTokens(`https://${DOMAIN}`, 120_000, () => now)
    let now = 0
    const api = managementApi({
      users: createMemoryStores().users,
      tokens,
      now: () => now,
      maxBodyBytes: 1_000,
      verifyIdToken: async () => undefined,
      roles: new RoleCatalogue(),
    })
    const token = tokens.mint()
    const ask = (origin = `https://${DOMAIN}`) => api(new Request(`${origin}/api/v2/users/auth0%7Cx`, { headers: { authorization: `Bearer ${token}` } }))
    expect((await ask()).status).toBe(404) // accepted: the user does not exist
    // Scoped to the tenant: the same token for another tenant's origin is refused.
    expect(await (await ask('https://other.example.com')).json()).toMatchObject({ statusCode: 401, message: 'Invalid token' })
    now = 120_001
    expect(await (await ask()).json()).toMatchObject({ statusCode: 401, message: 'Expired token received for JSON Web Token validation' })
  })

  it('a token of one run, kept in global, is refused once its lifetime is over', async () => {
    const keeper = rule(
      'keeper',
      `global.kept = global.kept || auth0.accessToken;
       fetch(auth0.baseUrl + '/users/' + encodeURIComponent(user.user_id), { headers: { authorization: 'Bearer ' + global.kept } })
         .then(function (res) { context.idToken['https://t.example/status'] = res.status; callback(null, user, context); }, callback);`,
    )
    await using server = await startServer({ rules: [keeper], managementApi: { tokenLifetimeSeconds: 60 } })
    const status = async () => {
      const answer = await server.login(ALICE, 'Employees', { scope: 'openid' })
      return (await server.verify(answer.body.id_token, 'demo-app')).payload['https://t.example/status']
    }
    expect(await status()).toBe(200)
    server.clock.advance(61_000)
    expect(await status()).toBe(401)
  })

  it('nothing of the Management API is on the public routes, and managementApi: false turns it off for rules', async () => {
    await using server = await startServer({ rules: [] })
    for (const path of ['/api/v2/users', `/api/v2/users/${encodeURIComponent(server.aliceId)}`, '/api/v2/users-by-email?email=a']) {
      const answer = await server.send(new Request(`https://${DOMAIN}${path}`, { headers: { authorization: 'Bearer x' } }))
      expect(answer.status).toBe(404)
    }
    await using off = await startServer({
      rules: [rule('probe', `context.idToken['https://t.example/t'] = typeof auth0.accessToken; callback(null, user, context);`)],
      managementApi: false,
    })
    const answer = await off.login(ALICE, 'Employees', { scope: 'openid' })
    expect((await off.verify(answer.body.id_token, 'demo-app')).payload['https://t.example/t']).toBe('undefined')
  })
})

describe('a failed write fails the login', () => {
  it('a store that fails under PATCH: no token, a server_error, whatever the rule does with the error', async () => {
    const inner = createMemoryStores().users
    const failing = new Proxy(inner, {
      get(target, name) {
        if (name === 'updateAppMetadata') return async () => Promise.reject(new Error('disk full'))
        const value = Reflect.get(target, name) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const swallow = rule(
      'swallow',
      `fetch(auth0.baseUrl + '/users/' + encodeURIComponent(user.user_id), { method: 'PATCH', headers: { authorization: 'Bearer ' + auth0.accessToken, 'content-type': 'application/json' }, body: JSON.stringify({ app_metadata: { plan: 'gold' } }) })
         .catch(function () { return null; })
         .then(function () { callback(null, user, context); });`,
    )
    const errors: unknown[] = []
    await using server = await startServer({
      rules: [swallow],
      stores: { users: failing },
      encryptionKey: Buffer.alloc(32, 7),
      hooks: { onError: (event) => void errors.push(event) },
    })
    await seed(server)
    const answer = await server.login(ALICE, 'Employees')
    expect(answer.status).toBe(500)
    expect(answer.body.error).toBe('server_error')
    expect(answer.body.access_token).toBeUndefined()
    expect(JSON.stringify(errors.map((event) => String((event as { error: Error }).error?.message)))).toContain('disk full')
  })
})

/** Alice (Employees, role Administrator) and Bob (Customers) in a server started with its own user store. */
async function seed(server: TestServer, ids: { alice?: string; bob?: string } = {}): Promise<void> {
  const alice = {
    directory: 'Employees',
    ...ALICE,
    email_verified: true,
    name: 'Alice Liddell',
    app_metadata: { roles: ['admin'] },
    user_metadata: { theme: 'dark' },
    roles: ['Administrator'],
  }
  server.aliceId = (await server.server.users.create({ ...alice, ...(ids.alice === undefined ? {} : { userId: ids.alice }) })).user_id
  server.bobId = (
    await server.server.users.create({ directory: 'Customers', ...BOB, name: 'Bob', ...(ids.bob === undefined ? {} : { userId: ids.bob }) })
  ).user_id
}
