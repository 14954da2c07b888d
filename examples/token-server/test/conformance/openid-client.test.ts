/**
 * openid-client 6 and oauth4webapi 3 (panva's standard OAuth/OIDC clients) against the demo over
 * HTTPS: discovery must accept the document (its `issuer` equal to the URL byte for byte), the
 * password grant through their generic grant calls, refresh and revocation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, USERS, decodeJwt, runSdk, startHttpsDemo, value, type HttpsDemo } from './harness.js'

let server: HttpsDemo
beforeAll(async () => {
  server = await startHttpsDemo()
}, 120_000)
afterAll(async () => server?.stop(), 120_000)

describe('openid-client 6.9.0', () => {
  it('discovery accepts the document; the password grant, refresh (rotated), a replay refused, and tokenRevocation', async () => {
    const out = value(
      await runSdk(
        server,
        `const client = await import('openid-client');
        const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET);
        const tokens = await client.genericGrantRequest(config, 'http://auth0.com/oauth/grant-type/password-realm', { ...input.user, audience: input.audience, scope: 'openid email offline_access' });
        const claims = tokens.claims();
        const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
        let replay;
        try { await client.refreshTokenGrant(config, tokens.refresh_token); } catch (e) { replay = describeError(e); }
        const other = await client.genericGrantRequest(config, 'password', { username: input.user.username, password: input.user.password, audience: input.audience, scope: 'openid offline_access' });
        await client.tokenRevocation(config, other.refresh_token);
        let revoked;
        try { await client.refreshTokenGrant(config, other.refresh_token); } catch (e) { revoked = describeError(e); }
        return { metadata: config.serverMetadata(), tokens, claims, refreshed, replay, revoked };`,
        { user: USERS.alice, audience: AUDIENCE },
      ),
    )
    expect(out.metadata.issuer).toBe(server.issuer)
    // No authorization endpoint, so no response type: RFC 8414 §2 and OIDC Discovery §3 make the
    // member required and list what the server supports; [] is the truth, and the SDKs accept it.
    expect(out.metadata.response_types_supported).toEqual([])
    expect(out.metadata.authorization_endpoint).toBeUndefined()
    expect(out.metadata).toMatchObject({ revocation_endpoint: `${server.issuer}oauth/revoke`, userinfo_endpoint: `${server.issuer}userinfo` })
    expect(out.claims).toMatchObject({ iss: server.issuer, aud: 'demo-app', email: USERS.alice.username })
    expect(decodeJwt(out.tokens.access_token).header['typ']).toBe('at+jwt')
    expect(out.refreshed.refresh_token).not.toBe(out.tokens.refresh_token)
    expect(out.replay).toMatchObject({ name: 'ResponseBodyError', error: 'invalid_grant', status: 403 })
    expect(out.revoked).toMatchObject({ name: 'ResponseBodyError', error: 'invalid_grant' })
  }, 120_000)

  it('maps a wrong password, a bad client and mfa_required to ResponseBodyError with the body', async () => {
    const out = value(
      await runSdk(
        server,
        `const client = await import('openid-client');
        const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET);
        const bad = await client.discovery(new URL(ISSUER), CLIENT_ID, 'not-the-secret');
        const grant = 'http://auth0.com/oauth/grant-type/password-realm';
        const errors = {};
        for (const [name, call] of Object.entries({
          wrongPassword: () => client.genericGrantRequest(config, grant, { ...input.bob, password: 'wrong password!', audience: input.audience }),
          badClient: () => client.genericGrantRequest(bad, grant, { ...input.bob, audience: input.audience }),
          mfaRequired: () => client.genericGrantRequest(config, grant, { ...input.carol, audience: input.audience }),
        })) {
          try { await call(); errors[name] = 'succeeded'; } catch (e) { errors[name] = describeError(e); }
        }
        return errors;`,
        { bob: USERS.bob, carol: USERS.carol, audience: AUDIENCE },
      ),
    )
    expect(out.wrongPassword).toMatchObject({ error: 'invalid_grant', status: 403, cause: { error_description: 'Wrong email or password.' } })
    expect(out.badClient).toMatchObject({ error: 'invalid_client', status: 401 })
    expect(out.mfaRequired).toMatchObject({ error: 'mfa_required', status: 403, cause: { mfa_requirements: { enroll: [{ type: 'otp' }] } } })
  }, 120_000)
})

describe('oauth4webapi 3.8.8', () => {
  it('discoveryRequest/processDiscoveryResponse accept the document, and a password-realm token passes validateJwtAccessToken (RFC 9068)', async () => {
    const out = value(
      await runSdk(
        server,
        `const oauth = await import('oauth4webapi');
        const issuer = new URL(ISSUER);
        const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer));
        const client = { client_id: CLIENT_ID };
        const response = await oauth.genericTokenEndpointRequest(as, client, oauth.ClientSecretPost(CLIENT_SECRET), 'http://auth0.com/oauth/grant-type/password-realm',
          new URLSearchParams({ ...input.user, audience: input.audience, scope: 'openid email' }));
        const tokens = await oauth.processGenericTokenEndpointResponse(as, client, response);
        const claims = oauth.getValidatedIdTokenClaims(tokens);
        const request = new Request('https://api.example.com/messages', { headers: { authorization: 'Bearer ' + tokens.access_token } });
        const accessClaims = await oauth.validateJwtAccessToken(as, request, input.audience);
        let forged;
        try {
          const [h, p, s] = tokens.access_token.split('.');
          const payload = JSON.parse(Buffer.from(p, 'base64url'));
          payload.scope = 'openid email read:messages write:messages';
          const tampered = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
          await oauth.validateJwtAccessToken(as, new Request('https://api.example.com/', { headers: { authorization: 'Bearer ' + tampered } }), input.audience);
          forged = 'accepted';
        } catch (e) { forged = describeError(e); }
        return { as, claims, accessClaims, forged };`,
        { user: USERS.bob, audience: AUDIENCE },
      ),
    )
    expect(out.as.issuer).toBe(server.issuer)
    expect(out.claims).toMatchObject({ iss: server.issuer, email: USERS.bob.username })
    expect(out.accessClaims).toMatchObject({ iss: server.issuer, aud: AUDIENCE, client_id: 'demo-app', scope: 'openid email read:messages' })
    expect(out.accessClaims.jti).toBeTypeOf('string')
    expect(out.forged).toMatchObject({ code: 'OAUTH_INVALID_RESPONSE', message: 'JWT signature verification failed' })
  }, 120_000)
})
