import { ClaimViolationError, ClaimsTooLargeError, type FailureDetails } from './errors.js'
import type { ClaimDropReason, JsonValue, Warning } from './result.js'

/** Claims the server sets itself; a rule never overwrites them (SPEC.md §6). */
export const REGISTERED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'azp', 'scope', 'gty'])
/** ID-token claims the server sets, in addition to {@link REGISTERED_CLAIMS}. */
export const REGISTERED_ID_TOKEN_CLAIMS: ReadonlySet<string> = new Set(['nonce', 'at_hash', 'auth_time'])

/** Claim names Auth0 restricts even when namespaces are optional. */
export const RESTRICTED_CLAIMS: ReadonlySet<string> = new Set(
  (
    'acr act active amr at_hash ath attest aud auth_time authorization_details azp c_hash client_id cnf cty dest ' +
    'entitlements events exp groups gty htm htu iat internalService iss jcard jku jti jwe jwk kid may_act mky nbf ' +
    'nonce object_id org_id org_name orig origid permissions roles rph s_hash sid sip_callid sip_cseq_num sip_date ' +
    'sip_from_tag sip_via_branch sub sub_jwk toe txn typ uuid vot vtm x5t#S256'
  ).split(' '),
)

/** Namespace hosts no tenant may use, with their subdomains. */
export const FORBIDDEN_NAMESPACE_HOSTS: readonly string[] = ['auth0.com', 'webtask.io', 'webtask.run']

/** Largest custom claims of one token: the UTF-8 bytes of the JSON object of its kept custom claims. */
export const MAX_CUSTOM_CLAIMS_BYTES = 100 * 1024

/** How custom claims are checked (the engine's `claims` option, resolved). */
export interface ClaimsPolicy {
  namespace: 'required' | 'optional'
  onViolation: 'drop' | 'error'
  forbiddenNamespaces: readonly string[]
}

const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype'])

function isForbiddenHost(host: string, forbidden: readonly string[]): boolean {
  return [...FORBIDDEN_NAMESPACE_HOSTS, ...forbidden].some((f) => host === f || host.endsWith(`.${f}`))
}

function urlHost(name: string): string | undefined | null {
  // undefined: not an http(s) URL; null: http(s) but no host.
  if (!/^https?:\/\//i.test(name)) return undefined
  try {
    const url = new URL(name)
    return url.hostname === '' ? null : url.hostname.toLowerCase()
  } catch {
    return null
  }
}

/** Why `name` may not be a custom claim of `token`, or `undefined` when it may. */
export function claimViolation(
  name: string,
  token: 'accessToken' | 'idToken',
  policy: ClaimsPolicy,
): { reason: ClaimDropReason; message: string } | undefined {
  if (RESERVED_NAMES.has(name)) return { reason: 'reserved-name', message: `'${name}' is never accepted as a claim name` }
  if (REGISTERED_CLAIMS.has(name) || (token === 'idToken' && REGISTERED_ID_TOKEN_CLAIMS.has(name))) {
    return { reason: 'registered', message: `'${name}' is set by the server and cannot be overwritten by a rule` }
  }
  const host = urlHost(name)
  if (typeof host === 'string' && isForbiddenHost(host, policy.forbiddenNamespaces)) {
    return { reason: 'forbidden-namespace', message: `'${name}' uses the forbidden namespace ${host}` }
  }
  if (policy.namespace === 'required') {
    if (typeof host !== 'string') {
      return { reason: 'not-namespaced', message: `'${name}' is not namespaced: custom claims must be http:// or https:// URLs with a host` }
    }
    return undefined
  }
  if (RESTRICTED_CLAIMS.has(name)) return { reason: 'restricted', message: `'${name}' is a restricted claim` }
  if (/^urn:auth0(?::|$)/i.test(name)) return { reason: 'restricted', message: `'${name}' uses the reserved urn:auth0 namespace` }
  if (host === null) return { reason: 'not-namespaced', message: `'${name}' is an http(s) URL without a host` }
  return undefined
}

// Rule sets use the same few claim names on every run: remember each name's verdict (per policy
// object and token), so the warm path does not parse URLs. Bounded, then simply not cached.
const VERDICT_CACHE_SIZE = 1_000
const verdicts = new WeakMap<ClaimsPolicy, Map<string, ReturnType<typeof claimViolation> | null>>()

function cachedViolation(name: string, token: 'accessToken' | 'idToken', policy: ClaimsPolicy) {
  let cache = verdicts.get(policy)
  if (cache === undefined) verdicts.set(policy, (cache = new Map()))
  const key = token === 'accessToken' ? `a${name}` : `i${name}`
  const known = cache.get(key)
  if (known !== undefined) return known ?? undefined
  const verdict = claimViolation(name, token, policy)
  if (cache.size < VERDICT_CACHE_SIZE) cache.set(key, verdict ?? null)
  return verdict
}

/**
 * Apply the namespace policy and the size limit to the custom claims of one token.
 * Dropped claims are reported as `CLAIM_DROPPED` warnings, or thrown as `ERR_CLAIM_VIOLATION`
 * when the policy says so.
 */
export function applyClaimsPolicy(
  raw: Record<string, JsonValue>,
  token: 'accessToken' | 'idToken',
  policy: ClaimsPolicy,
  warnings: Warning[],
  details: FailureDetails = {},
): Record<string, JsonValue> {
  const kept: Record<string, JsonValue> = {}
  for (const name of Object.keys(raw)) {
    const value = raw[name] as JsonValue
    const violation = cachedViolation(name, token, policy)
    if (violation !== undefined) {
      if (policy.onViolation === 'error') {
        throw new ClaimViolationError(name, token, violation.reason, violation.message, details)
      }
      warnings.push({ code: 'CLAIM_DROPPED', claim: name, token, reason: violation.reason, message: violation.message })
      continue
    }
    Object.defineProperty(kept, name, { value, enumerable: true, writable: true, configurable: true })
  }
  const bytes = Buffer.byteLength(JSON.stringify(kept))
  if (bytes > MAX_CUSTOM_CLAIMS_BYTES) throw new ClaimsTooLargeError(token, bytes, MAX_CUSTOM_CLAIMS_BYTES, details)
  return kept
}

/** `context.accessToken.scope` as rules leave it → a de-duplicated list of scopes. */
export function normalizeScope(scope: string | readonly string[]): string[] {
  const parts = typeof scope === 'string' ? scope.split(/\s+/) : scope.flatMap((s) => s.split(/\s+/))
  return [...new Set(parts.filter((s) => s !== ''))]
}
