import { beforeAll, describe, expect, it } from 'vitest'
import { createRuleRunner, runRules, type RunResult } from '@tokenrules/testing/vitest'

const rule = (body: string) => `function (user, context, callback) {\n${body}\n}`

let result: RunResult

beforeAll(async () => {
  result = await runRules({
    rules: [
      rule(`
      context.accessToken['https://t.example/roles'] = ['admin'];
      context.accessToken.scope = 'openid read:reports read:reports';
      context.idToken['https://t.example/email'] = user.email;
      context.idToken.nickname_claim = 'x';
      context.multifactor = { provider: 'guardian' };
      console.warn('careful with', user.email);
      callback(null, user, context);`),
    ],
  })
})

/** vitest colours values in messages; compare the text. */
const plain = (text: string) => text.replace(/\u001b\[\d+m/g, '')

/** The message an assertion fails with. */
function failure(assertion: () => void): string {
  try {
    assertion()
  } catch (error) {
    return plain((error as Error).message)
  }
  throw new Error('expected the assertion to fail')
}

async function asyncFailure(assertion: () => Promise<unknown>): Promise<string> {
  try {
    await assertion()
  } catch (error) {
    return plain((error as Error).message)
  }
  throw new Error('expected the assertion to fail')
}

describe('toHaveClaim', () => {
  it('passes for a kept claim, with or without a value, asymmetric matchers included', () => {
    expect(result).toHaveClaim('accessToken', 'https://t.example/roles')
    expect(result).toHaveClaim('accessToken', 'https://t.example/roles', ['admin'])
    expect(result).toHaveClaim('idToken', 'https://t.example/email', expect.stringContaining('@example.com'))
    expect(result).not.toHaveClaim('idToken', 'https://t.example/roles')
  })

  it('says what the value is, or that the policy dropped it, or which claims there are', () => {
    expect(failure(() => expect(result).toHaveClaim('accessToken', 'https://t.example/roles', ['user']))).toMatch(
      /expected the accessToken to have the claim "https:\/\/t.example\/roles" equal to (Array )?\[\s*"user",?\s*\], but it is (Array )?\[\s*"admin",?\s*\]/,
    )
    expect(failure(() => expect(result).toHaveClaim('idToken', 'nickname_claim'))).toMatch(/the claims policy dropped it \(not-namespaced\)/)
    expect(failure(() => expect(result).toHaveClaim('idToken', 'https://t.example/missing'))).toMatch(
      /it has no such claim; its claims: "https:\/\/t.example\/email"/,
    )
    expect(failure(() => expect(result).not.toHaveClaim('accessToken', 'https://t.example/roles'))).toMatch(/not to have the claim .* but it is/)
  })

  it('reads raw contexts (what loadRule calls back with) too', () => {
    const context = { protocol: 'oauth2-password', accessToken: { plain: 1 }, idToken: {} }
    expect(context).toHaveClaim('accessToken', 'plain', 1)
    expect(failure(() => expect(42).toHaveClaim('accessToken', 'x'))).toMatch(/expected a runRules result or a context, received number 42/)
  })
})

describe('toHaveScopes', () => {
  it('compares the de-duplicated scopes in any order', () => {
    expect(result).toHaveScopes(['read:reports', 'openid'])
    expect(result).toHaveScopes(expect.arrayContaining(['openid']))
    expect(result).not.toHaveScopes(['openid'])
  })

  it('explains a mismatch, and scopes no rule set', async () => {
    expect(failure(() => expect(result).toHaveScopes(['openid']))).toMatch(
      /expected the access token's scopes to be (Array )?\[\s*"openid",?\s*\], received (Array )?\[/,
    )
    const untouched = await runRules({ rules: [rule('callback(null, user, context);')] })
    expect(failure(() => expect(untouched).toHaveScopes(['openid']))).toMatch(/no rule set context.accessToken.scope/)
  })
})

describe('toDenyWith', () => {
  const deny = (body: string) => runRules({ rules: [rule(body)] })

  it('matches a rejected run by code, and by message or OAuth description', async () => {
    await expect(deny(`callback(new UnauthorizedError('nope'));`)).toDenyWith('ERR_RULE_UNAUTHORIZED')
    await expect(deny(`callback(new UnauthorizedError('nope'));`)).toDenyWith('ERR_RULE_UNAUTHORIZED', 'nope')
    await expect(deny(`callback(new Error('blocked today'));`)).toDenyWith('ERR_RULE_DENIED', /blocked/)
    await expect(deny(`context.redirect = { url: 'https://x.example' }; callback(null, user, context);`)).toDenyWith(
      'ERR_REDIRECT_UNSUPPORTED',
      'Redirect from a rule is not supported in the password exchange.',
    )
    const error = await deny(`callback('text');`).catch((e: unknown) => e)
    await expect(error).toDenyWith('ERR_RULE_DENIED', 'text')
    await expect(deny(`callback(new Error('x'));`)).not.toDenyWith('ERR_RULE_UNAUTHORIZED')
  })

  it('explains what happened instead', async () => {
    expect(await asyncFailure(() => expect(deny(`callback(null, user, context);`)).toDenyWith('ERR_RULE_DENIED'))).toMatch(
      /expected the rules to deny with ERR_RULE_DENIED, but the rules allowed the login \(0 custom claims\)/,
    )
    expect(await asyncFailure(() => expect(deny(`callback(new Error('other'));`)).toDenyWith('ERR_RULE_UNAUTHORIZED', 'nope'))).toMatch(
      /but they failed with ERR_RULE_DENIED \(rule 'rule-1'\): "other"/,
    )
    expect(await asyncFailure(() => expect(Promise.reject(new TypeError('plain'))).toDenyWith('ERR_RULE_DENIED'))).toMatch(
      /not a tokenrules error: "TypeError: plain"/,
    )
  })
})

describe('toRequireMfa', () => {
  it('checks that MFA is required, and the provider', async () => {
    expect(result).toRequireMfa()
    expect(result).toRequireMfa('guardian')
    expect(failure(() => expect(result).toRequireMfa('duo'))).toMatch(/to require multifactor authentication with "duo", but they asked for "guardian"/)
    const none = await runRules({ rules: [rule('callback(null, user, context);')] })
    expect(none).not.toRequireMfa()
    expect(failure(() => expect(none).toRequireMfa())).toMatch(/no rule set context.multifactor/)
  })
})

describe('toRefuseRedirect', () => {
  it('passes for a redirect under the password grant, fails for a browser protocol', async () => {
    const body = `context.redirect = { url: 'https://consent.example' }; callback(null, user, context);`
    await expect(runRules({ rules: [rule(body)] })).toRefuseRedirect()
    expect(await asyncFailure(() => expect(runRules({ rules: [rule(body)], context: { protocol: 'oidc-basic-profile' } })).toRefuseRedirect())).toMatch(
      /expected the redirect to be refused \(ERR_REDIRECT_UNSUPPORTED\), but the rules allowed the login/,
    )
    expect(await asyncFailure(() => expect(runRules({ rules: [rule(`callback(new Error('no'));`)] })).toRefuseRedirect())).toMatch(
      /but the rules failed with ERR_RULE_DENIED: no/,
    )
  })
})

describe('toDropClaim', () => {
  it('finds CLAIM_DROPPED warnings by claim and reason', () => {
    expect(result).toDropClaim('nickname_claim')
    expect(result).toDropClaim('nickname_claim', 'not-namespaced')
    expect(failure(() => expect(result).toDropClaim('nickname_claim', 'restricted'))).toMatch(/dropped for another reason \(not-namespaced\)/)
    expect(failure(() => expect(result).toDropClaim('other'))).toMatch(/only 'nickname_claim' \(not-namespaced\) was dropped/)
  })

  it('reads a claim violation error (claims.onViolation: error)', async () => {
    const error = await runRules({ rules: [rule(`context.idToken.roles = []; callback(null, user, context);`)], claims: { onViolation: 'error' } }).catch(
      (e: unknown) => e,
    )
    expect(error).toDropClaim('roles', 'not-namespaced')
  })
})

describe('toHaveLogged', () => {
  it('finds a line by text or pattern, and level', () => {
    expect(result).toHaveLogged('careful with')
    expect(result).toHaveLogged(/careful with .*@example\.com/, 'warn')
    expect(failure(() => expect(result).toHaveLogged('careful', 'error'))).toMatch(
      /they logged :\n {2}\[rule-1\] warn: careful with ada\.lovelace@example\.com/,
    )
  })

  it('reads the logs of a failed run', async () => {
    await using runner = await createRuleRunner({ rules: [rule(`console.log('about to deny'); callback(new Error('no'));`)] })
    const error = await runner.run().catch((e: unknown) => e)
    expect(error).toHaveLogged('about to deny', 'log')
  })
})
