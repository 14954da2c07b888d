import { fileURLToPath } from 'node:url'
import { createEngine } from '@tokenrules/engine'
import { describe, expect, it } from 'vitest'
import { demoServerOptions } from '../src/config.js'
import { loadActions, loadRuleSet } from '../src/rule-set.js'

const RULES = fileURLToPath(new URL('../rules', import.meta.url))

describe("the demo's rules folder", () => {
  it('holds rules and, in actions/, post-login actions, both handed to the engine', async () => {
    expect(loadRuleSet(RULES).map((rule) => rule.name)).toEqual(['require-verified-email', 'add-roles', 'restrict-customers', 'mfa-for-flagged-users'])
    expect(loadActions(RULES).map((action) => action.name)).toEqual(['login-context'])
    const options = await demoServerOptions('http://localhost:3000/')
    // The demo hands the engine its options (not an engine of its own), actions among them.
    expect('actions' in options.engine && options.engine.actions?.map((action) => action.name)).toEqual(['login-context'])
  })

  it('runs the rules, then the actions: the claims of both reach the tokens', async () => {
    await using engine = await createEngine({ rules: loadRuleSet(RULES), actions: loadActions(RULES), concurrency: 1 })
    const result = await engine.run({
      user: { user_id: 'auth0|alice', email: 'alice@example.com', email_verified: true, app_metadata: { roles: ['admin'] } },
      context: { clientID: 'demo-app', protocol: 'oauth2-password', connection: 'Employees', stats: { loginsCount: 4 } },
    })
    expect(result.accessToken.claims).toEqual({ 'https://example.com/roles': ['admin'], 'https://example.com/logins': 4 })
    expect(result.idToken.claims).toEqual({ 'https://example.com/roles': ['admin'], 'https://example.com/connection': 'Employees' })
    expect([result.rules.length, result.actions?.map((action) => action.name)]).toEqual([4, ['login-context']])
  })
})
