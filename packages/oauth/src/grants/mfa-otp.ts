import { INVALID_OTP, INVALID_RECOVERY_CODE, accessDenied, invalidGrant, missingParameter } from '../errors.js'
import { countAttempt, spendCodeGuess, type SpentGuess } from '../brute-force/guard.js'
import type { Core, GrantRequest } from '../lib/core.js'
import { completeTransaction, loadTransaction } from '../mfa/transactions.js'
import { recoveryCodeDigest } from '../mfa/recovery-codes.js'
import { matchTotpStep } from '../mfa/totp.js'
import { issueTokens } from './issuance.js'

const SECRET_PURPOSE = 'totp-secret'
export { SECRET_PURPOSE as TOTP_SECRET_PURPOSE }

/**
 * `grant_type=http://auth0.com/oauth/grant-type/mfa-otp`: the `mfa_token` of an `mfa_required`
 * answer and a TOTP code. Issues the tokens the rules computed. Wrong codes count toward the
 * (user, IP) brute-force limit and spend the user's and the `mfa_token`'s guess budgets, which no
 * password login refills ({@link spendCodeGuess}); a code's time step is accepted once.
 */
export async function mfaOtpGrant(core: Core, grant: GrantRequest): Promise<Record<string, string | number>> {
  const mfaToken = grant.params.get('mfa_token')
  const otp = grant.params.get('otp')
  if (mfaToken === undefined) throw missingParameter('mfa_token')
  if (otp === undefined) throw missingParameter('otp')
  const transaction = await loadTransaction(core, mfaToken, grant.client.clientId)
  const enrollment = await core.stores.mfa.getEnrollment(transaction.userId)
  if (enrollment === undefined) throw accessDenied('User is not enrolled with an OTP authenticator; call /mfa/associate first.')
  const attemptKey = { subject: transaction.userId, ip: grant.ip }
  const guess = await spendCodeGuess(core, transaction, 'otp')
  await guarded(guess, countAttempt(core, attemptKey))
  const secret = core.box.open(enrollment.sealedSecret, SECRET_PURPOSE)
  const step = matchTotpStep(secret, otp, core.now())
  if (step === undefined || !(await core.stores.mfa.useOtpStep(transaction.userId, step))) throw invalidGrant(INVALID_OTP)
  await guess.giveBack()
  await core.stores.attempts.reset(attemptKey)
  return issueTokens(core, await completeTransaction(core, transaction))
}

/**
 * `grant_type=http://auth0.com/oauth/grant-type/mfa-recovery-code`: the `mfa_token` and one of
 * the recovery codes handed out at enrollment; each code works once. Wrong codes are counted like
 * wrong one-time codes, on a budget of their own.
 */
export async function mfaRecoveryCodeGrant(core: Core, grant: GrantRequest): Promise<Record<string, string | number>> {
  const mfaToken = grant.params.get('mfa_token')
  const code = grant.params.get('recovery_code')
  if (mfaToken === undefined) throw missingParameter('mfa_token')
  if (code === undefined) throw missingParameter('recovery_code')
  const transaction = await loadTransaction(core, mfaToken, grant.client.clientId)
  const enrollment = await core.stores.mfa.getEnrollment(transaction.userId)
  if (enrollment?.confirmed !== true) throw accessDenied('User is not enrolled with an OTP authenticator.')
  const attemptKey = { subject: transaction.userId, ip: grant.ip }
  const guess = await spendCodeGuess(core, transaction, 'recovery-code')
  await guarded(guess, countAttempt(core, attemptKey))
  if (!(await core.stores.mfa.useRecoveryCode(transaction.userId, recoveryCodeDigest(code)))) throw invalidGrant(INVALID_RECOVERY_CODE)
  await guess.giveBack()
  await core.stores.attempts.reset(attemptKey)
  return issueTokens(core, await completeTransaction(core, transaction))
}

/** Runs `check` with a guess spent; a refusal by it (the (user, IP) block) gives the guess back, since no code was checked. */
async function guarded(guess: SpentGuess, check: Promise<void>): Promise<void> {
  try {
    await check
  } catch (error) {
    await guess.giveBack()
    throw error
  }
}
