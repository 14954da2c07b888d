/**
 * Every failure of the engine is a {@link TokenRulesError} with a stable `code` ([behaviour: callback outcomes](../../../docs/behaviour.md#callback-outcomes)) and a
 * fixed OAuth answer from {@link TokenRulesError.toOAuthError}.
 *
 * @module
 */

const BRAND = Symbol.for('@tokenrules/engine.error')

/**
 * The OAuth 2.0 error answer a token endpoint sends for an engine failure.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, isTokenRulesError, type OAuthErrorResponse } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'employees-only',
 *     script: `function (user, context, callback) {
 *       if (context.connection !== 'Employees') return callback(new Error('Only employees may log in here.'));
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 *
 * let answer: OAuthErrorResponse | undefined
 * try {
 *   await engine.run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password', connection: 'Partners' } })
 * } catch (err) {
 *   if (!isTokenRulesError(err)) throw err
 *   answer = err.toOAuthError()
 * }
 * assert.ok(answer)
 * const response = Response.json(answer.body, { status: answer.status, headers: { 'cache-control': 'no-store' } })
 * assert.equal(response.status, 403)
 * assert.deepEqual(await response.json(), { error: 'access_denied', error_description: 'Only employees may log in here.' })
 * ```
 */
export interface OAuthErrorResponse {
  /** HTTP status code. */
  status: 400 | 401 | 403 | 429 | 500
  /** The JSON body: the OAuth `error` code and an `error_description` safe to show the client. */
  body: { error: string; error_description: string }
}

/**
 * What a failed run leaves behind for the host, beside the error itself. Every
 * {@link TokenRulesError} carries these fields, so an error can be passed where `FailureDetails`
 * is expected.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, isTokenRulesError, type FailureDetails } from '@tokenrules/engine'
 *
 * // One line for the host's log: which rule failed and what it logged before.
 * function describeFailure({ rule, logs = [] }: FailureDetails): string {
 *   return `${rule ?? '(no rule)'}: ${logs.map((entry) => entry.message).join(' | ')}`
 * }
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'paid-plans-only',
 *     script: `function (user, context, callback) {
 *       console.log('plan is', user.app_metadata.plan);
 *       if (user.app_metadata.plan === 'free') return callback(new Error('Upgrade to log in to this app.'));
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', app_metadata: { plan: 'free' } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 * assert.ok(isTokenRulesError(err))
 * assert.equal(describeFailure(err), 'paid-plans-only: plan is free')
 * ```
 */
export interface FailureDetails {
  /** The rule that was running when the run failed, when one was. */
  rule?: string | undefined
  /** Log lines the rules wrote before the failure. */
  logs?: readonly import('./result.js').LogEntry[] | undefined
  /** Warnings collected before the failure. */
  warnings?: readonly import('./result.js').Warning[] | undefined
  /** The underlying error (an isolated-vm or zod error), for the host's log only. */
  cause?: unknown
}

const GENERIC_SERVER_ERROR = 'The server encountered an unexpected error.'
const GENERIC_RULE_FAILURE = 'Rule execution failed.'

/**
 * Base class of every error the engine throws or rejects with.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, TokenRulesError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'block-suspended',
 *     script: `function (user, context, callback) {
 *       console.warn('suspended user tried to log in:', user.user_id);
 *       return callback(new Error('Your account is suspended.'));
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof TokenRulesError)
 * assert.equal(err.code, 'ERR_RULE_DENIED')
 * assert.equal(err.rule, 'block-suspended')
 * assert.equal(err.expose, true) // the rule's message may reach the client
 * assert.deepEqual(err.logs.map((entry) => [entry.level, entry.message]), [['warn', 'suspended user tried to log in: auth0|42']])
 * assert.deepEqual(err.toOAuthError(), { status: 403, body: { error: 'access_denied', error_description: 'Your account is suspended.' } })
 * ```
 */
export abstract class TokenRulesError extends Error {
  /** Stable machine-readable code, e.g. `ERR_RULE_DENIED`. */
  abstract readonly code: TokenRulesErrorCode
  /** Whether `message` may be shown to the OAuth client as `error_description`. */
  readonly expose: boolean = false
  /** The rule that was running, when the failure belongs to one. */
  readonly rule: string | undefined
  /** Log lines written by the rules before the failure. */
  readonly logs: readonly import('./result.js').LogEntry[]
  /** Warnings collected before the failure. */
  readonly warnings: readonly import('./result.js').Warning[]

  /** Called by each subclass with its message and the run's details; the engine creates these errors, hosts catch them. */
  constructor(message: string, details: FailureDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.rule = details.rule
    this.logs = details.logs ?? []
    this.warnings = details.warnings ?? []
    this.name = new.target.name
    Object.defineProperty(this, BRAND, { value: true })
  }

  /** The OAuth answer for this failure ([behaviour: callback outcomes](../../../docs/behaviour.md#callback-outcomes)). Internal details never appear in it. */
  toOAuthError(): OAuthErrorResponse {
    return { status: 500, body: { error: 'server_error', error_description: GENERIC_SERVER_ERROR } }
  }
}

/**
 * A rule called `callback(new UnauthorizedError(message))`. Answer: 401 `unauthorized`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, RuleUnauthorizedError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'verified-email-only',
 *     script: `function (user, context, callback) {
 *       if (!user.email_verified) return callback(new UnauthorizedError('Please verify your email before logging in.'));
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', email_verified: false }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof RuleUnauthorizedError)
 * assert.equal(err.code, 'ERR_RULE_UNAUTHORIZED')
 * assert.deepEqual(err.toOAuthError(), {
 *   status: 401,
 *   body: { error: 'unauthorized', error_description: 'Please verify your email before logging in.' },
 * })
 * ```
 */
export class RuleUnauthorizedError extends TokenRulesError {
  readonly code = 'ERR_RULE_UNAUTHORIZED'
  override readonly expose = true
  override toOAuthError(): OAuthErrorResponse {
    return { status: 401, body: { error: 'unauthorized', error_description: this.message } }
  }
}

/**
 * A rule called `callback(new Error(message))` or `callback(message)`. Answer: 403 `access_denied`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, RuleDeniedError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'acme-accounts-only',
 *     script: `function (user, context, callback) {
 *       if (!user.email.endsWith('@acme.example')) return callback('Access is restricted to acme.example accounts.');
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', email: 'eve@gmail.example' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof RuleDeniedError)
 * assert.equal(err.code, 'ERR_RULE_DENIED')
 * assert.deepEqual(err.toOAuthError(), {
 *   status: 403,
 *   body: { error: 'access_denied', error_description: 'Access is restricted to acme.example accounts.' },
 * })
 * ```
 */
export class RuleDeniedError extends TokenRulesError {
  readonly code = 'ERR_RULE_DENIED'
  override readonly expose = true
  override toOAuthError(): OAuthErrorResponse {
    return { status: 403, body: { error: 'access_denied', error_description: this.message } }
  }
}

/**
 * A rule threw or rejected without calling back. Answer: 403 `access_denied` with a generic
 * description, unless the integrator set `errors.exposeExceptionMessages`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, RuleExceptionError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'add-roles',
 *     script: `function (user, context, callback) {
 *       // Bug: users created before roles existed have no app_metadata.
 *       context.accessToken['https://example.com/roles'] = user.app_metadata.roles;
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof RuleExceptionError)
 * assert.equal(err.code, 'ERR_RULE_EXCEPTION')
 * // The details are for the host's log…
 * assert.equal(err.message, "Cannot read properties of undefined (reading 'roles')")
 * assert.match(err.guestStack ?? '', /rule:add-roles:3/)
 * // …the client only gets a generic description.
 * assert.deepEqual(err.toOAuthError(), { status: 403, body: { error: 'access_denied', error_description: 'Rule execution failed.' } })
 * ```
 */
export class RuleExceptionError extends TokenRulesError {
  readonly code = 'ERR_RULE_EXCEPTION'
  override readonly expose: boolean
  /** The guest's stack trace (guest file names only), for the host's log. */
  readonly guestStack: string | undefined
  /** Called by the engine with the exception's message, whether to expose it, and the guest stack. */
  constructor(message: string, details: FailureDetails & { expose?: boolean; guestStack?: string | undefined } = {}) {
    super(message, details)
    this.expose = details.expose ?? false
    this.guestStack = details.guestStack
  }
  override toOAuthError(): OAuthErrorResponse {
    return {
      status: 403,
      body: { error: 'access_denied', error_description: this.expose ? this.message : GENERIC_RULE_FAILURE },
    }
  }
}

/**
 * Fixed description of {@link RedirectUnsupportedError}: the `error_description` a client receives
 * whichever browserless protocol the login used.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, isTokenRulesError, REDIRECT_UNSUPPORTED_DESCRIPTION } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'progressive-profiling',
 *     script: `function (user, context, callback) {
 *       if (!user.user_metadata.company) context.redirect = { url: 'https://example.com/complete-profile' };
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * // A refresh runs the rules too, and there is no browser to redirect.
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', user_metadata: {} }, context: { clientID: 'app', protocol: 'oauth2-refresh-token' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(isTokenRulesError(err))
 * assert.equal(err.message, `${REDIRECT_UNSUPPORTED_DESCRIPTION} (protocol oauth2-refresh-token)`)
 * assert.equal(err.toOAuthError().body.error_description, 'Redirect from a rule is not supported in the password exchange.')
 * ```
 */
export const REDIRECT_UNSUPPORTED_DESCRIPTION = 'Redirect from a rule is not supported in the password exchange.'

/**
 * A rule set `context.redirect` under a protocol without a browser. Answer: 403 `access_denied`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, RedirectUnsupportedError, REDIRECT_UNSUPPORTED_DESCRIPTION } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'terms-consent',
 *     script: `function (user, context, callback) {
 *       if (!user.app_metadata.accepted_terms) context.redirect = { url: 'https://example.com/terms' };
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', app_metadata: {} }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof RedirectUnsupportedError)
 * assert.equal(err.code, 'ERR_REDIRECT_UNSUPPORTED')
 * assert.equal(err.protocol, 'oauth2-password')
 * assert.equal(err.rule, 'terms-consent')
 * assert.deepEqual(err.toOAuthError(), { status: 403, body: { error: 'access_denied', error_description: REDIRECT_UNSUPPORTED_DESCRIPTION } })
 * ```
 */
export class RedirectUnsupportedError extends TokenRulesError {
  readonly code = 'ERR_REDIRECT_UNSUPPORTED'
  override readonly expose = true
  /** The protocol the run was for. */
  readonly protocol: string
  /** Called by the engine with the protocol of the run that tried to redirect. */
  constructor(protocol: string, details: FailureDetails = {}) {
    super(`${REDIRECT_UNSUPPORTED_DESCRIPTION} (protocol ${protocol})`, details)
    this.protocol = protocol
  }
  override toOAuthError(): OAuthErrorResponse {
    return { status: 403, body: { error: 'access_denied', error_description: REDIRECT_UNSUPPORTED_DESCRIPTION } }
  }
}

/**
 * A rule asked for Duo MFA under a protocol without a browser. Answer: 403 `access_denied`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, MfaProviderUnsupportedError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'duo-for-admins',
 *     script: `function (user, context, callback) {
 *       if (user.app_metadata.roles.includes('admin')) context.multifactor = { provider: 'duo', allowRememberBrowser: false };
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', app_metadata: { roles: ['admin'] } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof MfaProviderUnsupportedError)
 * assert.equal(err.code, 'ERR_MFA_PROVIDER_UNSUPPORTED')
 * assert.equal(err.provider, 'duo')
 * assert.deepEqual(err.toOAuthError(), {
 *   status: 403,
 *   body: { error: 'access_denied', error_description: "Multifactor provider 'duo' is not supported with protocol oauth2-password." },
 * })
 * ```
 */
export class MfaProviderUnsupportedError extends TokenRulesError {
  readonly code = 'ERR_MFA_PROVIDER_UNSUPPORTED'
  override readonly expose = true
  /** The provider the rule asked for in `context.multifactor.provider` (`duo`). */
  readonly provider: string
  /** Called by the engine with the provider the rule asked for and the run's protocol. */
  constructor(provider: string, protocol: string, details: FailureDetails = {}) {
    super(`Multifactor provider '${provider}' is not supported with protocol ${protocol}.`, details)
    this.provider = provider
  }
  override toOAuthError(): OAuthErrorResponse {
    return { status: 403, body: { error: 'access_denied', error_description: this.message } }
  }
}

/**
 * The pipeline did not finish within `limits.timeoutMs`. Answer: 500 `server_error`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, RuleTimeoutError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   limits: { timeoutMs: 200 },
 *   rules: [{
 *     name: 'require-verified-email',
 *     script: `function (user, context, callback) {
 *       if (user.email_verified) return callback(null, user, context);
 *       // Bug: no callback for unverified users, so the run never finishes.
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', email_verified: false }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof RuleTimeoutError)
 * assert.equal(err.code, 'ERR_RULE_TIMEOUT')
 * assert.equal(err.timeoutMs, 200)
 * assert.equal(err.message, "Rules did not finish within 200 ms (rule 'require-verified-email' was running).")
 * assert.deepEqual(err.toOAuthError(), { status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' } })
 * ```
 */
export class RuleTimeoutError extends TokenRulesError {
  readonly code = 'ERR_RULE_TIMEOUT'
  /** The budget that ran out: the engine's `limits.timeoutMs`, in milliseconds. */
  readonly timeoutMs: number
  /** Called by the engine with its `limits.timeoutMs` and the rule that was running. */
  constructor(timeoutMs: number, details: FailureDetails = {}) {
    super(`Rules did not finish within ${timeoutMs} ms${details.rule === undefined ? '' : ` (rule '${details.rule}' was running)`}.`, details)
    this.timeoutMs = timeoutMs
  }
}

/**
 * A rule exceeded `limits.memoryLimitMb`; its isolate was recycled. Answer: 500 `server_error`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, RuleMemoryLimitError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   concurrency: 1,
 *   limits: { memoryLimitMb: 32 },
 *   rules: [{
 *     name: 'audit-trail',
 *     script: `function (user, context, callback) {
 *       const rows = [];
 *       for (let i = 0; i < 1e9; i++) rows.push({ id: i, user: user.user_id, at: new Date().toISOString() });
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof RuleMemoryLimitError)
 * assert.equal(err.code, 'ERR_RULE_MEMORY_LIMIT')
 * assert.equal(err.rule, 'audit-trail') // for your logs: which rule to fix
 * assert.deepEqual(err.toOAuthError(), { status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' } })
 * assert.equal(engine.stats.recycled, 1) // the killed isolate was replaced
 * ```
 */
export class RuleMemoryLimitError extends TokenRulesError {
  readonly code = 'ERR_RULE_MEMORY_LIMIT'
}

/**
 * A rule does not compile, or does not evaluate to a function. Thrown at load time.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, RuleCompileError } from '@tokenrules/engine'
 *
 * const err = await createEngine({
 *   rules: [{
 *     name: 'add-roles',
 *     script: `function (user, context, callback) {
 *   const roles = ;
 *   callback(null, user, context);
 * }`,
 *   }],
 * }).catch((e: unknown) => e)
 *
 * assert.ok(err instanceof RuleCompileError)
 * assert.equal(err.code, 'ERR_RULE_COMPILE')
 * assert.equal(err.rule, 'add-roles')
 * assert.equal(err.line, 2)
 * assert.equal(err.message, "Rule 'add-roles' does not compile: Unexpected token ';' (line 2)")
 * ```
 */
export class RuleCompileError extends TokenRulesError {
  readonly code = 'ERR_RULE_COMPILE'
  /** 1-based line of the error in the rule's script, when known. */
  readonly line: number | undefined
  /** Called by the engine with the compiler's message and the line, when known. */
  constructor(message: string, details: FailureDetails & { line?: number | undefined } = {}) {
    super(message, details)
    this.line = details.line
  }
}

/**
 * The rules left a result that is not usable (non-JSON claims, a bad `scope`, a non-object `user`…),
 * or passed `auth0.users.update*Metadata` metadata the store could not take as it is (not JSON, a
 * key with '.', `__proto__`, `constructor` or `prototype`, too deep or too large; the hook was not called).
 * Answer: 500 `server_error`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, RuleResultInvalidError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'add-groups',
 *     script: `function (user, context, callback) {
 *       context.accessToken['https://example.com/groups'] = new Set(user.app_metadata.groups); // not JSON
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', app_metadata: { groups: ['eng', 'ops'] } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof RuleResultInvalidError)
 * assert.equal(err.code, 'ERR_RULE_RESULT_INVALID')
 * assert.equal(err.path, 'context.accessToken["https://example.com/groups"]')
 * assert.equal(err.toOAuthError().status, 500)
 * ```
 */
export class RuleResultInvalidError extends TokenRulesError {
  readonly code = 'ERR_RULE_RESULT_INVALID'
  /** Where in the result the problem is, e.g. `context.accessToken.https://a.example/x[2]`. */
  readonly path: string
  /**
   * The same place as keys, where the engine knows them one by one: for a metadata update,
   * `['app_metadata', 'prefs', 'ui.theme']` (`path` is then `app_metadata.prefs["ui.theme"]`).
   */
  readonly keys: readonly (string | number)[] | undefined
  /** Called by the engine with what is wrong and where in the result. */
  constructor(message: string, details: FailureDetails & { path?: string; keys?: readonly (string | number)[] | undefined } = {}) {
    super(message, details)
    this.path = details.path ?? ''
    this.keys = details.keys
  }
}

/**
 * The custom claims of one token are larger than 100 KB ({@link MAX_CUSTOM_CLAIMS_BYTES}).
 * Answer: 500 `server_error`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, ClaimsTooLargeError, MAX_CUSTOM_CLAIMS_BYTES } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'add-groups',
 *     script: `function (user, context, callback) {
 *       context.idToken['https://example.com/groups'] = user.app_metadata.groups;
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * // A user in 12,000 directory groups: far too many for a token.
 * const groups = Array.from({ length: 12_000 }, (_, i) => `group-${i}`)
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', app_metadata: { groups } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof ClaimsTooLargeError)
 * assert.equal(err.code, 'ERR_CLAIMS_TOO_LARGE')
 * assert.equal(err.token, 'idToken')
 * assert.ok(err.bytes > MAX_CUSTOM_CLAIMS_BYTES)
 * assert.equal(err.toOAuthError().status, 500)
 * ```
 */
export class ClaimsTooLargeError extends TokenRulesError {
  readonly code = 'ERR_CLAIMS_TOO_LARGE'
  /** The token whose custom claims are too large. */
  readonly token: 'accessToken' | 'idToken'
  /** Size of that token's custom claims as UTF-8 JSON, in bytes (at least 4 × the limit when the sandbox stopped counting early). */
  readonly bytes: number
  /** Called by the engine with the token, its claims' size and the limit, in bytes. */
  constructor(token: 'accessToken' | 'idToken', bytes: number, limit: number, details: FailureDetails = {}) {
    super(`Custom claims of the ${token} take ${bytes} bytes; the limit is ${limit}.`, details)
    this.token = token
    this.bytes = bytes
  }
}

/**
 * A claim broke the namespace policy and `claims.onViolation` is `'error'`. Answer: 500
 * `server_error`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, ClaimViolationError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   claims: { onViolation: 'error' }, // fail loudly instead of dropping the claim
 *   rules: [{
 *     name: 'add-roles',
 *     script: `function (user, context, callback) {
 *       context.accessToken.roles = user.app_metadata.roles; // not namespaced
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', app_metadata: { roles: ['admin'] } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof ClaimViolationError)
 * assert.equal(err.code, 'ERR_CLAIM_VIOLATION')
 * assert.deepEqual([err.claim, err.token, err.reason], ['roles', 'accessToken', 'not-namespaced'])
 * assert.equal(err.toOAuthError().status, 500)
 * ```
 */
export class ClaimViolationError extends TokenRulesError {
  readonly code = 'ERR_CLAIM_VIOLATION'
  /** The claim's name, as the rule wrote it. */
  readonly claim: string
  /** The token the rule put the claim in. */
  readonly token: 'accessToken' | 'idToken'
  /** Which rule of the policy the name broke. */
  readonly reason: import('./result.js').ClaimDropReason
  /** Called by the engine (or {@link applyClaimsPolicy}) with the claim, its token, the reason and a message. */
  constructor(claim: string, token: 'accessToken' | 'idToken', reason: import('./result.js').ClaimDropReason, message: string, details: FailureDetails = {}) {
    super(message, details)
    this.claim = claim
    this.token = token
    this.reason = reason
  }
}

/**
 * One problem found in the integrator's options or in a rule's input (zod's issue, reduced). Its
 * `path` is the list of keys, as zod gives it, so a key with dots in it (a claim named by a URL)
 * stays one key; {@link formatIssuePath} writes it for people.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, ConfigInvalidError, formatIssuePath, type ValidationIssue } from '@tokenrules/engine'
 *
 * // One line per problem, for a deployment check's output.
 * const lines = (issues: readonly ValidationIssue[]) => issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message} (${issue.code})`)
 *
 * const err = await createEngine({
 *   rules: [{ name: 'noop', script: 'function (user, context, callback) { callback(null, user, context); }' }],
 *   limits: { timeoutMs: 0, memoryLimitMb: 4 },
 * }).catch((e: unknown) => e)
 *
 * assert.ok(err instanceof ConfigInvalidError)
 * assert.deepEqual(lines(err.issues), [
 *   'limits.timeoutMs: Too small: expected number to be >=1 (too_small)',
 *   'limits.memoryLimitMb: Too small: expected number to be >=8 (too_small)',
 * ])
 * ```
 */
export interface ValidationIssue {
  /** The keys from the top of the options or input down to the problem, e.g. `['rules', 2, 'name']`; `[]` for the whole value. */
  path: readonly (string | number)[]
  /** What is wrong there, in words. */
  message: string
  /** zod's issue code (`too_small`, `invalid_type`, `custom`…), or the engine's own (`not_json`, `too_big`). */
  code: string
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/**
 * A {@link ValidationIssue}'s path as people read it: `rules[2].name`,
 * `user.app_metadata["https://example.com/plan"]` (a key that is not an identifier is quoted),
 * `(root)` for the empty path. The engine's error messages use it.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { formatIssuePath } from '@tokenrules/engine'
 *
 * assert.equal(formatIssuePath(['rules', 2, 'name']), 'rules[2].name')
 * assert.equal(formatIssuePath(['context', 'accessToken', 'https://example.com/roles']), 'context.accessToken["https://example.com/roles"]')
 * assert.equal(formatIssuePath([]), '(root)')
 * ```
 */
export function formatIssuePath(path: readonly (string | number)[]): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else if (!IDENTIFIER.test(key)) out += `[${JSON.stringify(key)}]`
    else out += out === '' ? key : `.${key}`
  }
  return out === '' ? '(root)' : out
}

/**
 * The integrator's options are not valid. `issues` lists every problem; `cause` is zod's error.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, ConfigInvalidError } from '@tokenrules/engine'
 *
 * const script = 'function (user, context, callback) { callback(null, user, context); }'
 * const err = await createEngine({
 *   rules: [
 *     { name: 'add-roles', script },
 *     { name: 'add-roles', script }, // pasted twice
 *   ],
 * }).catch((e: unknown) => e)
 *
 * assert.ok(err instanceof ConfigInvalidError)
 * assert.equal(err.code, 'ERR_CONFIG_INVALID')
 * assert.deepEqual(err.issues, [{ path: ['rules', 1, 'name'], code: 'custom', message: "duplicate rule name 'add-roles' (also rules[0])" }])
 * ```
 */
export class ConfigInvalidError extends TokenRulesError {
  readonly code = 'ERR_CONFIG_INVALID'
  /** Every problem found in the options, each with its path. */
  readonly issues: readonly ValidationIssue[]
  /** Called by the engine with a summary message, the issues and zod's error. */
  constructor(message: string, issues: readonly ValidationIssue[], cause?: unknown) {
    super(message, { cause })
    this.issues = issues
  }
}

/**
 * The `user` or `context` given to `engine.run` is not usable. `issues` names each path. Answer:
 * 500 `server_error` (the host built the input, not the client).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, formatIssuePath, InputInvalidError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{ name: 'noop', script: 'function (user, context, callback) { callback(null, user, context); }' }],
 * })
 * // The token request had no client_id, and the host passed that on.
 * const params = new URLSearchParams('grant_type=password&username=ada%40example.com')
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42' }, context: { clientID: params.get('client_id') ?? '', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof InputInvalidError)
 * assert.equal(err.code, 'ERR_INPUT_INVALID')
 * assert.deepEqual(err.issues.map((issue) => `${formatIssuePath(issue.path)} ${issue.message}`), ['context.clientID is required'])
 * assert.equal(err.toOAuthError().status, 500)
 * ```
 */
export class InputInvalidError extends TokenRulesError {
  readonly code = 'ERR_INPUT_INVALID'
  /** Every problem found in the input, each with its path. */
  readonly issues: readonly ValidationIssue[]
  /** Called by the engine with a summary message, the issues and the underlying error. */
  constructor(message: string, issues: readonly ValidationIssue[], cause?: unknown) {
    super(message, { cause })
    this.issues = issues
  }
}

/**
 * The host's store refused an `auth0.users.update*Metadata` call; no token may be issued. Answer:
 * 500 `server_error`, even when the rule caught the rejection.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, MetadataUpdateFailedError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   hooks: {
 *     updateAppMetadata: async () => {
 *       throw new Error('users database unavailable')
 *     },
 *   },
 *   rules: [{
 *     name: 'count-logins',
 *     script: `function (user, context, callback) {
 *       user.app_metadata.logins = (user.app_metadata.logins || 0) + 1;
 *       auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
 *         .then(function () { callback(null, user, context); })
 *         .catch(function (err) { callback(err); });
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', app_metadata: {} }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof MetadataUpdateFailedError)
 * assert.equal(err.code, 'ERR_METADATA_UPDATE_FAILED')
 * assert.equal(err.message, 'hooks.updateAppMetadata failed for auth0|42: users database unavailable')
 * assert.equal(err.toOAuthError().status, 500)
 * ```
 */
export class MetadataUpdateFailedError extends TokenRulesError {
  readonly code = 'ERR_METADATA_UPDATE_FAILED'
}

/**
 * A rule `require`d a module the integrator did not allow, and did not handle the error. Answer:
 * 500 `server_error`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, ModuleNotAllowedError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   // modules.packages does not list lodash
 *   rules: [{
 *     name: 'pick-profile',
 *     script: `function (user, context, callback) {
 *       const _ = require('lodash');
 *       context.idToken['https://example.com/profile'] = _.pick(user.user_metadata, ['theme']);
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', user_metadata: { theme: 'dark' } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(err instanceof ModuleNotAllowedError)
 * assert.equal(err.code, 'ERR_MODULE_NOT_ALLOWED')
 * assert.equal(err.module, 'lodash')
 * assert.equal(err.toOAuthError().status, 500)
 * ```
 */
export class ModuleNotAllowedError extends TokenRulesError {
  readonly code = 'ERR_MODULE_NOT_ALLOWED'
  /** The module to allow, as `modules.*` names it: `lodash` for `require('lodash@4.17.21')`, or `node:fs`. The message quotes the require as written. */
  readonly module: string
  /** Called by the engine with the module's name and the message the rule saw. */
  constructor(module: string, message: string, details: FailureDetails = {}) {
    super(message, details)
    this.module = module
  }
}

/**
 * `engine.run` or `engine.update` was called after `engine.close()`. Answer: 500 `server_error`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, EngineClosedError } from '@tokenrules/engine'
 *
 * const engine = await createEngine({
 *   rules: [{ name: 'noop', script: 'function (user, context, callback) { callback(null, user, context); }' }],
 * })
 * await engine.close() // e.g. on SIGTERM, while a late request still arrives
 *
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 * assert.ok(err instanceof EngineClosedError)
 * assert.equal(err.code, 'ERR_ENGINE_CLOSED')
 * assert.equal(err.message, 'The engine is closed.')
 * ```
 */
export class EngineClosedError extends TokenRulesError {
  readonly code = 'ERR_ENGINE_CLOSED'
  /** Called by the engine; the message is always `The engine is closed.` */
  constructor() {
    super('The engine is closed.')
  }
}

/**
 * An internal failure of the sandbox that is not the rules' fault (e.g. an isolate crash). Answer:
 * 500 `server_error`; the message is for the host's log and alerting only.
 *
 * No rule can cause it on purpose, so a token endpoint's tests stub it to check the endpoint's
 * error mapping, as below.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { EngineInternalError, isTokenRulesError, type OAuthErrorResponse } from '@tokenrules/engine'
 *
 * const alerts: string[] = []
 * // The token endpoint's error mapping: alert on the engine's own failures, answer every one.
 * function answerFor(err: unknown): OAuthErrorResponse {
 *   if (!isTokenRulesError(err)) throw err
 *   if (err.code === 'ERR_ENGINE_INTERNAL') alerts.push(err.message)
 *   return err.toOAuthError()
 * }
 *
 * const answer = answerFor(new EngineInternalError('The sandbox was disposed while the rules ran.'))
 * assert.deepEqual(answer, { status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' } })
 * assert.deepEqual(alerts, ['The sandbox was disposed while the rules ran.'])
 * ```
 */
export class EngineInternalError extends TokenRulesError {
  readonly code = 'ERR_ENGINE_INTERNAL'
}

/**
 * Every concrete error class; `switch (err.code)` narrows to one of them.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, isTokenRulesError, type AnyTokenRulesError } from '@tokenrules/engine'
 *
 * // Each code narrows to its class, with that class's own fields.
 * function logFields(err: AnyTokenRulesError): Record<string, unknown> {
 *   switch (err.code) {
 *     case 'ERR_RULE_TIMEOUT':
 *       return { code: err.code, rule: err.rule, timeoutMs: err.timeoutMs }
 *     case 'ERR_MODULE_NOT_ALLOWED':
 *       return { code: err.code, rule: err.rule, module: err.module }
 *     case 'ERR_RULE_COMPILE':
 *       return { code: err.code, rule: err.rule, line: err.line }
 *     default:
 *       return { code: err.code, rule: err.rule }
 *   }
 * }
 *
 * await using engine = await createEngine({
 *   rules: [{ name: 'geo-block', script: `function (user, context, callback) { const geoip = require('geoip-lite'); callback(null, user, context); }` }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 * assert.ok(isTokenRulesError(err))
 * assert.deepEqual(logFields(err), { code: 'ERR_MODULE_NOT_ALLOWED', rule: 'geo-block', module: 'geoip-lite' })
 * ```
 */
export type AnyTokenRulesError =
  | RuleUnauthorizedError
  | RuleDeniedError
  | RuleExceptionError
  | RedirectUnsupportedError
  | MfaProviderUnsupportedError
  | RuleTimeoutError
  | RuleMemoryLimitError
  | RuleCompileError
  | RuleResultInvalidError
  | ClaimsTooLargeError
  | ClaimViolationError
  | ConfigInvalidError
  | InputInvalidError
  | MetadataUpdateFailedError
  | ModuleNotAllowedError
  | EngineClosedError
  | EngineInternalError

/**
 * Every error code the engine uses (derived from the classes, so the two never drift).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, isTokenRulesError, type TokenRulesErrorCode } from '@tokenrules/engine'
 *
 * // Failures that mean a rule is broken (page its owner), as opposed to a login being refused.
 * // A misspelt code would not typecheck.
 * const ruleBugs: ReadonlySet<TokenRulesErrorCode> = new Set(['ERR_RULE_EXCEPTION', 'ERR_RULE_RESULT_INVALID', 'ERR_RULE_TIMEOUT', 'ERR_MODULE_NOT_ALLOWED'])
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'read-preferences',
 *     script: `function (user, context, callback) {
 *       const prefs = JSON.parse(user.user_metadata.preferences);
 *       context.idToken['https://example.com/locale'] = prefs.locale;
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err = await engine
 *   .run({ user: { user_id: 'auth0|42', user_metadata: { preferences: '{locale: fr}' } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 * assert.ok(isTokenRulesError(err))
 * assert.equal(err.code, 'ERR_RULE_EXCEPTION')
 * assert.ok(ruleBugs.has(err.code))
 * ```
 */
export type TokenRulesErrorCode = AnyTokenRulesError['code']

/**
 * Whether `value` is an error of this engine. Checks a brand shared by every copy of the package,
 * so it holds where `instanceof` does not (two installed versions, another realm).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, isTokenRulesError } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'locked-accounts',
 *     script: `function (user, context, callback) {
 *       if (user.app_metadata.locked) return callback(new UnauthorizedError('This account is locked.'));
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const err: unknown = await engine
 *   .run({ user: { user_id: 'auth0|42', app_metadata: { locked: true } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   .catch((e: unknown) => e)
 *
 * assert.ok(isTokenRulesError(err)) // narrows `err` to AnyTokenRulesError
 * assert.equal(err.code, 'ERR_RULE_UNAUTHORIZED')
 * assert.equal(err.message, 'This account is locked.')
 * assert.equal(isTokenRulesError(new Error('ECONNRESET')), false) // not the engine's: rethrow it
 * ```
 */
export function isTokenRulesError(value: unknown): value is AnyTokenRulesError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
}
