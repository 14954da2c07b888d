import { randomToken, tokenDigest } from '../lib/random.js'

/** What a per-run token grants: the tenant's Management API, for a short while. */
interface Grant {
  /** `https://<domain>`: the tenant the token is for. */
  origin: string
  expiresAt: number
}

/** What checking a bearer token found. */
export type TokenCheck = { ok: true } | { ok: false; reason: 'invalid' | 'expired' }

/** Live tokens one server keeps at most; past it the oldest are forgotten (their runs are long over). */
const MAX_LIVE_TOKENS = 100_000

/**
 * The bearer tokens of the in-process Management API: one per run, minted when a rule first reads
 * `auth0.accessToken`, opaque (256 random bits), kept only as their SHA-256, for one tenant, and
 * valid `lifetimeMs` (a login's budget, not a day as Auth0's own tokens are). Nothing else is
 * accepted: the only other way to get one is the in-process `/oauth/token` (token-endpoint.ts),
 * which only rules reach too, so the API has no caller but the rules.
 */
export class ManagementTokens {
  readonly #grants = new Map<string, Grant>()
  readonly #origin: string
  readonly #lifetimeMs: number
  readonly #now: () => number

  constructor(origin: string, lifetimeMs: number, now: () => number) {
    this.#origin = origin
    this.#lifetimeMs = lifetimeMs
    this.#now = now
  }

  /** `https://<domain>`: the tenant the tokens are for. */
  get origin(): string {
    return this.#origin
  }

  /** A fresh token for the tenant. */
  mint(): string {
    return this.mintWithLifetime().token
  }

  /** A fresh token for the tenant and how long it is accepted, in whole seconds (a token response's `expires_in`). */
  mintWithLifetime(): { token: string; expiresInSeconds: number } {
    const now = this.#now()
    this.#sweep(now)
    const token = randomToken()
    this.#grants.set(tokenDigest(token), { origin: this.#origin, expiresAt: now + this.#lifetimeMs })
    return { token, expiresInSeconds: Math.floor(this.#lifetimeMs / 1000) }
  }

  /** Whether `token` was minted here, for `origin`, and has not expired. */
  check(token: string, origin: string): TokenCheck {
    const grant = this.#grants.get(tokenDigest(token))
    if (grant === undefined || grant.origin !== origin) return { ok: false, reason: 'invalid' }
    if (this.#now() >= grant.expiresAt) {
      this.#grants.delete(tokenDigest(token))
      return { ok: false, reason: 'expired' }
    }
    return { ok: true }
  }

  /** Forget expired tokens (Map order is mint order, so they come first), and the oldest past the cap. */
  #sweep(now: number): void {
    for (const [digest, grant] of this.#grants) {
      if (grant.expiresAt > now && this.#grants.size < MAX_LIVE_TOKENS) break
      this.#grants.delete(digest)
    }
  }
}
