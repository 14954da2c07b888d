import { invalidRequest } from '../errors.js'
import { normalizeIp } from '../lib/ip.js'
import type { AuthenticatedClient } from './authenticate.js'

/**
 * The end user's IP ([behaviour: the context object](../../../../docs/behaviour.md#the-context-object)): the socket's address, or the `auth0-forwarded-for` header when
 * the client proved its secret and is configured to trust it. Other clients' header is ignored.
 */
export function endUserIp(request: Request, authenticated: AuthenticatedClient, socketIp: string): string {
  const forwarded = request.headers.get('auth0-forwarded-for')
  if (forwarded === null || !authenticated.withSecret || authenticated.client.trustForwardedFor !== true) return socketIp
  const ip = normalizeIp(forwarded)
  if (ip === undefined) throw invalidRequest('The auth0-forwarded-for header must be one IP address.')
  return ip
}
