import { describe, expect, it } from 'vitest'
import { manualClock, runRules } from '@tokenrules/testing/vitest'
import { rule } from './settings.js'

describe('login ids and times are reproducible in tests', () => {
  const login = (options: Parameters<typeof runRules>[0] = {}) => runRules({ files: [rule('13-login-id.js')], modules: { crypto: true }, ...options })

  it('draws the same UUID and reads the same time on every run', async () => {
    const [a, b] = [await login(), await login()]
    expect(a.accessToken.claims).toEqual(b.accessToken.claims)
    expect(a).toHaveClaim(
      'accessToken',
      'https://acme.example/login_id',
      expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    )
    expect(a).toHaveClaim('accessToken', 'https://acme.example/login_at', '2025-01-15T09:30:00.000Z')
  })

  it('uses the clock the test gives', async () => {
    const clock = manualClock('2031-02-03T04:05:06Z')
    expect(await login({ clock })).toHaveClaim('accessToken', 'https://acme.example/login_at', '2031-02-03T04:05:06.000Z')
  })

  it('can use real randomness when asked', async () => {
    const [a, b] = [await login({ random: Math.random }), await login({ random: Math.random })]
    expect(a.accessToken.claims['https://acme.example/login_id']).not.toEqual(b.accessToken.claims['https://acme.example/login_id'])
  })
})
