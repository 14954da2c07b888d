/**
 * /userinfo through the SDKs' own calls, the demo's /dbconnections answers as the SDKs map them,
 * and the errors an operator or brute-force protection causes: a blocked user (blocked by the
 * operator in the demo's user store, as the Management API would) and too many attempts.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSqliteStores } from '@tokenrules/oauth/sqlite'
import { AUDIENCE, USERS, runSdk, startHttpsDemo, value, type HttpsDemo } from './harness.js'

let server: HttpsDemo
beforeAll(async () => {
  server = await startHttpsDemo()
}, 120_000)
afterAll(async () => server?.stop(), 120_000)

describe('GET /userinfo through the SDKs', () => {
  it('auth0-auth-js getUserInfo, node-auth0 UserInfoClient.getUserInfo, openid-client fetchUserInfo and oauth4webapi userInfoRequest agree', async () => {
    const out = value(
      await runSdk(
        server,
        `const { AuthClient } = await import('@auth0/auth0-auth-js');
        const { UserInfoClient } = await import('auth0/legacy');
        const client = await import('openid-client');
        const oauth = await import('oauth4webapi');
        const auth = new AuthClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
        const tokens = await auth.getTokenByPassword({ ...input.user, audience: input.audience, scope: 'openid profile email' });
        const sub = tokens.claims.sub;
        const authJs = await auth.getUserInfo({ accessToken: tokens.accessToken });
        const nodeAuth0 = (await new UserInfoClient({ domain: DOMAIN }).getUserInfo(tokens.accessToken)).data;
        const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET);
        const openidClient = await client.fetchUserInfo(config, tokens.accessToken, sub);
        const as = await oauth.processDiscoveryResponse(new URL(ISSUER), await oauth.discoveryRequest(new URL(ISSUER)));
        const webapi = await oauth.processUserInfoResponse(as, { client_id: CLIENT_ID }, sub, await oauth.userInfoRequest(as, { client_id: CLIENT_ID }, tokens.accessToken));
        let refused;
        try { await auth.getUserInfo({ accessToken: tokens.idToken }); refused = 'accepted'; } catch (e) { refused = describeError(e); }
        return { sub, authJs, nodeAuth0, openidClient, webapi, refused, discovery: config.serverMetadata().userinfo_endpoint };`,
        { user: USERS.alice, audience: AUDIENCE },
      ),
    )
    expect(out.discovery).toBe(`${server.issuer}userinfo`)
    expect(out.authJs).toMatchObject({ sub: out.sub, email: USERS.alice.username, name: 'Alice' })
    expect(out.nodeAuth0).toEqual(out.authJs)
    expect(out.openidClient).toEqual(out.authJs)
    expect(out.webapi).toEqual(out.authJs)
    expect(out.refused).toMatchObject({ name: 'UserInfoError', statusCode: 401 })
  }, 120_000)
})

describe('/dbconnections as the demo serves them (Customers may sign up, Employees may not)', () => {
  it('signs up through both SDKs; the first login runs the rules (the demo’s email-verified rule denies it)', async () => {
    const out = value(
      await runSdk(
        server,
        `const { AuthClient } = await import('@auth0/auth0-auth-js');
        const { AuthenticationClient } = await import('auth0/legacy');
        const authJs = new AuthClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
        const nodeAuth0 = new AuthenticationClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
        const out = {};
        out.authJs = await authJs.database.signUp({ email: 'dave@example.com', password: 'Dave-has-a-long-Passw0rd', connection: 'Customers' });
        out.nodeAuth0 = (await nodeAuth0.database.signUp({ email: 'erin@example.com', password: 'Erin-has-a-long-Passw0rd', connection: 'Customers' })).data;
        try { await authJs.database.signUp({ email: 'frank@example.com', password: 'Frank-has-a-long-Passw0rd', connection: 'Employees' }); out.employees = 'succeeded'; } catch (e) { out.employees = describeError(e); }
        try { await authJs.database.signUp({ email: 'gina@example.com', password: 'short', connection: 'Customers' }); out.weak = 'succeeded'; } catch (e) { out.weak = describeError(e); }
        try { await authJs.getTokenByPassword({ username: 'dave@example.com', password: 'Dave-has-a-long-Passw0rd', realm: 'Customers', audience: input.audience }); out.login = 'succeeded'; } catch (e) { out.login = describeError(e); }
        return out;`,
        { audience: AUDIENCE },
      ),
    )
    expect(out.authJs).toMatchObject({ email: 'dave@example.com' })
    expect(out.nodeAuth0).toMatchObject({ email: 'erin@example.com', email_verified: false })
    expect(out.employees).toMatchObject({ statusCode: 400, cause: { error: 'operation_not_supported', error_description: 'public signup is disabled' } })
    expect(out.weak).toMatchObject({ statusCode: 400 })
    expect(JSON.stringify(out.weak)).toContain('invalid_password')
    expect(out.login).toMatchObject({ statusCode: 401 })
    expect(JSON.stringify(out.login)).toContain('Please verify your email before logging in.')
  }, 120_000)

  it('change password answers Auth0’s sentence for known and unknown emails alike; only the known one gets a reset link', async () => {
    const out = value(
      await runSdk(
        server,
        `const { AuthClient } = await import('@auth0/auth0-auth-js');
        const { AuthenticationClient } = await import('auth0/legacy');
        const authJs = new AuthClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
        const nodeAuth0 = new AuthenticationClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
        const known = await authJs.database.changePassword({ email: input.email, connection: 'Customers' });
        const unknown = (await nodeAuth0.database.changePassword({ email: 'nobody@example.com', connection: 'Customers' })).data;
        return { known, unknown };`,
        { email: USERS.bob.username },
      ),
    )
    expect(out.known).toBe("We've just sent you an email to reset your password.")
    expect(out.unknown).toBe(out.known)
    const { readdirSync, readFileSync } = await import('node:fs')
    const deadline = Date.now() + 10_000
    let files: string[] = []
    while (files.length === 0 && Date.now() < deadline) {
      try {
        files = readdirSync(join(server.dataDir, 'outbox'))
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    expect(files).toHaveLength(1)
    const delivery = JSON.parse(readFileSync(join(server.dataDir, 'outbox', files[0] ?? ''), 'utf8')) as Record<string, string>
    expect(delivery).toMatchObject({ email: USERS.bob.username, directory: 'Customers', clientId: 'demo-app', ticket: expect.any(String) })
  }, 120_000)
})

describe('errors an operator or brute-force protection causes', () => {
  it('a blocked user: the SDKs see 401 unauthorized "user is blocked"; too many attempts: 429 too_many_attempts', async () => {
    const stores = createSqliteStores({ path: join(server.dataDir, 'tokenrules.db') })
    try {
      const bob = await stores.users.findUser('Customers', USERS.bob.username)
      if (bob === undefined) throw new Error('the demo did not seed bob')
      await stores.users.setBlocked(bob.profile.user_id as string, true, Date.now())
    } finally {
      stores.close()
    }
    const out = value(
      await runSdk(
        server,
        `const { AuthClient } = await import('@auth0/auth0-auth-js');
        const { AuthenticationClient } = await import('auth0/legacy');
        const auth = new AuthClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
        const legacy = new AuthenticationClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
        const out = {};
        try { await auth.getTokenByPassword({ ...input.bob, audience: input.audience }); out.blocked = 'succeeded'; } catch (e) { out.blocked = describeError(e); }
        try { await legacy.oauth.passwordGrant({ ...input.bob, audience: input.audience }); out.blockedLegacy = 'succeeded'; } catch (e) { out.blockedLegacy = describeError(e); }
        out.attempts = [];
        for (let i = 0; i < 11; i++) {
          try { await auth.getTokenByPassword({ ...input.alice, password: 'not her password ' + i, audience: input.audience }); out.attempts.push('succeeded'); } catch (e) { out.attempts.push(describeError(e)); }
        }
        try { await legacy.oauth.passwordGrant({ ...input.alice, audience: input.audience }); out.rightPassword = 'succeeded'; } catch (e) { out.rightPassword = describeError(e); }
        return out;`,
        { bob: USERS.bob, alice: USERS.alice, audience: AUDIENCE },
      ),
    )
    expect(out.blocked).toMatchObject({ name: 'TokenByPasswordError', statusCode: 401, cause: { error: 'unauthorized', error_description: 'user is blocked' } })
    expect(out.blockedLegacy).toMatchObject({ name: 'AuthApiError', statusCode: 401, error: 'unauthorized', error_description: 'user is blocked' })
    expect(out.attempts.slice(0, 10).map((error: { cause: { error: string } }) => error.cause.error)).toEqual(Array(10).fill('invalid_grant'))
    expect(out.attempts[10]).toMatchObject({ statusCode: 429, cause: { error: 'too_many_attempts' } })
    // The (user, IP) pair stays blocked even with the right password.
    expect(out.rightPassword).toMatchObject({ name: 'AuthApiError', statusCode: 429, error: 'too_many_attempts' })
  }, 120_000)

  it('a rule denial (01-require-verified-email: carol’s email marked unverified by the operator) reaches the SDKs as 401 unauthorized with the rule’s message', async () => {
    const stores = createSqliteStores({ path: join(server.dataDir, 'tokenrules.db') })
    try {
      const carol = await stores.users.findUser('Employees', USERS.carol.username)
      if (carol === undefined) throw new Error('the demo did not seed carol')
      await stores.users.setEmailVerified(carol.profile.user_id as string, false, Date.now())
    } finally {
      stores.close()
    }
    const out = value(
      await runSdk(
        server,
        `const { AuthClient } = await import('@auth0/auth0-auth-js');
        const { AuthenticationClient } = await import('auth0/legacy');
        const client = await import('openid-client');
        const out = {};
        try { await new AuthClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }).getTokenByPassword({ ...input.carol, audience: input.audience }); out.authJs = 'succeeded'; } catch (e) { out.authJs = describeError(e); }
        try { await new AuthenticationClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }).oauth.passwordGrant({ ...input.carol, audience: input.audience }); out.nodeAuth0 = 'succeeded'; } catch (e) { out.nodeAuth0 = describeError(e); }
        const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET);
        try { await client.genericGrantRequest(config, 'http://auth0.com/oauth/grant-type/password-realm', { ...input.carol, audience: input.audience }); out.openidClient = 'succeeded'; } catch (e) { out.openidClient = describeError(e); }
        return out;`,
        { carol: USERS.carol, audience: AUDIENCE },
      ),
    )
    const description = 'Please verify your email before logging in.'
    expect(out.authJs).toMatchObject({ name: 'TokenByPasswordError', statusCode: 401, cause: { error: 'unauthorized', error_description: description } })
    expect(out.nodeAuth0).toMatchObject({ name: 'AuthApiError', statusCode: 401, error: 'unauthorized', error_description: description })
    expect(out.openidClient).toMatchObject({ name: 'ResponseBodyError', status: 401, error: 'unauthorized', error_description: description })
  }, 120_000)
})
