import { GRANT_TYPES, type ConnectionInfo, type TokenServerHandler } from '@tokenrules/oauth'
import { decodeJwt } from 'jose'
import { LOGIN_PAGE_HTML } from './login-page.js'

/** Options of {@link loginBackend}. */
export interface LoginBackendOptions {
  /** The token server's Fetch handler: the backend calls it in-process, never over the network. */
  tokenEndpoint: TokenServerHandler
  /** The demo's origin, e.g. `http://localhost:3000` (the URL the token endpoint's requests carry). */
  origin: string
  client: { clientId: string; secret: string }
  audience: string
  /** Realms the page offers. */
  realms: string[]
  scope?: string
  /** Link to the rules playground from the page (only when the server mounts it). Default `false`. */
  playgroundLink?: boolean
}

/** The largest JSON body the login routes read. */
export const LOGIN_BODY_LIMIT = 4096

/**
 * The backend of a highly trusted first-party application: the browser posts the user's
 * credentials to this backend (`POST /demo/login`, JSON), which adds the client's secret and
 * forwards them to the token endpoint (password-realm grant). The browser never talks OAuth itself
 * and never sees the client secret.
 *
 * - `GET /` the login page.
 * - `POST /demo/login` `{ realm, username, password }` → `{ outcome: 'tokens', … }` with the tokens
 *   decoded, `{ outcome: 'mfa', mfa_token, enrollment? }` when a rule asks for MFA (enrolling the
 *   user through `/mfa/associate` when not yet enrolled), or `{ outcome: 'error', status, error,
 *   error_description, retry_after? }`.
 * - `POST /demo/mfa` `{ mfa_token, otp }` → the mfa-otp grant, same answers.
 *
 * Returns `undefined` for any other request.
 */
export function loginBackend(options: LoginBackendOptions): (request: Request, connection?: ConnectionInfo) => Promise<Response | undefined> {
  const scope = options.scope ?? 'openid profile email offline_access'
  const tokenUrl = new URL('/oauth/token', options.origin)

  const callEndpoint = async (path: string, params: Record<string, string>, connection: ConnectionInfo | undefined, headers: Record<string, string> = {}) => {
    const response = await options.tokenEndpoint(
      new Request(new URL(path, options.origin), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(params),
      }),
      connection,
    )
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> }
  }

  const answer = async (
    reply: { status: number; retryAfter: string | null; body: Record<string, unknown> },
    connection: ConnectionInfo | undefined,
  ): Promise<Response> => {
    const body = reply.body
    if (reply.status === 200) return json(200, { outcome: 'tokens', ...describeTokens(body) })
    if (body['error'] === 'mfa_required' && typeof body['mfa_token'] === 'string') {
      const mfaToken = body['mfa_token']
      const client = { client_id: options.client.clientId, client_secret: options.client.secret }
      // Not enrolled yet: enroll a TOTP authenticator and show its secret once.
      const enrolled = await callEndpoint('/mfa/associate', { ...client, authenticator_types: 'otp' }, connection, { authorization: `Bearer ${mfaToken}` })
      if (enrolled.status === 200) {
        const { secret, barcode_uri, recovery_codes } = enrolled.body
        return json(200, { outcome: 'mfa', mfa_token: mfaToken, enrollment: { secret, barcode_uri, recovery_codes } })
      }
      const challenge = await callEndpoint('/mfa/challenge', { ...client, mfa_token: mfaToken, challenge_type: 'otp' }, connection)
      if (challenge.status !== 200) return json(200, errorOutcome(challenge))
      return json(200, { outcome: 'mfa', mfa_token: mfaToken })
    }
    return json(200, errorOutcome(reply))
  }

  return async (request, connection) => {
    const path = new URL(request.url).pathname
    if (path === '/' || path === '/index.html') {
      if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, { error: 'method_not_allowed' })
      const page = LOGIN_PAGE_HTML.replace('__REALM_OPTIONS__', options.realms.map((realm) => `<option>${escapeHtml(realm)}</option>`).join('')).replace(
        '__PLAYGROUND_LINK__',
        options.playgroundLink === true ? '<a href="/playground">Rules playground</a>' : '',
      )
      return new Response(page, {
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CSP },
      })
    }
    if (path !== '/demo/login' && path !== '/demo/mfa') return undefined
    if (request.method !== 'POST') return json(405, { error: 'method_not_allowed' })
    const input = await readJsonObject(request, LOGIN_BODY_LIMIT)
    if ('problem' in input) return json(400, { error: 'invalid_request', error_description: input.problem })
    const client = { client_id: options.client.clientId, client_secret: options.client.secret }

    if (path === '/demo/login') {
      const { realm, username, password } = input.value
      if (typeof realm !== 'string' || !options.realms.includes(realm))
        return json(400, { error: 'invalid_request', error_description: `realm must be one of ${options.realms.join(', ')}.` })
      if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
        return json(400, { error: 'invalid_request', error_description: 'Enter your email and password.' })
      }
      const reply = await callEndpoint(
        tokenUrl.pathname,
        { grant_type: GRANT_TYPES.passwordRealm, realm, username, password, audience: options.audience, scope, ...client },
        connection,
      )
      return answer(reply, connection)
    }

    const { mfa_token, otp } = input.value
    if (typeof mfa_token !== 'string' || typeof otp !== 'string' || !/^\d{6}$/.test(otp.trim())) {
      return json(400, { error: 'invalid_request', error_description: 'Enter the 6-digit code from your authenticator app.' })
    }
    const reply = await callEndpoint(tokenUrl.pathname, { grant_type: GRANT_TYPES.mfaOtp, mfa_token, otp: otp.trim(), ...client }, connection)
    return answer(reply, connection)
  }
}

/** The token answer with its JWTs decoded (payloads only: the page shows them, the API verifies them). */
function describeTokens(body: Record<string, unknown>): Record<string, unknown> {
  const access = typeof body['access_token'] === 'string' ? body['access_token'] : ''
  const id = typeof body['id_token'] === 'string' ? body['id_token'] : undefined
  const accessClaims = decodeJwt(access)
  return {
    access_token: access,
    access_token_claims: accessClaims,
    id_token_claims: id === undefined ? null : decodeJwt(id),
    scopes: typeof accessClaims['scope'] === 'string' ? accessClaims['scope'].split(' ').filter(Boolean) : [],
    expires_in: body['expires_in'],
    has_refresh_token: typeof body['refresh_token'] === 'string',
  }
}

function errorOutcome(reply: { status: number; retryAfter: string | null; body: Record<string, unknown> }): Record<string, unknown> {
  return {
    outcome: 'error',
    status: reply.status,
    error: reply.body['error'],
    error_description: reply.body['error_description'],
    ...(reply.retryAfter === null ? {} : { retry_after: Number(reply.retryAfter) }),
  }
}

/** The pages load nothing from elsewhere: inline script and style only, same-origin fetches. */
export const CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } })
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * Read a JSON object body of at most `limit` bytes, stopping as soon as the limit is passed (then
 * `tooLarge` is set) or `signal` aborts (the reader is cancelled and the promise rejects with the
 * signal's reason). Answers a sentence for the user when the body is not usable.
 */
export async function readJsonObject(
  request: Request,
  limit: number,
  signal?: AbortSignal,
): Promise<{ value: Record<string, unknown> } | { problem: string; tooLarge?: true }> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/json\b/i.test(type)) return { problem: 'Send the body as application/json.' }
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > limit) return { problem: `The body is too large: at most ${limit} bytes.`, tooLarge: true }
  const chunks: Uint8Array[] = []
  let size = 0
  if (request.body !== null) {
    const reader = request.body.getReader()
    const abort = () => void reader.cancel().catch(() => undefined)
    signal?.throwIfAborted()
    signal?.addEventListener('abort', abort, { once: true })
    try {
      for (;;) {
        const { done, value } = await reader.read()
        signal?.throwIfAborted()
        if (done) break
        size += value.byteLength
        if (size > limit) {
          await reader.cancel()
          return { problem: `The body is too large: at most ${limit} bytes.`, tooLarge: true }
        }
        chunks.push(value)
      }
    } finally {
      signal?.removeEventListener('abort', abort)
    }
  }
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)))
  } catch (error) {
    return { problem: `The body is not valid JSON: ${error instanceof Error ? error.message : String(error)}` }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { problem: 'The body must be a JSON object.' }
  return { value: value as Record<string, unknown> }
}
