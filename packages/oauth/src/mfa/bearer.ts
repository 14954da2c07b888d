import { GRANT_TYPES } from '../grants/grant-types.js'
import type { Params } from '../http/read-params.js'
import type { Core, RequestInfo } from '../lib/core.js'
import { OAuthError } from '../errors.js'
import type { MfaTransaction } from '../stores/types.js'
import { authorizeMfaClient } from './authorize-mfa-client.js'
import { loadTransaction } from './transactions.js'

/** The token of `Authorization: Bearer <token>`; 401 with `WWW-Authenticate` when there is none. */
export function bearerToken(header: string | null, what: string): string {
  const match = header === null ? null : /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i.exec(header)
  if (match === null) {
    throw new OAuthError(401, 'unauthorized', `Missing ${what}: send it as Authorization: Bearer <${what}>.`, {
      headers: { 'www-authenticate': 'Bearer realm="tokenrules"' },
    })
  }
  return match[1] as string
}

/**
 * The transaction of the `Authorization: Bearer <mfa_token>` of an `/mfa/*` call. Auth0's current
 * reference takes the token alone (and `@auth0/auth0-auth-js` sends nothing else): the token names
 * its client. A caller that also sends client credentials (older SDKs do) is authenticated, and the
 * token must be that client's. Either way the client must still be allowed an MFA grant.
 */
export async function mfaBearerTransaction(core: Core, info: RequestInfo, params: Params | undefined): Promise<MfaTransaction> {
  const { request } = info
  const mfaToken = bearerToken(request.headers.get('authorization'), 'mfa_token')
  const credentials = params !== undefined && (params.get('client_id') !== undefined || params.get('client_secret') !== undefined)
  if (credentials) {
    const client = await authorizeMfaClient(core, request, params, { basic: false })
    info.client = client
    return loadTransaction(core, mfaToken, client.clientId)
  }
  const transaction = await loadTransaction(core, mfaToken, undefined)
  const client = core.clients.get(transaction.clientId)
  info.client = client
  if (client === undefined || (!client.grants.includes(GRANT_TYPES.mfaOtp) && !client.grants.includes(GRANT_TYPES.mfaRecoveryCode))) {
    throw new OAuthError(403, 'unauthorized_client', `Grant type '${GRANT_TYPES.mfaOtp}' not allowed for the client.`)
  }
  return transaction
}
