import { GRANT_TYPES, type ConnectionInfo, type TokenServerHandler } from '@tokenrules/oauth'
import { decodeJwt } from 'jose'
import QRCode from 'qrcode'
import { FAVICON_SVG } from './favicon.js'
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
  /** Realms that accept sign-ups (`POST /dbconnections/signup`); the page offers "Create an account" into them. Default none. */
  signupRealms?: string[]
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
 * - `POST /demo/signup` `{ realm, email, password }` → `/dbconnections/signup` (only into
 *   `signupRealms`): `{ outcome: 'signed_up', email, email_verified }` or an error outcome.
 * - `POST /demo/change-password` `{ realm, email }` → `/dbconnections/change_password`:
 *   `{ outcome: 'reset_requested', message }` (the same for an email that is no user's).
 * - `GET /favicon.svg`, `GET /favicon.ico` the demo's icon (SVG).
 *
 * Every error outcome carries `step` (`password`, `mfa`, `signup`, `change_password`): the page
 * names what failed from the OAuth error code and the step it came from.
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

  /** `/dbconnections/*` take JSON and answer JSON (an object, or a sentence for change_password). */
  const callDbConnections = async (path: string, params: Record<string, string>, connection: ConnectionInfo | undefined) => {
    const response = await options.tokenEndpoint(
      new Request(new URL(path, options.origin), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) }),
      connection,
    )
    const text = await response.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // Not JSON: the text itself is the answer.
    }
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body }
  }

  const answer = async (
    reply: { status: number; retryAfter: string | null; body: Record<string, unknown> },
    connection: ConnectionInfo | undefined,
    step: 'password' | 'mfa',
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
        const qr = typeof barcode_uri === 'string' ? await qrCodeDataUrl(barcode_uri) : null
        return json(200, { outcome: 'mfa', mfa_token: mfaToken, enrollment: { secret, barcode_uri, qr_code: qr, recovery_codes } })
      }
      const challenge = await callEndpoint('/mfa/challenge', { ...client, mfa_token: mfaToken, challenge_type: 'otp' }, connection)
      if (challenge.status !== 200) return json(200, errorOutcome(challenge, 'mfa'))
      return json(200, { outcome: 'mfa', mfa_token: mfaToken })
    }
    return json(200, errorOutcome(reply, step))
  }

  const signupRealms = (options.signupRealms ?? []).filter((realm) => options.realms.includes(realm))

  return async (request, connection) => {
    const path = new URL(request.url).pathname
    if (path === '/favicon.svg' || path === '/favicon.ico') return favicon(request)
    if (path === '/' || path === '/index.html') {
      if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, { error: 'method_not_allowed' })
      const realmOptions = (realms: string[]) => realms.map((realm) => `<option>${escapeHtml(realm)}</option>`).join('')
      const page = LOGIN_PAGE_HTML.replaceAll('__REALM_OPTIONS__', realmOptions(options.realms))
        .replace('__SIGNUP_REALM_OPTIONS__', realmOptions(signupRealms))
        .replace('__SIGNUP_HIDDEN__', signupRealms.length === 0 ? ' hidden' : '')
        .replace('__PLAYGROUND_LINK__', options.playgroundLink === true ? '<a href="/playground">Rules playground</a>' : '')
      return new Response(page, {
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CSP },
      })
    }
    if (path !== '/demo/login' && path !== '/demo/mfa' && path !== '/demo/signup' && path !== '/demo/change-password') return undefined
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
      return answer(reply, connection, 'password')
    }

    if (path === '/demo/signup') {
      const { realm, email, password } = input.value
      if (typeof realm !== 'string' || !signupRealms.includes(realm))
        return json(400, {
          error: 'invalid_request',
          error_description: signupRealms.length === 0 ? 'No realm accepts sign-ups.' : `realm must be one of ${signupRealms.join(', ')}.`,
        })
      if (typeof email !== 'string' || email.trim() === '' || typeof password !== 'string' || password === '')
        return json(400, { error: 'invalid_request', error_description: 'Enter your email and a password.' })
      const reply = await callDbConnections(
        '/dbconnections/signup',
        { client_id: client.client_id, connection: realm, email: email.trim(), password },
        connection,
      )
      if (reply.status === 200) {
        const created = (reply.body ?? {}) as Record<string, unknown>
        return json(200, { outcome: 'signed_up', email: created['email'], email_verified: created['email_verified'] })
      }
      return json(200, dbConnectionError(reply, 'signup'))
    }

    if (path === '/demo/change-password') {
      const { realm, email } = input.value
      if (typeof realm !== 'string' || !options.realms.includes(realm))
        return json(400, { error: 'invalid_request', error_description: `realm must be one of ${options.realms.join(', ')}.` })
      if (typeof email !== 'string' || email.trim() === '') return json(400, { error: 'invalid_request', error_description: 'Enter your email.' })
      const reply = await callDbConnections(
        '/dbconnections/change_password',
        { client_id: client.client_id, connection: realm, email: email.trim() },
        connection,
      )
      if (reply.status === 200) return json(200, { outcome: 'reset_requested', message: typeof reply.body === 'string' ? reply.body : String(reply.body) })
      return json(200, dbConnectionError(reply, 'change_password'))
    }

    const { mfa_token, otp } = input.value
    if (typeof mfa_token !== 'string' || typeof otp !== 'string' || !/^\d{6}$/.test(otp.trim())) {
      return json(400, { error: 'invalid_request', error_description: 'Enter the 6-digit code from your authenticator app.' })
    }
    const reply = await callEndpoint(tokenUrl.pathname, { grant_type: GRANT_TYPES.mfaOtp, mfa_token, otp: otp.trim(), ...client }, connection)
    return answer(reply, connection, 'mfa')
  }
}

/** The otpauth:// URI as a QR code, an SVG data URL made here (no network). */
async function qrCodeDataUrl(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`
}

function favicon(request: Request): Response {
  if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, { error: 'method_not_allowed' })
  return new Response(request.method === 'HEAD' ? null : FAVICON_SVG, {
    headers: { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' },
  })
}

/**
 * A `/dbconnections/*` error (Auth0's `{ name, code, description, policy? }`) as the page's error
 * outcome; a weak password's description is the policy it missed.
 */
function dbConnectionError(reply: { status: number; retryAfter: string | null; body: unknown }, step: 'signup' | 'change_password'): Record<string, unknown> {
  const body = (reply.body !== null && typeof reply.body === 'object' ? reply.body : {}) as Record<string, unknown>
  const code = typeof body['code'] === 'string' ? body['code'] : typeof body['error'] === 'string' ? body['error'] : 'server_error'
  const raw = body['description'] ?? body['error_description']
  const policy = typeof body['policy'] === 'string' ? body['policy'] : undefined
  const description = typeof raw === 'string' ? raw : policy !== undefined ? `${String(body['message'] ?? 'Password is too weak')}. ${policy}` : code
  return {
    outcome: 'error',
    step,
    status: reply.status,
    error: code,
    error_description: description,
    ...(policy === undefined ? {} : { policy }),
    ...(reply.retryAfter === null ? {} : { retry_after: Number(reply.retryAfter) }),
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

function errorOutcome(reply: { status: number; retryAfter: string | null; body: Record<string, unknown> }, step: 'password' | 'mfa'): Record<string, unknown> {
  return {
    outcome: 'error',
    step,
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
