/**
 * The OAuth error answers of the token server (SPEC.md §7).
 *
 * @module
 */

/** An OAuth error answer: status, `error`, `error_description`, and any extra members or headers. */
export class OAuthError extends Error {
  readonly status: number
  readonly error: string
  readonly description: string
  /** Extra members of the JSON body (e.g. `mfa_token`). */
  readonly extra: Readonly<Record<string, string>>
  /** Extra response headers (e.g. `WWW-Authenticate`, `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>

  constructor(
    status: number,
    error: string,
    description: string,
    more: { extra?: Record<string, string>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(`${error}: ${description}`, more.cause === undefined ? undefined : { cause: more.cause })
    this.name = 'OAuthError'
    this.status = status
    this.error = error
    this.description = description
    this.extra = more.extra ?? {}
    this.headers = more.headers ?? {}
  }

  /** The JSON body: `{ error, error_description, ...extra }`. */
  toJSON(): Record<string, string> {
    return { error: this.error, error_description: this.description, ...this.extra }
  }
}

/** 400 `invalid_request`. */
export function invalidRequest(description: string): OAuthError {
  return new OAuthError(400, 'invalid_request', description)
}

/** 400 `invalid_request` for a required parameter that is absent or empty. */
export function missingParameter(name: string): OAuthError {
  return invalidRequest(`Missing required parameter: ${name}`)
}

/** Fixed description of every client authentication failure: it never tells which part was wrong. */
export const CLIENT_AUTHENTICATION_FAILED = 'Client authentication failed.'

/** 401 `invalid_client`; with `WWW-Authenticate` when the client tried HTTP Basic (RFC 6749 §5.2). */
export function invalidClient(description: string = CLIENT_AUTHENTICATION_FAILED, usedBasic = false): OAuthError {
  return new OAuthError(401, 'invalid_client', description, usedBasic ? { headers: { 'www-authenticate': 'Basic realm="tokenrules"' } } : {})
}

/** 403 `invalid_grant`. */
export function invalidGrant(description: string): OAuthError {
  return new OAuthError(403, 'invalid_grant', description)
}

/** SPEC.md §7: wrong username or password (and an unknown user: the answers must not differ). */
export const WRONG_CREDENTIALS = 'Wrong email or password.'
/** The refresh token is unknown, expired, revoked, reused or another client's. */
export const INVALID_REFRESH_TOKEN = 'Unknown or invalid refresh token.'
/** SPEC.md §7: a wrong one-time password. */
export const INVALID_OTP = 'Invalid otp_code.'
/** A wrong or used recovery code. */
export const INVALID_RECOVERY_CODE = 'Invalid recovery_code.'
/** An `mfa_token` that is unknown, used, or another client's. */
export const INVALID_MFA_TOKEN = 'Invalid mfa_token.'

/** 403 `access_denied`. */
export function accessDenied(description: string): OAuthError {
  return new OAuthError(403, 'access_denied', description)
}

/** 401 `unauthorized` "user is blocked" (SPEC.md §7). */
export function userBlocked(): OAuthError {
  return new OAuthError(401, 'unauthorized', 'user is blocked')
}

/** 401 `expired_token` for an `mfa_token` older than its 10 minutes. */
export function expiredMfaToken(): OAuthError {
  return new OAuthError(401, 'expired_token', 'mfa_token is expired')
}

/** 429 `too_many_attempts` with `Retry-After` in whole seconds. */
export function tooManyAttempts(retryAfterSeconds: number): OAuthError {
  return new OAuthError(429, 'too_many_attempts', 'Too many failed attempts for this user from this IP address; try again later.', {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  })
}

/** Fixed description of every unexpected failure. Details go to the host's `onError` hook only. */
export const SERVER_ERROR_DESCRIPTION = 'The server encountered an unexpected error.'

/** 500 `server_error` with the generic description. */
export function serverError(cause?: unknown): OAuthError {
  return new OAuthError(500, 'server_error', SERVER_ERROR_DESCRIPTION, { cause })
}
