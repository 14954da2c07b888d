import { authenticateClient } from '../clients/authenticate.js'
import { OAuthError } from '../errors.js'
import { GRANT_TYPES } from '../grants/grant-types.js'
import type { Params } from '../http/read-params.js'
import type { Core } from '../lib/core.js'
import type { ClientConfig } from '../options.js'

/** The client of an `/mfa/*` call: authenticated like at the token endpoint, and allowed an MFA grant. */
export async function authorizeMfaClient(core: Core, request: Request, params: Params, options: { basic: boolean }): Promise<ClientConfig> {
  const { client } = await authenticateClient(core, request, params, options)
  if (!client.grants.includes(GRANT_TYPES.mfaOtp) && !client.grants.includes(GRANT_TYPES.mfaRecoveryCode)) {
    throw new OAuthError(403, 'unauthorized_client', `Grant type '${GRANT_TYPES.mfaOtp}' not allowed for the client.`)
  }
  return client
}
