import type { JsonValue } from '@tokenrules/engine'
import { INVALID_MFA_TOKEN, OAuthError, expiredMfaToken, invalidGrant } from '../errors.js'
import type { Issuance } from '../grants/issuance.js'
import type { Core } from '../lib/core.js'
import { randomToken, tokenDigest } from '../lib/random.js'
import type { MfaTransaction } from '../stores/types.js'

/**
 * The answer when rules ask for MFA: keep the computed issuance behind a fresh `mfa_token` (10
 * minutes), and say what the user must do next as Auth0 does in `mfa_requirements` (read by
 * Auth0.swift, react-native-auth0 and auth0-auth-js): `challenge` an enrolled authenticator, or
 * `enroll` one when the user has none confirmed.
 */
export async function mfaRequired(core: Core, issuance: Issuance): Promise<OAuthError> {
  const enrollment = await core.stores.mfa.getEnrollment(issuance.userId)
  const requirements = enrollment?.confirmed === true ? { challenge: [{ type: 'otp' }] } : { enroll: [{ type: 'otp' }] }
  const token = randomToken()
  await core.stores.mfa.saveTransaction({
    id: tokenDigest(token),
    clientId: issuance.clientId,
    userId: issuance.userId,
    expiresAt: core.now() + core.mfa.transactionLifetimeMs,
    issuance: issuance as unknown as JsonValue,
  })
  return new OAuthError(403, 'mfa_required', 'Multifactor authentication required', { extra: { mfa_token: token, mfa_requirements: requirements } })
}

/**
 * The transaction of an `mfa_token`: 403 when unknown or (when `clientId` is given) another
 * client's, 401 when expired. Without `clientId` the token alone identifies its client, as Auth0's
 * `/mfa/associate` and `/mfa/authenticators` take nothing but `Authorization: Bearer <mfa_token>`.
 */
export async function loadTransaction(core: Core, mfaToken: string, clientId: string | undefined): Promise<MfaTransaction> {
  const transaction = await core.stores.mfa.getTransaction(tokenDigest(mfaToken))
  if (transaction === undefined || (clientId !== undefined && transaction.clientId !== clientId)) throw invalidGrant(INVALID_MFA_TOKEN)
  if (transaction.expiresAt <= core.now()) throw expiredMfaToken()
  return transaction
}

/** Finish a transaction once (the second of two racing requests finds it gone). */
export async function completeTransaction(core: Core, transaction: MfaTransaction): Promise<Issuance> {
  const taken = await core.stores.mfa.takeTransaction(transaction.id)
  if (taken === undefined) throw invalidGrant(INVALID_MFA_TOKEN)
  return { ...(taken.issuance as unknown as Issuance), mfa: true }
}
