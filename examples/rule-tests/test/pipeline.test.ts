import { describe, expect, it, vi } from 'vitest'
import { fakeHttp, runRules } from '@tokenrules/testing/vitest'
import { configuration, rulesDir } from './settings.js'

/** The whole rule set, in file order, with every API it calls faked (request and axios alike). */
function tenant() {
  const http = fakeHttp({
    'GET https://crm.acme.example/api/customers': { json: { tier: 'gold' } },
    'POST https://risk.acme.example/v1/score': { json: { score: 7 } },
    'POST https://billing.acme.example/oauth/token': { json: { access_token: 'm2m', expires_in: 3600 } },
    'GET https://billing.acme.example/v2/entitlements/auth0%7C65a1f0c2e4b0a1b2c3d4e5f6': { json: { entitlements: ['reports'] } },
  })
  const updateAppMetadata = vi.fn(async () => {})
  return {
    http,
    updateAppMetadata,
    options: {
      dir: rulesDir,
      configuration,
      modules: { packages: ['ipaddr.js', 'lodash'], crypto: true, http: http.module },
      hooks: { updateAppMetadata },
    },
  }
}

describe('the whole rule set, for a password-grant login', () => {
  it('lets an admin in with roles, scopes, tier, entitlements — and asks for MFA', async () => {
    const { options, http, updateAppMetadata } = tenant()
    const result = await runRules({
      ...options,
      user: { app_metadata: { roles: ['admin'] }, user_metadata: { terms_accepted: '2024-06', theme: 'dark' } },
      context: { request: { body: { scope: 'openid profile read:reports admin:users' } } },
    })
    expect(result.rules.map((r) => r.name)).toEqual([
      'deny-unverified-email',
      'block-suspended-accounts',
      'corporate-network-only',
      'add-roles',
      'scopes-from-roles',
      'require-mfa-for-admins',
      'enrich-from-crm',
      'fraud-score',
      'record-first-login',
      'organization-claims',
      'accept-terms',
      'risk-step-up',
      'login-id',
      'entitlements-api',
      'profile-preferences',
    ])
    expect(result).toRequireMfa('any')
    expect(result).toHaveScopes(['openid', 'profile', 'read:reports', 'admin:users'])
    expect(result).toHaveClaim('accessToken', 'https://acme.example/roles', ['admin'])
    expect(result).toHaveClaim('idToken', 'https://acme.example/customer_tier', 'gold')
    expect(result).toHaveClaim('accessToken', 'https://acme.example/risk_score', 7)
    expect(result).toHaveClaim('accessToken', 'https://acme.example/entitlements', ['reports'])
    expect(result).toHaveClaim('idToken', 'https://acme.example/preferences', { theme: 'dark' })
    expect(updateAppMetadata).toHaveBeenCalledTimes(1)
    expect(http.unmatched).toEqual([])
    expect(result.warnings).toEqual([])
  })

  it('stops at the first rule that refuses: later rules never run', async () => {
    const { options, http } = tenant()
    const login = runRules({ ...options, user: { email_verified: false } })
    await expect(login).toDenyWith('ERR_RULE_UNAUTHORIZED', 'Please verify your email before logging in.')
    expect(http.requests).toEqual([])
  })
})
