/**
 * The Management API's error answers, in Auth0's shape: `{ statusCode, error, message, errorCode }`
 * with the HTTP reason phrase as `error` (what node-auth0 and rules that read `err.statusCode` or
 * `body.message` expect).
 */

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  501: 'Not Implemented',
}

/** One error answer. `errorCode` is Auth0's (`invalid_body`, `inexistent_user`, …) when it has one. */
export function managementError(statusCode: number, message: string, errorCode?: string, extra: Record<string, unknown> = {}): Response {
  const error = REASONS[statusCode] ?? 'Error'
  return Response.json({ statusCode, error, message, ...(errorCode === undefined ? {} : { errorCode }), ...extra }, { status: statusCode })
}

/** 401 as Auth0 answers a request with no bearer token. */
export const missingAuthentication = (): Response => managementError(401, 'Missing authentication')

/** 401 as Auth0 answers a token it does not accept; the same text for every reason, so a guess learns nothing. */
export const invalidToken = (): Response => managementError(401, 'Invalid token', undefined, { attributes: { error: 'Invalid token' } })

/** 401 as Auth0 answers an expired token. */
export const expiredToken = (): Response =>
  managementError(401, 'Expired token received for JSON Web Token validation', undefined, {
    attributes: { error: 'Expired token received for JSON Web Token validation' },
  })

/** 404 for a user id that does not exist. */
export const inexistentUser = (): Response => managementError(404, 'The user does not exist.', 'inexistent_user')

/** 400 for a body that does not pass the endpoint's schema. */
export const invalidBody = (reason: string): Response => managementError(400, `Payload validation error: ${reason}`, 'invalid_body')

/** 400 for a query string that does not pass the endpoint's schema. */
export const invalidQuery = (reason: string): Response => managementError(400, `Query validation error: ${reason}`, 'invalid_query_string')
