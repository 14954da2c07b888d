import { tooManyAttempts } from '../errors.js'
import type { Core } from '../lib/core.js'
import type { AttemptKey } from '../stores/types.js'

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
