import type { ActionCacheRecord, ActionCacheWriteResult } from '../../guest/contract.js'
import type { HostRegistry } from '../host-bridge.js'

/**
 * Auth0's Actions cache limits (docs: "Actions limitations", cache): what `api.cache` of the
 * post-login actions may hold, for the whole trigger.
 */
export const ACTION_CACHE_LIMITS = {
  /** Records at once. */
  maxEntries: 20,
  /** Bytes of one key (UTF-8). */
  maxKeyBytes: 64,
  /** Bytes of one value (UTF-8). */
  maxValueBytes: 4 * 1024,
  /** Bytes of every key and value together (UTF-8). */
  maxTotalBytes: 8 * 1024,
  /** Longest lifetime of a record, in milliseconds (24 hours). */
  maxLifetimeMs: 24 * 60 * 60 * 1000,
  /** Lifetime of a record set without `ttl` or `expires_at`, in milliseconds (15 minutes). */
  defaultLifetimeMs: 15 * 60 * 1000,
} as const

interface Entry {
  value: string
  expiresAt: number
  bytes: number
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8')

/**
 * The post-login actions' `api.cache`: one store per engine (Auth0 scopes it to the trigger), in
 * this process, shared by every isolate, answered synchronously. Records expire on the engine's
 * clock (`clock`, else the real one). Past a limit `set` answers `{ type: 'error', code }` with
 * Auth0's codes, and stores nothing.
 */
export function registerActionCache(registry: HostRegistry, clock: (() => number) | undefined): void {
  const entries = new Map<string, Entry>()
  const now = () => (clock === undefined ? Date.now() : clock())
  const sweep = (at: number) => {
    for (const [key, entry] of entries) if (entry.expiresAt <= at) entries.delete(key)
  }
  const keyOf = (value: unknown): string => {
    if (typeof value !== 'string') throw new TypeError('api.cache: the key must be a string.')
    return value
  }
  registry.register('$actions.cache.get', ([key]): ActionCacheRecord | undefined => {
    const name = keyOf(key)
    sweep(now())
    const entry = entries.get(name)
    return entry === undefined ? undefined : { value: entry.value, expires_at: entry.expiresAt }
  })
  registry.register('$actions.cache.delete', ([key]): ActionCacheWriteResult => {
    const name = keyOf(key)
    sweep(now())
    return entries.delete(name) ? { type: 'success' } : { type: 'error', code: 'CacheKeyDoesNotExist' }
  })
  registry.register('$actions.cache.set', ([key, value, ttl, expiresAt]): ActionCacheWriteResult => {
    const name = keyOf(key)
    if (typeof value !== 'string') throw new TypeError('api.cache.set: the value must be a string.')
    const at = now()
    sweep(at)
    const keyBytes = utf8(name)
    if (keyBytes > ACTION_CACHE_LIMITS.maxKeyBytes) return { type: 'error', code: 'CacheKeySizeExceeded' }
    const valueBytes = utf8(value)
    if (valueBytes > ACTION_CACHE_LIMITS.maxValueBytes) return { type: 'error', code: 'CacheValueSizeExceeded' }
    const limits: number[] = []
    if (ttl !== undefined) {
      if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) return { type: 'error', code: 'InvalidExpiry' }
      limits.push(at + ttl)
    }
    if (expiresAt !== undefined) {
      if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return { type: 'error', code: 'InvalidExpiry' }
      if (expiresAt <= at) return { type: 'error', code: 'ItemAlreadyExpired' }
      limits.push(expiresAt)
    }
    // Both given: the earlier wins (as Auth0 documents); neither: the default lifetime.
    const expiry = limits.length === 0 ? at + ACTION_CACHE_LIMITS.defaultLifetimeMs : Math.min(...limits)
    if (expiry - at > ACTION_CACHE_LIMITS.maxLifetimeMs) return { type: 'error', code: 'InvalidExpiry' }
    const previous = entries.get(name)
    const bytes = keyBytes + valueBytes
    let total = bytes
    for (const entry of entries.values()) total += entry.bytes
    if (previous !== undefined) total -= previous.bytes
    const count = entries.size + (previous === undefined ? 1 : 0)
    if (count > ACTION_CACHE_LIMITS.maxEntries || total > ACTION_CACHE_LIMITS.maxTotalBytes) return { type: 'error', code: 'CacheSizeExceeded' }
    entries.set(name, { value, expiresAt: Math.floor(expiry), bytes })
    return { type: 'success', record: { value, expires_at: Math.floor(expiry) } }
  })
}
