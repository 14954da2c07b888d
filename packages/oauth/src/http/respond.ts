import { OAuthError } from '../errors.js'

/** Headers of every answer that carries tokens or errors (RFC 6749 §5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const

/** A JSON answer that no cache may keep. */
export function jsonNoStore(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...NO_STORE, 'x-content-type-options': 'nosniff', ...headers },
  })
}

/** A public JSON document (JWKS, discovery) that caches may keep for `maxAgeSeconds`. */
export function jsonPublic(body: unknown, maxAgeSeconds: number, head = false): Response {
  return new Response(head ? null : JSON.stringify(body), {
    status: 200,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': `public, max-age=${maxAgeSeconds}`,
      'x-content-type-options': 'nosniff',
    },
  })
}

/** The answer for an {@link OAuthError}. */
export function errorResponse(error: OAuthError): Response {
  return jsonNoStore(error.status, error.toJSON(), { ...error.headers })
}
