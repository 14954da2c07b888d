/**
 * Property-based tests over the token endpoint: random methods, paths, content types, encodings,
 * bodies (forms, JSON, raw bytes, near-valid logins and refreshes) and headers.
 *
 * Invariants: every request gets an answer within a bounded time; the answer is JSON; an error is
 * an OAuth error (`error`, optional string `error_description`) with `Cache-Control: no-store`,
 * never a 500 (nothing a client sends is a server failure) and never a stack, a path or a secret;
 * `hooks.onError` is never called; a success on `/oauth/token` is a token response. The same
 * properties hold through `toNodeListener` over loopback HTTP. Seed fixed (FUZZ_SEED overrides),
 * printed by fast-check with any counterexample.
 */
import { once } from 'node:events'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GRANT_TYPES, toNodeListener } from '@tokenrules/oauth'
import { ALICE, API, CLIENT_ID, CLIENT_SECRET, rule, startServer, type TestServer } from './helpers.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_122)
const SCALE = Number(process.env.FUZZ_RUNS_SCALE ?? 1)
const runs = (n: number) => ({ seed: SEED, numRuns: Math.max(1, Math.round(n * SCALE)), endOnFailure: true })

const SECRETS = [CLIENT_SECRET, ALICE.password]
const ALLOWED_STATUS = new Set([200, 400, 401, 403, 404, 405, 413, 415, 429])

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 })
const anyText = fc.oneof(printable, fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }))

const grantType = fc.oneof(fc.constantFrom(...Object.values(GRANT_TYPES), 'client_credentials', 'authorization_code', ''), anyText)
const paramValue = fc.oneof(
  { weight: 3, arbitrary: anyText },
  { weight: 1, arbitrary: fc.constantFrom(ALICE.email, ALICE.password, 'Employees', 'Customers', API, 'openid offline_access', CLIENT_ID, CLIENT_SECRET) },
)
const paramName = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'grant_type',
      'username',
      'password',
      'realm',
      'scope',
      'audience',
      'client_id',
      'client_secret',
      'refresh_token',
      'mfa_token',
      'otp',
      'recovery_code',
      'binding_code',
      'oob_code',
      'challenge_type',
      'authenticator_types',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '') },
  { weight: 1, arbitrary: anyText },
)

/** A parameter list close to a real login (often valid), with random changes. */
const params = fc
  .record({
    base: fc.constantFrom('login', 'refresh', 'empty', 'mfa'),
    grant: grantType,
    extra: fc.array(fc.tuple(paramName, paramValue), { maxLength: 5 }),
    drop: fc.array(fc.constantFrom('client_id', 'client_secret', 'username', 'password', 'realm', 'audience'), { maxLength: 2 }),
  })
  .map(({ base, grant, extra, drop }) => {
    const list: [string, string][] =
      base === 'login'
        ? [
            ['grant_type', GRANT_TYPES.passwordRealm],
            ['client_id', CLIENT_ID],
            ['client_secret', CLIENT_SECRET],
            ['username', ALICE.email],
            ['password', ALICE.password],
            ['realm', 'Employees'],
            ['audience', API],
            ['scope', 'openid offline_access'],
          ]
        : base === 'refresh'
          ? [
              ['grant_type', GRANT_TYPES.refreshToken],
              ['client_id', CLIENT_ID],
              ['client_secret', CLIENT_SECRET],
              ['refresh_token', 'not-a-token'],
            ]
          : base === 'mfa'
            ? [
                ['grant_type', GRANT_TYPES.mfaOtp],
                ['client_id', CLIENT_ID],
                ['client_secret', CLIENT_SECRET],
                ['mfa_token', 'x'],
                ['otp', '123456'],
              ]
            : [['grant_type', grant]]
    return [...list.filter(([k]) => !drop.includes(k as never)), ...extra]
  })

const contentType = fc.oneof(
  fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'application/x-www-form-urlencoded; charset=latin1',
    'application/json',
    'application/json; charset=UTF-8',
    'application/JSON',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded, application/json',
    '',
  ),
  printable,
)

function encodeBody(kind: string, list: [string, string][], raw: Uint8Array): string | Uint8Array {
  switch (kind) {
    case 'form':
      return new URLSearchParams(list).toString()
    case 'json':
      return JSON.stringify(Object.fromEntries(list))
    case 'json-duplicate':
      return `{${list.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`
    case 'json-nested':
      return JSON.stringify({ ...Object.fromEntries(list), scope: { a: [1, { b: null }] }, username: ['x'] })
    case 'form-latin1':
      return Buffer.from(new URLSearchParams(list).toString(), 'latin1')
    case 'form-raw':
      return list.map(([k, v]) => `${k}=${v}`).join('&')
    case 'utf16':
      return Buffer.from(new URLSearchParams(list).toString(), 'utf16le')
    default:
      return raw
  }
}

const requestArb = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
  path: fc.oneof(
    { weight: 6, arbitrary: fc.constant('/oauth/token') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '/mfa/associate',
        '/mfa/challenge',
        '/.well-known/jwks.json',
        '/.well-known/openid-configuration',
        '/oauth/token/',
        '/OAUTH/TOKEN',
        '/oauth//token',
        '/%2e%2e/oauth/token',
      ),
    },
    { weight: 1, arbitrary: printable.map((p) => `/${encodeURIComponent(p)}`) },
  ),
  query: fc.option(printable, { nil: undefined }),
  contentType: fc.option(contentType, { nil: undefined }),
  bodyKind: fc.constantFrom('form', 'form', 'json', 'json', 'json-duplicate', 'json-nested', 'form-latin1', 'form-raw', 'utf16', 'raw'),
  params,
  raw: fc.uint8Array({ maxLength: 200 }),
  authorization: fc.option(
    fc.oneof(
      fc.constant(`Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`),
      printable.map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
      printable.map((s) => `Bearer ${s}`),
      printable,
    ),
    { nil: undefined },
  ),
  contentEncoding: fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x'), { nil: undefined }),
  forwardedFor: fc.option(printable, { nil: undefined }),
  huge: fc.boolean(),
})

type FuzzRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never

function toRequest(r: FuzzRequest): Request {
  const headers = new Headers()
  if (r.contentType !== undefined) headers.set('content-type', r.contentType)
  if (r.authorization !== undefined) headers.set('authorization', r.authorization)
  if (r.contentEncoding !== undefined) headers.set('content-encoding', r.contentEncoding)
  if (r.forwardedFor !== undefined) headers.set('auth0-forwarded-for', r.forwardedFor)
  let body: string | Uint8Array | undefined = encodeBody(r.bodyKind, r.params, r.raw)
  if (r.huge) body = typeof body === 'string' ? body + '&pad=' + 'a'.repeat(20_000) : new Uint8Array(20_000).fill(0x61)
  if (r.method === 'GET') body = undefined
  const url = `http://localhost${r.path}${r.query === undefined ? '' : `?${encodeURIComponent(r.query)}`}`
  return new Request(url, {
    method: r.method,
    headers,
    body: body as ConstructorParameters<typeof Request>[1] extends infer I ? (I extends { body?: infer B } ? B : never) : never,
  })
}

/** The invariants of one answer. */
function checkAnswer(r: FuzzRequest, status: number, headers: Headers, text: string): void {
  expect(ALLOWED_STATUS.has(status), `status ${status}: ${text.slice(0, 300)}`).toBe(true)
  for (const secret of SECRETS) {
    // A value the client sent in another parameter (say `grant_type`) may be echoed: it is not a secret there.
    const sentElsewhere = r.params.some(([k, v]) => k !== 'password' && k !== 'client_secret' && v.includes(secret))
    if (!sentElsewhere) expect(text, 'a secret in the answer').not.toContain(secret)
  }
  expect(text).not.toMatch(/\n\s*at |node_modules|\/work\/|node:internal|\.ts:\d+/)
  let body: Record<string, unknown> = {}
  expect(
    () => (body = JSON.parse(text) as Record<string, unknown>),
    `not JSON (status ${status}, ${JSON.stringify([...headers])}): ${text.slice(0, 200)}`,
  ).not.toThrow()
  expect(typeof body).toBe('object')
  if (status >= 400) {
    expect(typeof body.error, text).toBe('string')
    if (body.error_description !== undefined) expect(typeof body.error_description).toBe('string')
  }
  if (r.path === '/oauth/token' && r.method === 'POST') {
    expect(headers.get('cache-control')).toBe('no-store')
    if (status === 200) {
      expect(typeof body.access_token).toBe('string')
      expect(body.token_type).toBe('Bearer')
    }
  }
}

describe('fuzz: token endpoint', () => {
  let t: TestServer
  const errors: unknown[] = []
  let http: Server
  let port = 0
  beforeAll(async () => {
    t = await startServer({
      rules: [rule('claims', `context.accessToken['https://f.example/ip'] = context.request.ip; callback(null, user, context);`)],
      hooks: { onError: (event) => void errors.push(event) },
      bruteForce: { threshold: 1_000_000 },
    })
    http = createServer(toNodeListener(t.server.handler))
    http.listen(0, '127.0.0.1')
    await once(http, 'listening')
    port = (http.address() as AddressInfo).port
  })
  afterAll(async () => {
    http.closeAllConnections()
    await new Promise((resolve) => http.close(resolve))
    await t[Symbol.asyncDispose]()
  })

  it('any request through the handler: a JSON OAuth answer, never a 500, in bounded time', async () => {
    const statuses: Record<number, number> = {}
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const started = performance.now()
        const response = await t.server.handler(toRequest(r), { remoteAddress: '198.51.100.9' })
        const text = await response.text()
        statuses[response.status] = (statuses[response.status] ?? 0) + 1
        expect(performance.now() - started).toBeLessThan(3_000)
        checkAnswer(r, response.status, response.headers, text)
      }),
      runs(300),
    )
    expect(errors).toEqual([])
    // The generator reaches both ends: successes and refusals.
    expect(statuses[200] ?? 0).toBeGreaterThan(0)
    expect(statuses[400] ?? 0).toBeGreaterThan(0)
  })

  it('any request over loopback HTTP (toNodeListener): the same answers, the server keeps serving', async () => {
    let parserRefusals = 0
    await fc.assert(
      fc.asyncProperty(requestArb, fc.boolean(), async (r, lieAboutLength) => {
        const request = toRequest(r)
        const body = Buffer.from(await request.arrayBuffer())
        const headers: Record<string, string> = Object.fromEntries(request.headers)
        // A Content-Length that lies (shorter than the body) or is garbage, on some requests.
        if (lieAboutLength && body.length > 0) headers['content-length'] = String(Math.max(0, body.length - 1))
        const answer = await new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
          const req = httpRequest(
            { host: '127.0.0.1', port, method: r.method, path: new URL(request.url).pathname + new URL(request.url).search, headers, timeout: 3_000 },
            (res) => {
              const chunks: Buffer[] = []
              res.on('data', (c: Buffer) => chunks.push(c))
              res.on('end', () =>
                resolve({
                  status: res.statusCode ?? 0,
                  headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
                  text: Buffer.concat(chunks).toString('utf8'),
                }),
              )
            },
          )
          req.on('timeout', () => req.destroy(new Error('no answer within 3 s')))
          req.on('error', reject)
          req.end(r.method === 'GET' ? undefined : lieAboutLength ? body.subarray(0, Math.max(0, body.length - 1)) : body)
        })
        // Node's own HTTP parser refuses some requests before the handler runs (an empty 400 with
        // only `Connection: close`): nothing of the server in it.
        if (answer.status === 400 && answer.text === '' && !answer.headers.has('content-type')) {
          parserRefusals++
          return
        }
        checkAnswer(r, answer.status, answer.headers, answer.text)
      }),
      runs(120),
    )
    expect(errors).toEqual([])
    expect(parserRefusals).toBeLessThan(runs(120).numRuns)
    const ok = await t.login(ALICE, 'Employees')
    expect(ok.status).toBe(200)
  })
})
