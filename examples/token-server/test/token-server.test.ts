import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'tokenrules-demo-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

interface Demo {
  origin: string
  stdout: () => string
  stop: () => Promise<void>
}

/** The `start` script's command, run directly (no pnpm wrapper between the test and the server's process). */
const [command = 'node', ...args] = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ')

/** The demo in its own process group, on a free port and the test's data dir; resolves once it listens. */
async function startDemo(port: number): Promise<Demo> {
  const child: ChildProcess = spawn(command, args, {
    cwd: root,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return
    const exited = once(child, 'exit')
    process.kill(-child.pid, 'SIGTERM')
    await exited
  }
  const deadline = Date.now() + 45_000
  while (!out.includes('Press Ctrl+C to stop.')) {
    if (child.exitCode !== null) throw new Error(`the demo exited early:\n${out}\n${err}`)
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`the demo did not start within 45 s:\n${out}\n${err}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { origin: `http://localhost:${port}`, stdout: () => out, stop }
}

async function login(origin: string, realm: string, username: string, password: string, scope = 'openid offline_access') {
  const response = await fetch(`${origin}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'http://auth0.com/oauth/grant-type/password-realm',
      realm,
      username,
      password,
      client_id: 'demo-app',
      client_secret: 'demo-secret',
      audience: 'https://api.example.com',
      scope,
    }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, string> }
}

const api = (origin: string, token: string, method = 'GET') =>
  fetch(`${origin}/api/messages`, { method, headers: { authorization: `Bearer ${token}` }, ...(method === 'POST' ? { body: 'hi' } : {}) })

describe('examples/token-server', () => {
  it('starts, prints a curl command that logs in, serves the API, and keeps its data across a restart', async () => {
    const port = await freePort()
    const first = await startDemo(port)
    let aliceTokens: Record<string, string>
    try {
      expect(first.stdout()).toContain(`tokenrules demo token server listening on http://localhost:${port}`)
      expect(first.stdout()).toContain('(created; 3 user(s) seeded)')

      // The printed command, pasted into a shell, logs alice in.
      const printed = /Get a token \(password-realm grant\):\n\n([\s\S]+?)\n\n/.exec(first.stdout())?.[1] ?? ''
      expect(printed).toMatch(/^curl -s /)
      const { stdout } = await promisify(execFile)('bash', ['-c', printed], { timeout: 20_000 })
      aliceTokens = JSON.parse(stdout) as Record<string, string>
      expect(aliceTokens).toEqual({
        access_token: expect.any(String),
        id_token: expect.any(String),
        refresh_token: expect.any(String),
        scope: 'openid profile email offline_access read:messages write:messages',
        expires_in: 86400,
        token_type: 'Bearer',
      })
      const claims = JSON.parse(Buffer.from(aliceTokens['access_token']?.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
      expect(claims['https://example.com/roles']).toEqual(['admin'])

      // The API verifies the token against the JWKS and checks scope and role.
      expect((await api(first.origin, aliceTokens['access_token'] ?? '')).status).toBe(200)
      expect((await api(first.origin, aliceTokens['access_token'] ?? '', 'POST')).status).toBe(201)
      expect((await api(first.origin, 'not.a.token')).status).toBe(401)

      // Customers are restricted to read:messages.
      const bob = await login(first.origin, 'Customers', 'bob@example.com', 'hunter2hunter2', 'openid')
      expect(bob.status).toBe(200)
      expect(bob.body['scope']).toBe('openid read:messages')
      expect((await api(first.origin, bob.body['access_token'] ?? '')).status).toBe(200)
      const post = await api(first.origin, bob.body['access_token'] ?? '', 'POST')
      expect(post.status).toBe(403)
      expect(await post.json()).toEqual({ error: 'insufficient_scope', error_description: 'The token lacks the write:messages scope.' })

      const wrong = await login(first.origin, 'Employees', 'alice@example.com', 'nope')
      expect(wrong).toEqual({ status: 403, body: { error: 'invalid_grant', error_description: 'Wrong email or password.' } })
    } finally {
      await first.stop()
    }

    const second = await startDemo(port)
    try {
      expect(second.stdout()).toContain('(existing; 0 user(s) seeded)')
      expect((await api(second.origin, aliceTokens['access_token'] ?? '')).status).toBe(200)
      const refreshed = await fetch(`${second.origin}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: aliceTokens['refresh_token'] ?? '', client_id: 'demo-app', client_secret: 'demo-secret' }),
      })
      expect(refreshed.status).toBe(200)
    } finally {
      await second.stop()
    }
  }, 120_000)
})
