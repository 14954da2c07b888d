import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { SERVER_ERROR_DESCRIPTION } from './errors.js'
import type { TokenServerHandler } from './server.js'

/**
 * Adapt the Fetch-API handler to Node's `http` server (and so to Express, Fastify's
 * `server.server`, Connect…). Mount it before any body parser: it reads the raw body itself.
 * Under Express, `app.use('/auth', toNodeListener(server.handler))` strips `/auth` already;
 * for a plain server, set the token server's `basePath`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { once } from 'node:events'
 * import { createServer } from 'node:http'
 * import type { AddressInfo } from 'node:net'
 * import { createTokenServer, toNodeListener } from '@tokenrules/oauth'
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   basePath: '/auth', // a plain server does not strip the prefix
 * })
 * const http = createServer(toNodeListener(server.handler)).listen(0, '127.0.0.1')
 * await once(http, 'listening')
 * try {
 *   const { port } = http.address() as AddressInfo
 *   const response = await fetch(`http://127.0.0.1:${port}/auth/.well-known/openid-configuration`)
 *   assert.equal(response.status, 200)
 *   const discovery = (await response.json()) as { token_endpoint: string }
 *   assert.equal(discovery.token_endpoint, 'https://auth.example.com/oauth/token')
 * } finally {
 *   http.close()
 *   await once(http, 'close')
 * }
 * ```
 */
export function toNodeListener(handler: TokenServerHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void respond(handler, req, res)
  }
}

async function respond(handler: TokenServerHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let response: Response
  try {
    response = await handler(toRequest(req), { remoteAddress: req.socket.remoteAddress })
  } catch {
    response = new Response(JSON.stringify({ error: 'server_error', error_description: SERVER_ERROR_DESCRIPTION }), {
      status: 500,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    })
  }
  const body = Buffer.from(await response.arrayBuffer())
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  // A body the handler did not read to the end (too large, refused early) must not be parsed as
  // the next request on a kept-alive connection: close it.
  if (!req.complete) headers['connection'] = 'close'
  headers['content-length'] = String(body.byteLength)
  if (res.headersSent || res.destroyed) return
  res.writeHead(response.status, headers)
  res.end(req.method === 'HEAD' ? undefined : body)
}

function toRequest(req: IncomingMessage): Request {
  const path = req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`
  // The Host header is the client's to choose: it never decides routing. Routes use the path only.
  const url = new URL(`http://localhost${path}`)
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const item of value) headers.append(name, item)
    else headers.set(name, value)
  }
  const method = req.method ?? 'GET'
  const hasBody = method !== 'GET' && method !== 'HEAD'
  return new Request(url, {
    method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit)
}
