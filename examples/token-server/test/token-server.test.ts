import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, startDemo } from './demo-process.js'

const dataDir = mkdtempSync(join(tmpdir(), 'tokenrules-demo-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

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
    const first = await startDemo(port, dataDir)
    let aliceTokens: Record<string, string>
    try {
      expect(first.stdout()).toContain(`tokenrules demo token server listening on http://localhost:${port}`)
      expect(first.stdout()).toContain('(created; 3 user(s) seeded)')
      // The runtime it serves on: this test's Node, and the isolated-vm the engine loads.
      const ivm = (createRequire(new URL('../../../packages/engine/package.json', import.meta.url))('isolated-vm/package.json') as { version: string }).version
      expect(first.stdout()).toContain(`  runtime: Node.js ${process.version}, isolated-vm ${ivm}\n`)

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

    const second = await startDemo(port, dataDir)
    try {
      expect(second.stdout()).toContain('(existing; 0 user(s) seeded)')
      expect((await api(second.origin, aliceTokens['access_token'] ?? '')).status).toBe(200)
      const refreshed = await fetch(`${second.origin}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: aliceTokens['refresh_token'] ?? '',
          client_id: 'demo-app',
          client_secret: 'demo-secret',
        }),
      })
      expect(refreshed.status).toBe(200)
    } finally {
      await second.stop()
    }
  }, 120_000)
})
