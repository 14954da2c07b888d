import type { Core } from '../lib/core.js'
import { ALL_GRANT_TYPES } from '../grants/grant-types.js'
import { OIDC_SCOPES } from '../scopes/grant-scopes.js'
import { CLAIMS_BY_SCOPE } from '../tokens/id-token-claims.js'

/**
 * `GET /.well-known/openid-configuration`: the discovery document for what this server implements
 * (no authorization endpoint: there is no browser flow). URLs are relative to the issuer.
 */
export function openidConfiguration(core: Core): Record<string, unknown> {
  const base = core.issuer.endsWith('/') ? core.issuer : `${core.issuer}/`
  const anyPublic = [...core.clients.values()].some((client) => client.secretHash === undefined && client.allowPublic === true)
  const authMethods = ['client_secret_basic', 'client_secret_post', ...(anyPublic ? ['none'] : [])]
  return {
    issuer: core.issuer,
    token_endpoint: new URL('oauth/token', base).href,
    jwks_uri: new URL('.well-known/jwks.json', base).href,
    revocation_endpoint: new URL('oauth/revoke', base).href,
    userinfo_endpoint: new URL('userinfo', base).href,
    mfa_associate_endpoint: new URL('mfa/associate', base).href,
    mfa_challenge_endpoint: new URL('mfa/challenge', base).href,
    grant_types_supported: [...ALL_GRANT_TYPES],
    response_types_supported: [],
    subject_types_supported: ['public'],
    token_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    id_token_signing_alg_values_supported: [core.keys.algorithm],
    scopes_supported: [...new Set([...OIDC_SCOPES, ...[...core.apis.values()].flatMap((api) => api.scopes)])],
    claims_supported: ['iss', 'sub', 'aud', 'iat', 'exp', 'auth_time', 'amr', ...Object.values(CLAIMS_BY_SCOPE).flat()],
  }
}
