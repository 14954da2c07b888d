import { randomBytes } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runServerCommand, serve, type RunningServer } from '@tokenrules/oauth/cli'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { memoryIo } from './cli-io.js'

/**
 * `serve` on a temporary SQLite file, with the rules of an Auth0 Deploy CLI export (directory
 * format, fixtures/deploy-cli-export) and users imported from Auth0's user export with its
 * password-hash export (fixtures/auth0-users): the migrated users log in with their Auth0 passwords.
 */
const fixtures = new URL('../fixtures/', import.meta.url)
const passwords = JSON.parse(readFileSync(new URL('auth0-users/passwords.json', fixtures), 'utf8')) as Record<string, string>
const dir = mkdtempSync(join(tmpdir(), 'tokenrules-serve-test-'))
const env = { TOKENRULES_KEY: randomBytes(32).toString('base64url'), WEB_SECRET: 'web-secret' }
const config = join(dir, 'tokenrules.yaml')
const logs: string[] = []
let server: RunningServer

beforeAll(async () => {
  cpSync(new URL('deploy-cli-export', fixtures), join(dir, 'tenant'), { recursive: true })
  writeFileSync(
    config,
    `# yaml-language-server: $schema=../node_modules/@tokenrules/oauth/tokenrules.schema.json
issuer: https://auth.example.com/
listen: { port: 0 }
encryptionKey: { env: TOKENRULES_KEY }
clients:
  - clientId: web
    secret: { env: WEB_SECRET }
    grants: [password, http://auth0.com/oauth/grant-type/password-realm]
apis:
  - identifier: https://api.example.com
    scopes: [read:messages]
directories:
  - name: Employees
  - name: Contractors
defaultDirectory: Employees
defaultAudience: https://api.example.com
passwords: { scryptCost: 4096 }
engine: { concurrency: 1 }
stores:
  sqlite: data/tokenrules.db
rules:
  path: tenant
  mappings: { CLAIM_DOMAIN: example.com }
`,
  )
  const users = (file: string) => new URL(`auth0-users/${file}`, fixtures).pathname
  for (const [directory, files] of [
    ['Employees', [users('users-export.ndjson'), users('password-hashes.ndjson')]],
    ['Contractors', [users('bulk-import.json')]],
  ] as const) {
    const io = memoryIo({ env })
    expect(await runServerCommand('users', ['import', ...files, '--directory', directory, '--config', config], io), io.err).toBe(0)
  }
  // Reloads of this one are the test's own; the watcher's test starts another server.
  server = await serve({ config, env, watch: false, log: (line) => logs.push(line) })
})

afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function login(params: Record<string, string>) {
  const response = await fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'web', client_secret: 'web-secret', ...params }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, string> }
}

describe('tokenrules serve', () => {
  it('starts with the export rules (the disabled one left out), and its log holds no secret', () => {
    expect(logs).toContain('tokenrules serve: issuer https://auth.example.com/')
    expect(logs.at(-1)).toBe(`tokenrules serve: 2 rules; listening on ${server.url}`)
    expect(logs.join('\n')).not.toContain(env.TOKENRULES_KEY)
    expect(logs.join('\n')).not.toContain('web-secret')
  })

  it('a user imported from the Auth0 export logs in with the Auth0 password and gets the claims of the rules', async () => {
    const { status, body } = await login({ username: 'ada@acme.test', password: passwords['ada@acme.test'] as string, scope: 'openid' })
    expect(status).toBe(200)
    const claims = decodeJwt(body['access_token'] as string)
    expect(claims.sub).toBe('auth0|5f1a2b3c4d5e6f7a8b9c0d1e')
    expect(claims['https://example.com/roles']).toEqual(['admin'])
    expect(claims['https://example.com/plan']).toBe('enterprise')
    expect(decodeJwt(body['id_token'] as string)['https://example.com/user_id']).toBe('auth0|5f1a2b3c4d5e6f7a8b9c0d1e')
    // The old hash went with the first login: the password still works, now against our own hash.
    expect((await login({ username: 'ada@acme.test', password: passwords['ada@acme.test'] as string })).status).toBe(200)
    expect((await login({ username: 'ada@acme.test', password: 'not-her-password' })).body).toMatchObject({ error: 'invalid_grant' })
  })

  it('a bulk-imported bcrypt user logs in through the realm grant, with the export configuration as default', async () => {
    const { status, body } = await login({
      grant_type: 'http://auth0.com/oauth/grant-type/password-realm',
      realm: 'Contractors',
      username: 'margaret@contractors.test',
      password: passwords['margaret@contractors.test'] as string,
    })
    expect(status).toBe(200)
    const claims = decodeJwt(body['access_token'] as string)
    expect(claims.sub).toBe('auth0|1001')
    expect(claims['https://example.com/roles']).toEqual(['contractor'])
    expect(claims['https://example.com/plan']).toBe('free') // rules-configs/DEFAULT_PLAN.json
  })

  it('reload swaps the new rules in; a broken rule keeps the old set serving and says why', async () => {
    const rule = join(dir, 'tenant', 'rules', 'Add plan.js')
    const original = readFileSync(rule, 'utf8')
    const ada = { username: 'ada@acme.test', password: passwords['ada@acme.test'] as string }
    try {
      writeFileSync(rule, original.replace('const plan =', "const plan = 'platinum' ||"))
      expect(await server.reload()).toEqual({ reloaded: true, rules: 2 })
      expect(decodeJwt((await login(ada)).body['access_token'] as string)['https://example.com/plan']).toBe('platinum')

      writeFileSync(rule, original.replace('callback(null, user, context);', 'callback(null, user, context);\n  }}'))
      const outcome = await server.reload()
      expect(outcome.reloaded).toBe(false)
      expect(outcome.reloaded === false && outcome.reason).toContain("Rule 'Add plan' does not compile")
      expect(logs.at(-1)).toContain('the new rules or config did not load, the previous ones keep serving')
      expect(decodeJwt((await login(ada)).body['access_token'] as string)['https://example.com/plan']).toBe('platinum')
    } finally {
      writeFileSync(rule, original)
    }
    await server.reload()
  })

  it("the export's post-login actions run after the rules, bound by triggers/triggers.json, a secret from the configuration", async () => {
    const tenant = join(dir, 'tenant')
    const ada = { username: 'ada@acme.test', password: passwords['ada@acme.test'] as string }
    mkdirSync(join(tenant, 'actions', 'Add tier'), { recursive: true })
    mkdirSync(join(tenant, 'triggers'))
    try {
      writeFileSync(
        join(tenant, 'actions', 'Add tier', 'code.js'),
        "exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim('https://example.com/tier', event.secrets.DEFAULT_PLAN + '-tier'); };",
      )
      writeFileSync(
        join(tenant, 'actions', 'Add tier.json'),
        JSON.stringify({
          name: 'Add tier',
          code: './actions/Add tier/code.js',
          secrets: [{ name: 'DEFAULT_PLAN' }],
          supported_triggers: [{ id: 'post-login', version: 'v3' }],
        }),
      )
      writeFileSync(join(tenant, 'triggers', 'triggers.json'), JSON.stringify({ 'post-login': [{ action_name: 'Add tier', display_name: 'Add tier' }] }))
      expect(await server.reload()).toEqual({ reloaded: true, rules: 2 })
      expect(logs.at(-1)).toBe('tokenrules serve: reloaded, 2 rules, 1 action')
      const claims = decodeJwt((await login(ada)).body['access_token'] as string)
      expect([claims['https://example.com/plan'], claims['https://example.com/tier']]).toEqual(['enterprise', 'free-tier'])
    } finally {
      rmSync(join(tenant, 'actions'), { recursive: true, force: true })
      rmSync(join(tenant, 'triggers'), { recursive: true, force: true })
    }
    await server.reload()
    expect(decodeJwt((await login(ada)).body['access_token'] as string)['https://example.com/tier']).toBeUndefined()
  })

  it('a change of the config file or of a rule is picked up by the watcher', async () => {
    const watchedLogs: string[] = []
    await using watched = await serve({ config, env, log: (line) => watchedLogs.push(line) })
    const text = readFileSync(config, 'utf8')
    const rule = join(dir, 'tenant', 'rules', 'Add roles.js')
    const original = readFileSync(rule, 'utf8')
    const claimsOfAda = async () => {
      const response = await fetch(`${watched.url}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: 'web',
          client_secret: 'web-secret',
          username: 'ada@acme.test',
          password: passwords['ada@acme.test'] as string,
        }),
      })
      return decodeJwt(((await response.json()) as { access_token: string }).access_token)
    }
    try {
      writeFileSync(config, text.replace('CLAIM_DOMAIN: example.com', 'CLAIM_DOMAIN: watched.example.com'))
      await vi.waitFor(async () => expect((await claimsOfAda())['https://watched.example.com/plan'], watchedLogs.join('\n')).toBe('enterprise'), {
        timeout: 30_000,
        interval: 250,
      })
      writeFileSync(rule, original.replace("namespace + 'roles'", "namespace + 'groups'"))
      await vi.waitFor(async () => expect((await claimsOfAda())['https://watched.example.com/groups'], watchedLogs.join('\n')).toEqual(['admin']), {
        timeout: 30_000,
        interval: 250,
      })
      expect(watchedLogs.filter((line) => line.startsWith('tokenrules serve: reloaded')).length).toBeGreaterThanOrEqual(2)
    } finally {
      writeFileSync(config, text)
      writeFileSync(rule, original)
    }
  }, 120_000)

  it('tokenrules serve with rules that do not load exits 2 with why, no stack', async () => {
    const broken = join(dir, 'broken')
    cpSync(join(dir, 'tenant'), broken, { recursive: true })
    writeFileSync(join(broken, 'rules', 'Add roles.js'), 'function addRoles(user, context, callback) {')
    const file = join(dir, 'broken.yaml')
    writeFileSync(file, readFileSync(config, 'utf8').replace('path: tenant', 'path: broken'))
    const io = memoryIo({ env })
    expect(await runServerCommand('serve', ['--config', file, '--port', '0'], io)).toBe(2)
    expect(io.err).toMatch(/^tokenrules serve: Rule 'Add roles' does not compile: [^\n]+\n$/)
  })
})
