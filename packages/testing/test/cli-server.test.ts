import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

/**
 * The server commands of the `tokenrules` CLI (`serve`, `users`, `hash-secret`, from
 * @tokenrules/oauth/cli), run as an operator runs them: the bin, in a temporary data folder.
 */
/** The claims of a JWT (the server signed it; this test reads what it says). */
const decodeJwt = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
const bin = fileURLToPath(new URL('../bin/tokenrules.js', import.meta.url))
const oauthFixtures = fileURLToPath(new URL('../../oauth/test/fixtures/', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'tokenrules-cli-server-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const env = { ...process.env, TOKENRULES_KEY: randomBytes(32).toString('base64url'), APP_SECRET: 'app-secret', NO_COLOR: '1' }

function tokenrules(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: dir, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr })
    })
    child.stdin?.end(stdin)
  })
}

cpSync(join(oauthFixtures, 'deploy-cli-export'), join(dir, 'tenant'), { recursive: true })
writeFileSync(
  join(dir, 'tokenrules.yaml'),
  `issuer: https://auth.example.com/
encryptionKey: { env: TOKENRULES_KEY }
clients:
  - clientId: app
    secret: { env: APP_SECRET }
    grants: [password]
apis: [{ identifier: https://api.example.com, scopes: [] }]
directories: [{ name: Employees }]
defaultAudience: https://api.example.com
passwords: { scryptCost: 4096 }
engine: { concurrency: 1 }
stores: { sqlite: data/tokenrules.db }
rules: { path: tenant, mappings: { CLAIM_DOMAIN: example.com }, watch: false }
`,
)

describe('tokenrules serve, users and hash-secret', () => {
  it('lists the server commands in its help, and each has its own', async () => {
    const help = await tokenrules(['--help'])
    expect(help.stdout).toContain('  serve ')
    expect(help.stdout).toContain('  users ')
    const users = await tokenrules(['users', '--help'])
    expect(users.code).toBe(0)
    expect(users.stdout).toContain('tokenrules users import <file...> --directory <name>')
    expect((await tokenrules(['help', 'serve'])).stdout).toContain('tokenrules serve [--config tokenrules.yaml]')
  })

  it('hash-secret hashes standard input', async () => {
    const ran = await tokenrules(['hash-secret'], 'a-client-secret\n')
    expect(ran.stderr).toBe('')
    expect(ran.stdout).toMatch(/^\$scrypt\$\S+\n$/)
  })

  it('users import, then serve: the migrated user logs in with the Auth0 password; SIGTERM stops it', async () => {
    const users = (file: string) => join(oauthFixtures, 'auth0-users', file)
    const imported = await tokenrules(['users', 'import', users('users-export.ndjson'), users('password-hashes.ndjson'), '--directory', 'Employees'])
    expect(imported.stderr).toBe('')
    expect(imported.stdout.split('\n')[0]).toBe('imported 4 users into Employees')

    const server = spawn(process.execPath, [bin, 'serve', '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        server.stderr.on('data', () => {
          const found = /listening on (http:\/\/\S+)/.exec(stderr)
          if (found !== null) resolve(found[1] as string)
        })
        void exited.then(() => reject(new Error(`serve exited: ${stderr}`)))
      })
      const passwords = JSON.parse(readFileSync(users('passwords.json'), 'utf8')) as Record<string, string>
      const response = await fetch(`${url}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: 'app',
          client_secret: 'app-secret',
          username: 'ada@acme.test',
          password: passwords['ada@acme.test'] as string,
        }),
      })
      expect(response.status).toBe(200)
      const claims = decodeJwt(((await response.json()) as { access_token: string }).access_token)
      expect([claims.sub, claims['https://example.com/roles'], claims['https://example.com/plan']]).toEqual([
        'auth0|5f1a2b3c4d5e6f7a8b9c0d1e',
        ['admin'],
        'enterprise',
      ])
    } finally {
      server.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    expect(stderr).toContain('tokenrules serve: stopping')
    expect(stderr).not.toContain(env.TOKENRULES_KEY)
  })

  it('an invalid config file exits 2 naming the path and line', async () => {
    writeFileSync(join(dir, 'broken.yaml'), 'issuer: https://auth.example.com/\nclients: []\napis: []\nstores: { sqlite: x.db }\n')
    const ran = await tokenrules(['serve', '--config', 'broken.yaml'])
    expect(ran.code).toBe(2)
    expect(ran.stderr).toContain(`${join(dir, 'broken.yaml')}:1: encryptionKey: is required with stores.sqlite or stores.postgres`)
  })
})
