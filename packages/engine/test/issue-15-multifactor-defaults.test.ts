/**
 * docs/behaviour.md#mfa: `context.multifactor.allowRememberBrowser` when a rule leaves it out.
 * Auth0's "Configuring Custom MFA" (auth0/docs, articles/multifactor-authentication/custom.md):
 * users are remembered for 30 days by default, or when `allowRememberBrowser` is explicitly true;
 * only `false` prompts at every login. Its rule templates say the same ("optional, defaults to true").
 */
import { describe, expect, it } from 'vitest'
import { engineWith, passwordInput, rejection, rule } from './helpers.js'

async function multifactorOf(assignment: string, protocol = 'oauth2-password') {
  await using engine = await engineWith([rule('mfa', `context.multifactor = ${assignment}; callback(null, user, context);`)])
  return (await engine.run(passwordInput({ context: { protocol } }))).multifactor
}

describe('context.multifactor defaults', () => {
  it('allowRememberBrowser left out is true, as on Auth0 (under the password grant and a browser protocol)', async () => {
    expect(await multifactorOf(`{ provider: 'any' }`)).toEqual({ provider: 'any', allowRememberBrowser: true })
    expect(await multifactorOf(`{ provider: 'guardian' }`, 'oidc-basic-profile')).toEqual({ provider: 'guardian', allowRememberBrowser: true })
  })

  it('allowRememberBrowser: undefined is left out too', async () => {
    expect(await multifactorOf(`{ provider: 'any', allowRememberBrowser: undefined }`)).toEqual({ provider: 'any', allowRememberBrowser: true })
  })

  it('an explicit false or true is kept', async () => {
    expect(await multifactorOf(`{ provider: 'any', allowRememberBrowser: false }`)).toEqual({ provider: 'any', allowRememberBrowser: false })
    expect(await multifactorOf(`{ provider: 'any', allowRememberBrowser: true }`)).toEqual({ provider: 'any', allowRememberBrowser: true })
  })

  it("a false inherited from a prototype is not the rule's own: the default applies", async () => {
    expect(await multifactorOf(`Object.create({ allowRememberBrowser: false }, { provider: { value: 'any', enumerable: true } })`)).toEqual({
      provider: 'any',
      allowRememberBrowser: true,
    })
  })

  it('a value that is not a boolean is ERR_RULE_RESULT_INVALID naming the path (never read as the default)', async () => {
    await using engine = await engineWith([
      rule('mfa', `context.multifactor = { provider: 'any', allowRememberBrowser: 'no' }; callback(null, user, context);`),
    ])
    const err = await rejection(engine.run(passwordInput()))
    expect(err.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(err.path).toBe('context.multifactor.allowRememberBrowser')
  })
})
