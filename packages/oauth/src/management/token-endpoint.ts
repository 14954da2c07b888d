/**
 * The tenant's `POST /oauth/token` as rules reach it in-process (engine option
 * `auth0.managementApi`, which the engine hands POSTs to `https://<domain>/oauth/token`): node-auth0's
 * `new ManagementClient({ domain, clientId, clientSecret })` exchanges the tenant's Auth0 M2M
 * credentials for a Management API token there before its first call.
 *
 * The answer is a token of exactly the power of the run's `auth0.accessToken`: minted by the same
 * {@link ManagementTokens}, for this tenant only, for the same short lifetime. The client id and
 * secret are required (as Auth0 requires them) but not checked: they are the tenant's Auth0 M2M
 * application's, which this server does not know, and checking them would grant nothing a rule
 * does not already hold, since only rules can reach this handler and every rule can read
 * `auth0.accessToken` (docs/security.md, "The Management API subset"). The secret is read, never
 * kept, logged or echoed. Any other grant, or any audience but the Management API's, gets Auth0's
 * error body for this endpoint (`{ error, error_description }`).
 */
import type { ManagementTokens } from './tokens.js'

/** What the Management API subset honours, as Auth0 names the scopes; a token grants all of them. */
export const MANAGEMENT_SCOPES = [
  'read:users',
  'update:users',
  'read:users_app_metadata',
  'update:users_app_metadata',
  'read:roles',
  'create:role_members',
  'delete:role_members',
] as const

/** Largest token request body, in bytes (a client-credentials request is a few hundred). */
const MAX_BODY_BYTES = 16_384

/** Auth0's error answer of the token endpoint. */
function tokenError(status: number, error: string, description: string): Response {
  return Response.json({ error, error_description: description }, { status, headers: { 'cache-control': 'no-store', pragma: 'no-cache' } })
}

/** The request's parameters: a JSON object or a form (both are what Auth0 takes), string values only. */
async function parameters(request: Request): Promise<Record<string, string> | Response> {
  const declared = Number(request.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES)
    return tokenError(413, 'invalid_request', `The request body is larger than ${MAX_BODY_BYTES} bytes.`)
  const bytes = new Uint8Array(await request.arrayBuffer())
  if (bytes.byteLength > MAX_BODY_BYTES) return tokenError(413, 'invalid_request', `The request body is larger than ${MAX_BODY_BYTES} bytes.`)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return tokenError(400, 'invalid_request', 'The request body is not UTF-8.')
  }
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  if (type === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(text)) if (!(key in out)) out[key] = value
    return out
  }
  if (type !== 'application/json' && type !== '') {
    return tokenError(400, 'invalid_request', `Unsupported content type: ${type.slice(0, 100)} (application/json or application/x-www-form-urlencoded).`)
  }
  let body: unknown
  try {
    body = text.trim() === '' ? {} : JSON.parse(text)
  } catch {
    return tokenError(400, 'invalid_request', 'Invalid JSON body.')
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return tokenError(400, 'invalid_request', 'The request body must be a JSON object.')
  for (const [key, value] of Object.entries(body)) if (typeof value === 'string') out[key] = value
  return out
}

/** `Authorization: Basic` client credentials (client_secret_basic), or undefined. */
function basicCredentials(request: Request): { id: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(request.headers.get('authorization') ?? '')
  if (match === null) return undefined
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

/**
 * The handler of `POST https://<domain>/oauth/token`: `grant_type=client_credentials` with a client
 * id and secret and `audience=https://<domain>/api/v2/` answers `{ access_token, scope, expires_in,
 * token_type }`, the token minted by `tokens` (the same as `auth0.accessToken`).
 */
export async function clientCredentialsToken(tokens: ManagementTokens, origin: string, request: Request): Promise<Response> {
  if (request.method !== 'POST') return tokenError(405, 'invalid_request', `${request.method} is not allowed on /oauth/token (POST).`)
  const params = await parameters(request)
  if (params instanceof Response) return params
  const grant = params['grant_type']
  if (grant === undefined || grant === '') return tokenError(400, 'invalid_request', 'Missing required parameter: grant_type')
  if (grant !== 'client_credentials') {
    return tokenError(
      403,
      'unauthorized_client',
      `Grant type '${grant.slice(0, 200)}' not allowed for the client (rules reach this token endpoint in-process for client_credentials with the Management API audience only).`,
    )
  }
  const basic = basicCredentials(request)
  const clientId = params['client_id'] ?? basic?.id
  const clientSecret = params['client_secret'] ?? basic?.secret
  if (clientId === undefined || clientId === '') return tokenError(401, 'access_denied', 'Unauthorized')
  if (clientSecret === undefined || clientSecret === '') return tokenError(401, 'access_denied', 'Unauthorized')
  const audience = params['audience']
  if (audience === undefined || audience === '') {
    return tokenError(403, 'access_denied', 'No audience parameter was provided, and no default audience has been configured')
  }
  const managementAudience = `${origin}/api/v2/`
  if (audience !== managementAudience) return tokenError(403, 'access_denied', `Service not enabled within domain: ${audience.slice(0, 500)}`)
  const requested = (params['scope'] ?? '').split(' ').filter((scope) => scope !== '')
  const scopes = requested.length === 0 ? [...MANAGEMENT_SCOPES] : MANAGEMENT_SCOPES.filter((scope) => requested.includes(scope))
  const minted = tokens.mintWithLifetime()
  return Response.json(
    { access_token: minted.token, scope: scopes.join(' '), expires_in: minted.expiresInSeconds, token_type: 'Bearer' },
    { headers: { 'cache-control': 'no-store', pragma: 'no-cache' } },
  )
}
