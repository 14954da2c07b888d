import { TOO_MANY_FAILED_CODES, TOO_MANY_FAILED_CODES_FOR_TOKEN, tooManyAttempts } from '../errors.js'
import type { Core } from '../lib/core.js'
import type { AttemptKey, GuessKey, MfaTransaction } from '../stores/types.js'

/**
 * Count an attempt of the (subject, IP) pair before its credentials are checked; refuse with 429
 * `too_many_attempts` when the pair reached the threshold, right credentials or wrong ([behaviour: brute-force protection](../../../../docs/behaviour.md#brute-force-protection)).
 * The caller resets the pair on success.
 */
export async function countAttempt(core: Core, key: AttemptKey): Promise<void> {
  const now = core.now()
  const outcome = await core.stores.attempts.attempt(key, { now, windowMs: core.bruteForce.blockMs, threshold: core.bruteForce.threshold })
  if (outcome.blocked) throw tooManyAttempts((outcome.expiresAt - now) / 1000)
}

/** The attempt subject of a login name that matches no user: counted all the same, so a 429 tells nothing about existence. */
export function unknownSubject(directoryId: string, login: string): string {
  return `unknown:${directoryId}:${login.normalize('NFC').toLowerCase()}`
}

/** The second factors whose codes are guessed, each with a budget of its own per user. */
export type CodeFactor = 'otp' | 'recovery-code'

/** A guess spent on a second-factor code: give it back when the code was right. */
export interface SpentGuess {
  giveBack(): Promise<void>
}

/**
 * Spend one guess of the `mfa_token`'s budget and one of the user's budget for `factor`, before a
 * code is checked; refuse with 429 `too_many_attempts` when either is used up. Neither budget is
 * keyed by IP or refilled by a password login, so a correct password buys no more guesses: the
 * user's budget holds across logins and `mfa_token`s (Auth0's: 10 wrong codes, then one more
 * every 6 minutes), and one `mfa_token` carries at most `mfa.codesPerMfaToken` wrong codes.
 * Spending before checking, atomically in the store, keeps parallel guesses within the budgets.
 */
export async function spendCodeGuess(core: Core, transaction: MfaTransaction, factor: CodeFactor): Promise<SpentGuess> {
  const { attempts } = core.stores
  const now = core.now()
  // The mfa_token's budget gets a guess back only after its lifetime, when the token is gone.
  const tokenKey: GuessKey = { subject: transaction.userId, budget: `mfa_token:${transaction.id}` }
  const tokenBudget = { now, capacity: core.mfa.codesPerMfaToken, refillMs: core.mfa.transactionLifetimeMs }
  const token = await attempts.takeGuess(tokenKey, tokenBudget)
  if (!token.allowed) throw tooManyAttempts((transaction.expiresAt - now) / 1000, TOO_MANY_FAILED_CODES_FOR_TOKEN)
  const userKey: GuessKey = { subject: transaction.userId, budget: factor }
  const userBudget = { now, ...core.mfa.codeBudget }
  const user = await attempts.takeGuess(userKey, userBudget)
  if (!user.allowed) {
    await attempts.returnGuess(tokenKey, tokenBudget)
    throw tooManyAttempts((user.nextAt - now) / 1000, TOO_MANY_FAILED_CODES)
  }
  return {
    async giveBack() {
      await attempts.returnGuess(userKey, { ...userBudget, now: core.now() })
      await attempts.returnGuess(tokenKey, { ...tokenBudget, now: core.now() })
    },
  }
}
