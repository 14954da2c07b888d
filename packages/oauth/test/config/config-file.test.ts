import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadServerConfig, ServerConfigError } from '@tokenrules/oauth/cli'
import { afterAll, describe, expect, it } from 'vitest'

const dir = mkdtempSync(join(tmpdir(), 'tokenrules-config-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let count = 0

/** Writes `lines` to a new config file and loads it. */
function load(lines: string[], env: Record<string, string> = {}, name = `c${count++}.yaml`) {
  const file = join(dir, name)
  writeFileSync(file, lines.join('\n'))
  return loadServerConfig(file, { env })
}

async function problems(lines: string[], env: Record<string, string> = {}) {
  const error = await load(lines, env).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ServerConfigError)
  const { issues, message } = error as ServerConfigError
  return { issues: issues.map(({ path, line, message }) => ({ path: path.join('.'), line, message })), message }
}

const BASE = [
  'issuer: https://auth.example.com/', // 1
  'clients:', // 2
  '  - clientId: web', // 3
  '    grants: [password]', // 4
  '    allowPublic: true', // 5
  'apis:', // 6
  '  - identifier: https://api.example.com', // 7
  '    scopes: [read:messages]', // 8
]

describe('loadServerConfig', () => {
  it('reads a valid file: defaults, paths against the file, environment references', async () => {
    const key = Buffer.alloc(32, 7).toString('base64url')
    const config = await load(
      [
        ...BASE,
        'encryptionKey: { env: KEY }',
        'stores: { sqlite: data/tokenrules.db, redis: { env: REDIS_URL } }',
        'rules: { path: ./tenant, mappings: { CLAIM_DOMAIN: example.com, SECRET_DOMAIN: { env: DOMAIN } } }',
        'configuration: { PLAN: gold, API_KEY: { env: API_KEY } }',
        'engine: { limits: { timeoutMs: 5000 }, modules: { packages: [lodash], http: { allow: [api.example.com] } } }',
      ],
      { KEY: key, REDIS_URL: 'redis://:pw@127.0.0.1:6379', DOMAIN: 'corp.example', API_KEY: 'k-123' },
    )
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 3000 })
    expect(config.server.encryptionKey).toBe(key)
    expect(config.stores).toEqual({ sqlite: join(dir, 'data/tokenrules.db'), redis: 'redis://:pw@127.0.0.1:6379' })
    expect(config.rules).toEqual({
      path: join(dir, 'tenant'),
      format: undefined,
      mappings: { CLAIM_DOMAIN: 'example.com', SECRET_DOMAIN: 'corp.example' },
      watch: true,
    })
    expect(config.configuration).toEqual({ PLAN: 'gold', API_KEY: 'k-123' })
    expect(config.engine.modules).toEqual({ packages: ['lodash'], http: { allow: ['api.example.com'] }, resolveFrom: dir })
  })

  it('hashes a client secret taken from the environment', async () => {
    const config = await load(
      [
        'issuer: https://auth.example.com/',
        'clients: [{ clientId: web, secret: { env: WEB_SECRET }, grants: [password] }]',
        'apis: []',
        'passwords: { scryptCost: 16 }',
      ],
      { WEB_SECRET: 'web-secret-value' },
    )
    expect(config.server.clients[0]?.secretHash).toMatch(/^\$scrypt\$/)
    expect(JSON.stringify(config)).not.toContain('web-secret-value')
  })

  it('names the path and line of every problem', async () => {
    const { issues } = await problems([
      'issuer: not a url', // 1
      'clients:', // 2
      '  - clientId: web', // 3
      '    grants: [password, pasword]', // 4
      '    colour: blue', // 5
      'apis:', // 6
      '  - identifier: https://api.example.com', // 7
      '    scopes: [read:messages]', // 8
      '    tokenLifetimeSeconds: -1', // 9
      'stores: { sqlite: a.db, postgres: postgres://db/x }', // 10
    ])
    expect(issues.map(({ path, line }) => [path, line])).toEqual([
      ['issuer', 1],
      ['clients.0.grants.1', 4],
      ['clients.0.colour', 5],
      ['apis.0.tokenLifetimeSeconds', 9],
      ['stores.postgres', 10],
    ])
    expect(issues.find((issue) => issue.path === 'clients.0.colour')?.message).toBe('is not a setting of this file')
  })

  it('a missing required setting is named at the object that lacks it', async () => {
    const { issues, message } = await problems(['issuer: https://auth.example.com/', 'clients: []'])
    expect(issues).toEqual([{ path: 'apis', line: 1, message: expect.stringContaining('expected array') }])
    expect(message).toContain(':1: apis: ')
  })

  it('refuses a secret written in the file, and never prints it', async () => {
    const { issues, message } = await problems([
      'issuer: https://auth.example.com/',
      'clients: [{ clientId: web, secret: hunter2-plain, grants: [password] }]',
      'apis: []',
    ])
    expect(issues).toEqual([
      { path: 'clients.0.secret', line: 2, message: 'a client secret (or use secretHash) is never written in the file: give { env: NAME }' },
    ])
    expect(message).not.toContain('hunter2-plain')
    const key = await problems(['issuer: https://auth.example.com/', 'clients: []', 'apis: []', 'encryptionKey: c2VjcmV0LWtleS1pbi10aGUtZmlsZQ'])
    expect(key.issues.map(({ path, message }) => [path, message])).toEqual([
      ['encryptionKey', 'the encryption key is never written in the file: give { env: NAME }'],
    ])
    expect(key.message).not.toContain('c2VjcmV0LWtleS1pbi10aGUtZmlsZQ')
  })

  it('names an environment variable that is not set, and never prints one that is', async () => {
    const { issues } = await problems(
      [
        'issuer: https://auth.example.com/',
        'clients: []',
        'apis: []',
        'stores: { sqlite: a.db }',
        'encryptionKey: { env: KEY }',
        'configuration: { TOKEN: { env: TOKEN } }',
      ],
      { KEY: 'too-short-key' },
    )
    expect(issues).toEqual([
      { path: 'encryptionKey', line: 5, message: 'must be 32 bytes (or their base64url text)' },
      { path: 'configuration.TOKEN', line: 6, message: 'the environment variable TOKEN is not set' },
    ])
  })

  it('persistent stores need an encryption key', async () => {
    const { issues } = await problems([...BASE, 'stores:', '  sqlite: a.db'])
    expect(issues.map(({ path, line }) => [path, line])).toEqual([['encryptionKey', 1]])
  })

  it('checks what refers to what, by path', async () => {
    const { issues } = await problems([
      ...BASE,
      'defaultAudience: https://other.example.com', // 9
      'directories:', // 10
      '  - name: Customers', // 11
      '    signup: { enabled: true, clients: [web, mobile] }', // 12
    ])
    expect(issues.map(({ path, line }) => [path, line])).toEqual([
      ['defaultAudience', 9],
      ['directories.0.signup.clients.1', 12],
    ])
  })

  it('reports a YAML syntax error by line, and a file that is not there', async () => {
    const { issues } = await problems(['issuer: https://auth.example.com/', 'clients: [', 'apis: []'])
    expect(issues[0]?.line).toBeGreaterThanOrEqual(2)
    const missing = await loadServerConfig(join(dir, 'nope.yaml')).catch((e: unknown) => e)
    expect((missing as ServerConfigError).issues).toEqual([{ path: [], message: 'cannot read the file: ENOENT' }])
  })

  it('reads JSON too', async () => {
    const config = await load([JSON.stringify({ issuer: 'https://auth.example.com/', clients: [], apis: [], listen: { port: 0 } })], {}, 'tokenrules.json')
    expect(config.listen.port).toBe(0)
  })
})
