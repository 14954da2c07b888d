/**
 * The node-auth0 SDK as deployed rules used it (issue 15, class 3): the real auth0@2.44.1 bundled
 * into the sandbox (`modules.packages: ['auth0']`), `new ManagementClient({ token:
 * auth0.accessToken, domain: auth0.domain })`, against the Management API subset a token server
 * serves its engine in-process. Its HTTP (superagent's Node path) goes through the engine's HTTP
 * bridge like any client's: the Management API in-process, anything else by `modules.http`.
 */
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@tokenrules/oauth'
import { ALICE, BOB, rule, startServer, type TestServer } from './helpers.js'

/** auth0@2.44.1 is a dev dependency of the engine package: bundles resolve it from there. */
const ENGINE_DIR = fileURLToPath(new URL('../../engine/', import.meta.url))

/** A rule that builds a ManagementClient as rules did, runs `body` (which calls `out(value)` or `fail(error)`), and puts the outcome in the ID token. */
function sdkRule(body: string, spec = 'auth0@2.44.1') {
  return rule(
    'node-auth0',
    `var ManagementClient = require('${spec}').ManagementClient;
     var management = new ManagementClient({ token: auth0.accessToken, domain: auth0.domain });
     function out(value) { context.idToken['https://t.example/out'] = value; callback(null, user, context); }
     function fail(e) { context.idToken['https://t.example/error'] = { name: e && e.name, statusCode: e && e.statusCode, message: e && e.message }; callback(null, user, context); }
     try { ${body} } catch (e) { fail(e); }`,
  )
}

async function sdkServer(body: string, options: Parameters<typeof startServer>[0] = {}, spec?: string): Promise<TestServer> {
  return startServer({
    rules: [sdkRule(body, spec)],
    ...options,
    engineOptions: { modules: { packages: ['auth0'], resolveFrom: ENGINE_DIR }, limits: { timeoutMs: 10_000, memoryLimitMb: 128 }, ...options.engineOptions },
  })
}

/** Log alice in; the rule's outcome. */
async function outcome(server: TestServer): Promise<{ out?: any; error?: any }> {
  const answer = await server.login(ALICE, 'Employees', { scope: 'openid' })
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  const { payload } = await server.verify(answer.body.id_token, 'demo-app')
  return { out: payload['https://t.example/out'], error: payload['https://t.example/error'] }
}

describe('ManagementClient of auth0@2.44.1, bundled into the sandbox', () => {
  it('users.get({ id }) and getUser({ id }) read the user', async () => {
    await using server = await sdkServer(
      `management.users.get({ id: user.user_id }).then(function (a) {
         return management.getUser({ id: user.user_id }).then(function (b) { out([a.user_id, a.email, b.user_id, b.identities.length]); });
       }).catch(fail);`,
    )
    const { out, error } = await outcome(server)
    expect(error).toBeUndefined()
    expect(out).toEqual([server.aliceId, ALICE.email, server.aliceId, 1])
  })

  it('updateAppMetadata and users.update persist through the store, as auth0.users.update* do', async () => {
    const users = createMemoryStores().users
    await using server = await sdkServer(
      `management.updateAppMetadata({ id: user.user_id }, { plan: 'gold' }).then(function (a) {
         return management.users.update({ id: user.user_id }, { user_metadata: { lang: 'fr' }, email_verified: false }).then(function (b) {
           out([a.app_metadata, b.user_metadata, b.email_verified]);
         });
       }).catch(fail);`,
      { stores: { users } },
    )
    server.aliceId = (
      await server.server.users.create({
        directory: 'Employees',
        ...ALICE,
        email_verified: true,
        app_metadata: { roles: ['admin'] },
        user_metadata: { theme: 'dark' },
      })
    ).user_id
    const { out, error } = await outcome(server)
    expect(error).toBeUndefined()
    expect(out).toEqual([{ roles: ['admin'], plan: 'gold' }, { theme: 'dark', lang: 'fr' }, false])
    expect((await users.getUser(server.aliceId))?.profile).toMatchObject({
      app_metadata: { roles: ['admin'], plan: 'gold' },
      user_metadata: { theme: 'dark', lang: 'fr' },
      email_verified: false,
    })
  })

  it('getUsersByEmail and getUsers({ q: email:"…", search_engine: v3 }) find users of every directory', async () => {
    await using server = await sdkServer(
      `management.getUsersByEmail('${BOB.email}').then(function (a) {
         return management.getUsers({ q: 'email:"' + user.email + '"', search_engine: 'v3' }).then(function (b) {
           out([a.map(function (u) { return u.user_id; }), b.map(function (u) { return u.user_id; })]);
         });
       }).catch(fail);`,
    )
    const { out, error } = await outcome(server)
    expect(error).toBeUndefined()
    expect(out).toEqual([[server.bobId], [server.aliceId]])
  })

  it('getUserRoles({ id }) lists the roles', async () => {
    await using server = await sdkServer(
      `management.getUserRoles({ id: user.user_id }).then(function (roles) { out(roles.map(function (r) { return r.name; })); }).catch(fail);`,
    )
    const { out, error } = await outcome(server)
    expect(error).toBeUndefined()
    expect(out).toEqual(['Administrator'])
  })

  it('ManagementClient({ domain, clientId, clientSecret }) gets its token from the in-process /oauth/token, then reads, assigns and removes roles', async () => {
    const users = createMemoryStores().users
    await using server = await startServer({
      rules: [
        rule(
          'node-auth0-m2m',
          `var ManagementClient = require('auth0@2.44.1').ManagementClient;
           var management = new ManagementClient({ domain: auth0.domain, clientId: configuration.CLIENT_ID, clientSecret: configuration.CLIENT_SECRET, scope: 'read:users update:users read:roles' });
           function fail(e) { context.idToken['https://t.example/error'] = { statusCode: e && e.statusCode, message: e && e.message }; callback(null, user, context); }
           management.getRoles({ name_filter: 'Reader' }).then(function (roles) {
             var reader = roles[0];
             return management.assignRolestoUser({ id: user.user_id }, { roles: [reader.id] }).then(function () {
               return management.getUserRoles({ id: user.user_id });
             }).then(function (held) {
               return management.removeRolesFromUser({ id: user.user_id }, { roles: [held[0].id] }).then(function () {
                 return management.users.get({ id: user.user_id });
               }).then(function (u) {
                 context.idToken['https://t.example/out'] = [reader, held.map(function (r) { return r.name; }), u.email];
                 callback(null, user, context);
               });
             });
           }).catch(fail);`,
        ),
      ],
      stores: { users },
      managementApi: { roles: [{ name: 'Reader', id: 'rol_PxUnassigned01' }] },
      engineOptions: {
        configuration: { CLIENT_ID: 'tenant-m2m-app', CLIENT_SECRET: 'tenant-m2m-secret' },
        modules: { packages: ['auth0'], resolveFrom: ENGINE_DIR },
        limits: { timeoutMs: 10_000, memoryLimitMb: 128 },
      },
    })
    server.aliceId = (await server.server.users.create({ directory: 'Employees', ...ALICE, roles: ['Administrator'] })).user_id
    const { out, error } = await outcome(server)
    expect(error).toBeUndefined()
    expect(out).toEqual([{ id: 'rol_PxUnassigned01', name: 'Reader', description: 'Reader' }, ['Administrator', 'Reader'], ALICE.email])
    expect((await users.getUser(server.aliceId))?.roles).toEqual(['Reader'])
  })

  it("assignRolestoUser with an undeclared role id is the SDK's 404 error; a route not served is its 501", async () => {
    await using server = await sdkServer(
      `management.assignRolestoUser({ id: user.user_id }, { roles: ['rol_Nope0000000001'] }).then(function () { out('assigned'); }, function (e) {
         return management.getUserPermissions({ id: user.user_id }).then(function () { out('permissions'); }, function (e2) { out([e.statusCode, e.message, e2.statusCode, e2.message]); });
       });`,
    )
    const { out, error } = await outcome(server)
    expect(error).toBeUndefined()
    expect(out?.slice(0, 1)).toEqual([404])
    expect(out?.[1]).toContain('"rol_Nope0000000001"')
    expect(out?.[2]).toBe(501)
    expect(out?.[3]).toMatch(/^GET \/api\/v2\/users\/\S+\/permissions is not served/)
  })

  it('linkUsers(primary, { user_id, provider }) links an account, the linking rules of deployed tenants', async () => {
    await using server = await sdkServer(
      `management.getUsersByEmail('${BOB.email}').then(function (found) {
         var other = found[0];
         return management.linkUsers(user.user_id, { user_id: other.identities[0].user_id, provider: other.identities[0].provider }).then(function (identities) {
           out(identities.map(function (i) { return i.connection; }));
         });
       }).catch(fail);`,
    )
    const { out, error } = await outcome(server)
    expect(error).toBeUndefined()
    expect(out).toEqual(['Employees', 'Customers'])
    // Bob's account is now an identity of Alice's: he is no user of his own.
    expect((await server.login(BOB, 'Customers')).status).toBe(403)
  })

  it("an error answer becomes the SDK's error with Auth0's statusCode and message", async () => {
    await using server = await sdkServer(`management.getUser({ id: 'auth0|nobody' }).then(function () { out('found'); }, fail);`)
    const { out, error } = await outcome(server)
    expect(out).toBeUndefined()
    expect(error).toMatchObject({ statusCode: 404, message: 'The user does not exist.' })
  })

  it("with isolation: 'thread' too (the token hook and the handler are called in this process either way)", async () => {
    await using server = await sdkServer(`management.users.get({ id: user.user_id }).then(function (a) { out(a.email); }).catch(fail);`, {
      engineOptions: { isolation: 'thread' },
    })
    expect(await outcome(server)).toEqual({ out: ALICE.email, error: undefined })
  })

  it("require('auth0') without a version is the same SDK", async () => {
    await using server = await sdkServer(`management.users.get({ id: user.user_id }).then(function (a) { out(a.user_id); }).catch(fail);`, {}, 'auth0')
    expect((await outcome(server)).out).toBe(server.aliceId)
  })

  it('AuthenticationClient: its requests go through the HTTP policy (the tenant host outside /api/v2 and POST /oauth/token is not allowed by default)', async () => {
    const body = `var AuthenticationClient = require('auth0@2.44.1').AuthenticationClient;
      var client = new AuthenticationClient({ domain: auth0.domain, clientId: context.clientID });
      client.getProfile('not-a-token').then(function () { out('answered'); }, fail);`
    await using server = await sdkServer(body)
    const { out, error } = await outcome(server)
    expect(out).toBeUndefined()
    expect(String(error?.message)).toMatch(/not allowed for rules/)
  })

  it('a write the store refuses through the SDK fails the login: no token', async () => {
    const inner = createMemoryStores().users
    const failing = new Proxy(inner, {
      get(target, name) {
        if (name === 'updateAppMetadata') return async () => Promise.reject(new Error('disk full'))
        const value = Reflect.get(target, name) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    await using server = await sdkServer(
      `management.updateAppMetadata({ id: user.user_id }, { plan: 'gold' }).then(function () { out('saved'); }, function () { out('ignored'); });`,
      {
        stores: { users: failing },
        encryptionKey: Buffer.alloc(32, 7),
      },
    )
    await server.server.users.create({ directory: 'Employees', ...ALICE })
    const answer = await server.login(ALICE, 'Employees')
    expect([answer.status, answer.body.error, answer.body.access_token]).toEqual([500, 'server_error', undefined])
  })
})
