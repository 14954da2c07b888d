import type { JsonValue } from '@tokenrules/engine'
import { INVALID_MFA_TOKEN, OAuthError, expiredMfaToken, invalidGrant } from '../errors.js'
import type { Issuance } from '../grants/issuance.js'
import type { Core } from '../lib/core.js'
import { randomToken, tokenDigest } from '../lib/random.js'
import type { MfaTransaction } from '../stores/types.js'

/** The answer when rules ask for MFA: keep the computed issuance behind a fresh `mfa_token` (10 minutes). */
export async function mfaRequired(core: Core, issuance: Issuance): Promise<OAuthError> {
  const token = randomToken()
  await core.stores.mfa.saveTransaction({
    id: tokenDigest(token),
    clientId: issuance.clientId,
    userId: issuance.userId,
    expiresAt: core.now() + core.mfa.transactionLifetimeMs,
    issuance: issuance as unknown as JsonValue,
  })
  return new OAuthError(403, 'mfa_required', 'Multifactor authentication required', { extra: { mfa_token: token } })
}

/** The transaction of an `mfa_token` presented by `clientId`: 403 when unknown or another client's, 401 when expired. */
export async function loadTransaction(core: Core, mfaToken: string, clientId: string): Promise<MfaTransaction> {
  const transaction = await core.stores.mfa.getTransaction(tokenDigest(mfaToken))
  if (transaction === undefined || transaction.clientId !== clientId) throw invalidGrant(INVALID_MFA_TOKEN)
  if (transaction.expiresAt <= core.now()) throw expiredMfaToken()
  return transaction
}

/** Finish a transaction once (the second of two racing requests finds it gone). */
export async function completeTransaction(core: Core, transaction: MfaTransaction): Promise<Issuance> {
  const taken = await core.stores.mfa.takeTransaction(transaction.id)
  if (taken === undefined) throw invalidGrant(INVALID_MFA_TOKEN)
  return { ...(taken.issuance as unknown as Issuance), mfa: true }
}
