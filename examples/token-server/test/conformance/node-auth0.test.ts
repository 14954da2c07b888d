/**
 * node-auth0 7.1.0's AuthenticationClient. v7's main entry no longer ships it (its README: "As of
 * v7, node-auth0 no longer ships AuthenticationClient in its main entrypoint"); the supported entry
 * for it is `auth0/legacy` (the v4 API), used here as a migrating app does. Its passwordGrant
 * validates the ID token (`iss` must be `https://<domain>/`, RS256 against the JWKS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, USERS, decodeJwt, runSdk, startHttpsDemo, value, type HttpsDemo } from './harness.js'

let server: HttpsDemo
beforeAll(async () => {
  server = await startHttpsDemo()
}, 120_000)
afterAll(async () => server?.stop(), 120_000)

const CLIENT = `const { AuthenticationClient } = await import('auth0/legacy');
const auth = new AuthenticationClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });`

describe('node-auth0 7.1.0 (auth0/legacy AuthenticationClient)', () => {
  it('oauth.passwordGrant with a realm, refreshTokenGrant rotates, a replay revokes the family', async () => {
    const out = value(
      await runSdk(
        server,
        `${CLIENT}
        const first = (await auth.oauth.passwordGrant({ ...input.user, audience: input.audience, scope: 'openid email offline_access' })).data;
        const second = (await auth.oauth.refreshTokenGrant({ refresh_token: first.refresh_token })).data;
        const errors = {};
        for (const [name, token] of [['replay', first.refresh_token], ['family', second.refresh_token]]) {
          try { await auth.oauth.refreshTokenGrant({ refresh_token: token }); errors[name] = 'succeeded'; } catch (e) { errors[name] = describeError(e); }
        }
        return { first, second, ...errors };`,
        { user: USERS.alice, audience: AUDIENCE },
      ),
    )
    expect(out.first).toMatchObject({ token_type: 'Bearer', expires_in: 86_400 })
    expect(decodeJwt(out.first.id_token).payload).toMatchObject({ iss: server.issuer, aud: 'demo-app', email: USERS.alice.username })
    expect(out.second.refresh_token).not.toBe(out.first.refresh_token)
    expect(out.replay).toMatchObject({ name: 'AuthApiError', error: 'invalid_grant', statusCode: 403 })
    expect(out.family).toMatchObject({ name: 'AuthApiError', error: 'invalid_grant', statusCode: 403 })
  }, 120_000)

  it('oauth.passwordGrant without a realm, and revokeRefreshToken', async () => {
    const out = value(
      await runSdk(
        server,
        `${CLIENT}
        const tokens = (await auth.oauth.passwordGrant({ username: input.username, password: input.password, audience: input.audience, scope: 'openid offline_access' })).data;
        await auth.oauth.revokeRefreshToken({ token: tokens.refresh_token });
        try { await auth.oauth.refreshTokenGrant({ refresh_token: tokens.refresh_token }); return { tokens, refreshed: true }; } catch (e) { return { tokens, refreshed: false, error: describeError(e) }; }`,
        { ...USERS.alice, audience: AUDIENCE },
      ),
    )
    expect(decodeJwt(out.tokens.id_token).payload['iss']).toBe(server.issuer)
    expect(out).toMatchObject({ refreshed: false, error: { error: 'invalid_grant' } })
  }, 120_000)

  it('maps wrong password, unknown realm, bad client and mfa_required (with mfa_token and mfa_requirements) to AuthApiError', async () => {
    const out = value(
      await runSdk(
        server,
        `${CLIENT}
        const bad = new AuthenticationClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: 'not-the-secret' });
        const errors = {};
        for (const [name, call] of Object.entries({
          wrongPassword: () => auth.oauth.passwordGrant({ ...input.bob, password: 'wrong password!', audience: input.audience }),
          unknownRealm: () => auth.oauth.passwordGrant({ ...input.bob, realm: 'Nowhere', audience: input.audience }),
          badClient: () => bad.oauth.passwordGrant({ ...input.bob, audience: input.audience }),
          mfaRequired: () => auth.oauth.passwordGrant({ ...input.carol, audience: input.audience }),
        })) {
          try { await call(); errors[name] = 'succeeded'; } catch (e) { const d = describeError(e); d.parsedBody = typeof e.body === 'string' ? JSON.parse(e.body) : e.body; errors[name] = d; }
        }
        return errors;`,
        { bob: USERS.bob, carol: USERS.carol, audience: AUDIENCE },
      ),
    )
    expect(out.wrongPassword).toMatchObject({ name: 'AuthApiError', error: 'invalid_grant', error_description: 'Wrong email or password.', statusCode: 403 })
    expect(out.unknownRealm).toMatchObject({ name: 'AuthApiError', error: 'invalid_request', statusCode: 400 })
    expect(out.badClient).toMatchObject({ name: 'AuthApiError', error: 'invalid_client', statusCode: 401 })
    expect(out.mfaRequired).toMatchObject({ name: 'AuthApiError', error: 'mfa_required', statusCode: 403 })
    expect(out.mfaRequired.parsedBody.mfa_token).toBeTypeOf('string')
    expect(out.mfaRequired.parsedBody.mfa_requirements).toEqual({ enroll: [{ type: 'otp' }] })
  }, 120_000)

  it('the rules shape what the SDK hands back: bob, a customer, asks for write:messages and gets read:messages only', async () => {
    const out = value(
      await runSdk(
        server,
        `${CLIENT} return (await auth.oauth.passwordGrant({ ...input.bob, audience: input.audience, scope: 'openid write:messages read:messages' })).data;`,
        {
          bob: USERS.bob,
          audience: AUDIENCE,
        },
      ),
    )
    expect(decodeJwt(out.access_token).payload['scope']).toBe('openid read:messages')
  }, 120_000)
})
