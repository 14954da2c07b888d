import { once } from 'node:events'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { toNodeListener } from '@tokenrules/oauth'
import { ALICE, API, CLIENT_ID, CLIENT_SECRET, rule, startServer } from '../helpers.js'

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const loginBody = new URLSearchParams({
  grant_type: 'http://auth0.com/oauth/grant-type/password-realm',
  client_id: CLIENT_ID,
  client_secret: CLIENT_SECRET,
  username: ALICE.email,
  password: ALICE.password,
  realm: 'Employees',
  audience: API,
}).toString()

describe('toNodeListener: the handler on a node:http server', () => {
  it('answers a real login over HTTP, with the socket address as the IP', async () => {
    await using t = await startServer({
      rules: [rule('ip', "context.accessToken['https://example.com/ip'] = context.request.ip; callback(null, user, context);")],
    })
    const http = createServer(toNodeListener(t.server.handler))
    try {
      const base = await listen(http)
      const response = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: loginBody })
      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toBe('no-store')
      const body = (await response.json()) as { access_token: string }
      expect((await t.verify(body.access_token)).payload['https://example.com/ip']).toBe('127.0.0.1')
      const jwks = await fetch(`${base}/.well-known/jwks.json`)
      expect(((await jwks.json()) as { keys: unknown[] }).keys).toHaveLength(1)
    } finally {
      http.close()
    }
  })

  it('refuses an oversized streamed body with 400 and closes the connection', async () => {
    await using t = await startServer({ limits: { maxBodyBytes: 2048 } })
    const http = createServer(toNodeListener(t.server.handler))
    try {
      const base = new URL(await listen(http))
      const answer = await new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: base.hostname,
            port: base.port,
            path: '/oauth/token',
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' },
          },
          (res) => {
            let body = ''
            res.on('data', (chunk: Buffer) => (body += chunk.toString()))
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }))
          },
        )
        req.on('error', reject)
        req.write('a'.repeat(4096))
      })
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.body)).toEqual({ error: 'invalid_request', error_description: 'The request body is larger than 2048 bytes.' })
      expect(answer.connection).toBe('close')
    } finally {
      http.closeAllConnections()
      http.close()
    }
  })

  it('mounts under a path prefix the host strips (Express-style mounting)', async () => {
    await using t = await startServer()
    const listener = toNodeListener(t.server.handler)
    const http = createServer((req, res) => {
      if (req.url?.startsWith('/auth/')) {
        req.url = req.url.slice('/auth'.length)
        listener(req, res)
      } else {
        res.writeHead(404).end()
      }
    })
    try {
      const base = await listen(http)
      const response = await fetch(`${base}/auth/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: loginBody,
      })
      expect(response.status).toBe(200)
    } finally {
      http.close()
    }
  })

  it('answers 503 after close()', async () => {
    const t = await startServer()
    await t.server.close()
    const answer = await t.login(ALICE, 'Employees')
    expect(answer.status).toBe(503)
    expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: 'The server is shutting down.' })
  })
})
