/**
 * Every failure of the engine is a {@link TokenRulesError} with a stable `code` (SPEC.md §2) and a
 * fixed OAuth answer from {@link TokenRulesError.toOAuthError}.
 *
 * @module
 */

const BRAND = Symbol.for('@tokenrules/engine.error')

/** The OAuth 2.0 error answer a token endpoint sends for an engine failure. */
export interface OAuthErrorResponse {
  /** HTTP status code. */
  status: 400 | 401 | 403 | 429 | 500
  body: { error: string; error_description: string }
}

/** What a failed run leaves behind for the host, beside the error itself. */
export interface FailureDetails {
  /** The rule that was running when the run failed, when one was. */
  rule?: string | undefined
  /** Log lines the rules wrote before the failure. */
  logs?: readonly import('./result.js').LogEntry[] | undefined
  /** Warnings collected before the failure. */
  warnings?: readonly import('./result.js').Warning[] | undefined
  cause?: unknown
}

const GENERIC_SERVER_ERROR = 'The server encountered an unexpected error.'
const GENERIC_RULE_FAILURE = 'Rule execution failed.'

/**
 * Base class of every error the engine throws or rejects with.
 *
 * @example
 * ```ts
 * try {
 *   await engine.run({ user, context })
 * } catch (err) {
 *   if (!isTokenRulesError(err)) throw err
 *   const { status, body } = err.toOAuthError()
 *   return Response.json(body, { status, headers: { 'cache-control': 'no-store' } })
 * }
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

  constructor(message: string, details: FailureDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.rule = details.rule
    this.logs = details.logs ?? []
    this.warnings = details.warnings ?? []
    this.name = new.target.name
    Object.defineProperty(this, BRAND, { value: true })
  }

  /** The OAuth answer for this failure (SPEC.md §2). Internal details never appear in it. */
  toOAuthError(): OAuthErrorResponse {
    return { status: 500, body: { error: 'server_error', error_description: GENERIC_SERVER_ERROR } }
  }
}

/** A rule called `callback(new UnauthorizedError(message))`. Answer: 401 `unauthorized`. */
export class RuleUnauthorizedError extends TokenRulesError {
  readonly code = 'ERR_RULE_UNAUTHORIZED'
  override readonly expose = true
  override toOAuthError(): OAuthErrorResponse {
    return { status: 401, body: { error: 'unauthorized', error_description: this.message } }
  }
}

/** A rule called `callback(new Error(message))` or `callback(message)`. Answer: 403 `access_denied`. */
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
 */
export class RuleExceptionError extends TokenRulesError {
  readonly code = 'ERR_RULE_EXCEPTION'
  override readonly expose: boolean
  /** The guest's stack trace (guest file names only), for the host's log. */
  readonly guestStack: string | undefined
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

/** Fixed description of {@link RedirectUnsupportedError}. */
export const REDIRECT_UNSUPPORTED_DESCRIPTION = 'Redirect from a rule is not supported in the password exchange.'

/** A rule set `context.redirect` under a protocol without a browser. Answer: 403 `access_denied`. */
export class RedirectUnsupportedError extends TokenRulesError {
  readonly code = 'ERR_REDIRECT_UNSUPPORTED'
  override readonly expose = true
  /** The protocol the run was for. */
  readonly protocol: string
  constructor(protocol: string, details: FailureDetails = {}) {
    super(`${REDIRECT_UNSUPPORTED_DESCRIPTION} (protocol ${protocol})`, details)
    this.protocol = protocol
  }
  override toOAuthError(): OAuthErrorResponse {
    return { status: 403, body: { error: 'access_denied', error_description: REDIRECT_UNSUPPORTED_DESCRIPTION } }
  }
}

/** A rule asked for Duo MFA under a protocol without a browser. Answer: 403 `access_denied`. */
export class MfaProviderUnsupportedError extends TokenRulesError {
  readonly code = 'ERR_MFA_PROVIDER_UNSUPPORTED'
  override readonly expose = true
  readonly provider: string
  constructor(provider: string, protocol: string, details: FailureDetails = {}) {
    super(`Multifactor provider '${provider}' is not supported with protocol ${protocol}.`, details)
    this.provider = provider
  }
  override toOAuthError(): OAuthErrorResponse {
    return { status: 403, body: { error: 'access_denied', error_description: this.message } }
  }
}

/** The pipeline did not finish within `limits.timeoutMs`. Answer: 500 `server_error`. */
export class RuleTimeoutError extends TokenRulesError {
  readonly code = 'ERR_RULE_TIMEOUT'
  readonly timeoutMs: number
  constructor(timeoutMs: number, details: FailureDetails = {}) {
    super(`Rules did not finish within ${timeoutMs} ms${details.rule === undefined ? '' : ` (rule '${details.rule}' was running)`}.`, details)
    this.timeoutMs = timeoutMs
  }
}

/** A rule exceeded `limits.memoryLimitMb`; its isolate was recycled. Answer: 500 `server_error`. */
export class RuleMemoryLimitError extends TokenRulesError {
  readonly code = 'ERR_RULE_MEMORY_LIMIT'
}

/** A rule does not compile, or does not evaluate to a function. Thrown at load time. */
export class RuleCompileError extends TokenRulesError {
  readonly code = 'ERR_RULE_COMPILE'
  /** 1-based line of the error in the rule's script, when known. */
  readonly line: number | undefined
  constructor(message: string, details: FailureDetails & { line?: number | undefined } = {}) {
    super(message, details)
    this.line = details.line
  }
}

/** The rules left a result that is not usable (non-JSON claims, a bad `scope`, a non-object `user`…). */
export class RuleResultInvalidError extends TokenRulesError {
  readonly code = 'ERR_RULE_RESULT_INVALID'
  /** Where in the result the problem is, e.g. `context.accessToken.https://a.example/x[2]`. */
  readonly path: string
  constructor(message: string, details: FailureDetails & { path?: string } = {}) {
    super(message, details)
    this.path = details.path ?? ''
  }
}

/** The custom claims of one token are larger than 100 KB. */
export class ClaimsTooLargeError extends TokenRulesError {
  readonly code = 'ERR_CLAIMS_TOO_LARGE'
  readonly token: 'accessToken' | 'idToken'
  readonly bytes: number
  constructor(token: 'accessToken' | 'idToken', bytes: number, limit: number, details: FailureDetails = {}) {
    super(`Custom claims of the ${token} take ${bytes} bytes; the limit is ${limit}.`, details)
    this.token = token
    this.bytes = bytes
  }
}

/** A claim broke the namespace policy and `claims.onViolation` is `'error'`. */
export class ClaimViolationError extends TokenRulesError {
  readonly code = 'ERR_CLAIM_VIOLATION'
  readonly claim: string
  readonly token: 'accessToken' | 'idToken'
  readonly reason: import('./result.js').ClaimDropReason
  constructor(
    claim: string,
    token: 'accessToken' | 'idToken',
    reason: import('./result.js').ClaimDropReason,
    message: string,
    details: FailureDetails = {},
  ) {
    super(message, details)
    this.claim = claim
    this.token = token
    this.reason = reason
  }
}

/** One problem found in the integrator's options or in a rule's input (zod's issue, reduced). */
export interface ValidationIssue {
  /** Dotted path, e.g. `context.clientID` or `rules[2].name`. */
  path: string
  message: string
  code: string
}

/** The integrator's options are not valid. `issues` lists every problem; `cause` is zod's error. */
export class ConfigInvalidError extends TokenRulesError {
  readonly code = 'ERR_CONFIG_INVALID'
  readonly issues: readonly ValidationIssue[]
  constructor(message: string, issues: readonly ValidationIssue[], cause?: unknown) {
    super(message, { cause })
    this.issues = issues
  }
}

/** The `user` or `context` given to `engine.run` is not usable. `issues` names each path. */
export class InputInvalidError extends TokenRulesError {
  readonly code = 'ERR_INPUT_INVALID'
  readonly issues: readonly ValidationIssue[]
  constructor(message: string, issues: readonly ValidationIssue[], cause?: unknown) {
    super(message, { cause })
    this.issues = issues
  }
}

/** The host's store refused an `auth0.users.update*Metadata` call; no token may be issued. */
export class MetadataUpdateFailedError extends TokenRulesError {
  readonly code = 'ERR_METADATA_UPDATE_FAILED'
}

/** A rule `require`d a module the integrator did not allow, and did not handle the error. */
export class ModuleNotAllowedError extends TokenRulesError {
  readonly code = 'ERR_MODULE_NOT_ALLOWED'
  readonly module: string
  constructor(module: string, message: string, details: FailureDetails = {}) {
    super(message, details)
    this.module = module
  }
}

/** `engine.run` or `engine.update` was called after `engine.close()`. */
export class EngineClosedError extends TokenRulesError {
  readonly code = 'ERR_ENGINE_CLOSED'
  constructor() {
    super('The engine is closed.')
  }
}

/** An internal failure of the sandbox that is not the rules' fault (e.g. an isolate crash). */
export class EngineInternalError extends TokenRulesError {
  readonly code = 'ERR_ENGINE_INTERNAL'
}

/** Every concrete error class; `switch (err.code)` narrows to one of them. */
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

/** Every error code the engine uses (derived from the classes, so the two never drift). */
export type TokenRulesErrorCode = AnyTokenRulesError['code']

/**
 * Whether `value` is an error of this engine. Checks a brand shared by every copy of the package,
 * so it holds where `instanceof` does not (two installed versions, another realm).
 *
 * @example
 * ```ts
 * if (isTokenRulesError(err) && err.code === 'ERR_RULE_UNAUTHORIZED') log.info(err.message)
 * ```
 */
export function isTokenRulesError(value: unknown): value is AnyTokenRulesError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
}
