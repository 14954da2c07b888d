import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose'

/** Options of {@link messagesApi}. */
export interface MessagesApiOptions {
  issuer: string
  audience: string
  /** Where the token server publishes its keys. */
  jwksUrl: URL
  /** How the JWKS is fetched (default: the global `fetch`); the demo asks its token server in-process. */
  fetch?: ((url: string, init: RequestInit) => Promise<Response>) | undefined
}

const ROLES_CLAIM = 'https://example.com/roles'

/**
 * The "API" of the demo: a resource server that trusts only access tokens it can verify against
 * the token server's JWKS (issuer, audience, `typ: at+jwt`, expiry), then checks scope and role.
 *
 * - `GET /api/messages` needs `read:messages`.
 * - `POST /api/messages` needs `write:messages` and the `admin` role.
 */
export function messagesApi(options: MessagesApiOptions): (request: Request) => Promise<Response> {
  const jwks = createRemoteJWKSet(options.jwksUrl, options.fetch === undefined ? {} : { [customFetch]: options.fetch })
  const messages = [{ id: 1, text: 'Welcome to tokenrules.' }]

  return async (request) => {
    const path = new URL(request.url).pathname
    if (path !== '/api/messages') return json(404, { error: 'not_found' })
    const match = /^Bearer ([\w.~+/-]+=*)$/.exec(request.headers.get('authorization') ?? '')
    if (match === null) return json(401, { error: 'invalid_token', error_description: 'Missing Bearer token.' }, 'Bearer realm="messages"')
    let claims: JWTPayload
    try {
      ;({ payload: claims } = await jwtVerify(match[1] as string, jwks, { issuer: options.issuer, audience: options.audience, typ: 'at+jwt' }))
    } catch (error) {
      const reason = error instanceof errors.JOSEError ? error.code : 'ERR_INVALID'
      return json(401, { error: 'invalid_token', error_description: `The access token is not valid (${reason}).` }, 'Bearer error="invalid_token"')
    }
    const scopes = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : []
    const roles = Array.isArray(claims[ROLES_CLAIM]) ? (claims[ROLES_CLAIM] as unknown[]) : []
    if (request.method === 'GET') {
      if (!scopes.includes('read:messages')) return insufficient('read:messages')
      return json(200, { messages })
    }
    if (request.method === 'POST') {
      if (!scopes.includes('write:messages')) return insufficient('write:messages')
      if (!roles.includes('admin')) return json(403, { error: 'forbidden', error_description: 'Only admins may post messages.' })
      const text = await request.text()
      const message = { id: messages.length + 1, text: text.slice(0, 280) || '(empty)', author: claims.sub }
      messages.push(message as (typeof messages)[number])
      return json(201, message)
    }
    return json(405, { error: 'method_not_allowed' })
  }
}

function insufficient(scope: string): Response {
  return json(
    403,
    { error: 'insufficient_scope', error_description: `The token lacks the ${scope} scope.` },
    `Bearer error="insufficient_scope", scope="${scope}"`,
  )
}

function json(status: number, body: unknown, wwwAuthenticate?: string): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }
  if (wwwAuthenticate !== undefined) headers['www-authenticate'] = wwwAuthenticate
  return new Response(JSON.stringify(body), { status, headers })
}
