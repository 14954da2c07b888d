/**
 * The one error a store rejects with when a write would break a uniqueness rule of its interface.
 *
 * @module
 */

const BRAND = Symbol.for('@tokenrules/oauth.store-conflict')

/**
 * A store refused a write that would break a uniqueness rule: a directory name, a user id or
 * login already taken, a refresh token or signing key id stored before. Every store (the built-in
 * ones and yours) rejects with it, so callers tell a conflict from a failure by `code`, then
 * `reason`, and the store contract of `@tokenrules/oauth/testing` checks both.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, StoreConflictError } from '@tokenrules/oauth'
 *
 * const { users } = createMemoryStores()
 * await users.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
 * const profile = { created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z', logins_count: 0, app_metadata: {}, user_metadata: {} }
 * const record = (user_id: string, email: string) => ({ directory: 'Employees', profile: { ...profile, user_id, email }, passwordHash: '$scrypt$…', roles: [] })
 * await users.createUser(record('auth0|1', 'alice@example.com'))
 *
 * // An import that meets a login already taken: skip it, and fail on anything else.
 * const err = await users.createUser(record('auth0|2', 'ALICE@example.com')).catch((e: unknown) => e)
 * assert.ok(StoreConflictError.is(err))
 * assert.equal(err.code, 'ERR_STORE_CONFLICT')
 * assert.equal(err.reason, 'duplicate_login')
 * ```
 */
export class StoreConflictError extends Error {
  /** Stable across versions: `ERR_STORE_CONFLICT`. */
  readonly code = 'ERR_STORE_CONFLICT'
  /**
   * Which rule the write broke: `duplicate_directory` (a directory name), `duplicate_user` (a
   * `user_id`), `duplicate_login` (an email or username taken in the directory),
   * `duplicate_refresh_token` (a refresh token id saved before), `duplicate_signing_key` (a `kid`).
   */
  readonly reason: 'duplicate_directory' | 'duplicate_user' | 'duplicate_login' | 'duplicate_refresh_token' | 'duplicate_signing_key'

  /** Made by a store with the reason, a message for the log, and the driver's error as `cause`. */
  constructor(reason: StoreConflictError['reason'], message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StoreConflictError'
    this.reason = reason
    Object.defineProperty(this, BRAND, { value: true })
  }

  /**
   * Whether `value` is a store conflict. Checks a brand shared by every copy of the package, so it
   * holds where `instanceof` does not (a store built against another installed copy).
   */
  static is(value: unknown): value is StoreConflictError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }
}
