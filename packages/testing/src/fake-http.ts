/**
 * One request a rule made, as the fake server saw it (`http.requests`, and the argument of a route
 * function).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { fakeHttp, runRules, type RecordedRequest } from '@tokenrules/testing'
 *
 * const http = fakeHttp({ 'POST https://crm.acme.example/oauth/token': { json: { access_token: 'crm-token' } } })
 * await runRules({
 *   rules: [`async function (user, context, callback) {
 *     await fetch('https://crm.acme.example/oauth/token', {
 *       method: 'POST',
 *       headers: { 'content-type': 'application/x-www-form-urlencoded' },
 *       body: 'grant_type=client_credentials&client_id=' + configuration.CRM_CLIENT_ID,
 *     });
 *     callback(null, user, context);
 *   }`],
 *   configuration: { CRM_CLIENT_ID: 'crm-app' },
 *   modules: { http: http.module },
 * })
 * const [request]: RecordedRequest[] = http.requests
 * assert.equal(request?.method, 'POST')
 * assert.equal(request?.headers['content-type'], 'application/x-www-form-urlencoded')
 * assert.equal(request?.body, 'grant_type=client_credentials&client_id=crm-app')
 * assert.deepEqual(request?.json, { grant_type: 'client_credentials', client_id: 'crm-app' })
 * ```
 */
export interface RecordedRequest {
  /** The HTTP method, upper case (`GET`, `POST`, …). */
  method: string
  /** The full URL, query included. */
  url: string
  /** The request's headers, names in lower case. */
  headers: Record<string, string>
  /** The body as text (`''` when there is none). */
  body: string
  /** The body parsed as JSON, or as a form (`a=1&b=2` → `{ a: '1', b: '2' }`); `undefined` otherwise. */
  json: unknown
}

/**
 * What a route answers: `{ status, json, body, headers }` (status default 200; `json` is sent as
 * JSON with its content type) or a `Response`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { fakeHttp, runRules, type FakeResponse } from '@tokenrules/testing'
 *
 * const outage: FakeResponse = { status: 503, body: 'maintenance' }
 * const http = fakeHttp({ 'https://risk.acme.example/v1/score': outage })
 * const login = runRules({
 *   rules: [`async function (user, context, callback) {
 *     const res = await fetch('https://risk.acme.example/v1/score?user=' + encodeURIComponent(user.user_id));
 *     if (!res.ok) return callback(new UnauthorizedError('Please try again later.'));
 *     callback(null, user, context);
 *   }`],
 *   modules: { http: http.module },
 * })
 * await assert.rejects(login, { code: 'ERR_RULE_UNAUTHORIZED', message: 'Please try again later.' })
 * ```
 */
export type FakeResponse = { status?: number; json?: unknown; body?: string; headers?: Record<string, string> } | Response
/**
 * A route of {@link fakeHttp}: a {@link FakeResponse}, or a function of the {@link RecordedRequest}
 * returning one (or a promise of one), for answers that depend on the request.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { fakeHttp, runRules, type FakeRoute } from '@tokenrules/testing'
 *
 * const lookup: FakeRoute = (request) => {
 *   const email = new URL(request.url).searchParams.get('email')
 *   return email === 'ada.lovelace@example.com' ? { json: { customerId: 'cus_1815' } } : { status: 404, json: {} }
 * }
 * const http = fakeHttp({ 'GET https://billing.acme.example/customers': lookup })
 * const result = await runRules({
 *   rules: [`async function (user, context, callback) {
 *     const res = await fetch('https://billing.acme.example/customers?email=' + encodeURIComponent(user.email));
 *     if (res.ok) context.accessToken['https://example.com/customer_id'] = (await res.json()).customerId;
 *     callback(null, user, context);
 *   }`],
 *   modules: { http: http.module },
 * })
 * assert.deepEqual(result.accessToken.claims, { 'https://example.com/customer_id': 'cus_1815' })
 * ```
 */
export type FakeRoute = FakeResponse | ((request: RecordedRequest) => FakeResponse | Promise<FakeResponse>)

/**
 * A fake HTTP server for the rules' `request`, `axios`, `node-fetch` and `fetch`, as
 * {@link fakeHttp} returns it.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createRuleRunner, fakeHttp, type FakeHttp } from '@tokenrules/testing'
 *
 * const http: FakeHttp = fakeHttp({ 'GET https://api.acme.example/flags': { json: { beta: false } } })
 * await using runner = await createRuleRunner({
 *   rules: [`async function (user, context, callback) {
 *     const { data } = await require('axios').get('https://api.acme.example/flags');
 *     context.idToken['https://example.com/beta'] = data.beta === true;
 *     callback(null, user, context);
 *   }`],
 *   modules: { http: http.module },
 * })
 * assert.deepEqual((await runner.run()).idToken.claims, { 'https://example.com/beta': false })
 * http.route('GET https://api.acme.example/flags', { json: { beta: true } })
 * assert.deepEqual((await runner.run()).idToken.claims, { 'https://example.com/beta': true })
 * assert.equal(http.requests.length, 2)
 * assert.deepEqual(http.unmatched, [])
 * ```
 */
export interface FakeHttp {
  /** Pass as the engine option `modules.http`: the routes' hosts are allowed, requests go to the fake. */
  readonly module: { allow: string[]; fetch: typeof fetch }
  /** Every request the rules made, in order. */
  readonly requests: RecordedRequest[]
  /** Requests no route matched (they were answered 404). */
  readonly unmatched: RecordedRequest[]
  /**
   * Add or replace a route. An engine allows the hosts `module.allow` listed when it was created:
   * add routes to new hosts before handing `module` to it (or list those hosts in `options.allow`).
   */
  route(key: string, route: FakeRoute): void
}

/**
 * A fake HTTP server for rules that call APIs: the real `request` / `axios` / `fetch` of the
 * sandbox, over the engine's HTTP bridge, answered by routes instead of the network.
 *
 * Routes are keyed `'METHOD https://host/path'` or `'https://host/path'` (any method). A key
 * without a query matches that path whatever the query; a key with a query matches only that exact
 * URL. Unmatched requests are answered 404 and listed in `unmatched`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { fakeHttp, runRules } from '@tokenrules/testing'
 *
 * const http = fakeHttp({ 'POST https://risk.acme.example/v1/score': { json: { score: 12 } } })
 * const result = await runRules({
 *   rules: [`async function (user, context, callback) {
 *     const { data } = await require('axios').post('https://risk.acme.example/v1/score', { id: user.user_id });
 *     context.accessToken['https://acme.example/risk'] = data.score;
 *     callback(null, user, context);
 *   }`],
 *   modules: { http: http.module },
 * })
 * assert.deepEqual(http.requests[0]?.json, { id: 'auth0|65a1f0c2e4b0a1b2c3d4e5f6' })
 * assert.deepEqual(result.accessToken.claims, { 'https://acme.example/risk': 12 })
 * ```
 */
export function fakeHttp(routes: Readonly<Record<string, FakeRoute>> = {}, options: { allow?: readonly string[] } = {}): FakeHttp {
  const table = new Map<string, FakeRoute>()
  const requests: RecordedRequest[] = []
  const unmatched: RecordedRequest[] = []
  const extraHosts = [...(options.allow ?? [])]

  const hostsOf = (): string[] => {
    const hosts = new Set(extraHosts)
    for (const key of table.keys()) hosts.add(new URL(parseKey(key).url).host)
    return [...hosts]
  }

  const fakeFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request = await record(input, init)
    requests.push(request)
    const route = match(table, request)
    if (route === undefined) {
      unmatched.push(request)
      return new Response(`tokenrules fakeHttp: no route for ${request.method} ${request.url}`, { status: 404, headers: { 'content-type': 'text/plain' } })
    }
    const answer = typeof route === 'function' ? await route(request) : route
    return toResponse(answer)
  }

  const http: FakeHttp = {
    get module() {
      return { allow: hostsOf(), fetch: fakeFetch as typeof fetch }
    },
    requests,
    unmatched,
    route(key, route) {
      parseKey(key)
      table.set(key, route)
    },
  }
  for (const [key, route] of Object.entries(routes)) http.route(key, route)
  return http
}

function parseKey(key: string): { method: string | undefined; url: string } {
  const match = /^(?:([A-Za-z]+)\s+)?(https?:\/\/\S+)$/.exec(key.trim())
  if (match === null) throw new TypeError(`fakeHttp: a route is 'METHOD https://host/path' or 'https://host/path', not '${key}'`)
  return { method: match[1]?.toUpperCase(), url: new URL(match[2] as string).href }
}

function match(table: Map<string, FakeRoute>, request: RecordedRequest): FakeRoute | undefined {
  const url = new URL(request.url)
  let best: { route: FakeRoute; score: number } | undefined
  for (const [key, route] of table) {
    const { method, url: keyUrl } = parseKey(key)
    if (method !== undefined && method !== request.method) continue
    const wanted = new URL(keyUrl)
    const exact = wanted.href === url.href
    const samePath = wanted.search === '' && wanted.origin === url.origin && wanted.pathname === url.pathname
    if (!exact && !samePath) continue
    const score = (exact ? 2 : 0) + (method === undefined ? 0 : 1)
    if (best === undefined || score > best.score) best = { route, score }
  }
  return best?.route
}

async function record(input: string | URL | Request, init: RequestInit): Promise<RecordedRequest> {
  const request = new Request(input, init)
  const body = request.body === null ? '' : await request.text()
  const headers = Object.fromEntries(request.headers)
  let json: unknown
  const type = headers['content-type'] ?? ''
  if (body !== '') {
    if (type.includes('application/x-www-form-urlencoded')) json = Object.fromEntries(new URLSearchParams(body))
    else {
      try {
        json = JSON.parse(body)
      } catch {
        json = undefined
      }
    }
  }
  return { method: request.method, url: request.url, headers, body, json }
}

function toResponse(answer: FakeResponse): Response {
  if (answer instanceof Response) return answer
  const headers = new Headers(answer.headers)
  if (answer.json !== undefined) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
    return new Response(JSON.stringify(answer.json), { status: answer.status ?? 200, headers })
  }
  return new Response(answer.body ?? '', { status: answer.status ?? 200, headers })
}
