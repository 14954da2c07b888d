/**
 * Issue 18, as an operator runs it: the demo's `migrate`, then three demo processes on one
 * PostgreSQL and one Redis (real, on loopback) with one TOKENRULES_ENCRYPTION_KEY and one ISSUER,
 * and a client that spreads its requests round-robin over them. A login on one node refreshes on
 * another and the replay is refused on the third; failures count across nodes; a user signed up
 * through one logs in through another; `rotate-key` reaches every node; a node killed mid-load
 * loses no write it answered, and the others keep answering.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgresServer, type RunningPostgres } from '../../../packages/oauth/test/setup/postgres-server.js'
import { startRedisServer, type RunningRedis } from '../../../packages/oauth/test/setup/redis-server.js'
import { demoRoot, freePort, startDemo, type Demo } from './demo-process.js'

const ISSUER = 'https://auth.example.com/'
const KEY = Buffer.alloc(32, 11).toString('base64url')
const scripts = (JSON.parse(readFileSync(join(demoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts

let postgres: RunningPostgres
let redis: RunningRedis
let env: Record<string, string>
const nodes: Demo[] = []
const dirs: string[] = []
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenrules-node-'))
  dirs.push(dir)
  return dir
}

/** One of the demo's package scripts (`migrate`, `rotate-key`), run as `pnpm <script>` would, in its folder. */
async function script(name: string): Promise<string> {
  const [command = 'node', ...args] = (scripts[name] ?? '').split(' ')
  const { stdout } = await promisify(execFile)(command, args, { cwd: demoRoot, env: { ...process.env, ...env, DATA_DIR: dataDir() }, timeout: 60_000 })
  return stdout
}

beforeAll(async () => {
  ;[postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer()])
  env = {
    DATABASE_URL: await postgres.createDatabase('demo_nodes'),
    REDIS_URL: redis.url,
    TOKENRULES_ENCRYPTION_KEY: KEY,
    TOKENRULES_KEY_RELOAD_SECONDS: '1',
    ISSUER,
  }
  const migrated = await script('migrate')
  expect(migrated).toMatch(
    /^migrated: PostgreSQL postgres:\/\/127\.0\.0\.1:\d+\/demo_nodes schema version \d+; attempt counters, refresh tokens and userinfo in Redis redis:\/\/127\.0\.0\.1:\d+; signing key \S+; 3 user\(s\) seeded\n$/,
  )
  expect(await script('migrate')).toMatch(/; 0 user\(s\) seeded\n$/)
  const started = await Promise.all(Array.from({ length: 3 }, async () => startDemo(await freePort(), dataDir(), { flags: [], env })))
  nodes.push(...started)
}, 180_000)
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()))
  await Promise.all([postgres?.stop(), redis?.stop()])
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

let turn = 0
const next = (among: Demo[] = nodes) => among[turn++ % among.length]!

interface Answer {
  status: number
  body: Record<string, any>
}

async function post(node: Demo, path: string, params: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${node.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  })
  return { status: response.status, body: (await response.json()) as Record<string, any> }
}

const CLIENT = { client_id: 'demo-app', client_secret: 'demo-secret' }
const login = (node: Demo, realm: string, username: string, password: string) =>
  post(node, '/oauth/token', {
    ...CLIENT,
    grant_type: 'http://auth0.com/oauth/grant-type/password-realm',
    realm,
    username,
    password,
    audience: 'https://api.example.com',
    scope: 'offline_access',
  })
const refresh = (node: Demo, token: string) => post(node, '/oauth/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token: token })
const jwks = async (node: Demo) => (await (await fetch(`${node.origin}/.well-known/jwks.json`)).json()) as JSONWebKeySet
const kids = async (node: Demo) => (await jwks(node)).keys.map((key) => key.kid)

describe('three demo processes on one PostgreSQL and one Redis', () => {
  it('each started on the migrated database: nothing seeded again, the same JWKS everywhere', async () => {
    for (const node of nodes) expect(node.stdout()).toContain('(existing; 0 user(s) seeded)')
    const first = await kids(nodes[0]!)
    for (const node of nodes) expect(await kids(node)).toEqual(first)
  })

  it('a login on node A refreshes on node B, the API of node C takes the token, and the old refresh token replayed on C revokes the family', async () => {
    const [a, b, c] = nodes as [Demo, Demo, Demo]
    const first = await login(a, 'Employees', 'alice@example.com', 'correct horse battery staple')
    expect(first.status).toBe(200)
    const rotated = await refresh(b, first.body['refresh_token'])
    expect(rotated.status).toBe(200)
    const api = await fetch(`${c.origin}/api/messages`, { headers: { authorization: `Bearer ${rotated.body['access_token']}` } })
    expect(api.status).toBe(200)
    expect((await refresh(c, first.body['refresh_token'])).body).toEqual({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' })
    for (const node of nodes) expect((await refresh(node, rotated.body['refresh_token'])).body['error']).toBe('invalid_grant')
  }, 120_000)

  it('failures count across the nodes: ten spread over them block bob on every node', async () => {
    for (let i = 0; i < 10; i++) expect((await login(next(), 'Customers', 'bob@example.com', 'not his password')).status).toBe(403)
    for (const node of nodes) expect((await login(node, 'Customers', 'bob@example.com', 'hunter2hunter2')).body['error']).toBe('too_many_attempts')
  }, 180_000)

  it('a user signed up through one node is known to the others (its password checks; the demo’s rule then asks for a verified email)', async () => {
    const signup = await post(nodes[1]!, '/dbconnections/signup', {
      client_id: 'demo-app',
      connection: 'Customers',
      email: 'dora@example.com',
      password: 'Dora-the-3xplorer!',
    })
    expect(signup.status).toBe(200)
    for (const node of [nodes[0]!, nodes[2]!]) {
      expect((await login(node, 'Customers', 'dora@example.com', 'Dora-the-3xplorer!')).body).toEqual({
        error: 'unauthorized',
        error_description: 'Please verify your email before logging in.',
      })
      expect((await login(node, 'Customers', 'dora@example.com', 'not her password')).body['error']).toBe('invalid_grant')
    }
  }, 120_000)

  it('rotate-key: every node signs with the new key and publishes it within TOKENRULES_KEY_RELOAD_SECONDS; older tokens still verify', async () => {
    const before = (await login(nodes[0]!, 'Employees', 'alice@example.com', 'correct horse battery staple')).body['access_token'] as string
    const old = (await kids(nodes[0]!))[0]
    const out = await script('rotate-key')
    const kid = /^rotated: new signing key (\S+); published: (\S+), (\S+)\n$/.exec(out)
    expect(kid?.[2]).toBe(kid?.[1])
    expect(kid?.[3]).toBe(old)
    // Each node re-reads the keys every second; wait (bounded) until all three publish the new one.
    for (const node of nodes) {
      for (let tries = 0; (await kids(node))[0] !== kid?.[1]; tries++) {
        if (tries > 300) throw new Error(`${node.origin} still publishes ${await kids(node)} after 30 s`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(await kids(node)).toEqual([kid?.[1], old])
    }
    for (const signer of nodes) {
      const token = (await login(signer, 'Employees', 'alice@example.com', 'correct horse battery staple')).body['access_token'] as string
      expect(decodeProtectedHeader(token).kid).toBe(kid?.[1])
      for (const verifier of nodes) await jwtVerify(token, createLocalJWKSet(await jwks(verifier)), { issuer: ISSUER, audience: 'https://api.example.com' })
    }
    for (const verifier of nodes) await jwtVerify(before, createLocalJWKSet(await jwks(verifier)), { issuer: ISSUER, audience: 'https://api.example.com' })
  }, 180_000)

  it('a node killed mid-load loses no write it answered; the others keep answering', async () => {
    const victim = nodes[1]!
    const survivors = [nodes[0]!, nodes[2]!]
    // Six chains, each refreshing its token round-robin over the nodes, keeping the last one answered.
    const chains = await Promise.all(Array.from({ length: 6 }, () => login(next(), 'Employees', 'alice@example.com', 'correct horse battery staple')))
    const tokens = chains.map((chain) => chain.body['refresh_token'] as string)
    /** Chains whose request was cut mid-way by the kill: whether it rotated is unknown, so they stop. */
    const cut = new Set<number>()
    let answered = 0
    let answeredAfterKill = 0
    let killed = false
    let halfway: () => void = () => undefined
    const reachedHalfway = new Promise<void>((resolve) => (halfway = resolve))
    const load = async (chain: number) => {
      for (let round = 0; round < 8 && !cut.has(chain); round++) {
        const node = next()
        const answer = await refresh(node, tokens[chain]!).catch((error: unknown) => error as Error)
        if (answer instanceof Error) {
          // Only the killed node may fail. Refused: the request never left, the token stands.
          expect(killed && node === victim, String(answer)).toBe(true)
          if ((answer.cause as { code?: string } | undefined)?.code !== 'ECONNREFUSED') cut.add(chain)
          continue
        }
        expect(answer.status, JSON.stringify(answer.body)).toBe(200)
        tokens[chain] = answer.body['refresh_token']
        if (killed) answeredAfterKill++
        if (++answered === 12) halfway()
      }
    }
    const running = Promise.all(tokens.map((_, chain) => load(chain)))
    await reachedHalfway
    killed = true
    await victim.kill()
    await running
    expect(answeredAfterKill).toBeGreaterThan(0)
    // Every refresh token last answered, by whichever node (the killed one included), still rotates on the survivors.
    const kept = tokens.filter((_, chain) => !cut.has(chain))
    expect(kept.length).toBeGreaterThan(0)
    for (const token of kept) expect((await refresh(next(survivors), token)).status).toBe(200)
    for (const node of survivors) expect((await login(node, 'Employees', 'alice@example.com', 'correct horse battery staple')).status).toBe(200)
  }, 240_000)
})
