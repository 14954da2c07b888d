/**
 * Corpus: rules that persist metadata through `auth0.users.updateAppMetadata` /
 * `updateUserMetadata` (the integrator's hooks), including one that first verifies a signed
 * invitation. What reached the hook and what `result.metadataUpdates` reports are asserted
 * exactly; a store that fails must fail the login.
 */
import { createHmac } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { failCorpus, login, NS, request, runCorpus, unauthorized } from './support.js'

const USER_ID = 'auth0|5f7c8ec7c33c6c004bbafe82'
const CLIENT_ID = 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6'

function store() {
  return vi.fn(async (_userId: string, _metadata: Record<string, unknown>) => undefined)
}

describe('count-logins (updateAppMetadata, callback style)', () => {
  it('counts the first login here, persists it, then issues the token', async () => {
    const updateAppMetadata = store()
    const result = await runCorpus('count-logins', login(), { hooks: { updateAppMetadata } })
    const saved = { roles: ['admin'], plan: 'gold', logins_by_client: { [CLIENT_ID]: 1 }, last_client: 'Trusted App' }
    expect(updateAppMetadata).toHaveBeenCalledTimes(1)
    expect(updateAppMetadata).toHaveBeenCalledWith(USER_ID, saved)
    expect(result.metadataUpdates).toEqual([{ userId: USER_ID, kind: 'app_metadata', metadata: saved }])
    expect(result.idToken.claims).toEqual({ [`${NS}logins_here`]: 1 })
    expect(result.user['app_metadata']).toEqual(saved)
  })

  it('increments an existing count and keeps other clients’ counts', async () => {
    const updateAppMetadata = store()
    const result = await runCorpus('count-logins', login({ user: { app_metadata: { logins_by_client: { [CLIENT_ID]: 4, other: 9 } } } }), {
      hooks: { updateAppMetadata },
    })
    expect(result.metadataUpdates).toEqual([
      { userId: USER_ID, kind: 'app_metadata', metadata: { logins_by_client: { [CLIENT_ID]: 5, other: 9 }, last_client: 'Trusted App' } },
    ])
    expect(result.idToken.claims).toEqual({ [`${NS}logins_here`]: 5 })
  })

  it('fails the login (ERR_METADATA_UPDATE_FAILED, 500) when the store refuses', async () => {
    const updateAppMetadata = vi.fn(async () => {
      throw new Error('users table is read-only')
    })
    const err = await failCorpus('count-logins', login(), { hooks: { updateAppMetadata } })
    expect(err.code).toBe('ERR_METADATA_UPDATE_FAILED')
    expect(err.message).toBe(`hooks.updateAppMetadata failed for ${USER_ID}: users table is read-only`)
    expect(err.toOAuthError()).toEqual({ status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' } })
  })

  it('fails the login when the integrator configured no store', async () => {
    const err = await failCorpus('count-logins', login())
    expect(err.code).toBe('ERR_METADATA_UPDATE_FAILED')
    expect(err.message).toBe('A rule updated app_metadata, but the engine has no hooks.updateAppMetadata to persist it.')
  })
})

describe('first-login-onboarding (updateAppMetadata, awaited in an async rule)', () => {
  it('marks the first login with the time of this authentication', async () => {
    const updateAppMetadata = store()
    const result = await runCorpus('first-login-onboarding', login({ user: { app_metadata: { plan: 'free' } } }), { hooks: { updateAppMetadata } })
    const at = new Date(1_700_000_000_000).toISOString()
    expect(updateAppMetadata).toHaveBeenCalledWith(USER_ID, { plan: 'free', onboarded_at: at })
    expect(result.metadataUpdates).toEqual([{ userId: USER_ID, kind: 'app_metadata', metadata: { plan: 'free', onboarded_at: at } }])
    expect(result.idToken.claims).toEqual({ [`${NS}first_login`]: true, [`${NS}onboarded_at`]: at })
  })

  it('persists nothing on later logins', async () => {
    const updateAppMetadata = store()
    const result = await runCorpus('first-login-onboarding', login({ user: { app_metadata: { onboarded_at: '2023-01-01T00:00:00.000Z' } } }), {
      hooks: { updateAppMetadata },
    })
    expect(updateAppMetadata).not.toHaveBeenCalled()
    expect(result.metadataUpdates).toEqual([])
    expect(result.idToken.claims).toEqual({ [`${NS}onboarded_at`]: '2023-01-01T00:00:00.000Z' })
  })

  it('fails the login when the store fails (the awaited rejection is not swallowed)', async () => {
    const err = await failCorpus('first-login-onboarding', login({ user: { app_metadata: {} } }), {
      hooks: { updateAppMetadata: () => Promise.reject(new Error('timeout talking to the users database')) },
    })
    expect(err.code).toBe('ERR_METADATA_UPDATE_FAILED')
    expect(err.message).toBe(`hooks.updateAppMetadata failed for ${USER_ID}: timeout talking to the users database`)
  })
})

describe('default-user-preferences (updateUserMetadata)', () => {
  const configuration = { SUPPORTED_LOCALES: 'en,fr-CA,de', DEFAULT_LOCALE: 'de' }
  const asking = (ui_locales: string | undefined, user: Record<string, unknown> = {}) =>
    login({ user, context: { request: request({ query: ui_locales === undefined ? {} : { ui_locales } }) } })

  it('saves the locale the app asked for, with default preferences, in user_metadata', async () => {
    const updateUserMetadata = store()
    const result = await runCorpus('default-user-preferences', asking('fr-CA fr en'), { configuration, hooks: { updateUserMetadata } })
    const saved = { theme: 'dark', locale: 'fr-CA', preferences: { newsletter: false, theme: 'system' } }
    expect(updateUserMetadata).toHaveBeenCalledWith(USER_ID, saved)
    expect(result.metadataUpdates).toEqual([{ userId: USER_ID, kind: 'user_metadata', metadata: saved }])
    expect(result.idToken.claims).toEqual({ [`${NS}locale`]: 'fr-CA' })
  })

  it('falls back to the default locale for an unsupported one', async () => {
    const updateUserMetadata = store()
    const result = await runCorpus('default-user-preferences', asking('ja'), { configuration, hooks: { updateUserMetadata } })
    expect(result.metadataUpdates).toEqual([
      { userId: USER_ID, kind: 'user_metadata', metadata: { theme: 'dark', locale: 'de', preferences: { newsletter: false, theme: 'system' } } },
    ])
  })

  it('keeps a locale the user chose, persisting nothing', async () => {
    const updateUserMetadata = store()
    const result = await runCorpus('default-user-preferences', asking('en', { user_metadata: { locale: 'de' } }), {
      configuration,
      hooks: { updateUserMetadata },
    })
    expect(updateUserMetadata).not.toHaveBeenCalled()
    expect(result.metadataUpdates).toEqual([])
    expect(result.idToken.claims).toEqual({ [`${NS}locale`]: 'de' })
  })

  it('fails the login when the user store fails', async () => {
    const err = await failCorpus('default-user-preferences', asking('en'), {
      configuration,
      hooks: { updateUserMetadata: async () => Promise.reject(new Error('quota exceeded')) },
    })
    expect(err.code).toBe('ERR_METADATA_UPDATE_FAILED')
    expect(err.message).toBe(`hooks.updateUserMetadata failed for ${USER_ID}: quota exceeded`)
  })
})

describe('accept-signed-invitation (jsonwebtoken verify + updateAppMetadata)', () => {
  const SECRET = 'invitation-signing-secret-0123456789'
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  function invitationToken(claims: Record<string, unknown>, secret = SECRET): string {
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
  }
  const nowS = () => Math.floor(Date.now() / 1000)
  const valid = () => ({
    email: 'ada@example.com',
    org: 'org_analytical',
    role: 'member',
    sub: 'auth0|inviter',
    aud: CLIENT_ID,
    iat: nowS(),
    exp: nowS() + 86_400,
  })
  const invited = (token: string) => login({ user: { app_metadata: { invitation: token } } })
  const configuration = { INVITATION_SECRET: SECRET }

  it('moves the user into the organization and removes the invitation', async () => {
    const updateAppMetadata = store()
    const result = await runCorpus('accept-signed-invitation', invited(invitationToken(valid())), { configuration, hooks: { updateAppMetadata } })
    const saved = { organization: 'org_analytical', org_role: 'member', invited_by: 'auth0|inviter', invitation: null }
    expect(updateAppMetadata).toHaveBeenCalledWith(USER_ID, saved)
    expect(result.metadataUpdates).toEqual([{ userId: USER_ID, kind: 'app_metadata', metadata: saved }])
    expect(result.idToken.claims).toEqual({ [`${NS}organization`]: 'org_analytical' })
    expect(result.accessToken.claims).toEqual({ [`${NS}org_role`]: 'member' })
    expect(result.user['app_metadata']).toEqual(saved)
  })

  it.each([
    ['expired', () => invitationToken({ ...valid(), iat: nowS() - 100_000, exp: nowS() - 10 }), 'Your invitation has expired. Ask for a new one.'],
    ['signed with another secret', () => invitationToken(valid(), 'guessed-secret'), 'Your invitation is not valid.'],
    ['for another application', () => invitationToken({ ...valid(), aud: 'another-client' }), 'Your invitation is not valid.'],
    [
      'tampered with',
      () => {
        const [h, , s] = invitationToken(valid()).split('.')
        return `${h}.${b64({ ...valid(), role: 'owner' })}.${s}`
      },
      'Your invitation is not valid.',
    ],
    ['unsigned (alg none)', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...valid(), role: 'owner' })}.`, 'Your invitation is not valid.'],
    ['sent to another address', () => invitationToken({ ...valid(), email: 'eve@example.com' }), 'This invitation was sent to another email address.'],
  ])('refuses an invitation that is %s, persisting nothing', async (_what, token, description) => {
    const updateAppMetadata = store()
    const err = await failCorpus('accept-signed-invitation', invited(token()), { configuration, hooks: { updateAppMetadata } })
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.toOAuthError()).toEqual(unauthorized(description))
    expect(updateAppMetadata).not.toHaveBeenCalled()
  })

  it('only adds the claim for members who joined earlier', async () => {
    const updateAppMetadata = store()
    const result = await runCorpus('accept-signed-invitation', login({ user: { app_metadata: { organization: 'org_x' } } }), {
      configuration,
      hooks: { updateAppMetadata },
    })
    expect(result.idToken.claims).toEqual({ [`${NS}organization`]: 'org_x' })
    expect(result.metadataUpdates).toEqual([])
  })

  it('fails the login when the store fails, even though the invitation was valid', async () => {
    const err = await failCorpus('accept-signed-invitation', invited(invitationToken(valid())), {
      configuration,
      hooks: { updateAppMetadata: async () => Promise.reject(new Error('conflict')) },
    })
    expect(err.code).toBe('ERR_METADATA_UPDATE_FAILED')
  })
})
