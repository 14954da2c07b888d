import { describe, expect, it } from 'vitest'
import { runRules } from '@tokenrules/testing/vitest'
import { configuration, rule } from './settings.js'

describe('who may log in', () => {
  it('refuses database users whose email is not verified, with 401 unauthorized', async () => {
    const login = runRules({ files: [rule('01-deny-unverified-email.js')], user: { email_verified: false } })
    await expect(login).toDenyWith('ERR_RULE_UNAUTHORIZED', 'Please verify your email before logging in.')
  })

  it('lets social users in: their provider verified the email', async () => {
    const result = await runRules({
      files: [rule('01-deny-unverified-email.js')],
      user: { user_id: 'google-oauth2|1029384756', email_verified: false },
    })
    expect(result.rules).toEqual([{ name: 'deny-unverified-email', durationMs: expect.any(Number) }])
  })

  it('refuses suspended accounts with 403 access_denied and the reason on file', async () => {
    const login = runRules({
      files: [rule('02-block-suspended-accounts.js')],
      user: { app_metadata: { suspended: { reason: 'chargeback under review' } } },
    })
    await expect(login).toDenyWith('ERR_RULE_DENIED', 'Account suspended: chargeback under review')
    await expect(login).rejects.toMatchObject({
      rule: 'block-suspended-accounts',
      toOAuthError: expect.any(Function),
    })
    const error = await login.catch((e: unknown) => e)
    expect((error as { toOAuthError(): unknown }).toOAuthError()).toEqual({
      status: 403,
      body: { error: 'access_denied', error_description: 'Account suspended: chargeback under review' },
    })
  })

  describe('corporate-network-only clients (ipaddr.js bundled into the sandbox)', () => {
    const corporate = (ip: string) =>
      runRules({
        files: [rule('03-corporate-network-only.js')],
        modules: { packages: ['ipaddr.js'] },
        configuration,
        context: { clientName: 'Payroll', clientMetadata: { corp_network_only: 'true' }, request: { ip } },
      })

    it('allows the corporate ranges, IPv4-mapped IPv6 included', async () => {
      await expect(corporate('10.20.30.40')).resolves.toBeDefined()
      await expect(corporate('::ffff:192.0.2.15')).resolves.toBeDefined()
    })

    it('refuses everyone else', async () => {
      await expect(corporate('203.0.113.7')).toDenyWith('ERR_RULE_UNAUTHORIZED', 'Payroll is only available on the corporate network.')
    })

    it('does not touch other clients', async () => {
      const result = await runRules({ files: [rule('03-corporate-network-only.js')], configuration, context: { request: { ip: '203.0.113.7' } } })
      expect(result.warnings).toEqual([])
    })
  })
})
