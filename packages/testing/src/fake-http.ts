/** One request a rule made, as the fake server saw it. */
export interface RecordedRequest {
  method: string
  /** The full URL, query included. */
  url: string
  headers: Record<string, string>
  /** The body as text (`''` when there is none). */
  body: string
  /** The body parsed as JSON, or as a form (`a=1&b=2` → `{ a: '1', b: '2' }`); `undefined` otherwise. */
  json: unknown
}

/** What a route answers: a description, a `Response`, or a function of the request returning either. */
export type FakeResponse =
  | { status?: number; json?: unknown; body?: string; headers?: Record<string, string> }
  | Response
export type FakeRoute = FakeResponse | ((request: RecordedRequest) => FakeResponse | Promise<FakeResponse>)

/** A fake HTTP server for the rules' `request`, `axios`, `node-fetch` and `fetch`. */
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
 * http.requests[0]?.json // { id: 'auth0|65a1f0c2e4b0a1b2c3d4e5f6' }
 * result.accessToken.claims['https://acme.example/risk'] // 12
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
