import { describe, expect, it, vi } from 'vitest'
import { createRuleRunner, fakeHttp, runRules } from '@tokenrules/testing/vitest'
import { configuration, rule } from './settings.js'

describe('rules that call APIs', () => {
  describe('CRM lookup with a stubbed `request` module (host stub, callback style)', () => {
    const crm = (get: (options: unknown, callback: (...args: unknown[]) => void) => void) =>
      runRules({ files: [rule('07-enrich-from-crm.js')], configuration, modules: { host: { request: { get } } } })

    it('puts the customer tier in the tokens', async () => {
      const get = vi.fn((_options: unknown, callback: (...args: unknown[]) => void) => callback(null, { statusCode: 200 }, { tier: 'gold' }))
      const result = await crm(get)
      expect(result).toHaveClaim('idToken', 'https://acme.example/customer_tier', 'gold')
      expect(result).toHaveClaim('accessToken', 'https://acme.example/customer_tier', 'gold')
      // The mock recorded the call on the host, with the rule's arguments copied out of the sandbox.
      expect(get).toHaveBeenCalledTimes(1)
      expect(get).toHaveBeenCalledWith(
        expect.objectContaining({
          url: 'https://crm.acme.example/api/customers?email=ada.lovelace%40example.com',
          headers: { authorization: 'Bearer crm-token' },
          json: true,
        }),
        expect.any(Function),
      )
    })

    it('lets the user in without a tier when the CRM is down, and logs it', async () => {
      const result = await crm((_options, callback) => callback(new Error('connect ECONNREFUSED')))
      expect(result).not.toHaveClaim('idToken', 'https://acme.example/customer_tier')
      expect(result).toHaveLogged('CRM lookup failed for auth0|65a1f0c2e4b0a1b2c3d4e5f6: connect ECONNREFUSED', 'warn')
    })
  })

  describe('fraud score with the real axios over a fake HTTP server (modules.http.fetch)', () => {
    const score = (value: number | 'down') => {
      const http = fakeHttp({
        'POST https://risk.acme.example/v1/score': value === 'down' ? { status: 503, body: 'maintenance' } : { json: { score: value } },
      })
      return { http, login: runRules({ files: [rule('08-fraud-score.js')], configuration, modules: { http: http.module } }) }
    }

    it('sends the login to the risk service and keeps the score', async () => {
      const { http, login } = score(12)
      expect(await login).toHaveClaim('accessToken', 'https://acme.example/risk_score', 12)
      expect(http.requests).toHaveLength(1)
      expect(http.requests[0]).toMatchObject({
        method: 'POST',
        url: 'https://risk.acme.example/v1/score',
        json: { user_id: 'auth0|65a1f0c2e4b0a1b2c3d4e5f6', ip: '203.0.113.7', country: 'GB' },
      })
      expect(http.requests[0]?.headers['content-type']).toBe('application/json')
    })

    it('refuses a login scored above the threshold', async () => {
      await expect(score(93).login).toDenyWith('ERR_RULE_UNAUTHORIZED', 'This login looks unusual. Please contact support.')
    })

    it('fails closed when the risk service is down', async () => {
      await expect(score('down').login).toDenyWith('ERR_RULE_DENIED', 'Risk service unavailable')
    })
  })

  describe('entitlements, with the billing token cached in `global`', () => {
    const billing = () =>
      fakeHttp({
        'POST https://billing.acme.example/oauth/token': { json: { access_token: 'm2m-1', expires_in: 3600 } },
        'GET https://billing.acme.example/v2/entitlements/auth0%7C65a1f0c2e4b0a1b2c3d4e5f6': (request) =>
          request.headers.authorization === 'Bearer m2m-1' || request.headers.authorization === 'Bearer cached'
            ? { json: { entitlements: ['reports', 'exports'] } }
            : { status: 401, json: { error: 'invalid_token' } },
      })

    it('fetches the token once and reuses it on the next login', async () => {
      const http = billing()
      await using runner = await createRuleRunner({ files: [rule('14-entitlements-api.js')], configuration, modules: { http: http.module } })
      expect(await runner.run()).toHaveClaim('accessToken', 'https://acme.example/entitlements', ['reports', 'exports'])
      await runner.run()
      expect(http.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
        'POST /oauth/token',
        'GET /v2/entitlements/auth0%7C65a1f0c2e4b0a1b2c3d4e5f6',
        'GET /v2/entitlements/auth0%7C65a1f0c2e4b0a1b2c3d4e5f6',
      ])
      expect(http.requests[0]?.json).toEqual({ grant_type: 'client_credentials', client_id: 'rules', client_secret: 'billing-secret' })
    })

    it('uses a token already in `global` (seeded by the test)', async () => {
      const http = billing()
      const result = await runRules({
        files: [rule('14-entitlements-api.js')],
        configuration,
        modules: { http: http.module },
        global: { billingToken: { value: 'cached', expiresAt: Date.UTC(2030, 0, 1) } },
      })
      expect(result).toHaveClaim('accessToken', 'https://acme.example/entitlements', ['reports', 'exports'])
      expect(http.requests).toHaveLength(1)
    })

    it('refuses the login when billing cannot be reached', async () => {
      const http = fakeHttp({ 'POST https://billing.acme.example/oauth/token': { status: 500, body: 'oops' } })
      await expect(runRules({ files: [rule('14-entitlements-api.js')], configuration, modules: { http: http.module } })).toDenyWith(
        'ERR_RULE_DENIED',
        'token endpoint answered 500',
      )
    })
  })
})
