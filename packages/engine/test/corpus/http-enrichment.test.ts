/**
 * Corpus: rules that call out over HTTP (request, axios, node-fetch, global fetch), against a
 * loopback server that plays the CRM, the entitlements service, the fraud service, the directory,
 * the billing system, a token endpoint with a feature-flag API, and a SIEM webhook. Each rule is
 * also run against the failures a real upstream has: 500s, answers slower than
 * `modules.http.timeoutMs`, a URL on a host the integrator did not allow, answers larger than
 * `maxResponseBytes`, nobody listening. What the rule does then (deny or degrade) is asserted.
 */
import { createHmac, generateKeyPairSync, verify } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { engineWith } from '../helpers.js'
import {
  accessDenied,
  closedPort,
  corpusOptions,
  corpusRule,
  failCorpus,
  httpPolicy,
  login,
  logLines,
  NS,
  runCorpus,
  sendJson,
  slow,
  startServer,
  streamedJson,
  unauthorized,
  type LoopbackServer,
} from './support.js'

const USER_ID = 'auth0|5f7c8ec7c33c6c004bbafe82'
const CLIENT_ID = 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6'
/** Slower than the engines' HTTP timeout (300 ms), far below their budget (3 s). */
const TOO_SLOW_MS = 1_000

let server: LoopbackServer
let refusedPort: number
beforeAll(async () => {
  server = await startServer()
  refusedPort = await closedPort()
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => server.reset())

const timedOut = () => `HTTP request to ${server.host} timed out after 300 ms.`
const notAllowed = (host: string) => `HTTP requests to ${host} are not allowed for rules (modules.http.allow).`
/** node-fetch's wording of a failed request to the risk service for the fixture login. */
const fetchFailed = (riskUrl: string, reason: string) => {
  const input = login()
  const context = input.context as unknown as { request: { ip: string } }
  const url = `${riskUrl}/score?ip=${encodeURIComponent(context.request.ip)}&user=${encodeURIComponent(String(input.user.user_id))}`
  return `request to ${url} failed, reason: ${reason}`
}
const tooLarge = (max: number) => `The response from ${server.host} is larger than ${max} bytes.`

describe('enrich-from-crm-request (request, callback style; denies when the CRM cannot answer)', () => {
  const config = () => ({ CRM_URL: `${server.origin}/crm`, CRM_TOKEN: 'crm-token-1' })
  const run = (configuration = config(), extra = {}) => runCorpus('enrich-from-crm-request', login(), { server, configuration, ...extra })
  const fail = (configuration = config(), extra = {}) => failCorpus('enrich-from-crm-request', login(), { server, configuration, ...extra })
  const REFUSAL = accessDenied('We could not load your customer profile. Please try again.')

  it('adds the customer id and tier, and the company to the profile', async () => {
    server.on('/crm/customers', (_req, res) => sendJson(res, 200, { id: 'cus_81', tier: 'platinum', company: 'Analytical Engines Ltd' }))
    const result = await run()
    expect(result.idToken.claims).toEqual({ [`${NS}customer`]: true, [`${NS}customer_id`]: 'cus_81' })
    expect(result.accessToken.claims).toEqual({ [`${NS}support_tier`]: 'platinum' })
    expect(result.user['user_metadata']).toEqual({ theme: 'dark', company: 'Analytical Engines Ltd' })
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0]).toMatchObject({
      method: 'GET',
      url: '/crm/customers?email=ada%40example.com',
      headers: { authorization: 'Bearer crm-token-1', accept: 'application/json' },
      body: '',
    })
  })

  it('lets a non-customer in without customer claims (404)', async () => {
    const result = await run()
    expect(result.idToken.claims).toEqual({ [`${NS}customer`]: false })
    expect(result.accessToken.claims).toEqual({})
  })

  it('denies on a 500, logging the status', async () => {
    server.on('/crm/customers', (_req, res) => sendJson(res, 500, { error: 'db down' }))
    const err = await fail()
    expect(err.code).toBe('ERR_RULE_DENIED')
    expect(err.toOAuthError()).toEqual(REFUSAL)
    expect(logLines(err)).toEqual([['error', 'CRM lookup answered 500']])
  })

  it('denies when the CRM is slower than modules.http.timeoutMs', async () => {
    server.on(
      '/crm/customers',
      slow(TOO_SLOW_MS, (_req, res) => sendJson(res, 200, { id: 'late' })),
    )
    const err = await fail()
    expect(err.toOAuthError()).toEqual(REFUSAL)
    expect(logLines(err)).toEqual([['error', `CRM lookup failed: ETIMEDOUT ${timedOut()}`]])
  })

  it('denies when configured with a host that is not allowed, and sends nothing', async () => {
    const err = await fail({ CRM_URL: 'https://crm.not-allowed.example', CRM_TOKEN: 'crm-token-1' })
    expect(err.toOAuthError()).toEqual(REFUSAL)
    expect(logLines(err)).toEqual([['error', `CRM lookup failed: ERR_HTTP_NOT_ALLOWED ${notAllowed('crm.not-allowed.example')}`]])
    expect(server.requests).toEqual([])
  })

  it('denies when the answer is larger than maxResponseBytes', async () => {
    server.on('/crm/customers', (_req, res) => sendJson(res, 200, { id: 'cus_81', notes: 'n'.repeat(5_000) }))
    const err = await fail(config(), { modules: httpPolicy(server, { maxResponseBytes: 2_048 }) })
    expect(err.toOAuthError()).toEqual(REFUSAL)
    expect(logLines(err)).toEqual([['error', `CRM lookup failed: ERR_RESPONSE_TOO_LARGE ${tooLarge(2_048)}`]])
  })

  it('denies when nobody listens', async () => {
    const err = await fail(
      { CRM_URL: `http://127.0.0.1:${refusedPort}`, CRM_TOKEN: 'x' },
      { modules: { http: { allow: [`127.0.0.1:${refusedPort}`], timeoutMs: 300 } } },
    )
    expect(err.toOAuthError()).toEqual(REFUSAL)
    expect(logLines(err)).toEqual([['error', `CRM lookup failed: ECONNREFUSED HTTP request to 127.0.0.1:${refusedPort} failed: ECONNREFUSED`]])
  })
})

describe('entitlements-axios (axios, async rule; degrades when the service fails)', () => {
  const config = () => ({ ENTITLEMENTS_URL: `${server.origin}/ent/`, ENTITLEMENTS_API_KEY: 'ent-key-9' })
  const run = (configuration = config(), extra = {}) => runCorpus('entitlements-axios', login(), { server, configuration, ...extra })
  const DEGRADED = { [`${NS}entitlements`]: [], [`${NS}entitlements_degraded`]: true }

  it('puts the features in the access token', async () => {
    server.on('/ent/v1/entitlements/lookup', (_req, res) => sendJson(res, 200, { features: ['sso', 'audit-log', 'api'] }))
    const result = await run()
    expect(result.accessToken.claims).toEqual({ [`${NS}entitlements`]: ['sso', 'audit-log', 'api'] })
    expect(result.logs).toEqual([])
    expect(server.requests).toHaveLength(1)
    const [req] = server.requests
    expect(req).toMatchObject({
      method: 'POST',
      url: '/ent/v1/entitlements/lookup',
      headers: { 'x-api-key': 'ent-key-9', 'content-type': 'application/json', accept: 'application/json, text/plain, */*' },
    })
    expect(JSON.parse(req?.body ?? '')).toEqual({ userId: USER_ID, clientId: CLIENT_ID, plan: 'gold' })
  })

  it.each([
    [500, 'entitlements unavailable (500), continuing without'],
    [403, 'entitlements unavailable (403), continuing without'],
  ])('degrades on a %i', async (status, line) => {
    server.on('/ent/v1/entitlements/lookup', (_req, res) => sendJson(res, status, { error: 'nope' }))
    const result = await run()
    expect(result.accessToken.claims).toEqual(DEGRADED)
    expect(logLines(result)).toEqual([['warn', line]])
  })

  it('degrades on a timeout', async () => {
    server.on(
      '/ent/v1/entitlements/lookup',
      slow(TOO_SLOW_MS, (_req, res) => sendJson(res, 200, { features: ['late'] })),
    )
    const result = await run()
    expect(result.accessToken.claims).toEqual(DEGRADED)
    expect(logLines(result)).toEqual([['warn', 'entitlements unavailable (ETIMEDOUT), continuing without']])
  })

  it('degrades when the host is not allowed, without sending anything', async () => {
    const result = await run({ ENTITLEMENTS_URL: 'https://entitlements.internal.example', ENTITLEMENTS_API_KEY: 'k' })
    expect(result.accessToken.claims).toEqual(DEGRADED)
    expect(logLines(result)).toEqual([['warn', 'entitlements unavailable (ERR_HTTP_NOT_ALLOWED), continuing without']])
    expect(server.requests).toEqual([])
  })

  it('degrades when the answer is too large (streamed, no content-length)', async () => {
    server.on('/ent/v1/entitlements/lookup', streamedJson(50_000))
    const result = await run(config(), { modules: httpPolicy(server, { maxResponseBytes: 10_000 }) })
    expect(result.accessToken.claims).toEqual(DEGRADED)
    expect(logLines(result)).toEqual([['warn', 'entitlements unavailable (ERR_RESPONSE_TOO_LARGE), continuing without']])
  })
})

describe('risk-score-node-fetch (node-fetch; fails safe to MFA)', () => {
  const config = () => ({ RISK_URL: `${server.origin}/risk`, RISK_THRESHOLD: '70' })
  const run = (configuration = config(), extra = {}) => runCorpus('risk-score-node-fetch', login(), { server, configuration, ...extra })
  const MFA = { provider: 'any', allowRememberBrowser: false }

  it('passes a low score without MFA', async () => {
    server.on('/risk/score', (_req, res) => sendJson(res, 200, { score: 12 }))
    const result = await run()
    expect(result.idToken.claims).toEqual({ [`${NS}risk`]: 12 })
    expect(result.multifactor).toBeUndefined()
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0]).toMatchObject({
      method: 'GET',
      url: `/risk/score?ip=203.0.113.7&user=${encodeURIComponent(USER_ID)}`,
      headers: { 'user-agent': 'test', accept: 'application/json' },
    })
  })

  it('asks for MFA on a high score', async () => {
    server.on('/risk/score', (_req, res) => sendJson(res, 200, { score: 70 }))
    const result = await run()
    expect(result.idToken.claims).toEqual({ [`${NS}risk`]: 70 })
    expect(result.multifactor).toEqual(MFA)
  })

  it.each([
    ['a 500', () => server.on('/risk/score', (_req, res) => sendJson(res, 500, {})), 'risk service answered 500'],
    [
      'a timeout',
      () =>
        server.on(
          '/risk/score',
          slow(TOO_SLOW_MS, (_req, res) => sendJson(res, 200, { score: 1 })),
        ),
      null,
    ],
    ['an answer that is not JSON', () => server.on('/risk/score', (_req, res) => void res.end('<html>gateway</html>')), null],
  ])('asks for MFA after %s', async (_what, arrange, line) => {
    arrange()
    const result = await run()
    expect(result.idToken.claims).toEqual({ [`${NS}risk`]: 'unknown' })
    expect(result.multifactor).toEqual(MFA)
    if (line === null) expect(logLines(result)).toEqual([['warn', expect.stringMatching(/^risk score unavailable: /)]])
    else expect(logLines(result)).toEqual([['warn', `risk score unavailable: ${line}`]])
  })

  it('asks for MFA when the answer is larger than maxResponseBytes', async () => {
    server.on('/risk/score', (_req, res) => sendJson(res, 200, { score: 1, explanation: 'e'.repeat(4_000) }))
    const result = await run(config(), { modules: httpPolicy(server, { maxResponseBytes: 1_024 }) })
    expect(result.multifactor).toEqual(MFA)
    // node-fetch's FetchError: "request to <url> failed, reason: <the transport's message>".
    expect(logLines(result)).toEqual([['warn', `risk score unavailable: ${fetchFailed(`${server.origin}/risk`, tooLarge(1_024))}`]])
  })

  it('asks for MFA when its URL is on a host that is not allowed', async () => {
    const result = await run({ RISK_URL: 'http://169.254.169.254/latest', RISK_THRESHOLD: '70' })
    expect(result.multifactor).toEqual(MFA)
    expect(logLines(result)).toEqual([['warn', `risk score unavailable: ${fetchFailed('http://169.254.169.254/latest', notAllowed('169.254.169.254'))}`]])
    expect(server.requests).toEqual([])
  })
})

describe('directory-groups-fetch (global fetch; denies without groups)', () => {
  const config = () => ({ DIRECTORY_URL: server.origin, DIRECTORY_API_KEY: 'dir-key' })
  const run = (configuration = config(), extra = {}) => runCorpus('directory-groups-fetch', login(), { server, configuration, ...extra })
  const fail = (configuration = config(), extra = {}) => failCorpus('directory-groups-fetch', login(), { server, configuration, ...extra })

  it('puts the directory groups in both tokens', async () => {
    server.on('/graphql', (_req, res) => sendJson(res, 200, { data: { user: { groups: ['eng', 'oncall'] } } }))
    const result = await run()
    expect(result.accessToken.claims).toEqual({ [`${NS}groups`]: ['eng', 'oncall'] })
    expect(result.idToken.claims).toEqual({ [`${NS}groups`]: ['eng', 'oncall'] })
    expect(server.requests).toHaveLength(1)
    const [req] = server.requests
    expect(req).toMatchObject({ method: 'POST', url: '/graphql', headers: { authorization: 'ApiKey dir-key', 'content-type': 'application/json' } })
    expect(JSON.parse(req?.body ?? '')).toEqual({
      query: 'query ($email: String!) { user(email: $email) { groups } }',
      variables: { email: 'ada@example.com' },
    })
  })

  it('refuses someone the directory does not know (401)', async () => {
    server.on('/graphql', (_req, res) => sendJson(res, 200, { data: { user: null } }))
    const err = await fail()
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.toOAuthError()).toEqual(unauthorized('You are not in the company directory.'))
  })

  it('denies on a 503', async () => {
    server.on('/graphql', (_req, res) => sendJson(res, 503, { errors: [] }))
    const err = await fail()
    expect(err.code).toBe('ERR_RULE_DENIED')
    expect(err.toOAuthError()).toEqual(accessDenied('Directory unavailable (HTTP 503).'))
  })

  it('denies on a timeout', async () => {
    server.on(
      '/graphql',
      slow(TOO_SLOW_MS, (_req, res) => sendJson(res, 200, { data: { user: { groups: [] } } })),
    )
    expect((await fail()).toOAuthError()).toEqual(accessDenied('Directory unavailable (ETIMEDOUT).'))
  })

  it('denies when the directory URL is on another port of the same machine (not allowed)', async () => {
    const err = await fail({ DIRECTORY_URL: `http://127.0.0.1:${refusedPort}`, DIRECTORY_API_KEY: 'k' })
    expect(err.toOAuthError()).toEqual(accessDenied('Directory unavailable (ERR_HTTP_NOT_ALLOWED).'))
  })

  it('denies when the answer is larger than maxResponseBytes', async () => {
    server.on('/graphql', (_req, res) => sendJson(res, 200, { data: { user: { groups: Array.from({ length: 500 }, (_, i) => `group-${i}`) } } }))
    const err = await fail(config(), { modules: httpPolicy(server, { maxResponseBytes: 1_000 }) })
    expect(err.toOAuthError()).toEqual(accessDenied('Directory unavailable (ERR_RESPONSE_TOO_LARGE).'))
  })
})

describe('legacy-session-rs256 (jsonwebtoken RS256 + request.post json; degrades)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const config = () => ({
    BILLING_URL: `${server.origin}/billing`,
    BILLING_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    BILLING_KEY_ID: 'billing-2024',
  })
  const run = (configuration = config(), extra = {}) => runCorpus('legacy-session-rs256', login(), { server, configuration, ...extra })

  it('sends an RS256 assertion the billing system verifies with the public key, and keeps the session id', async () => {
    server.on('/billing/sessions', (req, res) => {
      const token = String(req.headers.authorization).replace(/^Bearer /, '')
      const [h, p, s] = token.split('.') as [string, string, string]
      const valid = verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))
      sendJson(res, valid ? 201 : 401, valid ? { session_id: 'bill-sess-42' } : { error: 'bad assertion' })
    })
    const before = Math.floor(Date.now() / 1000)
    const result = await run()
    expect(result.idToken.claims).toEqual({ [`${NS}billing_session`]: 'bill-sess-42' })
    expect(result.logs).toEqual([])
    const [req] = server.requests
    expect(req).toMatchObject({ method: 'POST', url: '/billing/sessions', headers: { 'content-type': 'application/json' } })
    expect(JSON.parse(req?.body ?? '')).toEqual({ client: CLIENT_ID })
    const [h, p] = String(req?.headers.authorization)
      .replace(/^Bearer /, '')
      .split('.') as [string, string]
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'billing-2024' })
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, number>
    expect(payload).toEqual({
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      iat: payload['iat'],
      exp: (payload['iat'] as number) + 60,
      aud: `${server.origin}/billing`,
      sub: USER_ID,
    })
    expect(Math.abs((payload['iat'] as number) - before)).toBeLessThanOrEqual(2)
  })

  it.each([
    ['a 500', () => server.on('/billing/sessions', (_req, res) => sendJson(res, 500, {})), 'billing session not created: 500'],
    [
      'a timeout',
      () =>
        server.on(
          '/billing/sessions',
          slow(TOO_SLOW_MS, (_req, res) => sendJson(res, 201, {})),
        ),
      'billing session not created: ETIMEDOUT',
    ],
  ])('goes on without a session after %s', async (_what, arrange, line) => {
    arrange()
    const result = await run()
    expect(result.idToken.claims).toEqual({})
    expect(logLines(result)).toEqual([['warn', line]])
  })

  it('goes on without a session when the answer is larger than maxResponseBytes', async () => {
    server.on('/billing/sessions', (_req, res) => sendJson(res, 201, { session_id: 's'.repeat(3_000) }))
    const result = await run(config(), { modules: httpPolicy(server, { maxResponseBytes: 1_024 }) })
    expect(result.idToken.claims).toEqual({})
    expect(logLines(result)).toEqual([['warn', 'billing session not created: ERR_RESPONSE_TOO_LARGE']])
  })

  it('goes on without a session when the billing host is not allowed', async () => {
    const result = await run({ ...config(), BILLING_URL: 'https://billing.legacy.example' })
    expect(result.idToken.claims).toEqual({})
    expect(logLines(result)).toEqual([['warn', 'billing session not created: ERR_HTTP_NOT_ALLOWED']])
    expect(server.requests).toEqual([])
  })
})

describe('feature-flags-cached-token (client-credentials token cached in global)', () => {
  const FLAGS_PATH = `/flags/${encodeURIComponent(USER_ID)}`
  const config = (tokenUrl = `${server.origin}/oauth/token`) => ({
    TOKEN_URL: tokenUrl,
    FLAGS_CLIENT_ID: 'flags-m2m',
    FLAGS_CLIENT_SECRET: 's3cr3t',
    FLAGS_AUDIENCE: 'https://flags.example.com',
    FLAGS_URL: server.origin,
  })
  let issued = 0
  const tokenEndpoint = (expiresIn = 3_600) =>
    server.on('/oauth/token', (_req, res) => sendJson(res, 200, { access_token: `tok-${++issued}`, token_type: 'Bearer', expires_in: expiresIn }))
  const flagsApi = () =>
    server.on(FLAGS_PATH, (req, res) =>
      req.headers.authorization?.startsWith('Bearer tok-')
        ? sendJson(res, 200, { enabled: ['new-nav', req.headers.authorization.slice(7)] })
        : sendJson(res, 401, {}),
    )
  const tokenCalls = () => server.requests.filter((r) => r.url === '/oauth/token').length
  beforeEach(() => {
    issued = 0
  })

  it('fetches a token with client credentials once, and reuses it from global until shortly before it expires', async () => {
    tokenEndpoint()
    flagsApi()
    let now = Date.parse('2024-03-13T10:00:00Z')
    await using engine = await engineWith([corpusRule('feature-flags-cached-token')], corpusOptions(server, { configuration: config(), clock: () => now }))

    const first = await engine.run(login())
    expect(first.accessToken.claims).toEqual({ [`${NS}flags`]: ['new-nav', 'tok-1'] })
    const tokenRequest = server.requests[0]
    expect(tokenRequest).toMatchObject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    })
    expect(Object.fromEntries(new URLSearchParams(tokenRequest?.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'flags-m2m',
      client_secret: 's3cr3t',
      audience: 'https://flags.example.com',
    })
    expect(server.requests[1]).toMatchObject({ method: 'GET', url: FLAGS_PATH, headers: { authorization: 'Bearer tok-1' } })

    now += 3_000_000 // 50 minutes later: still cached
    expect((await engine.run(login())).accessToken.claims).toEqual({ [`${NS}flags`]: ['new-nav', 'tok-1'] })
    expect(tokenCalls()).toBe(1)

    now += 571_000 // 29 s before expiry: inside the 30 s margin, fetch a new one
    expect((await engine.run(login())).accessToken.claims).toEqual({ [`${NS}flags`]: ['new-nav', 'tok-2'] })
    expect(tokenCalls()).toBe(2)
  })

  it('drops the cached token when the API refuses it, and fetches a new one on the next login', async () => {
    tokenEndpoint()
    await using engine = await engineWith([corpusRule('feature-flags-cached-token')], corpusOptions(server, { configuration: config() }))
    server.on(FLAGS_PATH, (_req, res) => sendJson(res, 401, { error: 'revoked' }))
    const refused = await engine.run(login())
    expect(refused.accessToken.claims).toEqual({})
    expect(logLines(refused)).toEqual([['warn', 'feature flags unavailable']])
    flagsApi()
    expect((await engine.run(login())).accessToken.claims).toEqual({ [`${NS}flags`]: ['new-nav', 'tok-2'] })
    expect(tokenCalls()).toBe(2)
  })

  it('goes on without flags when the token endpoint fails with a 500, and does not cache the failure', async () => {
    server.on('/oauth/token', (_req, res) => sendJson(res, 500, { error: 'server_error' }))
    await using engine = await engineWith([corpusRule('feature-flags-cached-token')], corpusOptions(server, { configuration: config() }))
    const result = await engine.run(login())
    expect(result.accessToken.claims).toEqual({})
    expect(logLines(result)).toEqual([['warn', 'no token for feature flags: token endpoint answered 500 server_error']])
    tokenEndpoint()
    flagsApi()
    expect((await engine.run(login())).accessToken.claims).toEqual({ [`${NS}flags`]: ['new-nav', 'tok-1'] })
  })

  it('stops logins when the token endpoint refuses the credentials (401)', async () => {
    server.on('/oauth/token', (_req, res) => sendJson(res, 401, { error: 'invalid_client' }))
    const err = await failCorpus('feature-flags-cached-token', login(), { server, configuration: config() })
    expect(err.code).toBe('ERR_RULE_DENIED')
    expect(err.toOAuthError()).toEqual(accessDenied('Feature flags are misconfigured.'))
  })

  it('goes on without flags when the token endpoint times out', async () => {
    server.on(
      '/oauth/token',
      slow(TOO_SLOW_MS, (_req, res) => sendJson(res, 200, { access_token: 'late', expires_in: 60 })),
    )
    const result = await runCorpus('feature-flags-cached-token', login(), { server, configuration: config() })
    expect(result.accessToken.claims).toEqual({})
    expect(logLines(result)).toEqual([['warn', `no token for feature flags: ${timedOut()}`]])
  })

  it('goes on without flags when the token endpoint answers more than maxResponseBytes', async () => {
    server.on('/oauth/token', (_req, res) => sendJson(res, 200, { access_token: 't'.repeat(5_000), expires_in: 3_600 }))
    const result = await runCorpus('feature-flags-cached-token', login(), {
      server,
      configuration: config(),
      modules: httpPolicy(server, { maxResponseBytes: 2_048 }),
    })
    expect(result.accessToken.claims).toEqual({})
    expect(logLines(result)).toEqual([['warn', `no token for feature flags: ${tooLarge(2_048)}`]])
  })

  it('goes on without flags when the token endpoint is on a host that is not allowed, sending nothing', async () => {
    const result = await runCorpus('feature-flags-cached-token', login(), { server, configuration: config('https://login.other-tenant.example/oauth/token') })
    expect(result.accessToken.claims).toEqual({})
    expect(logLines(result)).toEqual([['warn', `no token for feature flags: ${notAllowed('login.other-tenant.example')}`]])
    expect(server.requests).toEqual([])
  })
})

describe('audit-login-webhook (request with a querystring body and an HMAC header; never locks users out)', () => {
  const config = () => ({ AUDIT_WEBHOOK_URL: `${server.origin}/siem/events`, AUDIT_SECRET: 'siem-secret' })
  const run = (configuration = config(), extra = {}) => runCorpus('audit-login-webhook', login(), { server, configuration, ...extra })
  const EVENT = `event=login&user_id=${encodeURIComponent(USER_ID)}&client_id=${CLIENT_ID}&ip=203.0.113.7&connection=Employees`

  it('posts the signed event', async () => {
    server.on('/siem/events', (_req, res) => {
      res.writeHead(204)
      res.end()
    })
    const result = await run()
    expect(result.logs).toEqual([])
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      url: '/siem/events',
      body: EVENT,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-signature': `sha256=${createHmac('sha256', 'siem-secret').update(EVENT).digest('hex')}`,
      },
    })
  })

  it.each([
    ['a 500', () => server.on('/siem/events', (_req, res) => sendJson(res, 500, {})), 'audit webhook answered 500'],
    [
      'a timeout',
      () =>
        server.on(
          '/siem/events',
          slow(TOO_SLOW_MS, (_req, res) => void res.end()),
        ),
      'audit webhook failed: ETIMEDOUT',
    ],
  ])('lets the login through after %s, logging it', async (_what, arrange, line) => {
    arrange()
    const result = await run()
    expect(result.accessToken.claims).toEqual({})
    expect(logLines(result)).toEqual([['error', line]])
  })

  it('lets the login through when the webhook answers more than maxResponseBytes', async () => {
    server.on('/siem/events', streamedJson(20_000))
    const result = await run(config(), { modules: httpPolicy(server, { maxResponseBytes: 4_096 }) })
    expect(result.accessToken.claims).toEqual({})
    expect(logLines(result)).toEqual([['error', 'audit webhook failed: ERR_RESPONSE_TOO_LARGE']])
  })

  it('lets the login through when the webhook host is not allowed, sending nothing', async () => {
    const result = await run({ AUDIT_WEBHOOK_URL: 'https://siem.example.net/events', AUDIT_SECRET: 'x' })
    expect(logLines(result)).toEqual([['error', 'audit webhook failed: ERR_HTTP_NOT_ALLOWED']])
    expect(server.requests).toEqual([])
  })
})
