import type { JsonValue } from '@tokenrules/engine'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { OAuthError } from '../errors.js'
import type { Core, RequestInfo } from '../lib/core.js'
import { bearerToken } from '../mfa/bearer.js'
import { standardClaims } from '../tokens/id-token-claims.js'

/** Why an access token was refused at `/userinfo`, in {@link OAuthError.detail} for the host's log. */
export type UserinfoFailure = 'userinfo_token_invalid' | 'userinfo_claims_gone' | 'userinfo_user_gone' | 'userinfo_user_blocked' | 'userinfo_client_gone'

/** 401 `invalid_token` with RFC 6750's `WWW-Authenticate`; why in the detail, never in the answer. */
function invalidToken(detail: UserinfoFailure, description = 'The access token is invalid.'): OAuthError {
  return new OAuthError(401, 'invalid_token', description, {
    headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${description}"` },
    detail,
  })
}

/**
 * The record of the rules' ID token claims of an access token, for {@link userinfo}: what the
 * issuance saves when the token carries `openid`, under its `jti`, until it expires.
 */
export async function saveUserinfoClaims(
  core: Core,
  token: { jti: string; userId: string; clientId: string; idClaims: Record<string, JsonValue>; expiresAtMs: number },
  nowMs: number,
): Promise<void> {
  await core.stores.userinfo.save(
    { jti: token.jti, userId: token.userId, clientId: token.clientId, claims: token.idClaims, expiresAt: token.expiresAtMs },
    nowMs,
  )
}

/**
 * `GET /userinfo` (and `POST`, OpenID Connect Core §5.3) with `Authorization: Bearer <access_token>`,
 * as Auth0 serves it: the access token must be one this server signed (`typ: at+jwt`, this issuer,
 * one of the configured APIs as audience, unexpired) and carry `openid`. The answer is `sub`, the
 * standard claims its scopes allow read from the user as the store has them now, and the rules'
 * (namespaced) ID token claims of the login that issued the token. A blocked user, a user who no
 * longer exists, or a token whose claims record is gone (expired, or lost with a memory store) is
 * refused with 401 `invalid_token`; a token without `openid`, 403 `insufficient_scope`.
 */
export async function userinfo(core: Core, info: RequestInfo): Promise<Record<string, JsonValue>> {
  const token = bearerToken(info.request.headers.get('authorization'), 'access_token')
  let payload: Record<string, unknown>
  try {
    const jwks = createLocalJWKSet(core.keys.jwks() as Parameters<typeof createLocalJWKSet>[0])
    ;({ payload } = await jwtVerify(token, jwks, {
      issuer: core.issuer,
      audience: [...core.apis.keys()],
      typ: 'at+jwt',
      currentDate: new Date(core.now()),
      requiredClaims: ['sub', 'exp', 'jti', 'client_id'],
    }))
  } catch (error) {
    const expired = (error as { code?: unknown }).code === 'ERR_JWT_EXPIRED'
    throw invalidToken('userinfo_token_invalid', expired ? 'The access token is expired.' : 'The access token is invalid.')
  }
  const { sub, jti, client_id: clientId, scope } = payload
  if (typeof sub !== 'string' || typeof jti !== 'string' || typeof clientId !== 'string') throw invalidToken('userinfo_token_invalid')
  const client = core.clients.get(clientId)
  if (client === undefined) throw invalidToken('userinfo_client_gone')
  info.client = client
  const scopes = typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : []
  if (!scopes.includes('openid')) {
    throw new OAuthError(403, 'insufficient_scope', "The access token lacks the 'openid' scope.", {
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="openid"' },
    })
  }
  const now = core.now()
  const record = await core.stores.userinfo.get(jti, now)
  if (record === undefined || record.userId !== sub || record.clientId !== clientId) throw invalidToken('userinfo_claims_gone')
  const user = await core.stores.users.getUser(sub)
  if (user === undefined) throw invalidToken('userinfo_user_gone')
  // Auth0 refuses a blocked user's tokens here as at the token endpoint.
  if (user.profile.blocked === true) throw invalidToken('userinfo_user_blocked', 'user is blocked')
  const answer: Record<string, JsonValue> = { sub, ...standardClaims(user.profile, scopes), ...record.claims }
  answer['sub'] = sub
  return answer
}
