import { OAuthError, accessDenied, missingParameter } from '../errors.js'
import { readParams } from '../http/read-params.js'
import type { Core, RequestInfo } from '../lib/core.js'
import { authorizeMfaClient } from './authorize-mfa-client.js'
import { loadTransaction } from './transactions.js'

/**
 * `POST /mfa/challenge` (`mfa_token`, optional `challenge_type`, client credentials): asks for the
 * second factor. For TOTP nothing is sent anywhere; the answer tells the client to collect a code.
 */
export async function challenge(core: Core, info: RequestInfo): Promise<Record<string, unknown>> {
  const params = await readParams(info.request, core.maxBodyBytes)
  const client = await authorizeMfaClient(core, info.request, params, { basic: true })
  info.client = client
  const mfaToken = params.get('mfa_token')
  if (mfaToken === undefined) throw missingParameter('mfa_token')
  const transaction = await loadTransaction(core, mfaToken, client.clientId)
  const types = params.list('challenge_type')
  if (types !== undefined && !types.includes('otp')) {
    throw new OAuthError(400, 'unsupported_challenge_type', 'Only the "otp" challenge type is supported.')
  }
  const enrollment = await core.stores.mfa.getEnrollment(transaction.userId)
  if (enrollment === undefined) throw accessDenied('User is not enrolled with an OTP authenticator; call /mfa/associate first.')
  return { challenge_type: 'otp' }
}
