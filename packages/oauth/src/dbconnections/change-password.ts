import { createHash } from 'node:crypto'
import type { Core, RequestInfo } from '../lib/core.js'
import { OAuthError } from '../errors.js'
import { hashPassword, isUsableSecret } from '../passwords/hash.js'
import { readDbConnectionBody } from './body.js'
import { badRequest } from './errors.js'
import { checkPassword, policyText, resolvePolicy } from './password-policy.js'
import { countDbConnectionAttempt, looksLikeEmail, namedClient, namedDirectory } from './shared.js'

/** Auth0's answer to every accepted request, whether or not the email is a user's. */
export const RESET_EMAIL_SENT = "We've just sent you an email to reset your password."
/** How long a reset ticket is good for. */
export const RESET_TICKET_LIFETIME_MS = 60 * 60 * 1000
const PURPOSE = 'password-reset-ticket'

interface TicketContent {
  /** The user's id. */
  sub: string
  /** A digest of the password hash when the ticket was made: any password change ends the ticket. */
  pwh: string
  /** Expiry, ms. */
  exp: number
}

const hashDigest = (passwordHash: string) => createHash('sha256').update(passwordHash).digest('base64url')

/**
 * `POST /dbconnections/change_password` (`client_id`, `email`, `connection`), as Auth0 serves it:
 * the answer is always 200 "We've just sent you an email to reset your password.", the same for
 * an email that is no user's. For a user of the directory with that email, a ticket is handed to
 * `hooks.deliverPasswordReset` after the answer is decided, without waiting for it (so its time
 * tells nothing); for others an equal ticket is sealed and dropped. Requests are counted per
 * (directory and email, IP), for every email alike.
 */
export async function changePassword(core: Core, info: RequestInfo): Promise<string> {
  const body = await readDbConnectionBody(info.request, core.maxBodyBytes)
  const client = namedClient(core, info, body)
  const { directory } = await namedDirectory(core, body)
  const email = body.string('email')
  if (email === undefined) throw badRequest('invalid_parameter', 'Missing required parameter: email')
  if (!looksLikeEmail(email)) throw badRequest('invalid_parameter', 'email must be an email address.')
  const deliver = core.deliverPasswordReset
  if (deliver === undefined) throw new OAuthError(501, 'not_implemented', 'Password reset is not configured on this server.')
  const key = email.normalize('NFC').toLowerCase()
  await countDbConnectionAttempt(core, { subject: `reset:${directory.id}:${key}`, ip: info.socketIp }, core.bruteForce.threshold)

  const found = await core.stores.users.findUser(directory.name, email)
  // findUser matches a username too: only the user whose email this is gets a link.
  const user = found?.profile.email?.normalize('NFC').toLowerCase() === key ? found : undefined
  const expiresAt = core.now() + RESET_TICKET_LIFETIME_MS
  const content: TicketContent = { sub: user?.profile.user_id ?? 'auth0|000000000000000000000000', pwh: hashDigest(user?.passwordHash ?? ''), exp: expiresAt }
  const ticket = core.box.seal(JSON.stringify(content), PURPOSE)
  if (user !== undefined) {
    const delivery = {
      userId: user.profile.user_id,
      email: user.profile.email ?? email,
      directory: directory.name,
      clientId: client.clientId,
      ticket,
      expiresAt,
    }
    void Promise.resolve()
      .then(() => deliver(delivery))
      .catch((error: unknown) => core.reportError({ path: info.path, error }))
  }
  return RESET_EMAIL_SENT
}

/**
 * Why `server.users.resetPassword` refused: `invalid_ticket` (malformed, forged, expired, used, or
 * its user gone) or `invalid_password` (the directory's `passwordPolicy`; `policy` states it).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { PasswordResetError, createTokenServer } from '@tokenrules/oauth'
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: [] }],
 * })
 * // A reset page tells an old or forged link from a weak password.
 * const error = await server.users.resetPassword('not-a-ticket', 'A new Passw0rd').catch((e: unknown) => e)
 * assert.ok(error instanceof PasswordResetError)
 * assert.equal(error.code, 'invalid_ticket')
 * ```
 */
export class PasswordResetError extends Error {
  /** `invalid_ticket` or `invalid_password`. */
  readonly code: 'invalid_ticket' | 'invalid_password'
  /** With `invalid_password`: the directory's policy as text, one `* ` line per rule. */
  readonly policy: string | undefined
  /** Made by `users.resetPassword` with the reason, a message, and the policy text of a weak password. */
  constructor(code: PasswordResetError['code'], message: string, policy?: string) {
    super(message)
    this.name = 'PasswordResetError'
    this.code = code
    this.policy = policy
  }
}

/**
 * Completes a reset: checks the ticket of `hooks.deliverPasswordReset` (sealed with the server's
 * encryption key, unexpired, and made for the password the user still has, so it works once) and
 * the directory's password policy, then sets the password and lifts the user's brute-force blocks.
 * Returns the user's id.
 */
export async function resetPassword(core: Core, ticket: string, newPassword: string): Promise<string> {
  const invalid = () => new PasswordResetError('invalid_ticket', 'The password reset ticket is invalid or expired.')
  let content: TicketContent
  try {
    content = JSON.parse(core.box.open(ticket, PURPOSE)) as TicketContent
  } catch {
    throw invalid()
  }
  if (typeof content.sub !== 'string' || typeof content.pwh !== 'string' || typeof content.exp !== 'number' || content.exp <= core.now()) throw invalid()
  const user = await core.stores.users.getUser(content.sub)
  if (user === undefined || hashDigest(user.passwordHash) !== content.pwh) throw invalid()
  const policy = resolvePolicy(core.directoryOptions.get(user.directory)?.passwordPolicy)
  if (!isUsableSecret(newPassword) || !checkPassword(policy, newPassword).ok) {
    const text = policyText(policy)
    throw new PasswordResetError('invalid_password', `The password does not meet the directory's policy:\n${text}`, text)
  }
  await core.stores.users.setPasswordHash(user.profile.user_id, await hashPassword(newPassword, { cost: core.scryptCost }), { at: core.now(), reset: true })
  await core.stores.attempts.resetSubject(user.profile.user_id)
  return user.profile.user_id
}
