/**
 * The error a store rejects with when its database cannot answer now.
 *
 * @module
 */

const BRAND = Symbol.for('@tokenrules/oauth.store-unavailable')

/**
 * A store could not reach its database, or the database did not answer in time (PostgreSQL or
 * Redis down, restarting, a connection cut in the middle of a request, a statement timeout). The
 * token server answers `503 temporarily_unavailable` with `Retry-After` instead of a generic 500,
 * and reports the error (with the driver's as `cause`) to `hooks.onError`. A store of your own
 * rejects with it for the same cases; any other error stays a `500 server_error`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, StoreUnavailableError, createMemoryStores, createTokenServer, type AttemptStore } from '@tokenrules/oauth'
 *
 * // A store whose database is down.
 * const down = () => Promise.reject(new StoreUnavailableError('attempts database unreachable', { retryAfterSeconds: 3 }))
 * const attempts: AttemptStore = { attempt: down, reset: down, resetSubject: down, takeGuess: down, returnGuess: down }
 * const logged: unknown[] = []
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: [] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores: { ...createMemoryStores(), attempts },
 *   encryptionKey: new Uint8Array(32).fill(1),
 *   hooks: { onError: (event) => void logged.push(event.error) },
 * })
 * const body = new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'x', audience: 'https://api.example.com' })
 * const response = await server.handler(new Request('http://localhost/oauth/token', { method: 'POST', body }))
 * assert.equal(response.status, 503)
 * assert.equal(response.headers.get('retry-after'), '3')
 * assert.deepEqual(await response.json(), { error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable; try again later.' })
 * assert.ok(StoreUnavailableError.is(logged[0]))
 * ```
 */
export class StoreUnavailableError extends Error {
  /** Stable across versions: `ERR_STORE_UNAVAILABLE`. */
  readonly code = 'ERR_STORE_UNAVAILABLE'
  /** What the answer's `Retry-After` says, in whole seconds (default 5). */
  readonly retryAfterSeconds: number

  /** Made by a store with a message for the log, the driver's error as `cause`, and a retry hint. */
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StoreUnavailableError'
    const retry = options.retryAfterSeconds ?? 5
    this.retryAfterSeconds = Number.isFinite(retry) && retry >= 1 ? Math.ceil(retry) : 5
    Object.defineProperty(this, BRAND, { value: true })
  }

  /**
   * Whether `value`, or an error in its `cause` chain (a rule's failed metadata update wraps the
   * store's error), is a store outage. Checks a brand shared by every copy of the package.
   */
  static is(value: unknown): value is StoreUnavailableError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }

  /** The outage in `error` or its `cause` chain (up to 8 deep), or `undefined`. */
  static find(error: unknown): StoreUnavailableError | undefined {
    let current = error
    for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
      if (StoreUnavailableError.is(current)) return current
      current = (current as { cause?: unknown }).cause
    }
    return undefined
  }
}
