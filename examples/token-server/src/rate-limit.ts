import { isIPv6 } from 'node:net'

/** Options of {@link ClientRateLimit}. */
export interface ClientRateLimitOptions {
  /** Requests a client may send at once after a quiet spell (the bucket's size). */
  burst: number
  /** Requests per minute a client may keep sending (the bucket's refill). */
  perMinute: number
  /** Clients remembered at once; past it the least recently seen is forgotten. */
  maxClients: number
  /** The clock, in milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined
}

/**
 * A token bucket per client address: each request takes a token, tokens come back at
 * `perMinute`, a full bucket holds `burst`. IPv4-mapped IPv6 addresses count as their IPv4
 * address, and an IPv6 client is its /64 (one subscriber's usual allocation), so one host cannot
 * dodge the limit by changing addresses within its own network.
 */
export class ClientRateLimit {
  readonly #options: ClientRateLimitOptions
  readonly #now: () => number
  /** Insertion order is recency: each take moves its client to the end. */
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor(options: ClientRateLimitOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  /** Take a token for `address`: `{ ok: true }`, or the whole seconds to wait before one is back. */
  take(address: string | undefined): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const key = clientKey(address)
    const now = this.#now()
    const perMs = this.#options.perMinute / 60_000
    const bucket = this.#buckets.get(key) ?? { tokens: this.#options.burst, at: now }
    this.#buckets.delete(key)
    bucket.tokens = Math.min(this.#options.burst, bucket.tokens + (now - bucket.at) * perMs)
    bucket.at = now
    this.#buckets.set(key, bucket)
    while (this.#buckets.size > this.#options.maxClients) {
      const oldest = this.#buckets.keys().next().value as string
      this.#buckets.delete(oldest)
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return { ok: true }
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) }
  }
}

/** The key a client's requests are counted under. */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return mapped[1] as string
  if (!isIPv6(address)) return address
  // Expand '::' and keep the first four groups: the /64.
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]?.split('::') ?? []
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}
