import { describe, expect, it } from 'vitest'
import { ConfigInvalidError } from '@tokenrules/engine'
import { GRANT_TYPES, createTokenServer } from '@tokenrules/oauth'
import { ALICE, ALL_GRANTS, API, ISSUER, TEST_SCRYPT_COST, rule, startServer } from '../helpers.js'

// Per-client "Allowed Origins (CORS)", as Auth0 configures them: a single-page app or a mobile
// web view calls the token, revoke and MFA routes from its own origin.

const SPA = { clientId: 'spa', grants: ALL_GRANTS, allowPublic: true, allowedOrigins: ['https://app.example.com', 'https://*.preview.example.com'] }
const OTHER = { clientId: 'other-spa', grants: ALL_GRANTS, allowPublic: true, allowedOrigins: ['https://other.example.com'] }

async function spaServer(rules = [] as ReturnType<typeof rule>[]) {
  const tokenServer = await createTokenServer({
    issuer: ISSUER,
    engine: { rules, concurrency: 1 },
    clients: [SPA, OTHER],
    apis: [{ identifier: API, scopes: ['read:messages'], allowOfflineAccess: true }],
    directories: [{ name: 'Employees' }],
    passwords: { scryptCost: TEST_SCRYPT_COST },
  })
  await tokenServer.users.create({ directory: 'Employees', ...ALICE })
  return tokenServer
}

const login = (clientId: string, origin: string | undefined, extra: Record<string, string> = {}) =>
  new Request('http://localhost/oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'auth0-client': 'eyJuYW1lIjoiYXV0aDAtc3BhLWpzIn0', ...(origin === undefined ? {} : { origin }) },
    body: JSON.stringify({ grant_type: 'password', client_id: clientId, username: ALICE.email, password: ALICE.password, audience: API, ...extra }),
  })

const preflightFor = (path: string, origin: string, method = 'POST') =>
  new Request(`http://localhost${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type, auth0-client' },
  })

describe('CORS for the clients’ allowed origins', () => {
  it('answers a preflight from an allowed origin with the route’s methods and the headers SDKs send', async () => {
    await using s = await spaServer()
    for (const path of ['/oauth/token', '/oauth/revoke', '/mfa/associate', '/mfa/challenge']) {
      const answer = await s.handler(preflightFor(path, 'https://app.example.com'))
      expect(answer.status).toBe(204)
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
      expect(answer.headers.get('access-control-allow-methods')).toBe('POST')
      expect(answer.headers.get('access-control-allow-headers')).toBe('authorization, content-type, auth0-client')
      expect(answer.headers.get('vary')).toBe('Origin')
    }
    const list = await s.handler(preflightFor('/mfa/authenticators', 'https://app.example.com', 'GET'))
    expect(list.headers.get('access-control-allow-methods')).toBe('GET')
  })

  it('gives a preflight from an origin no client lists no CORS headers', async () => {
    await using s = await spaServer()
    const answer = await s.handler(preflightFor('/oauth/token', 'https://evil.example.net'))
    expect(answer.status).toBe(204)
    expect(answer.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('lets the client’s own origin read the token answer, JSON body and Auth0-Client header included', async () => {
    await using s = await spaServer()
    const answer = await s.handler(login('spa', 'https://app.example.com'))
    expect(answer.status).toBe(200)
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(answer.headers.get('vary')).toContain('Origin')
    expect(((await answer.json()) as Record<string, unknown>)['expires_in']).toBe(86_400)
  })

  it('lets it read refusals too (wrong password), with the headers an app needs exposed', async () => {
    await using s = await spaServer()
    const answer = await s.handler(login('spa', 'https://app.example.com', { password: 'wrong' }))
    expect(answer.status).toBe(403)
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(answer.headers.get('access-control-expose-headers')).toBe('www-authenticate, retry-after')
  })

  it('matches a subdomain wildcard, but not the domain itself nor a look-alike', async () => {
    await using s = await spaServer()
    const allowed = await s.handler(login('spa', 'https://pr-42.preview.example.com'))
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://pr-42.preview.example.com')
    for (const origin of ['https://preview.example.com', 'https://evilpreview.example.com', 'http://pr-42.preview.example.com']) {
      expect((await s.handler(login('spa', origin))).headers.get('access-control-allow-origin')).toBeNull()
    }
  })

  it('does not let one client’s origin read another client’s answers', async () => {
    await using s = await spaServer()
    const answer = await s.handler(login('spa', 'https://other.example.com'))
    expect(answer.status).toBe(200)
    expect(answer.headers.get('access-control-allow-origin')).toBeNull()
    expect((await s.handler(login('other-spa', 'https://other.example.com'))).headers.get('access-control-allow-origin')).toBe('https://other.example.com')
  })

  it('gives no CORS headers where the client is unknown, and none without an Origin', async () => {
    await using s = await spaServer()
    const unknown = await s.handler(login('nobody', 'https://app.example.com'))
    expect(unknown.status).toBe(401)
    expect(unknown.headers.get('access-control-allow-origin')).toBeNull()
    const server = await s.handler(login('spa', undefined))
    expect(server.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('names the client by its mfa_token on the MFA routes', async () => {
    await using s = await spaServer([rule('mfa', "context.multifactor = { provider: 'any' }; callback(null, user, context);")])
    const asked = (await (await s.handler(login('spa', 'https://app.example.com'))).json()) as { mfa_token: string }
    const headers = { origin: 'https://app.example.com', authorization: `Bearer ${asked.mfa_token}` }
    const list = await s.handler(new Request('http://localhost/mfa/authenticators', { headers }))
    expect(list.status).toBe(200)
    expect(list.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    const other = await s.handler(new Request('http://localhost/mfa/authenticators', { headers: { ...headers, origin: 'https://other.example.com' } }))
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('serves the JWKS and discovery to any origin', async () => {
    await using t = await startServer()
    for (const path of ['/.well-known/jwks.json', '/.well-known/openid-configuration']) {
      const answer = await t.server.handler(new Request(`http://localhost${path}`, { headers: { origin: 'https://anywhere.example' } }))
      expect(answer.headers.get('access-control-allow-origin')).toBe('*')
    }
  })

  it('refuses allowedOrigins that are not origins, naming the client and entry', async () => {
    for (const bad of [
      'https://app.example.com/',
      'app.example.com',
      'https://app.example.com/path',
      'https://*',
      'ftp://files.example.com',
      'https://app.example.com:443',
    ]) {
      const error = await createTokenServer({
        issuer: ISSUER,
        engine: { rules: [] },
        clients: [{ clientId: 'spa', grants: [GRANT_TYPES.password], allowPublic: true, allowedOrigins: [bad] }],
        apis: [{ identifier: API, scopes: [] }],
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error, bad).toBeInstanceOf(ConfigInvalidError)
      expect((error as ConfigInvalidError).message).toContain('clients[0].allowedOrigins[0]: must be an origin')
    }
  })
})
