import { authenticateClient } from '../clients/authenticate.js'
import { OAuthError, missingParameter } from '../errors.js'
import { readParams } from '../http/read-params.js'
import type { Core, RequestInfo } from '../lib/core.js'
import { tokenDigest } from '../lib/random.js'

/**
 * `POST /oauth/revoke` (RFC 7009, as Auth0 serves it): the client authenticates as at the token
 * endpoint and names a refresh token; its whole family is revoked (every token rotated from the
 * same login), so a stolen predecessor or successor is dead too. A token that is unknown, expired
 * or already revoked is answered 200 like a revoked one (RFC 7009 §2.2: nothing to learn). A
 * refresh token issued to another client stays valid and is refused. Access tokens are JWTs that
 * live until they expire: the hint `access_token` is `unsupported_token_type`.
 */
export async function revoke(core: Core, info: RequestInfo): Promise<void> {
  const params = await readParams(info.request, core.maxBodyBytes)
  const { client } = await authenticateClient(core, info.request, params, { basic: true })
  info.client = client
  const token = params.get('token')
  if (token === undefined) throw missingParameter('token')
  if (params.get('token_type_hint') === 'access_token') {
    throw new OAuthError(400, 'unsupported_token_type', 'Only refresh tokens can be revoked; access tokens expire.')
  }
  const record = await core.stores.refreshTokens.get(tokenDigest(token))
  if (record === undefined) return
  if (record.clientId !== client.clientId) {
    throw new OAuthError(400, 'invalid_grant', 'The refresh token was not issued to this client.', { detail: 'revoke_other_client' })
  }
  await core.stores.refreshTokens.revokeFamily(record.familyId, core.now())
}
