import { describe, expect, it } from 'vitest'
import { GRANT_TYPES, createMemoryStores, hashSecret } from '@tokenrules/oauth'
import { ALICE, ALL_GRANTS, BOB, CLIENT_ID, CLIENT_SECRET, TEST_SCRYPT_COST, expectNoStore, rule, startServer, totpCode, type TestServer } from '../helpers.js'

const requireMfa = rule(
  'require-mfa',
  `if (context.protocol === 'oauth2-password' && context.connection === 'Employees') {
     context.multifactor = { provider: 'any', allowRememberBrowser: false };
   }
   context.accessToken['https://example.com/roles'] = user.app_metadata.roles || [];
   callback(null, user, context);`,
)

async function mfaToken(t: TestServer, extra: Record<string, string> = {}): Promise<string> {
  const answer = await t.login(ALICE, 'Employees', extra)
  expect(answer.status).toBe(403)
  return answer.body.mfa_token as string
}

async function associate(t: TestServer, token: string) {
  return t.post(
    '/mfa/associate',
    { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, authenticator_types: ['otp'] },
    { json: true, headers: { authorization: `Bearer ${token}` } },
  )
}

const otpGrant = (t: TestServer, token: string, otp: string) => t.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: token, otp })

/** Enroll alice and confirm the enrollment with a first code; returns the secret and the recovery codes. */
async function enrolled(t: TestServer): Promise<{ secret: string; recoveryCodes: string[] }> {
  const token = await mfaToken(t)
  const { body } = await associate(t, token)
  expect((await otpGrant(t, token, totpCode(body.secret, t.clock.now))).status).toBe(200)
  t.clock.advance(30_000)
  return { secret: body.secret, recoveryCodes: body.recovery_codes }
}

describe('MFA (docs/behaviour.md#mfa)', () => {
  it('answers 403 mfa_required with an mfa_token when a rule asks for MFA', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const answer = await t.login(ALICE, 'Employees')
    expect(answer.status).toBe(403)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({
      error: 'mfa_required',
      error_description: 'Multifactor authentication required',
      mfa_token: expect.stringMatching(/^[\w-]{43}$/),
      mfa_requirements: { enroll: [{ type: 'otp' }] },
    })
  })

  it('does not ask users the rule exempts', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    expect((await t.login(BOB, 'Customers')).status).toBe(200)
  })

  it('enrolls a TOTP authenticator: secret, otpauth URI and recovery codes', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const answer = await associate(t, await mfaToken(t))
    expect(answer.status).toBe(200)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({
      authenticator_type: 'otp',
      secret: expect.stringMatching(/^[A-Z2-7]{32}$/),
      barcode_uri: expect.stringMatching(/^otpauth:\/\/totp\/auth\.example\.com:alice%40example\.com\?/),
      recovery_codes: expect.arrayContaining([expect.stringMatching(/^[A-Z2-9]{24}$/)]),
    })
    expect(answer.body.recovery_codes).toHaveLength(5)
    const uri = new URL(answer.body.barcode_uri)
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: 'auth.example.com',
      secret: answer.body.secret,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    })
  })

  it('accepts form-encoded authenticator_types too', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t)
    const answer = await t.post(
      '/mfa/associate',
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, authenticator_types: 'otp' },
      { headers: { authorization: `Bearer ${token}` } },
    )
    expect(answer.status).toBe(200)
  })

  it('issues the tokens the rules computed for a valid TOTP code, with amr mfa', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t, { scope: 'openid read:messages offline_access' })
    const { body } = await associate(t, token)
    const answer = await otpGrant(t, token, totpCode(body.secret, t.clock.now))
    expect(answer.status).toBe(200)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({
      access_token: expect.any(String),
      id_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 86400,
      token_type: 'Bearer',
    })
    const { payload } = await t.verify(answer.body.access_token)
    expect(payload).toMatchObject({ sub: t.aliceId, scope: 'openid read:messages offline_access', amr: ['mfa'], 'https://example.com/roles': ['admin'] })
    expect((await t.verify(answer.body.id_token, CLIENT_ID)).payload.amr).toEqual(['mfa'])
  })

  it('answers /mfa/challenge with challenge_type otp for an enrolled user', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t)
    await associate(t, token)
    const answer = await t.post('/mfa/challenge', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, mfa_token: token, challenge_type: 'otp' })
    expect(answer.status).toBe(200)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({ challenge_type: 'otp' })
  })

  it('refuses /mfa/challenge for a user who is not enrolled', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const answer = await t.post('/mfa/challenge', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, mfa_token: await mfaToken(t) })
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'access_denied', error_description: 'User is not enrolled with an OTP authenticator; call /mfa/associate first.' })
  })

  it('refuses an unsupported challenge type', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const answer = await t.post('/mfa/challenge', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, mfa_token: await mfaToken(t), challenge_type: 'oob' })
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: 'unsupported_challenge_type', error_description: 'Only the "otp" challenge type is supported.' })
  })

  it('answers a wrong code with 403 invalid_grant "Invalid otp_code."', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t)
    const { body } = await associate(t, token)
    const right = totpCode(body.secret, t.clock.now)
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0')
    const answer = await otpGrant(t, token, wrong)
    expect(answer.status).toBe(403)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid otp_code.' })
    expect((await otpGrant(t, token, 'abcdef')).body).toEqual({ error: 'invalid_grant', error_description: 'Invalid otp_code.' })
  })

  it('accepts the code of the previous time step (clock drift), not the one before', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t)
    const { body } = await associate(t, token)
    expect((await otpGrant(t, token, totpCode(body.secret, t.clock.now - 60_000))).status).toBe(403)
    expect((await otpGrant(t, token, totpCode(body.secret, t.clock.now - 30_000))).status).toBe(200)
  })

  it('answers an mfa_token older than 10 minutes with 401 expired_token', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t)
    const { body } = await associate(t, token)
    t.clock.advance(10 * 60_000)
    const answer = await otpGrant(t, token, totpCode(body.secret, t.clock.now))
    expect(answer.status).toBe(401)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({ error: 'expired_token', error_description: 'mfa_token is expired' })
  })

  it('still accepts the mfa_token just before 10 minutes', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t)
    const { body } = await associate(t, token)
    t.clock.advance(10 * 60_000 - 1)
    expect((await otpGrant(t, token, totpCode(body.secret, t.clock.now))).status).toBe(200)
  })

  it('completes an mfa_token once', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t)
    const { body } = await associate(t, token)
    expect((await otpGrant(t, token, totpCode(body.secret, t.clock.now))).status).toBe(200)
    t.clock.advance(30_000)
    const again = await otpGrant(t, token, totpCode(body.secret, t.clock.now))
    expect(again.status).toBe(403)
    expect(again.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid mfa_token.' })
  })

  it('refuses a code whose time step was already used (replay)', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const { secret } = await enrolled(t)
    const code = totpCode(secret, t.clock.now)
    expect((await otpGrant(t, await mfaToken(t), code)).status).toBe(200)
    const replay = await otpGrant(t, await mfaToken(t), code)
    expect(replay.status).toBe(403)
    expect(replay.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid otp_code.' })
  })

  it('refuses a second enrollment once the first is confirmed', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    await enrolled(t)
    const answer = await associate(t, await mfaToken(t))
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'access_denied', error_description: 'User is already enrolled.' })
  })

  it('lets an unconfirmed enrollment be replaced; only the new secret works', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t)
    const first = (await associate(t, token)).body.secret as string
    const second = (await associate(t, token)).body.secret as string
    expect(second).not.toBe(first)
    expect((await otpGrant(t, token, totpCode(first, t.clock.now))).status).toBe(403)
    expect((await otpGrant(t, token, totpCode(second, t.clock.now))).status).toBe(200)
  })

  it('tells the rules that an enrolled user has MFA (user.multifactor)', async () => {
    await using t = await startServer({
      rules: [requireMfa, rule('mf', "context.accessToken['https://example.com/mf'] = user.multifactor || []; callback(null, user, context);")],
    })
    const { secret } = await enrolled(t)
    const token = await mfaToken(t)
    const { payload } = await t.verify((await otpGrant(t, token, totpCode(secret, t.clock.now))).body.access_token)
    expect(payload['https://example.com/mf']).toEqual(['google-authenticator'])
  })

  it('issues tokens for a recovery code, once per code', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const { recoveryCodes } = await enrolled(t)
    const code = recoveryCodes[0] as string
    const answer = await t.token({ grant_type: GRANT_TYPES.mfaRecoveryCode, mfa_token: await mfaToken(t), recovery_code: code })
    expect(answer.status).toBe(200)
    expect((await t.verify(answer.body.access_token)).payload.amr).toEqual(['mfa'])
    const again = await t.token({ grant_type: GRANT_TYPES.mfaRecoveryCode, mfa_token: await mfaToken(t), recovery_code: code })
    expect(again.status).toBe(403)
    expect(again.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid recovery_code.' })
    const other = await t.token({
      grant_type: GRANT_TYPES.mfaRecoveryCode,
      mfa_token: await mfaToken(t),
      recovery_code: (recoveryCodes[1] as string).toLowerCase(),
    })
    expect(other.status).toBe(200)
  })

  it('refuses recovery codes before the enrollment is confirmed', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t)
    const codes = (await associate(t, token)).body.recovery_codes as string[]
    const answer = await t.token({ grant_type: GRANT_TYPES.mfaRecoveryCode, mfa_token: token, recovery_code: codes[0] as string })
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'access_denied', error_description: 'User is not enrolled with an OTP authenticator.' })
  })

  it('refuses the OTP grant before any enrollment', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const answer = await otpGrant(t, await mfaToken(t), '123456')
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'access_denied', error_description: 'User is not enrolled with an OTP authenticator; call /mfa/associate first.' })
  })

  it('refuses an unknown mfa_token', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const answer = await otpGrant(t, 'not-a-token', '123456')
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid mfa_token.' })
  })

  it("refuses another client's mfa_token", async () => {
    await using t = await startServer({
      rules: [requireMfa],
      clients: [
        { clientId: CLIENT_ID, secretHash: await hashSecret(CLIENT_SECRET, { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS },
        { clientId: 'other', secretHash: await hashSecret('other-secret', { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS },
      ],
    })
    const token = await mfaToken(t)
    const answer = await t.post('/oauth/token', {
      grant_type: GRANT_TYPES.mfaOtp,
      mfa_token: token,
      otp: '123456',
      client_id: 'other',
      client_secret: 'other-secret',
    })
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid mfa_token.' })
  })

  it('refuses /mfa/associate without the Bearer mfa_token', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const answer = await t.post('/mfa/associate', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, authenticator_types: ['otp'] }, { json: true })
    expect(answer.status).toBe(401)
    expectNoStore(answer.headers)
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="tokenrules"')
    expect(answer.body).toEqual({ error: 'unauthorized', error_description: 'Missing mfa_token: send it as Authorization: Bearer <mfa_token>.' })
  })

  it('refuses /mfa/associate with a wrong client secret', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t)
    const answer = await t.post(
      '/mfa/associate',
      { client_id: CLIENT_ID, client_secret: 'wrong', authenticator_types: ['otp'] },
      { json: true, headers: { authorization: `Bearer ${token}` } },
    )
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed.' })
  })

  it('refuses authenticator types other than otp', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const token = await mfaToken(t)
    const answer = await t.post(
      '/mfa/associate',
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, authenticator_types: ['oob'] },
      { json: true, headers: { authorization: `Bearer ${token}` } },
    )
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'Unsupported authenticator type: "oob"; only "otp" is supported.' })
  })

  it('answers Duo under the password grant with 403 access_denied', async () => {
    await using t = await startServer({ rules: [rule('duo', "context.multifactor = { provider: 'duo' }; callback(null, user, context);")] })
    const answer = await t.login(ALICE, 'Employees')
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'access_denied', error_description: "Multifactor provider 'duo' is not supported with protocol oauth2-password." })
  })

  it('stores the TOTP secret sealed and the recovery codes hashed', async () => {
    const stores = createMemoryStores()
    await using t = await startServer({ rules: [requireMfa], stores: { ...stores, users: undefined } })
    const { body } = await associate(t, await mfaToken(t))
    const enrollment = await stores.mfa.getEnrollment(t.aliceId)
    const stored = JSON.stringify(enrollment)
    expect(stored).not.toContain(body.secret)
    for (const code of body.recovery_codes as string[]) expect(stored).not.toContain(code)
    expect(enrollment?.sealedSecret).toMatch(/^v1\./)
  })

  it('counts wrong codes toward the brute-force limit of (user, IP)', async () => {
    await using t = await startServer({ rules: [requireMfa], bruteForce: { threshold: 3 } })
    const token = await mfaToken(t)
    const { body } = await associate(t, token)
    for (let i = 0; i < 3; i++) expect((await otpGrant(t, token, '000000')).status).toBe(403)
    const blocked = await otpGrant(t, token, totpCode(body.secret, t.clock.now))
    expect(blocked.status).toBe(429)
    expect(blocked.body.error).toBe('too_many_attempts')
  })

  it('needs no second factor on refresh for a family that passed MFA', async () => {
    await using t = await startServer({ rules: [rule('always', "context.multifactor = { provider: 'any' }; callback(null, user, context);")] })
    const token = await mfaToken(t, { scope: 'offline_access read:messages' })
    const { body } = await associate(t, token)
    const tokens = await otpGrant(t, token, totpCode(body.secret, t.clock.now))
    const refreshed = await t.token({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token })
    expect(refreshed.status).toBe(200)
    expect((await t.verify(refreshed.body.access_token)).payload.amr).toEqual(['mfa'])
  })

  it('asks for MFA on refresh when the family did not pass it, then continues the family', async () => {
    await using t = await startServer({
      rules: [
        rule('refresh-mfa', "if (context.protocol === 'oauth2-refresh-token') context.multifactor = { provider: 'any' }; callback(null, user, context);"),
      ],
    })
    const login = await t.login(ALICE, 'Employees', { scope: 'offline_access read:messages' })
    const asked = await t.token({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token })
    expect(asked.status).toBe(403)
    expect(asked.body).toEqual({
      error: 'mfa_required',
      error_description: 'Multifactor authentication required',
      mfa_token: expect.any(String),
      mfa_requirements: { enroll: [{ type: 'otp' }] },
    })
    const { body } = await associate(t, asked.body.mfa_token)
    const tokens = await otpGrant(t, asked.body.mfa_token, totpCode(body.secret, t.clock.now))
    expect(tokens.status).toBe(200)
    // Same family: replaying the first refresh token now revokes the token MFA just issued.
    await t.token({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token })
    const revoked = await t.token({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token })
    expect(revoked.body).toEqual({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' })
  })
})
