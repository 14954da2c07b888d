import { ClaimViolationError, ClaimsTooLargeError, type FailureDetails } from './errors.js'
import type { ClaimDropReason, JsonValue, Warning } from './result.js'

/**
 * Claims the server sets itself; a rule never overwrites them ([behaviour: custom claims](../../../docs/behaviour.md#custom-claims)).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, REGISTERED_CLAIMS } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'long-sessions',
 *     script: `function (user, context, callback) {
 *       context.accessToken.exp = Math.floor(Date.now() / 1000) + 30 * 86400; // an attempt to extend the token's life
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *
 * assert.ok(REGISTERED_CLAIMS.has('exp'))
 * assert.deepEqual(result.accessToken.claims, {}) // the server's own exp stands
 * assert.deepEqual(result.warnings.map((w) => w.code === 'CLAIM_DROPPED' && [w.claim, w.reason]), [['exp', 'registered']])
 * ```
 */
export const REGISTERED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'azp', 'scope', 'gty'])
/**
 * ID-token claims the server sets, in addition to {@link REGISTERED_CLAIMS}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, REGISTERED_ID_TOKEN_CLAIMS } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   claims: { namespace: 'optional' }, // plain names allowed, as in Auth0 since July 2022
 *   rules: [{
 *     name: 'id-token-extras',
 *     script: `function (user, context, callback) {
 *       context.idToken.department = 'R&D';
 *       context.idToken.auth_time = 0; // set by the server from the login
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *
 * assert.ok(REGISTERED_ID_TOKEN_CLAIMS.has('auth_time'))
 * assert.deepEqual(result.idToken.claims, { department: 'R&D' })
 * ```
 */
export const REGISTERED_ID_TOKEN_CLAIMS: ReadonlySet<string> = new Set(['nonce', 'at_hash', 'auth_time'])

/**
 * Claim names Auth0 restricts even when namespaces are optional.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, RESTRICTED_CLAIMS } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   claims: { namespace: 'optional' },
 *   rules: [{
 *     name: 'add-access',
 *     script: `function (user, context, callback) {
 *       context.accessToken.plan = user.app_metadata.plan;
 *       context.accessToken.permissions = ['read:reports']; // restricted: the authorization server owns it
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42', app_metadata: { plan: 'gold' } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *
 * assert.ok(RESTRICTED_CLAIMS.has('permissions'))
 * assert.deepEqual(result.accessToken.claims, { plan: 'gold' })
 * ```
 */
export const RESTRICTED_CLAIMS: ReadonlySet<string> = new Set(
  (
    'acr act active amr at_hash ath attest aud auth_time authorization_details azp c_hash client_id cnf cty dest ' +
    'entitlements events exp groups gty htm htu iat internalService iss jcard jku jti jwe jwk kid may_act mky nbf ' +
    'nonce object_id org_id org_name orig origid permissions roles rph s_hash sid sip_callid sip_cseq_num sip_date ' +
    'sip_from_tag sip_via_branch sub sub_jwk toe txn typ uuid vot vtm x5t#S256'
  ).split(' '),
)

/**
 * Namespace hosts no tenant may use, with their subdomains. Add your own (typically your issuer's)
 * with the engine option `claims.forbiddenNamespaces`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, FORBIDDEN_NAMESPACE_HOSTS } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'add-roles',
 *     script: `function (user, context, callback) {
 *       // Namespaced with the old Auth0 tenant's domain: refused.
 *       context.accessToken['https://acme.eu.auth0.com/roles'] = user.app_metadata.roles;
 *       context.accessToken['https://acme.example/roles'] = user.app_metadata.roles;
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42', app_metadata: { roles: ['admin'] } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *
 * assert.deepEqual(FORBIDDEN_NAMESPACE_HOSTS, ['auth0.com', 'webtask.io', 'webtask.run'])
 * assert.deepEqual(result.accessToken.claims, { 'https://acme.example/roles': ['admin'] })
 * ```
 */
export const FORBIDDEN_NAMESPACE_HOSTS: readonly string[] = ['auth0.com', 'webtask.io', 'webtask.run']

/**
 * Largest custom claims of one token: the UTF-8 bytes of the JSON object of its kept custom claims
 * (102,400). One byte more fails the run with `ERR_CLAIMS_TOO_LARGE`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, MAX_CUSTOM_CLAIMS_BYTES } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'add-bio',
 *     script: `function (user, context, callback) {
 *       context.idToken['https://example.com/bio'] = user.user_metadata.bio;
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const login = (bio: string) => engine.run({ user: { user_id: 'auth0|42', user_metadata: { bio } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *
 * // The longest bio that fits: the limit minus the JSON around it.
 * const longest = MAX_CUSTOM_CLAIMS_BYTES - Buffer.byteLength(JSON.stringify({ 'https://example.com/bio': '' }))
 * const result = await login('x'.repeat(longest))
 * assert.equal(Buffer.byteLength(JSON.stringify(result.idToken.claims)), MAX_CUSTOM_CLAIMS_BYTES)
 * await assert.rejects(login('x'.repeat(longest + 1)), { code: 'ERR_CLAIMS_TOO_LARGE' })
 * ```
 */
export const MAX_CUSTOM_CLAIMS_BYTES = 100 * 1024

/**
 * How custom claims are checked (the engine's `claims` option, resolved).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { claimViolation, type ClaimsPolicy } from '@tokenrules/engine'
 *
 * // The engine's defaults, and Auth0's rules since July 2022.
 * const strict: ClaimsPolicy = { namespace: 'required', onViolation: 'drop', forbiddenNamespaces: [] }
 * const relaxed: ClaimsPolicy = { ...strict, namespace: 'optional' }
 *
 * assert.equal(claimViolation('plan', 'accessToken', strict)?.reason, 'not-namespaced')
 * assert.equal(claimViolation('plan', 'accessToken', relaxed), undefined)
 * assert.equal(claimViolation('roles', 'accessToken', relaxed)?.reason, 'restricted') // restricted either way
 * ```
 */
export interface ClaimsPolicy {
  /** `required`: custom claims must be `http(s)://host/…` URLs. `optional`: plain names too, except restricted ones. */
  namespace: 'required' | 'optional'
  /** `drop`: leave a refused claim out and warn (`CLAIM_DROPPED`). `error`: throw `ERR_CLAIM_VIOLATION`. */
  onViolation: 'drop' | 'error'
  /** Host names refused as namespaces (with their subdomains), besides {@link FORBIDDEN_NAMESPACE_HOSTS}. */
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

/**
 * Why `name` may not be a custom claim of `token`, or `undefined` when it may.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { claimViolation, type ClaimsPolicy } from '@tokenrules/engine'
 *
 * // A pre-deployment check of the claim names a rule set writes.
 * const policy: ClaimsPolicy = { namespace: 'required', onViolation: 'drop', forbiddenNamespaces: ['login.acme.example'] }
 * const names = ['https://acme.example/roles', 'https://login.acme.example/plan', 'groups']
 * const problems = names.flatMap((name) => claimViolation(name, 'accessToken', policy)?.message ?? [])
 *
 * assert.deepEqual(problems, [
 *   "'https://login.acme.example/plan' uses the forbidden namespace login.acme.example",
 *   "'groups' is not namespaced: custom claims must be http:// or https:// URLs with a host",
 * ])
 * ```
 */
export function claimViolation(name: string, token: 'accessToken' | 'idToken', policy: ClaimsPolicy): { reason: ClaimDropReason; message: string } | undefined {
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
 * when the policy says so. The engine applies it to every run's result; a host can apply the same
 * policy to claims it adds itself.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { applyClaimsPolicy, type ClaimsPolicy, type Warning } from '@tokenrules/engine'
 *
 * const policy: ClaimsPolicy = { namespace: 'required', onViolation: 'drop', forbiddenNamespaces: [] }
 * // Claims the host adds from its own organization service, checked like the rules' claims.
 * const warnings: Warning[] = []
 * const kept = applyClaimsPolicy({ 'https://acme.example/org': 'acme', org_id: 'org_123' }, 'accessToken', policy, warnings)
 *
 * assert.deepEqual(kept, { 'https://acme.example/org': 'acme' })
 * assert.deepEqual(warnings.map((w) => w.code === 'CLAIM_DROPPED' && [w.claim, w.reason]), [['org_id', 'not-namespaced']])
 * assert.throws(() => applyClaimsPolicy({ org_id: 'org_123' }, 'accessToken', { ...policy, onViolation: 'error' }, []), { code: 'ERR_CLAIM_VIOLATION' })
 * ```
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

/**
 * `context.accessToken.scope` as rules leave it → a de-duplicated list of scopes.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { normalizeScope } from '@tokenrules/engine'
 *
 * // Rules set a space-separated string or an array, with repeats and stray spaces.
 * assert.deepEqual(normalizeScope('openid profile  openid read:reports'), ['openid', 'profile', 'read:reports'])
 * assert.deepEqual(normalizeScope(['openid profile', 'email', 'profile']), ['openid', 'profile', 'email'])
 * assert.equal(normalizeScope(['openid', 'email']).join(' '), 'openid email') // the access token's `scope` claim
 * ```
 */
export function normalizeScope(scope: string | readonly string[]): string[] {
  const parts = typeof scope === 'string' ? scope.split(/\s+/) : scope.flatMap((s) => s.split(/\s+/))
  return [...new Set(parts.filter((s) => s !== ''))]
}
