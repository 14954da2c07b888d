import type { JsonValue } from '@tokenrules/engine'
/**
 * The OAuth error answers of the token server ([behaviour: the token endpoint](../../../docs/behaviour.md#the-token-endpoint)).
 *
 * @module
 */

/**
 * An OAuth error answer: status, `error`, `error_description`, and any extra members or headers.
 * The server answers every failure with one; a host can build its own to answer in the same shape.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { OAuthError, createTokenServer, type TokenServerHandler } from '@tokenrules/oauth'
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 * })
 *
 * // The host refuses logins during maintenance, in the token server's error format.
 * const maintenance = new OAuthError(503, 'temporarily_unavailable', 'Down for maintenance until 02:00 UTC.', { headers: { 'retry-after': '600' } })
 * const handler: TokenServerHandler = async () =>
 *   Response.json(maintenance.toJSON(), { status: maintenance.status, headers: { 'cache-control': 'no-store', ...maintenance.headers } })
 *
 * const ours = await handler(new Request('http://localhost/oauth/token', { method: 'POST' }))
 * assert.equal(ours.status, 503)
 * assert.equal(ours.headers.get('retry-after'), '600')
 * assert.deepEqual(await ours.json(), { error: 'temporarily_unavailable', error_description: 'Down for maintenance until 02:00 UTC.' })
 *
 * // The same shape as the server's own answers.
 * const theirs = await server.handler(new Request('http://localhost/oauth/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) }))
 * assert.equal(theirs.status, 400)
 * assert.deepEqual(await theirs.json(), { error: 'unsupported_grant_type', error_description: 'Unsupported grant type: client_credentials' })
 * ```
 */
export class OAuthError extends Error {
  /** The HTTP status of the answer, e.g. 400, 401, 403, 429 or 500. */
  readonly status: number
  /** The OAuth `error` code, e.g. `invalid_grant`. */
  readonly error: string
  /** The `error_description`, safe to show to the client. */
  readonly description: string
  /** Extra members of the JSON body (e.g. `mfa_token`, `mfa_requirements`). */
  readonly extra: Readonly<Record<string, JsonValue>>
  /** Extra response headers (e.g. `WWW-Authenticate`, `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>
  /**
   * Why, for the host's log only (`hooks.onRefused`), never sent: set where the description is the
   * same for several causes on purpose, e.g. `refresh_token_reused` (a {@link RefreshTokenFailure}).
   */
  readonly detail: string | undefined

  /**
   * Makes an error answer; `more.extra` adds members to the JSON body, `more.headers` response
   * headers, `more.cause` the underlying error and `more.detail` the reason for the log (never sent).
   */
  constructor(
    status: number,
    error: string,
    description: string,
    more: { extra?: Record<string, JsonValue>; headers?: Record<string, string>; cause?: unknown; detail?: string } = {},
  ) {
    super(`${error}: ${description}`, more.cause === undefined ? undefined : { cause: more.cause })
    this.name = 'OAuthError'
    this.status = status
    this.error = error
    this.description = description
    this.extra = more.extra ?? {}
    this.headers = more.headers ?? {}
    this.detail = more.detail
  }

  /** The JSON body: `{ error, error_description, ...extra }`. */
  toJSON(): Record<string, JsonValue> {
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

/** [behaviour: the token endpoint](../../../docs/behaviour.md#the-token-endpoint): wrong username or password (and an unknown user: the answers must not differ). */
export const WRONG_CREDENTIALS = 'Wrong email or password.'
/** The refresh token is unknown, expired, revoked, reused or another client's. */
export const INVALID_REFRESH_TOKEN = 'Unknown or invalid refresh token.'

/**
 * Why a refresh token was refused, in {@link OAuthError.detail} for the host's log
 * (`hooks.onRefused`); the client gets 403 `invalid_grant` "Unknown or invalid refresh token." for
 * every one of them, so that the answer tells a thief nothing.
 *
 * - `refresh_token_unknown`: no such token (never issued, or deleted from the store).
 * - `refresh_token_client_mismatch`: another client's token (it stays usable by its owner).
 * - `refresh_token_expired`: its family's absolute lifetime is over.
 * - `refresh_token_revoked`: its family was revoked (after a replay of one of its tokens).
 * - `refresh_token_reused`: a token used before, presented again: a replay; the family is revoked now.
 * - `refresh_token_subject_gone`: its user or directory no longer exists.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createTokenServer, type RefreshTokenFailure } from '@tokenrules/oauth'
 *
 * // A replay is a theft signal worth an alert; the other failures are routine.
 * const alerts: string[] = []
 * const alarming: readonly RefreshTokenFailure[] = ['refresh_token_reused', 'refresh_token_client_mismatch']
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.refreshToken], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: [] }],
 *   hooks: {
 *     onRefused: ({ error }) => {
 *       if (alarming.includes(error.detail as RefreshTokenFailure)) alerts.push(error.detail as string)
 *     },
 *   },
 * })
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'mobile', refresh_token: 'x'.repeat(43) }) }),
 * )
 * assert.equal(response.status, 403) // refresh_token_unknown: routine
 * assert.deepEqual(alerts, [])
 * ```
 */
export type RefreshTokenFailure =
  | 'refresh_token_unknown'
  | 'refresh_token_client_mismatch'
  | 'refresh_token_expired'
  | 'refresh_token_revoked'
  | 'refresh_token_reused'
  | 'refresh_token_subject_gone'

/** 403 `invalid_grant` "Unknown or invalid refresh token.", with why in `detail` for the log. */
export function invalidRefreshToken(detail: RefreshTokenFailure): OAuthError {
  return new OAuthError(403, 'invalid_grant', INVALID_REFRESH_TOKEN, { detail })
}
/** [behaviour: the token endpoint](../../../docs/behaviour.md#the-token-endpoint): a wrong one-time password. */
export const INVALID_OTP = 'Invalid otp_code.'
/** A wrong or used recovery code. */
export const INVALID_RECOVERY_CODE = 'Invalid recovery_code.'
/** An `mfa_token` that is unknown, used, or another client's. */
export const INVALID_MFA_TOKEN = 'Invalid mfa_token.'

/** 403 `access_denied`. */
export function accessDenied(description: string): OAuthError {
  return new OAuthError(403, 'access_denied', description)
}

/** 401 `unauthorized` "user is blocked" ([behaviour: the token endpoint](../../../docs/behaviour.md#the-token-endpoint)). */
export function userBlocked(): OAuthError {
  return new OAuthError(401, 'unauthorized', 'user is blocked')
}

/** 401 `expired_token` for an `mfa_token` older than its 10 minutes. */
export function expiredMfaToken(): OAuthError {
  return new OAuthError(401, 'expired_token', 'mfa_token is expired')
}

/** The description of a (user, IP) pair's block. */
export const TOO_MANY_ATTEMPTS = 'Too many failed attempts for this user from this IP address; try again later.'
/** Auth0's description when a user's wrong second-factor codes used up the factor's budget. */
export const TOO_MANY_FAILED_CODES = 'Too many failed codes. Wait for some minutes before retrying.'
/** The description when one `mfa_token` carried too many wrong codes: it is spent, log in again. */
export const TOO_MANY_FAILED_CODES_FOR_TOKEN = 'Too many failed codes for this mfa_token; log in again.'

/** 429 `too_many_attempts` with `Retry-After` in whole seconds. */
export function tooManyAttempts(retryAfterSeconds: number, description: string = TOO_MANY_ATTEMPTS): OAuthError {
  return new OAuthError(429, 'too_many_attempts', description, {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  })
}

/** Fixed description of every unexpected failure. Details go to the host's `onError` hook only. */
export const SERVER_ERROR_DESCRIPTION = 'The server encountered an unexpected error.'

/** 500 `server_error` with the generic description. */
export function serverError(cause?: unknown): OAuthError {
  return new OAuthError(500, 'server_error', SERVER_ERROR_DESCRIPTION, { cause })
}

/** The description of a 503 while a store cannot answer. */
export const STORE_UNAVAILABLE_DESCRIPTION = 'The service is temporarily unavailable; try again later.'

/** 503 `temporarily_unavailable` with `Retry-After`, for a store outage (a `StoreUnavailableError`). */
export function storeUnavailable(cause: { retryAfterSeconds: number }): OAuthError {
  return new OAuthError(503, 'temporarily_unavailable', STORE_UNAVAILABLE_DESCRIPTION, {
    cause,
    headers: { 'retry-after': String(Math.max(1, Math.ceil(cause.retryAfterSeconds))) },
  })
}
