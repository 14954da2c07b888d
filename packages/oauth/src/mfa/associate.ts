import { accessDenied, invalidRequest, missingParameter } from '../errors.js'
import { TOTP_SECRET_PURPOSE } from '../grants/mfa-otp.js'
import { readParams } from '../http/read-params.js'
import type { Core, RequestInfo } from '../lib/core.js'
import { bearerToken, mfaBearerTransaction } from './bearer.js'
import { newRecoveryCodes, recoveryCodeDigest } from './recovery-codes.js'
import { newTotpSecret, otpauthUri } from './totp.js'

/**
 * `POST /mfa/associate` (`Authorization: Bearer <mfa_token>`, `authenticator_types: ["otp"]`;
 * client credentials optional, see {@link mfaBearerTransaction}): enroll a TOTP authenticator. Answers the secret, the
 * `otpauth://` URI and the recovery codes once; stores the secret sealed and the codes hashed.
 * The enrollment is confirmed by the first valid code; until then it may be replaced.
 */
export async function associate(core: Core, info: RequestInfo): Promise<Record<string, unknown>> {
  // The token first: without one, nothing else of the request is read.
  bearerToken(info.request.headers.get('authorization'), 'mfa_token')
  const params = await readParams(info.request, core.maxBodyBytes)
  const transaction = await mfaBearerTransaction(core, info, params)
  const types = params.list('authenticator_types')
  if (types === undefined) throw missingParameter('authenticator_types')
  const unsupported = types.find((type) => type !== 'otp')
  if (unsupported !== undefined || types.length === 0)
    throw invalidRequest(`Unsupported authenticator type: ${JSON.stringify(unsupported ?? '')}; only "otp" is supported.`)
  const existing = await core.stores.mfa.getEnrollment(transaction.userId)
  if (existing?.confirmed === true) throw accessDenied('User is already enrolled.')
  const user = await core.stores.users.getUser(transaction.userId)
  if (user === undefined) throw accessDenied('User not found.')

  const secret = newTotpSecret()
  const recoveryCodes = newRecoveryCodes(core.mfa.recoveryCodes)
  await core.stores.mfa.saveEnrollment({
    userId: transaction.userId,
    sealedSecret: core.box.seal(secret, TOTP_SECRET_PURPOSE),
    confirmed: false,
    lastStep: -1,
    recoveryCodes: recoveryCodes.map(recoveryCodeDigest),
    createdAt: core.now(),
  })
  const account = user.profile.email ?? user.profile.username ?? user.profile.user_id
  return { authenticator_type: 'otp', secret, barcode_uri: otpauthUri(secret, core.mfa.issuerName, account), recovery_codes: recoveryCodes }
}
