/**
 * The host-side twin of the `UnauthorizedError` global that rules use to deny a login with 401
 * `unauthorized`. Same shape as Auth0's: `name`, `message`, `code: 'unauthorized'`, `description`,
 * `statusCode: 401`. Use it in host code and test stubs; inside rules the sandbox's own global is
 * used, and only instances of that one deny with 401.
 *
 * @example
 * ```ts
 * const err = new UnauthorizedError('Email not verified')
 * err.statusCode // 401
 * ```
 */
export class UnauthorizedError extends Error {
  readonly code = 'unauthorized'
  readonly description: string
  readonly statusCode = 401
  constructor(message = '') {
    super(message)
    this.name = 'UnauthorizedError'
    this.description = message
  }
}
