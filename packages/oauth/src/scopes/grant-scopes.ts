import { GRANT_TYPES } from '../grants/grant-types.js'
import type { ApiConfig, ClientConfig } from '../options.js'

/** The OpenID Connect scopes the server understands. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'phone', 'offline_access'])

/** A `scope` parameter → its distinct scopes, in order. */
export function parseScope(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(' ').filter((s) => s !== ''))]
}

/**
 * The scopes the server grants before rules run ([behaviour: the token endpoint](../../../../docs/behaviour.md#the-token-endpoint)): the requested OIDC scopes
 * (`offline_access` only when the API allows offline access and the client may refresh), the
 * requested scopes the API defines, or every scope the API defines when only OIDC scopes (or
 * none) were requested. Anything else is not granted.
 */
export function grantScopes(requested: readonly string[], api: ApiConfig, client: ClientConfig): string[] {
  const apiScopes = new Set(api.scopes)
  const granted = requested.filter((scope) => {
    if (scope === 'offline_access') return mayRefresh(api, client)
    return OIDC_SCOPES.has(scope) || apiScopes.has(scope)
  })
  // "No API scope requested" means only OIDC scopes (or none): a request for undefined API scopes
  // gets none of them, never every scope of the API.
  if (requested.every((scope) => OIDC_SCOPES.has(scope))) granted.push(...api.scopes.filter((s) => !granted.includes(s)))
  return granted
}

/** Whether the API allows offline access and the client may use the refresh grant. */
export function mayRefresh(api: ApiConfig, client: ClientConfig): boolean {
  return api.allowOfflineAccess === true && client.grants.includes(GRANT_TYPES.refreshToken)
}

/** Whether two scope lists differ as sets (the token response then carries `scope`). */
export function scopesDiffer(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a)
  const right = new Set(b)
  return left.size !== right.size || [...left].some((s) => !right.has(s))
}
