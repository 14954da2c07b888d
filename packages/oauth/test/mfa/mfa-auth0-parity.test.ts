import { describe, expect, it } from 'vitest'
import { GRANT_TYPES } from '@tokenrules/oauth'
import { ALICE, BOB, CLIENT_ID, CLIENT_SECRET, rule, startServer, totpCode, type TestServer } from '../helpers.js'

// What Auth0's current MFA API reference serves and what @auth0/auth0-auth-js, Auth0.swift and
// react-native-auth0 rely on: Bearer-only /mfa/associate, mfa_requirements, /mfa/authenticators.

const requireMfa = rule(
  'require-mfa',
  `if (context.connection === 'Employees') context.multifactor = { provider: 'any', allowRememberBrowser: false };
   callback(null, user, context);`,
)

async function mfaToken(t: TestServer): Promise<{ token: string; body: Record<string, unknown> }> {
  const answer = await t.login(ALICE, 'Employees', { scope: 'openid' })
  expect(answer.status).toBe(403)
  return { token: answer.body.mfa_token as string, body: answer.body }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** `POST /mfa/associate` as auth0-auth-js sends it: the Bearer mfa_token and the types, nothing else. */
function associateBearerOnly(t: TestServer, token: string) {
  return t.post('/mfa/associate', { authenticator_types: ['otp'] }, { json: true, headers: bearer(token) })
}

async function enroll(t: TestServer): Promise<{ secret: string; accessToken: string }> {
  const { token } = await mfaToken(t)
  const { body } = await associateBearerOnly(t, token)
  const answer = await t.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: token, otp: totpCode(body.secret, t.clock.now) })
  expect(answer.status).toBe(200)
  t.clock.advance(30_000)
  return { secret: body.secret, accessToken: answer.body.access_token }
}

function list(t: TestServer, token: string) {
  return t.send(new Request('http://localhost/mfa/authenticators', { headers: bearer(token) }))
}

function remove(t: TestServer, token: string, id: string) {
  return t.send(new Request(`http://localhost/mfa/authenticators/${encodeURIComponent(id)}`, { method: 'DELETE', headers: bearer(token) }))
}

describe('mfa_required says what comes next (mfa_requirements)', () => {
  it('asks a user with no authenticator to enroll one', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    expect((await mfaToken(t)).body['mfa_requirements']).toEqual({ enroll: [{ type: 'otp' }] })
  })

  it('asks an enrolled user for a challenge', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    await enroll(t)
    expect((await mfaToken(t)).body['mfa_requirements']).toEqual({ challenge: [{ type: 'otp' }] })
  })

  it('still asks to enroll while the only authenticator was never confirmed', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const { token } = await mfaToken(t)
    expect((await associateBearerOnly(t, token)).status).toBe(200)
    expect((await mfaToken(t)).body['mfa_requirements']).toEqual({ enroll: [{ type: 'otp' }] })
  })
})

describe('POST /mfa/associate with the Bearer mfa_token alone', () => {
  it('enrolls without client credentials, as Auth0 and auth0-auth-js do it', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const { token } = await mfaToken(t)
    const answer = await associateBearerOnly(t, token)
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ authenticator_type: 'otp', secret: expect.any(String), barcode_uri: expect.stringMatching(/^otpauth:\/\/totp\//) })
  })

  it('still checks client credentials a caller sends, and that the token is that client’s', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const { token } = await mfaToken(t)
    const wrong = await t.post(
      '/mfa/associate',
      { client_id: CLIENT_ID, client_secret: 'wrong', authenticator_types: ['otp'] },
      { json: true, headers: bearer(token) },
    )
    expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_client'])
    const right = await t.post(
      '/mfa/associate',
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, authenticator_types: ['otp'] },
      { json: true, headers: bearer(token) },
    )
    expect(right.status).toBe(200)
  })

  it('refuses an unknown or expired mfa_token', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const unknown = await associateBearerOnly(t, 'x'.repeat(43))
    expect(unknown.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid mfa_token.' })
    const { token } = await mfaToken(t)
    t.clock.advance(11 * 60 * 1000)
    const expired = await associateBearerOnly(t, token)
    expect([expired.status, expired.body.error]).toEqual([401, 'expired_token'])
  })
})

describe('GET /mfa/authenticators', () => {
  it('lists nothing before enrollment, then the otp authenticator and its recovery codes', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const { token } = await mfaToken(t)
    expect((await list(t, token)).body).toEqual([])
    await associateBearerOnly(t, token)
    const pending = await list(t, token)
    expect(pending.status).toBe(200)
    expect(pending.body).toEqual([
      { id: expect.stringMatching(/^totp\|dev_[\w-]{16}$/), authenticator_type: 'otp', active: false },
      { id: expect.stringMatching(/^recovery-code\|dev_[\w-]{16}$/), authenticator_type: 'recovery-code', active: false },
    ])
    await t.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: token, otp: totpCode((await associateBearerOnly(t, token)).body.secret, t.clock.now) })
    const next = await mfaToken(t)
    const active = (await list(t, next.token)).body as { active: boolean }[]
    expect(active.map((view) => view.active)).toEqual([true, true])
  })

  it('needs the Bearer mfa_token, and shows one user only their own', async () => {
    await using t = await startServer({ rules: [rule('everyone', "context.multifactor = { provider: 'any' }; callback(null, user, context);")] })
    const missing = await t.send(new Request('http://localhost/mfa/authenticators'))
    expect([missing.status, missing.body.error]).toEqual([401, 'unauthorized'])
    const alice = await mfaToken(t)
    await associateBearerOnly(t, alice.token)
    const bob = (await t.login(BOB, 'Customers')).body.mfa_token as string
    expect((await list(t, bob)).body).toEqual([])
  })
})

describe('DELETE /mfa/authenticators/{id}', () => {
  it('removes an authenticator that was never confirmed with the mfa_token (204)', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const { token } = await mfaToken(t)
    await associateBearerOnly(t, token)
    const [otp] = (await list(t, token)).body as { id: string }[]
    const answer = await remove(t, token, otp?.id ?? '')
    expect(answer.status).toBe(204)
    expect((await list(t, token)).body).toEqual([])
  })

  it('refuses to remove a confirmed authenticator with a mere mfa_token: a stolen password must not re-enroll', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    await enroll(t)
    const { token } = await mfaToken(t)
    const [otp] = (await list(t, token)).body as { id: string }[]
    const answer = await remove(t, token, otp?.id ?? '')
    expect(answer.status).toBe(403)
    expect(answer.body.error).toBe('access_denied')
    expect(((await list(t, token)).body as unknown[]).length).toBe(2)
  })

  it('removes a confirmed authenticator with an access token issued to the user after MFA', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    const { accessToken } = await enroll(t)
    const { token } = await mfaToken(t)
    const [otp] = (await list(t, token)).body as { id: string }[]
    expect((await remove(t, accessToken, otp?.id ?? '')).status).toBe(204)
    expect((await mfaToken(t)).body['mfa_requirements']).toEqual({ enroll: [{ type: 'otp' }] })
  })

  it('refuses an access token without MFA, a forged one, an unknown id and the recovery-code authenticator', async () => {
    await using t = await startServer({ rules: [requireMfa] })
    await enroll(t)
    const { token } = await mfaToken(t)
    const [otp, recovery] = (await list(t, token)).body as { id: string }[]
    const noMfa = (await t.login(BOB, 'Customers')).body.access_token as string
    const withoutMfa = await remove(t, noMfa, otp?.id ?? '')
    expect([withoutMfa.status, withoutMfa.body.error]).toEqual([403, 'access_denied'])
    const [header, payload] = noMfa.split('.')
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), amr: ['mfa'] })).toString('base64url')}.${noMfa.split('.')[2]}`
    const forgedAnswer = await remove(t, forged, otp?.id ?? '')
    expect([forgedAnswer.status, forgedAnswer.body.error]).toEqual([401, 'invalid_token'])
    expect((await remove(t, token, 'totp|dev_nope')).status).toBe(404)
    const codes = await remove(t, token, recovery?.id ?? '')
    expect([codes.status, codes.body.error]).toEqual([400, 'invalid_request'])
    expect(((await list(t, token)).body as unknown[]).length).toBe(2)
  })
})
