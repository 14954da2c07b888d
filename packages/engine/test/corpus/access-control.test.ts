/**
 * Corpus: rules that decide who may log in, from where, when, with which scopes, and with MFA.
 * None of them calls out; they use configuration, app_metadata, context, ipaddr.js, moment and Date.
 */
import { describe, expect, it } from 'vitest'
import { engineWith, rule } from '../helpers.js'
import { accessDenied, corpusOptions, corpusRule, failCorpus, login, logLines, NS, request, runCorpus, unauthorized } from './support.js'

const USER_ID = 'auth0|5f7c8ec7c33c6c004bbafe82'
const CLIENT_ID = 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6'

describe('add-roles-and-permissions', () => {
  const configuration = {
    ROLE_PERMISSIONS: JSON.stringify({
      admin: ['read:reports', 'write:reports', 'manage:users'],
      editor: ['read:reports', 'write:reports'],
      viewer: ['read:reports'],
    }),
  }

  it('puts roles and the union of their permissions (plus direct grants) in the tokens, sorted and unique', async () => {
    const result = await runCorpus(
      'add-roles-and-permissions',
      login({ user: { app_metadata: { roles: ['editor', 'viewer'], permissions: ['export:reports', 'read:reports'] } } }),
      { configuration },
    )
    expect(result.accessToken.claims).toEqual({
      [`${NS}roles`]: ['editor', 'viewer'],
      [`${NS}permissions`]: ['export:reports', 'read:reports', 'write:reports'],
    })
    expect(result.idToken.claims).toEqual({ [`${NS}roles`]: ['editor', 'viewer'] })
    expect(result.warnings).toEqual([])
  })

  it('gives empty lists to a user without app_metadata, and ignores unknown roles', async () => {
    const none = await runCorpus('add-roles-and-permissions', login({ user: { app_metadata: undefined } }), { configuration })
    expect(none.accessToken.claims).toEqual({ [`${NS}roles`]: [], [`${NS}permissions`]: [] })
    const unknown = await runCorpus('add-roles-and-permissions', login({ user: { app_metadata: { roles: ['ghost'] } } }), { configuration })
    expect(unknown.accessToken.claims).toEqual({ [`${NS}roles`]: ['ghost'], [`${NS}permissions`]: [] })
  })

  it('refuses the login when its configuration is broken', async () => {
    const err = await failCorpus('add-roles-and-permissions', login(), { configuration: { ROLE_PERMISSIONS: '{admin: [' } })
    expect(err.code).toBe('ERR_RULE_DENIED')
    expect(err.rule).toBe('add-roles-and-permissions')
    expect(err.toOAuthError()).toEqual(accessDenied('ROLE_PERMISSIONS is not valid JSON'))
  })
})

describe('require-verified-email', () => {
  it('refuses an unverified database user with 401 and the message for the user', async () => {
    const err = await failCorpus('require-verified-email', login({ user: { email_verified: false } }))
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.toOAuthError()).toEqual(unauthorized('Please verify your email address before logging in.'))
  })

  it('lets a verified user through unchanged', async () => {
    const result = await runCorpus('require-verified-email', login())
    expect(result.accessToken.claims).toEqual({})
    expect(result.user['email_verified']).toBe(true)
  })

  it('lets an unverified social login through (the identity provider vouches for it)', async () => {
    const result = await runCorpus(
      'require-verified-email',
      login({
        user: { email_verified: false, identities: [{ connection: 'google-oauth2', provider: 'google-oauth2', user_id: '1234', isSocial: true }] },
        context: { connection: 'google-oauth2', connectionStrategy: 'google-oauth2' },
      }),
    )
    expect(result.accessToken.claims).toEqual({})
  })
})

describe('allow-email-domains', () => {
  const configuration = { ALLOWED_EMAIL_DOMAINS: 'example.com, Example.org' }

  it.each(['ada@example.com', 'Ada.Lovelace@EXAMPLE.ORG'])('lets %s through', async (email) => {
    const result = await runCorpus('allow-email-domains', login({ user: { email } }), { configuration })
    expect(result.accessToken.claims).toEqual({})
  })

  it.each([
    ['ada@evil.example', 'Access denied: evil.example is not an allowed email domain.'],
    ['ada@mail.example.com', 'Access denied: mail.example.com is not an allowed email domain.'],
    ['ada@example.com@evil.example', 'Access denied: evil.example is not an allowed email domain.'],
    [undefined, 'Access denied: no email is not an allowed email domain.'],
  ])('refuses %s', async (email, description) => {
    const err = await failCorpus('allow-email-domains', login({ user: { email } }), { configuration })
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.toOAuthError()).toEqual(unauthorized(description))
  })
})

describe('admin-console-allowlist', () => {
  const ADMIN = 'AdminConsoleClient000000000000000'
  const configuration = { ADMIN_CLIENT_ID: ADMIN, ADMIN_ALLOWLIST: 'ada@example.com, grace@example.com' }
  const adminLogin = (user: Record<string, unknown>) => login({ user, context: { clientID: ADMIN, clientName: 'Admin Console' } })

  it('lets listed, verified people into the admin console', async () => {
    const result = await runCorpus('admin-console-allowlist', adminLogin({ email: 'Grace@Example.com' }), { configuration })
    expect(result.accessToken.claims).toEqual({})
  })

  it.each([
    ['someone not listed', { email: 'eve@example.com' }],
    ['a listed address that is not verified', { email: 'ada@example.com', email_verified: false }],
  ])('refuses %s', async (_what, user) => {
    const err = await failCorpus('admin-console-allowlist', adminLogin(user), { configuration })
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.toOAuthError()).toEqual(unauthorized('You are not allowed to use Admin Console.'))
  })

  it('leaves other applications alone', async () => {
    const result = await runCorpus('admin-console-allowlist', login({ user: { email: 'eve@example.com' } }), { configuration })
    expect(result.accessToken.claims).toEqual({})
  })
})

describe('office-network-only (ipaddr.js, CIDR allow list)', () => {
  const configuration = { INTERNAL_CLIENT_IDS: `other-client, ${CLIENT_ID}`, OFFICE_CIDRS: '10.20.0.0/16, 2001:db8:42::/48' }
  const from = (ip: string) => login({ context: { request: request({ ip }) } })

  it.each(['10.20.5.9', '10.20.255.254', '::ffff:10.20.5.9', '2001:db8:42:7::1'])('lets %s in and says so', async (ip) => {
    const result = await runCorpus('office-network-only', from(ip), { configuration })
    expect(result.idToken.claims).toEqual({ [`${NS}network`]: 'office' })
  })

  it.each(['10.21.0.1', '203.0.113.7', '2001:db8:43::1', '::ffff:203.0.113.7'])('refuses %s', async (ip) => {
    const err = await failCorpus('office-network-only', from(ip), { configuration })
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.toOAuthError()).toEqual(unauthorized('This application can only be used from the office network.'))
  })

  it('refuses an address it cannot parse', async () => {
    const err = await failCorpus('office-network-only', from('unknown'), { configuration })
    expect(err.toOAuthError()).toEqual(unauthorized('Access from an unknown network is not allowed.'))
  })

  it('does not apply to applications that are not internal', async () => {
    const result = await runCorpus('office-network-only', from('203.0.113.7'), {
      configuration: { ...configuration, INTERNAL_CLIENT_IDS: 'other-client' },
    })
    expect(result.idToken.claims).toEqual({})
  })
})

describe('block-denied-networks (ipaddr.js, CIDR deny list)', () => {
  const configuration = { DENIED_CIDRS: '198.51.100.0/24, 2001:db8:bad::/48' }
  const from = (ip: string) => login({ context: { request: request({ ip }) } })

  it.each([
    ['198.51.100.23', '198.51.100.0/24'],
    ['::ffff:198.51.100.200', '198.51.100.0/24'],
    ['2001:db8:bad:1::9', '2001:db8:bad::/48'],
  ])('refuses %s and logs the matching range', async (ip, range) => {
    const err = await failCorpus('block-denied-networks', from(ip), { configuration })
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.toOAuthError()).toEqual(unauthorized('Access denied.'))
    expect(logLines(err)).toEqual([['warn', `blocked login of ${USER_ID} from ${ip} (${range})`]])
  })

  it.each(['203.0.113.7', '198.51.101.1', '2001:db8:bae::1'])('lets %s through', async (ip) => {
    const result = await runCorpus('block-denied-networks', from(ip), { configuration })
    expect(result.logs).toEqual([])
  })

  it('refuses a login without a usable address', async () => {
    const err = await failCorpus('block-denied-networks', from('not-an-ip'), { configuration })
    expect(err.toOAuthError()).toEqual(unauthorized('Access denied.'))
  })
})

describe('contractor-business-hours (moment, weekday and time of day)', () => {
  const configuration = { BUSINESS_DAYS: '1,2,3,4,5', BUSINESS_HOURS: '08:00-18:00', BUSINESS_UTC_OFFSET: '+01:00' }
  const contractor = login({ user: { app_metadata: { roles: ['contractor'] } } })
  const at = (iso: string) => ({ configuration, clock: () => Date.parse(iso) })

  it.each([
    ['Wednesday 11:00 +01:00', '2024-03-13T10:00:00Z'],
    ['Monday 08:00 +01:00, the first minute', '2024-03-11T07:00:00Z'],
    ['Friday 17:59 +01:00, the last minute', '2024-03-15T16:59:00Z'],
  ])('lets a contractor in on %s, with the end of the business day as a claim', async (_when, iso) => {
    const result = await runCorpus('contractor-business-hours', contractor, at(iso))
    const day = iso.slice(0, 10)
    expect(result.accessToken.claims).toEqual({ [`${NS}session_ends`]: `${day}T17:00:00.000Z` })
  })

  it.each([
    ['Saturday', '2024-03-16T10:00:00Z', 'Contractor access is not available on Saturday.'],
    ['Sunday (Saturday 23:30 UTC is Sunday 00:30 +01:00)', '2024-03-16T23:30:00Z', 'Contractor access is not available on Sunday.'],
    ['Wednesday 18:00 +01:00', '2024-03-13T17:00:00Z', 'Contractor access is only available from 08:00 to 18:00 (18:00 +01:00 now).'],
    ['Thursday 07:59 +01:00', '2024-03-14T06:59:00Z', 'Contractor access is only available from 08:00 to 18:00 (07:59 +01:00 now).'],
  ])('refuses a contractor on %s', async (_when, iso, description) => {
    const err = await failCorpus('contractor-business-hours', contractor, at(iso))
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.toOAuthError()).toEqual(unauthorized(description))
  })

  it('does not restrict employees', async () => {
    const result = await runCorpus('contractor-business-hours', login(), at('2024-03-16T10:00:00Z'))
    expect(result.accessToken.claims).toEqual({})
  })
})

describe('temporary-access-expiry (Date)', () => {
  const now = Date.parse('2024-06-01T12:00:00Z')
  const withExpiry = (access_expires_at: unknown) => login({ user: { app_metadata: { roles: ['guest'], access_expires_at } } })

  it('warns the app during the last week', async () => {
    const result = await runCorpus('temporary-access-expiry', withExpiry('2024-06-05T00:00:00Z'), { clock: () => now })
    expect(result.idToken.claims).toEqual({ [`${NS}access_days_left`]: 4 })
  })

  it('says nothing while the expiry is far away, or for users without one', async () => {
    expect((await runCorpus('temporary-access-expiry', withExpiry('2024-12-01T00:00:00Z'), { clock: () => now })).idToken.claims).toEqual({})
    expect((await runCorpus('temporary-access-expiry', login(), { clock: () => now })).idToken.claims).toEqual({})
  })

  it('refuses once the access expired', async () => {
    const err = await failCorpus('temporary-access-expiry', withExpiry('2024-06-01T11:59:59Z'), { clock: () => now })
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.toOAuthError()).toEqual(unauthorized('Your access expired on 2024-06-01.'))
  })

  it('refuses (403) when the stored date is garbage', async () => {
    const err = await failCorpus('temporary-access-expiry', withExpiry('next tuesday'), { clock: () => now })
    expect(err.code).toBe('ERR_RULE_DENIED')
    expect(err.toOAuthError()).toEqual(accessDenied(`Invalid access_expires_at for ${USER_ID}`))
  })
})

describe('deny-blocked-users', () => {
  const now = Date.parse('2024-06-01T12:00:00Z')

  it.each([
    ['user.blocked', { blocked: true }],
    ['app_metadata.blocked', { app_metadata: { roles: [], blocked: true } }],
  ])('refuses a user blocked by %s with 401 "user is blocked"', async (_how, user) => {
    const err = await failCorpus('deny-blocked-users', login({ user }))
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.message).toBe('user is blocked')
    expect(err.toOAuthError()).toEqual(unauthorized('user is blocked'))
  })

  it('refuses a suspended user until the date, then lets them in', async () => {
    const suspended = login({ user: { app_metadata: { suspended_until: '2024-06-02T00:00:00Z' } } })
    const err = await failCorpus('deny-blocked-users', suspended, { clock: () => now })
    expect(err.toOAuthError()).toEqual(unauthorized('Your account is suspended until 2024-06-02T00:00:00Z.'))
    const later = await runCorpus('deny-blocked-users', suspended, { clock: () => Date.parse('2024-06-02T00:00:01Z') })
    expect(later.accessToken.claims).toEqual({})
  })

  it('stops the pipeline: later rules do not run', async () => {
    const err = await failCorpus(['deny-blocked-users', 'add-roles-and-permissions'], login({ user: { blocked: true } }))
    expect(err.rule).toBe('deny-blocked-users')
  })
})

describe('restrict-scopes-per-client', () => {
  const configuration = { CLIENT_SCOPES: JSON.stringify({ [CLIENT_ID]: ['openid', 'profile', 'read:reports'] }) }
  const asking = (scope: string) => login({ context: { request: request({ body: { grant_type: 'password', scope } }) } })

  it('keeps only the scopes the client may have', async () => {
    const result = await runCorpus('restrict-scopes-per-client', asking('openid profile read:reports delete:reports admin'), { configuration })
    expect(result.accessToken.scope).toEqual(['openid', 'profile', 'read:reports'])
  })

  it('filters scopes an earlier rule set, too', async () => {
    const earlier = rule('grant-extra', `context.accessToken.scope = 'openid write:everything read:reports'; callback(null, user, context);`)
    await using engine = await engineWith([earlier, corpusRule('restrict-scopes-per-client')], corpusOptions(undefined, { configuration }))
    const result = await engine.run(asking('openid'))
    expect(result.accessToken.scope).toEqual(['openid', 'read:reports'])
  })

  it('refuses a client that asked for nothing it may have', async () => {
    const err = await failCorpus('restrict-scopes-per-client', asking('delete:reports'), { configuration })
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.toOAuthError()).toEqual(unauthorized('None of the requested scopes is available to Trusted App.'))
  })

  it('leaves clients that are not listed alone', async () => {
    const result = await runCorpus('restrict-scopes-per-client', asking('openid admin'), {
      configuration: { CLIENT_SCOPES: JSON.stringify({ 'another-client': ['openid'] }) },
    })
    expect(result.accessToken.scope).toBeUndefined()
  })
})

describe('mfa-outside-corporate-network (MFA by IP range)', () => {
  const configuration = { CORPORATE_CIDRS: '10.0.0.0/8, 192.168.0.0/16, fd00::/8' }
  const from = (ip: string) => login({ context: { request: request({ ip }) } })

  it.each(['203.0.113.7', '172.16.0.1', '2001:db8::1', 'garbage'])('asks for MFA from %s', async (ip) => {
    const result = await runCorpus('mfa-outside-corporate-network', from(ip), { configuration })
    expect(result.multifactor).toEqual({ provider: 'any', allowRememberBrowser: false })
  })

  it.each(['10.1.2.3', '::ffff:192.168.1.10', 'fd12:3456::1'])('does not from the corporate network (%s)', async (ip) => {
    const result = await runCorpus('mfa-outside-corporate-network', from(ip), { configuration })
    expect(result.multifactor).toBeUndefined()
  })
})

describe('mfa-for-privileged-roles (MFA by role)', () => {
  it.each([['admin'], ['billing-admin']])('asks %s for Guardian MFA, remembering the browser', async (role) => {
    const result = await runCorpus('mfa-for-privileged-roles', login({ user: { app_metadata: { roles: ['viewer', role] } } }))
    expect(result.multifactor).toEqual({ provider: 'guardian', allowRememberBrowser: true })
  })

  it('does not ask other roles, or users without app_metadata', async () => {
    expect((await runCorpus('mfa-for-privileged-roles', login({ user: { app_metadata: { roles: ['viewer'] } } }))).multifactor).toBeUndefined()
    expect((await runCorpus('mfa-for-privileged-roles', login({ user: { app_metadata: undefined } }))).multifactor).toBeUndefined()
  })

  it('does not ask again when this login already used a second factor', async () => {
    const result = await runCorpus(
      'mfa-for-privileged-roles',
      login({
        context: {
          authentication: {
            methods: [
              { name: 'pwd', timestamp: 1 },
              { name: 'mfa', timestamp: 2 },
            ],
          },
        },
      }),
    )
    expect(result.multifactor).toBeUndefined()
  })
})
