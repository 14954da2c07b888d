/**
 * Side by side with the real HTTP clients: the same code runs as a rule in the engine (its shims of
 * axios, request, request-promise, node-fetch, http) and in plain Node with the real libraries, both
 * against one local server; the test compares what the server received and what the caller saw.
 */
import { createRequire } from 'node:module'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { EngineOptions } from '@tokenrules/engine'
import { evaluate, RESOLVE_FROM } from './support.js'

const requireReal = createRequire(`${RESOLVE_FROM}/package.json`)

/** What reached the server: the body as base64 (binary bodies compare byte for byte). */
export interface Received {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** Headers the engine's transport (undici's fetch) adds when the client sent none. */
const TRANSPORT_DEFAULTS: Record<string, RegExp> = {
  'user-agent': /^node$/,
  accept: /^\*\/\*$/,
  'accept-encoding': /^(gzip, deflate|gzip, deflate, br|br, gzip, deflate)$/,
  'accept-language': /^\*$/,
  'sec-fetch-mode': /^cors$/,
}
/** Headers about the connection, not the request. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive'])

export interface ParityServer {
  origin: string
  host: string
  port: number
  received: Received[]
  close(): Promise<void>
}

type Route = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void

const BINARY = Buffer.from([0, 1, 2, 253, 254, 255, 0xe2, 0x82, 0xac])

const ROUTES: Record<string, Route> = {
  '/json': (req, body, res) => reply(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ ok: true, method: req.method, url: req.url })),
  '/echo': (req, body, res) =>
    reply(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ method: req.method, url: req.url, body: body.toString('base64') })),
  '/text': (_req, _body, res) =>
    reply(res, 200, { 'content-type': 'text/plain; charset=utf-8', 'set-cookie': ['a=1; Path=/', 'b=2'], 'x-multi': 'v' }, 'hello, world'),
  '/bin': (_req, _body, res) => reply(res, 200, { 'content-type': 'application/octet-stream' }, BINARY),
  '/500': (_req, _body, res) => reply(res, 500, { 'content-type': 'application/json' }, JSON.stringify({ error: 'boom' })),
  '/404': (_req, _body, res) => reply(res, 404, { 'content-type': 'text/plain' }, 'not here'),
  '/badjson': (_req, _body, res) => reply(res, 200, { 'content-type': 'application/json' }, '{not json'),
  '/empty': (_req, _body, res) => reply(res, 204, {}, ''),
  '/redirect': (_req, _body, res) => reply(res, 302, { location: '/json' }, ''),
  '/bom': (_req, _body, res) => reply(res, 200, { 'content-type': 'application/json' }, '\uFEFF{"bom":true}'),
  '/slow': (_req, _body, res) => {
    const t = setTimeout(() => reply(res, 200, { 'content-type': 'text/plain' }, 'late'), 1_500)
    res.on('close', () => clearTimeout(t))
  },
}

function reply(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: string | Buffer): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  res.writeHead(status, { ...headers, 'content-length': String(bytes.length), date: 'Thu, 01 Jan 2026 00:00:00 GMT' })
  res.end(bytes)
}

export async function startParityServer(): Promise<ParityServer> {
  const received: Received[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body: body.toString('base64') })
      const route = ROUTES[(req.url ?? '').split('?')[0] as string]
      if (route === undefined) reply(res, 404, { 'content-type': 'application/json' }, '{"error":"not_found"}')
      else route(req, body, res)
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** The helpers both sides get: `done(value)` and `describeError(e)` (name, message, code, constructor). */
const HELPERS = `
  function describeError(e) {
    if (e === null || typeof e !== 'object') return { thrown: String(e) };
    return { name: e.name, message: e.message, code: e.code === undefined ? null : e.code,
             ctor: e.constructor && e.constructor.name, isError: e instanceof Error };
  }`

/** Run `code` in plain Node with the real clients; what it passed to `done`. */
export function runReal(code: string, timeoutMs = 5_000): Promise<unknown> {
  const modules: Record<string, unknown> = {
    axios: requireReal('axios'),
    request: requireReal('request'),
    'request-promise': requireReal('request-promise'),
    'request-promise/errors': requireReal('request-promise/errors'),
    'node-fetch': requireReal('node-fetch'),
    http: requireReal('node:http'),
    https: requireReal('node:https'),
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the real clients' run did not call done within ${timeoutMs} ms`)), timeoutMs)
    const done = (value: unknown) => {
      clearTimeout(timer)
      // What the engine's claim would hold: JSON.
      resolve(value === undefined ? '<undefined>' : JSON.parse(JSON.stringify(value)))
    }
    const req = (name: string) => {
      if (!(name in modules)) throw new Error(`no real module ${name}`)
      return modules[name]
    }
    try {
      new Function('require', 'done', 'Buffer', `${HELPERS}\n${code}`)(req, done, Buffer)
    } catch (e) {
      clearTimeout(timer)
      reject(e)
    }
  })
}

/** Run `code` as a rule in the engine (modules.http allowing the server); what it passed to `done`. */
export function runEngine(code: string, server: ParityServer, extra: Partial<EngineOptions['modules']> = {}, allow: string[] = []): Promise<unknown> {
  return evaluate(code, { modules: { http: { allow: [server.host, ...allow], timeoutMs: 3_000 }, ...extra } })
}

/** What a request looked like, without what only the transport or the connection decides. */
export function comparable(ours: Received[], real: Received[]): { ours: Received[]; real: Received[] } {
  const strip = (list: Received[], other: Received[]) =>
    list.map((r, i) => {
      const headers: Record<string, string | string[] | undefined> = {}
      for (const [k, v] of Object.entries(r.headers)) {
        if (CONNECTION_HEADERS.has(k)) continue
        const theirs = other[i]?.headers[k]
        const pattern = TRANSPORT_DEFAULTS[k]
        if (theirs === undefined && pattern !== undefined && typeof v === 'string' && pattern.test(v)) continue
        // An empty body's length: the transport (undici's fetch) states it for POST and PUT only.
        if (k === 'content-length' && v === '0' && theirs === undefined && r.body === '' && other[i]?.body === '') continue
        headers[k] = v
      }
      return { ...r, headers }
    })
  return { ours: strip(ours, real), real: strip(real, ours) }
}

/**
 * Run `code` on both sides, each against a fresh list of received requests: what the caller saw,
 * and what the server received, with the transport's own additions set aside.
 */
export async function sideBySide(
  server: ParityServer,
  code: string,
  extra: Partial<EngineOptions['modules']> = {},
  allow: string[] = [],
): Promise<{ engine: unknown; real: unknown; ours: Received[]; theirs: Received[] }> {
  server.received.length = 0
  const real = await runReal(code)
  const theirs = server.received.splice(0)
  const engine = await runEngine(code, server, extra, allow)
  const oursRaw = server.received.splice(0)
  const { ours, real: theirsClean } = comparable(oursRaw, theirs)
  return { engine, real, ours, theirs: theirsClean }
}
