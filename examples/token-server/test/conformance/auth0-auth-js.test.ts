/**
 * @auth0/auth0-auth-js (Auth0's Authentication API client, which node-auth0 v7 points to) against
 * the demo over HTTPS, by domain alone. It runs OIDC discovery first and checks every ID token's
 * `iss` against the discovered issuer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totp } from '../totp.js'
import { AUDIENCE, USERS, decodeJwt, runSdk, startHttpsDemo, value, type HttpsDemo } from './harness.js'

let server: HttpsDemo
beforeAll(async () => {
  server = await startHttpsDemo()
}, 120_000)
afterAll(async () => server?.stop(), 120_000)

const CLIENT = `const { AuthClient, isMfaRequiredError } = await import('@auth0/auth0-auth-js');
const auth = new AuthClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });`

describe('@auth0/auth0-auth-js 1.16.1', () => {
  it('getTokenByPassword with a realm (password-realm), then getTokenByRefreshToken rotates, and a replayed refresh token is refused', async () => {
    const out = value(
      await runSdk(
        server,
        `${CLIENT}
        const first = await auth.getTokenByPassword({ ...input.user, audience: input.audience, scope: 'openid profile email offline_access' });
        const second = await auth.getTokenByRefreshToken({ refreshToken: first.refreshToken });
        let replay;
        try { await auth.getTokenByRefreshToken({ refreshToken: first.refreshToken }); } catch (e) { replay = describeError(e); }
        let family;
        try { await auth.getTokenByRefreshToken({ refreshToken: second.refreshToken }); } catch (e) { family = describeError(e); }
        return { first, second, replay, family, metadata: await auth.getServerMetadata() };`,
        { user: USERS.alice, audience: AUDIENCE },
      ),
    )
    expect(out.metadata.issuer).toBe(server.issuer)
    expect(out.first.idToken).toBeTypeOf('string')
    expect(out.first.claims).toMatchObject({ iss: server.issuer, aud: 'demo-app', email: USERS.alice.username, 'https://example.com/roles': ['admin'] })
    expect(decodeJwt(out.first.accessToken).payload).toMatchObject({ iss: server.issuer, aud: AUDIENCE, client_id: 'demo-app' })
    expect(out.first.expiresAt).toBeGreaterThan(Date.now() / 1000)
    expect(out.second.refreshToken).toBeTypeOf('string')
    expect(out.second.refreshToken).not.toBe(out.first.refreshToken)
    // Reuse detection: the replay is refused, and the family (the rotated token too) is revoked.
    expect(out.replay).toMatchObject({ name: 'TokenByRefreshTokenError', cause: { error: 'invalid_grant' } })
    expect(out.family).toMatchObject({ name: 'TokenByRefreshTokenError', cause: { error: 'invalid_grant' } })
  }, 120_000)

  it('getTokenByPassword without a realm (password grant, the default directory)', async () => {
    const out = value(
      await runSdk(
        server,
        `${CLIENT} return auth.getTokenByPassword({ username: input.username, password: input.password, audience: input.audience, scope: 'openid email' });`,
        {
          ...USERS.alice,
          audience: AUDIENCE,
        },
      ),
    )
    expect(out.claims).toMatchObject({ iss: server.issuer, email: USERS.alice.username })
  }, 120_000)

  it('revokeToken revokes the refresh token (and its family): the SDK cannot refresh with it afterwards', async () => {
    const out = value(
      await runSdk(
        server,
        `${CLIENT}
        const tokens = await auth.getTokenByPassword({ ...input.user, audience: input.audience, scope: 'openid offline_access' });
        await auth.revokeToken({ token: tokens.refreshToken });
        await auth.revokeToken({ token: 'not-a-token-we-issued' });
        try { await auth.getTokenByRefreshToken({ refreshToken: tokens.refreshToken }); return { refreshed: true }; } catch (e) { return { refreshed: false, error: describeError(e) }; }`,
        { user: USERS.bob, audience: AUDIENCE },
      ),
    )
    expect(out).toMatchObject({ refreshed: false, error: { name: 'TokenByRefreshTokenError', cause: { error: 'invalid_grant' } } })
  }, 120_000)

  it('maps the errors: wrong password, unknown realm and a bad client secret', async () => {
    const out = value(
      await runSdk(
        server,
        `${CLIENT}
        const bad = new AuthClient({ domain: DOMAIN, clientId: CLIENT_ID, clientSecret: 'not-the-secret' });
        const errors = {};
        for (const [name, call] of Object.entries({
          wrongPassword: () => auth.getTokenByPassword({ ...input.user, password: 'wrong password!', audience: input.audience }),
          unknownRealm: () => auth.getTokenByPassword({ ...input.user, realm: 'Nowhere', audience: input.audience }),
          badClient: () => bad.getTokenByPassword({ ...input.user, audience: input.audience }),
        })) {
          try { await call(); errors[name] = 'succeeded'; } catch (e) { errors[name] = describeError(e); }
        }
        return errors;`,
        { user: USERS.bob, audience: AUDIENCE },
      ),
    )
    expect(out.wrongPassword).toMatchObject({
      name: 'TokenByPasswordError',
      statusCode: 403,
      cause: { error: 'invalid_grant', error_description: 'Wrong email or password.' },
    })
    expect(out.unknownRealm).toMatchObject({ name: 'TokenByPasswordError', statusCode: 400, cause: { error: 'invalid_request' } })
    expect(out.badClient).toMatchObject({ name: 'TokenByPasswordError', statusCode: 401, cause: { error: 'invalid_client' } })
  }, 120_000)

  it('MFA: mfa_required with mfa_requirements, enrolAuthenticator (OTP, by the mfa_token alone), verify with the OTP, then a recovery code, and listAuthenticators', async () => {
    const enrol = value(
      await runSdk(
        server,
        `${CLIENT}
        let required;
        try { await auth.getTokenByPassword({ ...input.user, audience: input.audience, scope: 'openid email' }); } catch (e) { required = e; }
        if (!isMfaRequiredError(required)) throw required;
        const enrolment = await auth.mfa.enrollAuthenticator({ authenticatorTypes: ['otp'], mfaToken: required.cause.mfa_token });
        return { error: describeError(required), mfaToken: required.cause.mfa_token, requirements: required.cause.mfa_requirements, enrolment };`,
        { user: USERS.carol, audience: AUDIENCE },
      ),
    )
    expect(enrol.error).toMatchObject({ statusCode: 403 })
    expect(enrol.requirements).toEqual({ enroll: [{ type: 'otp' }] })
    expect(enrol.enrolment).toMatchObject({ authenticatorType: 'otp' })
    expect(enrol.enrolment.secret).toMatch(/^[A-Z2-7]+=*$/)
    expect(enrol.enrolment.barcodeUri).toMatch(/^otpauth:\/\/totp\//)
    expect(enrol.enrolment.recoveryCodes.length).toBeGreaterThan(0)

    const verified = value(
      await runSdk(
        server,
        `${CLIENT}
        const tokens = await auth.mfa.verify({ mfaToken: input.mfaToken, factorType: 'otp', otp: input.otp });
        return tokens;`,
        { mfaToken: enrol.mfaToken, otp: totp(enrol.enrolment.secret) },
      ),
    )
    expect(verified.claims).toMatchObject({ iss: server.issuer, email: USERS.carol.username, amr: ['mfa'] })

    const again = value(
      await runSdk(
        server,
        `${CLIENT}
        let required;
        try { await auth.getTokenByPassword({ ...input.user, audience: input.audience, scope: 'openid email' }); } catch (e) { required = e; }
        if (!isMfaRequiredError(required)) throw required;
        const authenticators = await auth.mfa.listAuthenticators({ mfaToken: required.cause.mfa_token });
        const challenge = await auth.mfa.challengeAuthenticator({ mfaToken: required.cause.mfa_token, challengeType: 'otp' });
        const tokens = await auth.mfa.verify({ mfaToken: required.cause.mfa_token, factorType: 'recovery-code', recoveryCode: input.recoveryCode });
        return { requirements: required.cause.mfa_requirements, authenticators, challenge, tokens };`,
        { user: USERS.carol, audience: AUDIENCE, recoveryCode: enrol.enrolment.recoveryCodes[0] },
      ),
    )
    expect(again.requirements).toEqual({ challenge: [{ type: 'otp' }] })
    expect(again.authenticators).toEqual(expect.arrayContaining([expect.objectContaining({ authenticatorType: 'otp', active: true })]))
    expect(again.challenge).toMatchObject({ challengeType: 'otp' })
    expect(again.tokens.claims).toMatchObject({ iss: server.issuer, email: USERS.carol.username })

    // openid-client has no MFA calls of its own: an app uses its generic grant with Auth0's MFA grant types.
    const generic = value(
      await runSdk(
        server,
        `const client = await import('openid-client');
        const config = await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET);
        let required;
        try { await client.genericGrantRequest(config, 'http://auth0.com/oauth/grant-type/password-realm', { ...input.user, audience: input.audience, scope: 'openid email' }); } catch (e) { required = e; }
        if (required?.error !== 'mfa_required') throw required ?? new Error('no mfa_required');
        const tokens = await client.genericGrantRequest(config, 'http://auth0.com/oauth/grant-type/mfa-recovery-code', { mfa_token: required.cause.mfa_token, recovery_code: input.recoveryCode });
        return { requirements: required.cause.mfa_requirements, claims: tokens.claims() };`,
        { user: USERS.carol, audience: AUDIENCE, recoveryCode: enrol.enrolment.recoveryCodes[1] },
      ),
    )
    expect(generic.requirements).toEqual({ challenge: [{ type: 'otp' }] })
    expect(generic.claims).toMatchObject({ iss: server.issuer, email: USERS.carol.username })
  }, 120_000)
})
