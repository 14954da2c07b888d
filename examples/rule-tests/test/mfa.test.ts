import { describe, expect, it } from 'vitest'
import { runRules } from '@tokenrules/testing/vitest'
import { rule } from './settings.js'

describe('multifactor authentication', () => {
  it('is required of administrators, without remembering the browser', async () => {
    const result = await runRules({ files: [rule('06-require-mfa-for-admins.js')], user: { app_metadata: { roles: ['admin'] } } })
    expect(result).toRequireMfa('any')
    expect(result.multifactor).toEqual({ provider: 'any', allowRememberBrowser: false })
  })

  it('is not asked of other users', async () => {
    const result = await runRules({ files: [rule('06-require-mfa-for-admins.js')], user: { app_metadata: { roles: ['editor'] } } })
    expect(result).not.toRequireMfa()
  })

  it('steps up to Guardian when the risk assessment has low confidence, and says why in the logs', async () => {
    const result = await runRules({
      files: [rule('12-risk-step-up.js')],
      context: {
        riskAssessment: {
          confidence: 'low',
          version: '1',
          assessments: { ImpossibleTravel: { confidence: 'low', code: 'impossible_travel_from_last_login' } },
        },
      },
    })
    expect(result).toRequireMfa('guardian')
    expect(result).toHaveLogged('impossible_travel_from_last_login', 'log')
  })
})
