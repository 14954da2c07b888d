/**
 * An HTTP failure the rule sees as an Error with `code`: a system code (ECONNREFUSED, ETIMEDOUT,
 * ENOTFOUND…) or the policy's own (ERR_HTTP_NOT_ALLOWED, ERR_HTTP_LIMIT, ERR_TOO_MANY_REDIRECTS,
 * ERR_RESPONSE_TOO_LARGE, ERR_INVALID_URL, ERR_INVALID_REQUEST).
 */
export class HttpError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}
