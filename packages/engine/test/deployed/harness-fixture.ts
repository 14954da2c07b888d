/**
 * The differential harness's fixture server: one `node:http` server on 127.0.0.1 (port 0) that
 * plays every host a rule calls. It answers from a list of routes (first match wins) and records
 * every request it received, normalised so that the engine's and the reference's requests compare.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { ManagementFixture } from './harness-management.js'

/** One answer of the fixture server (a case's `routes` entry). */
export interface Route {
  /** HTTP method to match; `*` or absent matches any. */
  method?: string
  /** Path to match (without query; compared with canonical percent-encoding, so `auth0|1` and `auth0%7C1` match alike). A trailing `*` matches any rest. Absent: any path. */
  path?: string
  /** Answer status. Default 200. */
  status?: number
  /** Answer body as JSON (content type application/json). */
  json?: unknown
  /** Answer body as text (content type text/plain unless `headers` says otherwise). */
  body?: string
  /** Extra answer headers. */
  headers?: Record<string, string>
  /** Answer after this many milliseconds. */
  delayMs?: number
}

/** A request as the fixture server received it, in the form both sides are compared in. */
export interface ReceivedRequest {
  method: string
  path: string
  /** Query parameters, names sorted; a repeated name keeps its values in order. */
  query: Record<string, string | string[]>
  /** The media type only (`application/json`), lower case; `null` without a body type. */
  contentType: string | null
  authorization: string | null
  /** JSON bodies parsed, form bodies as sorted fields, other text as it is, `null` when empty. */
  body: unknown
}

export interface FixtureServer {
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** `127.0.0.1:<port>`, the engine's allow-list entry. */
  host: string
  /** Requests received since the last {@link FixtureServer.reset}, in arrival order. */
  requests: ReceivedRequest[]
  /** Answer with `routes` (first match wins) until the next reset; unmatched requests get 404. */
  setRoutes(routes: readonly Route[]): void
  /** Answer requests under `/api/v2/` that no route matched with this Management API (or stop, with `undefined`). */
  setManagement(api: ManagementFixture | undefined): void
  /** Forget routes, the Management API and recorded requests. */
  reset(): void
  close(): Promise<void>
}

/**
 * A path with each segment's percent-encoding made canonical (`a|b` and `a%7Cb` are one path to
 * every server), so that a client that encodes `|` and one that does not send the same path.
 */
export function canonicalPath(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      try {
        return encodeURIComponent(decodeURIComponent(segment))
      } catch {
        return segment
      }
    })
    .join('/')
}

function routeMatches(route: Route, method: string, path: string): boolean {
  if (route.method !== undefined && route.method !== '*' && route.method.toUpperCase() !== method) return false
  if (route.path === undefined) return true
  if (route.path.endsWith('*')) return path.startsWith(canonicalPath(route.path.slice(0, -1)))
  return canonicalPath(route.path) === path
}

function sortedQuery(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const name of [...new Set(params.keys())].sort()) {
    const values = params.getAll(name)
    out[name] = values.length === 1 ? (values[0] as string) : values
  }
  return out
}

/**
 * The body as compared: JSON parsed, forms as fields, multipart forms as their parts in order (the
 * boundary, random on every side, set aside), text as it is.
 */
export function normaliseBody(contentType: string | null, text: string, boundary?: string): unknown {
  if (text === '') return null
  if (contentType === 'multipart/form-data' && boundary !== undefined) return multipartParts(text, boundary)
  if (contentType !== null && /json/.test(contentType)) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  if (contentType === 'application/x-www-form-urlencoded') return sortedQuery(new URLSearchParams(text))
  return text
}

/** A multipart body's parts: each part's headers (names lower case) and its text, or the whole text when it is not well formed. */
function multipartParts(text: string, boundary: string): unknown {
  const delimiter = `--${boundary}`
  const chunks = text.split(delimiter)
  if (chunks.length < 2 || chunks[0] !== '' || chunks.at(-1) !== '--\r\n') return text
  return chunks.slice(1, -1).map((chunk) => {
    const end = chunk.indexOf('\r\n\r\n')
    if (!chunk.startsWith('\r\n') || end === -1 || !chunk.endsWith('\r\n')) return { malformed: chunk }
    const headers = Object.fromEntries(
      chunk
        .slice(2, end)
        .split('\r\n')
        .map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    )
    return { headers, value: chunk.slice(end + 4, -2) }
  })
}

function receive(req: IncomingMessage, body: string): ReceivedRequest {
  const url = new URL(req.url ?? '/', 'http://fixture.invalid')
  const rawType = req.headers['content-type']
  const contentType = rawType === undefined ? null : (rawType.split(';')[0] as string).trim().toLowerCase()
  return {
    method: req.method ?? '',
    path: canonicalPath((req.url ?? '/').split('?')[0] as string),
    query: sortedQuery(url.searchParams),
    contentType: body === '' && contentType === null ? null : contentType,
    authorization: req.headers.authorization ?? null,
    body: normaliseBody(contentType, body, /;\s*boundary=("?)([^";]+)\1/i.exec(rawType ?? '')?.[2]),
  }
}

function answer(res: ServerResponse, route: Route | undefined): void {
  if (route === undefined) {
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: 'not_found' }))
    return
  }
  const status = route.status ?? 200
  let text = ''
  const headers: Record<string, string> = {}
  if (route.json !== undefined) {
    text = JSON.stringify(route.json)
    headers['content-type'] = 'application/json'
  } else if (route.body !== undefined) {
    text = route.body
    headers['content-type'] = 'text/plain'
  }
  Object.assign(headers, route.headers)
  headers['content-length'] = String(Buffer.byteLength(text))
  res.writeHead(status, headers)
  res.end(status === 204 || status === 304 ? undefined : text)
}

export async function startFixtureServer(): Promise<FixtureServer> {
  let routes: readonly Route[] = []
  let management: ManagementFixture | undefined
  const requests: ReceivedRequest[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const received = receive(req, Buffer.concat(chunks).toString('utf8'))
      requests.push(received)
      let route = routes.find((r) => routeMatches(r, received.method, received.path))
      if (route === undefined && management !== undefined && received.path.startsWith('/api/v2/')) {
        const { status, json } = management.answer(
          received.method,
          received.path.slice('/api/v2'.length),
          received.query,
          received.authorization,
          received.body,
        )
        route = { status, json }
      }
      if (route?.delayMs !== undefined) setTimeout(() => answer(res, route), route.delayMs)
      else answer(res, route)
    })
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    setRoutes: (next) => {
      routes = next
    },
    setManagement: (api) => {
      management = api
    },
    reset: () => {
      routes = []
      management = undefined
      requests.length = 0
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
