/**
 * The host-side twin of the `UnauthorizedError` global that rules use to deny a login with 401
 * `unauthorized`. Same shape as Auth0's: `name`, `message`, `code: 'unauthorized'`, `description`,
 * `statusCode: 401`. Use it in host code and test stubs; inside rules the sandbox's own global is
 * used, and only instances of that one deny with 401.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { UnauthorizedError } from '@tokenrules/engine'
 *
 * // A stub of the rules step, for tests of a login flow that do not start the sandbox.
 * async function rulesStub(user: { email_verified: boolean }): Promise<void> {
 *   if (!user.email_verified) throw new UnauthorizedError('Please verify your email before logging in.')
 * }
 *
 * const err = await rulesStub({ email_verified: false }).catch((e: unknown) => e)
 * assert.ok(err instanceof UnauthorizedError)
 * assert.equal(err.name, 'UnauthorizedError')
 * assert.equal(err.code, 'unauthorized')
 * assert.equal(err.statusCode, 401)
 * assert.equal(err.description, 'Please verify your email before logging in.')
 * ```
 */
export class UnauthorizedError extends Error {
  /** Always `'unauthorized'`, the OAuth error code of the answer. */
  readonly code = 'unauthorized'
  /** The message again, as Auth0's `UnauthorizedError` has it; the answer's `error_description`. */
  readonly description: string
  /** Always 401, the HTTP status of the answer. */
  readonly statusCode = 401
  /** Makes an error whose `message` and `description` are `message`. */
  constructor(message = '') {
    super(message)
    this.name = 'UnauthorizedError'
    this.description = message
  }
}
