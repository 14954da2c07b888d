import { describe, expect, it, vi } from 'vitest'
import { FIXED_NOW, runRules } from '@tokenrules/testing/vitest'
import { configuration, rule } from './settings.js'

describe('metadata the rules persist', () => {
  it('records the first login once, through auth0.users.updateAppMetadata', async () => {
    const updateAppMetadata = vi.fn(async () => {})
    const result = await runRules({
      files: [rule('09-record-first-login.js')],
      user: { app_metadata: { plan: 'gold' } },
      hooks: { updateAppMetadata },
    })
    const firstLogin = new Date(FIXED_NOW).toISOString()
    expect(updateAppMetadata).toHaveBeenCalledExactlyOnceWith('auth0|65a1f0c2e4b0a1b2c3d4e5f6', { plan: 'gold', first_login_at: firstLogin })
    expect(result).toHaveClaim('idToken', 'https://acme.example/first_login_at', firstLogin)
    expect(result.metadataUpdates).toEqual([
      { userId: 'auth0|65a1f0c2e4b0a1b2c3d4e5f6', kind: 'app_metadata', metadata: { plan: 'gold', first_login_at: firstLogin } },
    ])
  })

  it('does not write again on later logins', async () => {
    const updateAppMetadata = vi.fn(async () => {})
    await runRules({
      files: [rule('09-record-first-login.js')],
      user: { app_metadata: { first_login_at: '2024-01-01T00:00:00.000Z' } },
      hooks: { updateAppMetadata },
    })
    expect(updateAppMetadata).not.toHaveBeenCalled()
  })

  it('issues no token when the store refuses the update', async () => {
    const updateAppMetadata = vi.fn(async () => {
      throw new Error('database is read-only')
    })
    await expect(runRules({ files: [rule('09-record-first-login.js')], hooks: { updateAppMetadata } })).toDenyWith(
      'ERR_METADATA_UPDATE_FAILED',
      /database is read-only/,
    )
  })

  describe('terms of service', () => {
    const terms = rule('11-accept-terms.js')

    it('tells password-grant users where to accept them (there is no browser to redirect)', async () => {
      await expect(runRules({ files: [terms], configuration })).toDenyWith(
        'ERR_RULE_UNAUTHORIZED',
        'Please accept the terms of service at https://acme.example/terms',
      )
    })

    it('redirects browser logins to the terms page', async () => {
      const result = await runRules({ files: [terms], configuration, context: { protocol: 'oidc-basic-profile' } })
      expect(result.redirect).toEqual({ url: 'https://acme.example/terms?version=2024-06' })
    })

    it('stores the acceptance when the browser comes back', async () => {
      const updateUserMetadata = vi.fn(async () => {})
      await runRules({
        files: [terms],
        configuration,
        context: { protocol: 'redirect-callback', request: { query: { accepted: '2024-06' } } },
        hooks: { updateUserMetadata },
      })
      expect(updateUserMetadata).toHaveBeenCalledWith('auth0|65a1f0c2e4b0a1b2c3d4e5f6', { terms_accepted: '2024-06' })
    })

    it('is what a naive redirect rule gets wrong: the password grant refuses redirects', async () => {
      const naive = `function (user, context, callback) {
        context.redirect = { url: configuration.TERMS_URL };
        callback(null, user, context);
      }`
      await expect(runRules({ rules: [naive], configuration })).toRefuseRedirect()
    })
  })
})
