import { isUsableSecret, verifyPassword } from '../passwords/hash.js'
import { CLIENT_AUTHENTICATION_FAILED, invalidClient, invalidRequest } from '../errors.js'
import { decodeComponent } from '../http/parse-form.js'
import type { Params } from '../http/read-params.js'
import type { Core } from '../lib/core.js'
import type { ClientConfig } from '../options.js'

/** A client that passed authentication. */
export interface AuthenticatedClient {
  client: ClientConfig
  /** It proved its secret (`false`: a public client that is allowed without one). */
  withSecret: boolean
}

/**
 * Authenticate the client by HTTP Basic or `client_secret_post` (RFC 6749 §2.3.1). Using both
 * methods, a `client_id` that contradicts the Basic one, an unknown client, a wrong or missing
 * secret, a secret with a control character, all fail with 401 `invalid_client` and one fixed description; a public client passes
 * only when it is configured with `allowPublic`.
 */
export async function authenticateClient(core: Core, request: Request, params: Params, options: { basic: boolean }): Promise<AuthenticatedClient> {
  const basic = options.basic ? parseBasic(request.headers.get('authorization')) : undefined
  const usedBasic = basic !== undefined
  const bodyId = params.get('client_id')
  const bodySecret = params.get('client_secret')
  if (basic !== undefined && bodySecret !== undefined) throw invalidRequest('Use only one client authentication method.')
  if (basic !== undefined && bodyId !== undefined && bodyId !== basic.clientId) {
    throw invalidRequest('client_id does not match the client authenticated by the Authorization header.')
  }
  const clientId = basic?.clientId ?? bodyId
  const secret = basic?.secret ?? bodySecret
  if (clientId === undefined) throw invalidClient(CLIENT_AUTHENTICATION_FAILED, usedBasic)
  if (secret !== undefined && !isUsableSecret(secret)) {
    // A control character or a lone surrogate is never checked against the client's hash (an old
    // format hash would take `secret + "\0"` for `secret`): the same work and answer as a wrong secret.
    await verifyPassword('', await core.dummyHash)
    throw invalidClient(CLIENT_AUTHENTICATION_FAILED, usedBasic)
  }
  const client = core.clients.get(clientId)
  if (client?.secretHash === undefined) {
    // Same work for an unknown client as for a wrong secret: no timing oracle on client ids.
    if (secret !== undefined) await verifyPassword(secret, await core.dummyHash)
    if (client === undefined || secret !== undefined) throw invalidClient(CLIENT_AUTHENTICATION_FAILED, usedBasic)
    if (client.allowPublic !== true) throw invalidClient('Public clients may not use this grant; authenticate with the client secret.', usedBasic)
    return { client, withSecret: false }
  }
  if (secret === undefined || !(await verifyPassword(secret, client.secretHash))) throw invalidClient(CLIENT_AUTHENTICATION_FAILED, usedBasic)
  return { client, withSecret: true }
}

/** `Authorization: Basic base64(urlencode(id):urlencode(secret))`; `undefined` when there is no such header. */
function parseBasic(header: string | null): { clientId: string; secret: string } | undefined {
  if (header === null) return undefined
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header)
  if (match === null) {
    if (/^Basic\b/i.test(header)) throw invalidClient(CLIENT_AUTHENTICATION_FAILED, true)
    throw invalidClient('Unsupported Authorization scheme for client authentication.', true)
  }
  const decoded = Buffer.from(match[1] as string, 'base64')
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(decoded)
  } catch {
    throw invalidClient(CLIENT_AUTHENTICATION_FAILED, true)
  }
  const colon = text.indexOf(':')
  if (colon <= 0) throw invalidClient(CLIENT_AUTHENTICATION_FAILED, true)
  try {
    return { clientId: decodeComponent(text.slice(0, colon)), secret: decodeComponent(text.slice(colon + 1)) }
  } catch {
    throw invalidClient(CLIENT_AUTHENTICATION_FAILED, true)
  }
}
