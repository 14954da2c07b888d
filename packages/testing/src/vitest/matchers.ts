import type { ClaimDropReason, LogEntry, TokenRulesErrorCode, Warning } from '@tokenrules/engine'
import { isTokenRulesError } from '@tokenrules/engine'
import type { ExpectStatic } from 'vitest'
import { isPlainObject } from '../lib/merge.js'

/** What `this` is in a matcher; vitest 3.2 does not export `MatcherState`, so it comes from `expect.extend`. */
type MatcherState = ThisParameterType<Parameters<ExpectStatic['extend']>[0][string]>

/**
 * A token of a result or a context: the first argument of `toHaveClaim`.
 *
 * @example
 * ```ts
 * import { expect, it } from 'vitest'
 * import { runRules, type TokenName } from '@tokenrules/testing/vitest'
 *
 * it('puts the tenant in both tokens', async () => {
 *   const result = await runRules({
 *     rules: [`function (user, context, callback) {
 *       context.accessToken['https://example.com/tenant'] = context.tenant;
 *       context.idToken['https://example.com/tenant'] = context.tenant;
 *       callback(null, user, context);
 *     }`],
 *   })
 *   const tokens: TokenName[] = ['accessToken', 'idToken']
 *   for (const token of tokens) expect(result).toHaveClaim(token, 'https://example.com/tenant', 'acme')
 * })
 * ```
 */
export type TokenName = 'accessToken' | 'idToken'

/**
 * The matchers `@tokenrules/testing/vitest` adds to `expect`. They read a `runRules` result (with
 * or without actions; a `runActions` or `loadAction` result is the same), a raw `context` (what
 * `loadRule` calls back with, or a `loadAction` result's `context`), or an engine error, as fits
 * each matcher. What an action does through `api` is read as what a rule does to `context`:
 * `setCustomClaim` as a claim, `addScope` as scopes, `multifactor.enable` as MFA,
 * `access.deny` as `ERR_RULE_DENIED`, `redirect.sendUserTo` under the password grant as a refused
 * redirect.
 *
 * @example
 * ```ts
 * import { expect, it } from 'vitest'
 * import { runRules } from '@tokenrules/testing/vitest'
 *
 * const rules = [`function (user, context, callback) {
 *   if (user.app_metadata.suspended) return callback(new UnauthorizedError('Account suspended.'));
 *   console.log('roles: ' + user.app_metadata.roles.join(','));
 *   context.accessToken.scope = ['openid', 'read:reports'];
 *   context.accessToken.favourite_colour = 'teal';
 *   if (user.app_metadata.roles.includes('admin')) context.multifactor = { provider: 'guardian' };
 *   callback(null, user, context);
 * }`]
 *
 * it('lets admins in with MFA and their scopes', async () => {
 *   const result = await runRules({ rules, user: { app_metadata: { roles: ['admin'] } } })
 *   expect(result).toHaveScopes(['read:reports', 'openid'])
 *   expect(result).toRequireMfa('guardian')
 *   expect(result).toDropClaim('favourite_colour', 'not-namespaced')
 *   expect(result).toHaveLogged('roles: admin', 'log')
 *   expect(result).not.toHaveClaim('accessToken', 'favourite_colour')
 * })
 *
 * it('denies suspended users', async () => {
 *   await expect(runRules({ rules, user: { app_metadata: { suspended: true } } })).toDenyWith('ERR_RULE_UNAUTHORIZED', 'Account suspended.')
 * })
 *
 * it('refuses a redirect under the password grant', async () => {
 *   const redirect = `function (user, context, callback) { context.redirect = { url: 'https://app.acme.example/consent' }; callback(null, user, context); }`
 *   await expect(runRules({ rules: [redirect] })).toRefuseRedirect()
 * })
 * ```
 */
export interface TokenRulesMatchers<R = unknown> {
  /**
   * The token has the custom claim `name` (after the claims policy, for a result), equal to
   * `value` when given (asymmetric matchers allowed). Fails with the claim's drop reason when the
   * policy dropped it.
   */
  toHaveClaim(token: TokenName, name: string, value?: unknown): R
  /** The rules set the access token's scopes to exactly these (in any order), or match the asymmetric matcher. */
  toHaveScopes(scopes: readonly string[] | unknown): R
  /**
   * The promise (of `runRules`, `runner.run`) rejects, or the error is, a tokenrules error with
   * `code`; and with `message` when given (a string equal to the error's message or to its OAuth
   * `error_description`, or a RegExp). Await it.
   */
  toDenyWith(code: TokenRulesErrorCode, message?: string | RegExp): Promise<void>
  /** The rules asked for multifactor authentication (with `provider`, when given). */
  toRequireMfa(provider?: string): R
  /** The promise rejects, or the error is, `ERR_REDIRECT_UNSUPPORTED` (a redirect under a protocol with no browser). Await it. */
  toRefuseRedirect(): Promise<void>
  /** The claims policy dropped the claim `name` (with `reason`, when given) and warned `CLAIM_DROPPED`. */
  toDropClaim(name: string, reason?: ClaimDropReason): R
  /** A rule logged a line containing `text` (or matching the RegExp), at `level` when given. */
  toHaveLogged(text: string | RegExp, level?: LogEntry['level']): R
}

/** What a matcher answers (vitest's `SyncExpectationResult`). */
interface SyncExpectationResult {
  pass: boolean
  message: () => string
  actual?: unknown
  expected?: unknown
}

type Matcher = (this: MatcherState, received: any, ...expected: any[]) => SyncExpectationResult | Promise<SyncExpectationResult>

interface ResultLike {
  accessToken: { claims: Record<string, unknown>; scope: string[] | undefined }
  idToken: { claims: Record<string, unknown> }
  warnings: Warning[]
  logs: LogEntry[]
  multifactor?: { provider: string; allowRememberBrowser: boolean }
}

function isResult(value: unknown): value is ResultLike {
  return (
    isPlainObject(value) &&
    isPlainObject(value.accessToken) &&
    isPlainObject(value.accessToken.claims) &&
    isPlainObject(value.idToken) &&
    Array.isArray(value.warnings)
  )
}

function isContext(value: unknown): value is Record<string, any> {
  return isPlainObject(value) && !isResult(value) && (typeof value.protocol === 'string' || isPlainObject(value.accessToken) || isPlainObject(value.idToken))
}

function describeReceived(value: unknown): string {
  if (isTokenRulesError(value)) return `a ${value.code} error`
  if (value instanceof Promise) return 'a promise (await the assertion, or use .resolves)'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object that is neither a runRules result nor a context' : `${typeof value} ${String(value)}`
}

function notApplicable(matcher: string, received: unknown, wanted: string): SyncExpectationResult {
  return { pass: false, message: () => `${matcher}: expected ${wanted}, received ${describeReceived(received)}` }
}

function scopeList(scope: unknown): string[] | undefined {
  if (Array.isArray(scope)) return scope.map(String)
  if (typeof scope === 'string') return scope.split(/\s+/).filter((s) => s !== '')
  return undefined
}

function droppedWarning(warnings: readonly Warning[], name: string, token?: TokenName) {
  return warnings.find(
    (w): w is Extract<Warning, { code: 'CLAIM_DROPPED' }> => w.code === 'CLAIM_DROPPED' && w.claim === name && (token === undefined || w.token === token),
  )
}

async function settle(received: unknown): Promise<{ rejected: true; error: unknown } | { rejected: false; value: unknown }> {
  let value = received
  if (typeof value === 'function') {
    try {
      value = (value as () => unknown)()
    } catch (error) {
      return { rejected: true, error }
    }
  }
  if (value instanceof Promise) {
    try {
      return { rejected: false, value: await value }
    } catch (error) {
      return { rejected: true, error }
    }
  }
  if (value instanceof Error) return { rejected: true, error: value }
  return { rejected: false, value }
}

function outcomeSummary(value: unknown): string {
  if (!isResult(value)) return 'it resolved'
  const claims = Object.keys(value.accessToken.claims).length + Object.keys(value.idToken.claims).length
  const mfa = value.multifactor === undefined ? '' : `, MFA required (${value.multifactor.provider})`
  const who = Array.isArray((value as { actions?: unknown }).actions) ? 'the rules and actions' : 'the rules'
  return `${who} allowed the login (${claims} custom claim${claims === 1 ? '' : 's'}${mfa})`
}

function messageMatches(error: { message: string; toOAuthError?: () => { body: { error_description: string } } }, expected: string | RegExp): boolean {
  if (expected instanceof RegExp) return expected.test(error.message)
  if (error.message === expected) return true
  try {
    return error.toOAuthError?.().body.error_description === expected
  } catch {
    return false
  }
}

/**
 * The matchers, for `expect.extend` (the vitest entry registers them on vitest's `expect` when it
 * is imported; extending again is harmless).
 *
 * @example
 * ```ts
 * import { expect, it } from 'vitest'
 * import { loadRule, makeContext, makeUser, tokenRulesMatchers } from '@tokenrules/testing/vitest'
 *
 * expect.extend(tokenRulesMatchers)
 *
 * it('reads the raw context a loaded rule calls back with', async () => {
 *   await using rule = loadRule(`function (user, context, callback) {
 *     context.idToken['https://example.com/email'] = user.email;
 *     callback(null, user, context);
 *   }`)
 *   const [err, , context] = await rule(makeUser(), makeContext())
 *   expect(err).toBeNull()
 *   expect(context).toHaveClaim('idToken', 'https://example.com/email', 'ada.lovelace@example.com')
 * })
 * ```
 */
export const tokenRulesMatchers: Record<keyof TokenRulesMatchers, Matcher> = {
  toHaveClaim(received: unknown, token: TokenName, name: string, ...rest: unknown[]) {
    const { printExpected, printReceived } = this.utils
    const hasValue = rest.length > 0
    const expected = rest[0]
    if (token !== 'accessToken' && token !== 'idToken') {
      throw new TypeError(`toHaveClaim: the token must be 'accessToken' or 'idToken', got ${String(token)}`)
    }
    let claims: Record<string, unknown>
    let warnings: readonly Warning[] = []
    if (isResult(received)) {
      claims = received[token].claims
      warnings = received.warnings
    } else if (isContext(received)) {
      claims = isPlainObject(received[token]) ? received[token] : {}
    } else {
      return notApplicable('toHaveClaim', received, 'a runRules result or a context')
    }
    const present = Object.hasOwn(claims, name)
    const actual = claims[name]
    const pass = present && (!hasValue || this.equals(actual, expected))
    const wanted = `the ${token} to have the claim ${printExpected(name)}${hasValue ? ` equal to ${printExpected(expected)}` : ''}`
    return {
      pass,
      actual,
      expected,
      message: () => {
        if (pass) return `expected ${wanted.replace(' to have', ' not to have')}, but it is ${printReceived(actual)}`
        if (present) return `expected ${wanted}, but it is ${printReceived(actual)}`
        const dropped = droppedWarning(warnings, name, token)
        if (dropped !== undefined) return `expected ${wanted}, but the claims policy dropped it (${dropped.reason}): ${dropped.message}`
        const names = Object.keys(claims)
        return `expected ${wanted}, but it has no such claim; its claims: ${names.length === 0 ? '(none)' : names.map((n) => printReceived(n)).join(', ')}`
      },
    }
  },

  toHaveScopes(received: unknown, expected: unknown) {
    const { printExpected, printReceived } = this.utils
    let scopes: string[] | undefined
    if (isResult(received)) scopes = received.accessToken.scope
    else if (isContext(received)) scopes = scopeList(isPlainObject(received.accessToken) ? received.accessToken.scope : undefined)
    else return notApplicable('toHaveScopes', received, 'a runRules result or a context')
    let pass: boolean
    if (Array.isArray(expected) && expected.every((s) => typeof s === 'string')) {
      const want = [...new Set(expected as string[])].sort()
      pass = scopes !== undefined && this.equals([...new Set(scopes)].sort(), want)
    } else {
      pass = scopes !== undefined && this.equals(scopes, expected)
    }
    return {
      pass,
      actual: scopes,
      expected,
      message: () =>
        scopes === undefined
          ? `expected the access token's scopes to be ${printExpected(expected)}, but no rule set context.accessToken.scope and no action called api.accessToken.addScope / removeScope (the granted scopes stay as requested)`
          : `expected the access token's scopes ${pass ? 'not ' : ''}to be ${printExpected(expected)}, received ${printReceived(scopes)}`,
    }
  },

  async toDenyWith(received: unknown, code: string, message?: string | RegExp) {
    const { printExpected, printReceived } = this.utils
    const outcome = await settle(received)
    const wanted = `${code}${message === undefined ? '' : ` with the message ${printExpected(message)}`}`
    if (!outcome.rejected) {
      return { pass: false, message: () => `expected the rules to deny with ${wanted}, but ${outcomeSummary(outcome.value)}` }
    }
    const error = outcome.error
    if (!isTokenRulesError(error)) {
      return {
        pass: false,
        message: () =>
          `expected the rules to deny with ${wanted}, but they failed with an error that is not a tokenrules error: ${printReceived(error instanceof Error ? `${error.name}: ${error.message}` : error)}`,
      }
    }
    const codeOk = error.code === code
    const messageOk = message === undefined || messageMatches(error, message)
    const pass = codeOk && messageOk
    const where = error.rule === undefined ? '' : ` (rule '${error.rule}')`
    return {
      pass,
      actual: { code: error.code, message: error.message },
      expected: { code, message },
      message: () =>
        pass
          ? `expected the rules not to deny with ${wanted}, but they did${where}`
          : `expected the rules to deny with ${wanted}, but they failed with ${error.code}${where}: ${printReceived(error.message)}`,
    }
  },

  toRequireMfa(received: unknown, provider?: string) {
    const { printExpected, printReceived } = this.utils
    let multifactor: unknown
    if (isResult(received)) multifactor = received.multifactor
    else if (isContext(received)) multifactor = received.multifactor
    else return notApplicable('toRequireMfa', received, 'a runRules result or a context')
    const actualProvider = isPlainObject(multifactor) ? multifactor.provider : undefined
    const pass = multifactor !== undefined && multifactor !== null && (provider === undefined || actualProvider === provider)
    const wanted = `multifactor authentication${provider === undefined ? '' : ` with ${printExpected(provider)}`}`
    return {
      pass,
      actual: multifactor,
      expected: provider,
      message: () =>
        pass
          ? `expected the rules not to require ${wanted}, but they did (${printReceived(multifactor)})`
          : multifactor === undefined || multifactor === null
            ? `expected the rules to require ${wanted}, but no rule set context.multifactor and no action called api.multifactor.enable`
            : `expected the rules to require ${wanted}, but they asked for ${printReceived(actualProvider)}`,
    }
  },

  async toRefuseRedirect(received: unknown) {
    const outcome = await settle(received)
    if (!outcome.rejected) {
      return { pass: false, message: () => `expected the redirect to be refused (ERR_REDIRECT_UNSUPPORTED), but ${outcomeSummary(outcome.value)}` }
    }
    const error = outcome.error
    const pass = isTokenRulesError(error) && error.code === 'ERR_REDIRECT_UNSUPPORTED'
    return {
      pass,
      message: () =>
        pass
          ? `expected the redirect not to be refused, but it was: ${(error as Error).message}`
          : `expected the redirect to be refused (ERR_REDIRECT_UNSUPPORTED), but the rules failed with ${isTokenRulesError(error) ? `${error.code}: ${error.message}` : String(error)}`,
    }
  },

  toDropClaim(received: unknown, name: string, reason?: ClaimDropReason) {
    const { printExpected } = this.utils
    let warnings: readonly Warning[]
    if (isResult(received)) warnings = received.warnings
    else if (isTokenRulesError(received)) {
      if (received.code === 'ERR_CLAIM_VIOLATION') {
        const pass = received.claim === name && (reason === undefined || received.reason === reason)
        return {
          pass,
          message: () =>
            `expected the claim ${printExpected(name)} ${pass ? 'not ' : ''}to be refused${reason === undefined ? '' : ` (${reason})`}; the policy refused '${received.claim}' (${received.reason})`,
        }
      }
      warnings = received.warnings
    } else return notApplicable('toDropClaim', received, 'a runRules result or a tokenrules error')
    const drops = warnings.filter((w): w is Extract<Warning, { code: 'CLAIM_DROPPED' }> => w.code === 'CLAIM_DROPPED')
    const found = drops.find((w) => w.claim === name && (reason === undefined || w.reason === reason))
    const pass = found !== undefined
    const wanted = `the claim ${printExpected(name)} to be dropped${reason === undefined ? '' : ` (${reason})`}`
    return {
      pass,
      message: () => {
        if (pass) return `expected ${wanted.replace(' to be', ' not to be')}, but it was: ${found.message}`
        const same = drops.find((w) => w.claim === name)
        if (same !== undefined) return `expected ${wanted}, but it was dropped for another reason (${same.reason}): ${same.message}`
        return `expected ${wanted}, but ${drops.length === 0 ? 'no claim was dropped' : `only ${drops.map((w) => `'${w.claim}' (${w.reason})`).join(', ')} ${drops.length === 1 ? 'was' : 'were'} dropped`}`
      },
    }
  },

  toHaveLogged(received: unknown, text: string | RegExp, level?: LogEntry['level']) {
    const { printExpected } = this.utils
    let logs: readonly LogEntry[]
    if (isResult(received)) logs = received.logs
    else if (isTokenRulesError(received)) logs = received.logs
    else return notApplicable('toHaveLogged', received, 'a runRules result or a tokenrules error')
    const matches = (entry: LogEntry) =>
      (level === undefined || entry.level === level) && (typeof text === 'string' ? entry.message.includes(text) : text.test(entry.message))
    const found = logs.find(matches)
    const pass = found !== undefined
    const wanted = `a ${level ?? 'console'} line ${typeof text === 'string' ? 'containing' : 'matching'} ${printExpected(text)}`
    return {
      pass,
      message: () =>
        pass
          ? `expected the rules not to log ${wanted}, but rule '${found.rule}' logged: ${found.message}`
          : `expected the rules to log ${wanted}; they logged ${logs.length === 0 ? 'nothing' : `:\n${logs.map((l) => `  [${l.rule}] ${l.level}: ${l.message}`).join('\n')}`}`,
    }
  },
}
