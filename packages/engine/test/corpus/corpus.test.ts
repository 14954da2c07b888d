/**
 * The corpus as a whole: enough rules, each one tested, all of them loadable together in one
 * engine, and a realistic rule set (several corpus rules in order) giving the combined result.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createEngine } from '@tokenrules/engine'
import { engineWith } from '../helpers.js'
import { corpusOptions, corpusRule, corpusRuleNames, failCorpus, login, NS, sendJson, startServer, unauthorized, type LoopbackServer } from './support.js'

const USER_ID = 'auth0|5f7c8ec7c33c6c004bbafe82'

describe('the corpus', () => {
  const names = corpusRuleNames()

  it('has at least 25 rules', () => {
    expect(names.length).toBeGreaterThanOrEqual(25)
  })

  it('has tests for every rule (each rule file is named in a corpus test file)', () => {
    const dir = new URL('./', import.meta.url)
    const tests = readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts') && f !== 'corpus.test.ts')
      .map((f) => readFileSync(new URL(f, dir), 'utf8'))
      .join('\n')
    expect(names.filter((name) => !tests.includes(`'${name}'`))).toEqual([])
  })

  it('is made of rules as Auth0 exports them: one function of (user, context, callback) per file', () => {
    for (const name of names) {
      expect(corpusRule(name).script, name).toMatch(/^\/\*\*[\s\S]*?\*\/\n(async )?function [A-Za-z0-9]+\(user, context, callback\) \{\n[\s\S]*\n\}\n$/)
    }
  })

  it('compiles as one rule set in one engine with the options an integrator would set', async () => {
    const engine = await createEngine({
      rules: names.map(corpusRule),
      concurrency: 1,
      ...corpusOptions(undefined, { modules: { http: { allow: ['api.example.com'] } } }),
    })
    await engine.close()
  })
})

describe('a realistic rule set built from the corpus', () => {
  let server: LoopbackServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(async () => {
    await server.close()
  })

  const RULES = [
    'deny-blocked-users',
    'require-verified-email',
    'block-denied-networks',
    'add-roles-and-permissions',
    'enrich-from-crm-request',
    'pseudonymous-analytics-id',
    'count-logins',
    'mfa-for-privileged-roles',
  ]
  const configuration = () => ({
    DENIED_CIDRS: '198.51.100.0/24',
    ROLE_PERMISSIONS: JSON.stringify({ admin: ['manage:users', 'read:reports'] }),
    CRM_URL: server.origin,
    CRM_TOKEN: 'crm',
    ANALYTICS_SALT: 'salt',
  })

  it('runs the rules in order and combines their claims, metadata and MFA', async () => {
    server.on('/customers', (_req, res) => sendJson(res, 200, { id: 'cus_1', tier: 'gold', company: 'AE' }))
    const updateAppMetadata = vi.fn(async () => undefined)
    await using engine = await engineWith(RULES.map(corpusRule), corpusOptions(server, { configuration: configuration(), hooks: { updateAppMetadata } }))
    const result = await engine.run(login())
    expect(result.rules.map((r) => r.name)).toEqual(RULES)
    expect(result.accessToken.claims).toEqual({
      [`${NS}roles`]: ['admin'],
      [`${NS}permissions`]: ['manage:users', 'read:reports'],
      [`${NS}support_tier`]: 'gold',
      [`${NS}analytics_id`]: createHmac('sha256', 'salt').update(USER_ID).digest('hex'),
    })
    expect(result.idToken.claims).toEqual({
      [`${NS}roles`]: ['admin'],
      [`${NS}customer`]: true,
      [`${NS}customer_id`]: 'cus_1',
      [`${NS}email_sha256`]: expect.any(String),
      [`${NS}logins_here`]: 1,
    })
    expect(result.multifactor).toEqual({ provider: 'guardian', allowRememberBrowser: true })
    expect(result.metadataUpdates).toEqual([
      {
        userId: USER_ID,
        kind: 'app_metadata',
        metadata: { roles: ['admin'], plan: 'gold', logins_by_client: { k5u3o2fiAA8XweXEEX604KCwCjzjtMU6: 1 }, last_client: 'Trusted App' },
      },
    ])
  })

  it('parallel logins of different users (two isolates) each get their own CRM data, claims and metadata', async () => {
    server.on('/customers', (req, res) => {
      const email = new URL(req.url, 'http://x').searchParams.get('email') ?? ''
      const n = email.split('@')[0]?.replace('user', '') ?? ''
      setTimeout(() => sendJson(res, 200, { id: `cus_${n}`, tier: Number(n) % 2 === 0 ? 'gold' : 'silver', company: `Co ${n}` }), Number(n) % 5)
    })
    const updateAppMetadata = vi.fn(async () => undefined)
    await using engine = await engineWith(
      RULES.map(corpusRule),
      corpusOptions(server, { configuration: configuration(), hooks: { updateAppMetadata }, concurrency: 2 }),
    )
    const users = Array.from({ length: 16 }, (_, i) => i)
    const results = await Promise.all(
      users.map((i) =>
        engine.run(
          login({ user: { user_id: `auth0|user${i}`, email: `user${i}@example.com`, app_metadata: { roles: i % 3 === 0 ? ['admin'] : ['viewer'] } } }),
        ),
      ),
    )
    results.forEach((result, i) => {
      expect(result.idToken.claims[`${NS}customer_id`]).toBe(`cus_${i}`)
      expect(result.accessToken.claims[`${NS}support_tier`]).toBe(i % 2 === 0 ? 'gold' : 'silver')
      expect(result.accessToken.claims[`${NS}analytics_id`]).toBe(createHmac('sha256', 'salt').update(`auth0|user${i}`).digest('hex'))
      expect(result.accessToken.claims[`${NS}roles`]).toEqual(i % 3 === 0 ? ['admin'] : ['viewer'])
      expect(result.user['user_metadata']).toMatchObject({ company: `Co ${i}` })
      expect(result.multifactor).toEqual(i % 3 === 0 ? { provider: 'guardian', allowRememberBrowser: true } : undefined)
      expect(result.metadataUpdates).toEqual([
        {
          userId: `auth0|user${i}`,
          kind: 'app_metadata',
          metadata: { roles: i % 3 === 0 ? ['admin'] : ['viewer'], logins_by_client: { k5u3o2fiAA8XweXEEX604KCwCjzjtMU6: 1 }, last_client: 'Trusted App' },
        },
      ])
    })
    expect(updateAppMetadata).toHaveBeenCalledTimes(16)
  })

  it('stops at the first rule that refuses: nothing is fetched or persisted', async () => {
    server.reset()
    const updateAppMetadata = vi.fn(async () => undefined)
    const err = await failCorpus(RULES, login({ user: { app_metadata: { blocked: true } } }), {
      server,
      configuration: configuration(),
      hooks: { updateAppMetadata },
    })
    expect(err.rule).toBe('deny-blocked-users')
    expect(err.toOAuthError()).toEqual(unauthorized('user is blocked'))
    expect(server.requests).toEqual([])
    expect(updateAppMetadata).not.toHaveBeenCalled()
  })
})
