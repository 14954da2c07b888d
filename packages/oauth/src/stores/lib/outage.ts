import { StoreConflictError } from '../conflict.js'
import { StoreUnavailableError } from '../unavailable.js'

/**
 * `store` with every method's failure that `isOutage` recognizes (the driver could not reach the
 * database, or it did not answer in time) rejected as a {@link StoreUnavailableError} (the driver's
 * error as `cause`); conflicts and other errors (bugs) unchanged.
 */
export function guardOutages<T extends object>(store: T, what: string, isOutage: (error: unknown) => boolean): T {
  const guarded: Record<string, unknown> = {}
  const names = new Set<string>()
  for (let proto: object | null = store; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names.add(name)
  }
  for (const name of names) {
    const value = (store as Record<string, unknown>)[name]
    if (typeof value !== 'function') continue
    const method = value as (...args: unknown[]) => unknown
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await method.apply(store, args)
      } catch (error) {
        if (StoreConflictError.is(error) || StoreUnavailableError.is(error) || !isOutage(error)) throw error
        throw new StoreUnavailableError(`${what} is unavailable: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      }
    }
  }
  return guarded as T
}

/** Node's network errors: refused, reset, unreachable, timed out. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED'])

/** Whether `error` is a network error of Node's (`code` `ECONNREFUSED`…). */
export function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && NETWORK_CODES.has(code)
}

/** node-redis's errors for a connection that is down, closed or too slow, and Redis's own "not now" replies. */
const REDIS_OUTAGES = new Set([
  'ConnectionTimeoutError',
  'SocketTimeoutError',
  'ClientClosedError',
  'ClientOfflineError',
  'DisconnectsClientError',
  'SocketClosedUnexpectedlyError',
  'ReconnectStrategyError',
  'TimeoutError',
  'SocketTimeoutDuringMaintenanceError',
  'CommandTimeoutDuringMaintenanceError',
  'AbortError',
])
const REDIS_BUSY_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|OOM|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/

/** Whether a node-redis error means Redis cannot answer now. */
export function isRedisOutage(error: unknown): boolean {
  if (isNetworkError(error)) return true
  if (!(error instanceof Error)) return false
  const name = error.constructor.name
  if (REDIS_OUTAGES.has(name) || REDIS_OUTAGES.has(error.name)) return true
  return (name === 'ErrorReply' || name === 'SimpleError') && REDIS_BUSY_REPLY.test(error.message)
}
