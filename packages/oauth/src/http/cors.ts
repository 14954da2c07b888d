import type { Core, RequestInfo } from '../lib/core.js'
import type { ClientConfig } from '../options.js'

/** Request headers a browser SDK sends: Auth0's SDKs add `Auth0-Client` (their name and version). */
const ALLOWED_HEADERS = 'authorization, content-type, auth0-client'
/** Response headers a browser app needs to read: why a token was refused, when to retry. */
const EXPOSED_HEADERS = 'www-authenticate, retry-after'
const PREFLIGHT_MAX_AGE_SECONDS = 86_400

/**
 * Whether `origin` (the request's `Origin` header) is one of the client's `allowedOrigins`, as
 * Auth0's "Allowed Origins (CORS)": an exact origin, or `scheme://*.domain[:port]`, where `*` is one
 * or more labels of a subdomain (never the domain itself).
 */
export function originAllowed(client: ClientConfig | undefined, origin: string): boolean {
  for (const allowed of client?.allowedOrigins ?? []) {
    if (allowed === origin) return true
    const wildcard = /^(https?:\/\/)\*\.(.+)$/.exec(allowed)
    if (wildcard === null) continue
    const [, scheme = '', rest = ''] = wildcard
    if (!origin.startsWith(scheme)) continue
    const host = origin.slice(scheme.length)
    if (host.endsWith(`.${rest}`) && /^[a-z0-9-]+(\.[a-z0-9-]+)*$/i.test(host.slice(0, -rest.length - 1))) return true
  }
  return false
}

/**
 * The answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) for a route
 * whose answers carry credentials or tokens: allowed when some client lists the origin (a preflight
 * carries no body, so no client yet); the real request is then answered with CORS headers only
 * when the client it names lists the origin ({@link withCors}).
 */
export function preflight(core: Core, request: Request, methods: readonly string[]): Response {
  const origin = request.headers.get('origin')
  const headers: Record<string, string> = { vary: 'Origin', 'cache-control': 'no-store' }
  if (origin !== null && [...core.clients.values()].some((client) => originAllowed(client, origin))) {
    Object.assign(headers, {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': methods.join(', '),
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
    })
  }
  return new Response(null, { status: 204, headers })
}

/** Adds the CORS headers to an answer when the request's `Origin` is allowed for the client it named (`info.client`). */
export function withCors(response: Response, info: RequestInfo): Response {
  const origin = info.request.headers.get('origin')
  if (origin === null) return response
  response.headers.append('vary', 'Origin')
  if (originAllowed(info.client, origin)) {
    response.headers.set('access-control-allow-origin', origin)
    response.headers.set('access-control-expose-headers', EXPOSED_HEADERS)
  }
  return response
}

/** The public documents (JWKS, discovery) may be read from any origin, as Auth0 serves them. */
export function publicCors(response: Response): Response {
  response.headers.set('access-control-allow-origin', '*')
  return response
}
