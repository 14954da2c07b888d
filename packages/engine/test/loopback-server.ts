import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** What reached the loopback server. */
export interface Recorded {
  method: string
  /** Path and query, as sent. */
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export type Handler = (req: Recorded, res: ServerResponse) => void | Promise<void>

/** A loopback HTTP server (127.0.0.1, port 0) with per-path handlers that tests swap, recording every request. */
export interface LoopbackServer {
  port: number
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** `127.0.0.1:<port>`, the allow-list entry. */
  host: string
  requests: Recorded[]
  /** Requests whose connection closed before an answer was sent. */
  aborted: string[]
  /** Answer `path` (without query) with `handler` until {@link LoopbackServer.reset}. */
  on(path: string, handler: Handler): void
  /** Forget handlers and recorded requests. */
  reset(): void
  close(): Promise<void>
}

function sendError(res: ServerResponse, status: number, error: string): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ error }))
}

export async function startServer(): Promise<LoopbackServer> {
  const handlers = new Map<string, Handler>()
  const requests: Recorded[] = []
  const aborted: string[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const recorded: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      requests.push(recorded)
      res.on('close', () => {
        if (!res.writableFinished) aborted.push(recorded.url)
      })
      const handler = handlers.get((req.url ?? '').split('?')[0] as string)
      if (handler === undefined) {
        sendError(res, 404, 'not_found')
        return
      }
      Promise.resolve(handler(recorded, res)).catch(() => {
        if (!res.headersSent) sendError(res, 500, 'handler_failed')
      })
    })
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    aborted,
    on: (path, handler) => void handlers.set(path, handler),
    reset: () => {
      handlers.clear()
      requests.length = 0
      aborted.length = 0
    },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A TCP port on 127.0.0.1 that nobody listens on now (a server opened and closed): free to use, or to be refused. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
