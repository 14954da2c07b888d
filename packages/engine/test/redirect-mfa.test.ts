/**
 * docs/behaviour.md#callback-outcomes, the rows about `context.redirect`, `context.multifactor` and `context.primaryUser`
 * (docs/behaviour.md#the-context-object "effective outputs").
 */
import { NO_BROWSER_PROTOCOLS, REDIRECT_UNSUPPORTED_DESCRIPTION, type EngineOptions, type RunInput, type RunResult } from '@tokenrules/engine'
import { describe, expect, it } from 'vitest'
import { engineWith, passwordInput, rejection, rule } from './helpers.js'

/** docs/behaviour.md#callback-outcomes, copied from the document (not from the engine). */
const DOCUMENTED_NO_BROWSER = [
  'oauth2-password',
  'oauth2-refresh-token',
  'oauth2-resource-owner',
  'oauth2-resource-owner-jwt-bearer',
  'oauth2-token-exchange',
  'oauth2-device-code',
]
const BROWSER = ['oidc-basic-profile', 'samlp', 'oauth2']
const URL_ = 'https://idp.example.com/verify?state=abc'

async function runRules(rules: EngineOptions['rules'], input: RunInput, options: Partial<EngineOptions> = {}): Promise<RunResult> {
  await using engine = await engineWith(rules, options)
  return await engine.run(input)
}

const under = (protocol: string, context: Record<string, unknown> = {}) => passwordInput({ context: { protocol, ...context } })

describe('context.redirect', () => {
  it('NO_BROWSER_PROTOCOLS lists exactly the documented protocols without a browser', () => {
    expect([...NO_BROWSER_PROTOCOLS].sort()).toEqual([...DOCUMENTED_NO_BROWSER].sort())
    expect(REDIRECT_UNSUPPORTED_DESCRIPTION).toBe('Redirect from a rule is not supported in the password exchange.')
  })

  it.each(NO_BROWSER_PROTOCOLS)('under %s fails with ERR_REDIRECT_UNSUPPORTED, 403 access_denied, naming the rule', async (protocol) => {
    const err = await rejection(
      runRules(
        [
          rule('first', `callback(null, user, context);`),
          rule('redirector', `context.redirect = { url: ${JSON.stringify(URL_)} }; callback(null, user, context);`),
          rule('after', `callback(new Error('a rule after the redirect ran'));`),
        ],
        under(protocol),
      ),
    )
    expect(err.code).toBe('ERR_REDIRECT_UNSUPPORTED')
    expect(err.message).toBe(`Redirect from a rule is not supported in the password exchange. (protocol ${protocol})`)
    expect(err.rule).toBe('redirector')
    expect(err.protocol).toBe(protocol)
    expect(err.toOAuthError()).toEqual({
      status: 403,
      body: { error: 'access_denied', error_description: 'Redirect from a rule is not supported in the password exchange.' },
    })
  })

  it('fails with ERR_REDIRECT_UNSUPPORTED under oauth2-password even when the redirect is malformed', async () => {
    const err = await rejection(runRules([rule('redirector', `context.redirect = {}; callback(null, user, context);`)], under('oauth2-password')))
    expect(err.code).toBe('ERR_REDIRECT_UNSUPPORTED')
    expect(err.rule).toBe('redirector')
  })

  it.each(BROWSER)('under %s gives result.redirect = { url }', async (protocol) => {
    const result = await runRules([rule('redirector', `context.redirect = { url: ${JSON.stringify(URL_)} }; callback(null, user, context);`)], under(protocol))
    expect(result.redirect).toEqual({ url: URL_ })
  })

  it('leaves result.redirect unset when no rule redirects', async () => {
    const result = await runRules([rule('noop', `callback(null, user, context);`)], under('oidc-basic-profile'))
    expect('redirect' in result).toBe(false)
  })

  it('rejects a redirect without url under a browser protocol with ERR_RULE_RESULT_INVALID', async () => {
    const err = await rejection(
      runRules([rule('redirector', `context.redirect = { to: 'https://idp.example.com' }; callback(null, user, context);`)], under('oidc-basic-profile')),
    )
    expect(err.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(err.path).toBe('context.redirect.url')
    expect(err.message).toBe('context.redirect.url must be a non-empty string.')
    expect(err.toOAuthError()).toEqual({
      status: 500,
      body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' },
    })
  })
})

describe('context.multifactor', () => {
  it('under oauth2-password gives result.multifactor = { provider, allowRememberBrowser }', async () => {
    const result = await runRules(
      [rule('mfa', `context.multifactor = { provider: 'any', allowRememberBrowser: false }; callback(null, user, context);`)],
      under('oauth2-password'),
    )
    expect(result.multifactor).toEqual({ provider: 'any', allowRememberBrowser: false })
  })

  it('keeps allowRememberBrowser: true', async () => {
    const result = await runRules(
      [rule('mfa', `context.multifactor = { provider: 'google-authenticator', allowRememberBrowser: true }; callback(null, user, context);`)],
      under('oauth2-password'),
    )
    expect(result.multifactor).toEqual({ provider: 'google-authenticator', allowRememberBrowser: true })
  })

  it('leaves result.multifactor unset when no rule asks for MFA', async () => {
    const result = await runRules([rule('noop', `callback(null, user, context);`)], under('oauth2-password'))
    expect('multifactor' in result).toBe(false)
  })

  it("rejects provider 'duo' under oauth2-password with ERR_MFA_PROVIDER_UNSUPPORTED, 403 access_denied", async () => {
    const err = await rejection(
      runRules(
        [rule('mfa', `context.multifactor = { provider: 'duo', allowRememberBrowser: false }; callback(null, user, context);`)],
        under('oauth2-password'),
      ),
    )
    expect(err.code).toBe('ERR_MFA_PROVIDER_UNSUPPORTED')
    expect(err.message).toBe("Multifactor provider 'duo' is not supported with protocol oauth2-password.")
    expect(err.provider).toBe('duo')
    expect(err.toOAuthError()).toEqual({
      status: 403,
      body: { error: 'access_denied', error_description: "Multifactor provider 'duo' is not supported with protocol oauth2-password." },
    })
  })

  it("gives result.multifactor for provider 'duo' under oidc-basic-profile", async () => {
    const result = await runRules(
      [rule('mfa', `context.multifactor = { provider: 'duo', allowRememberBrowser: false }; callback(null, user, context);`)],
      under('oidc-basic-profile'),
    )
    expect(result.multifactor).toEqual({ provider: 'duo', allowRememberBrowser: false })
  })
})

describe('context.primaryUser', () => {
  it('gives result.primaryUser when a rule changes it', async () => {
    const result = await runRules(
      [rule('link', `context.primaryUser = 'auth0|primary-account'; callback(null, user, context);`)],
      under('oauth2-password', { primaryUser: 'auth0|5f7c8ec7c33c6c004bbafe82' }),
    )
    expect(result.primaryUser).toBe('auth0|primary-account')
  })

  it('leaves result.primaryUser unset when no rule changes it', async () => {
    const result = await runRules(
      [rule('noop', `context.primaryUser = context.primaryUser; callback(null, user, context);`)],
      under('oauth2-password', { primaryUser: 'auth0|5f7c8ec7c33c6c004bbafe82' }),
    )
    expect('primaryUser' in result).toBe(false)
  })
})
