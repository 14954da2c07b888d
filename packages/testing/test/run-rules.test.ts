import { fileURLToPath } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import { createRuleRunner, fakeHttp, isTokenRulesError, readRuleSet, runRules, TEST_AUTH0_DOMAIN } from '@tokenrules/testing'

const fixtures = new URL('./fixtures/', import.meta.url)
const rule = (body: string) => `function (user, context, callback) {\n${body}\n}`

describe('where rules come from', () => {
  it('a folder: every .js file in file-name order, named without its number', async () => {
    const result = await runRules({ dir: new URL('good-rules/', fixtures), user: { app_metadata: { roles: ['admin'] } } })
    expect(result.rules.map((r) => r.name)).toEqual(['check-email', 'roles', 'mfa'])
    expect(result.accessToken.claims).toEqual({ 'https://tokenrules.example/roles': ['admin'] })
  })

  it('a folder exported by the Auth0 Deploy CLI: names, order and enabled from the .json beside each rule, listed in run order', async () => {
    const rules = await readRuleSet({ dir: new URL('deploy-cli/', fixtures) })
    expect(rules.map(({ name, order, enabled }) => ({ name, order, enabled }))).toEqual([
      { name: 'Set second claim', order: 1, enabled: true },
      { name: 'Set first claim', order: 2, enabled: true },
      { name: 'Disabled rule', order: 3, enabled: false },
    ])
    const result = await runRules({ dir: fileURLToPath(new URL('deploy-cli/', fixtures)) })
    expect(result.rules.map((r) => r.name)).toEqual(['Set second claim', 'Set first claim'])
  })

  it('files, in the order given; sources, named after their function', async () => {
    const files = [new URL('good-rules/03-mfa.js', fixtures), fileURLToPath(new URL('good-rules/01-check-email.js', fixtures))]
    expect((await runRules({ files })).rules.map((r) => r.name)).toEqual(['mfa', 'check-email'])
    const sources = await readRuleSet({
      rules: ['function addRoles(user, context, callback) {}', '/* x */ async function (u, c, cb) {}', { name: 'given', script: 'function () {}' }],
    })
    expect(sources.map((r) => r.name)).toEqual(['addRoles', 'rule-2', 'given'])
  })

  it('exactly one source, and readable files', async () => {
    await expect(runRules({})).rejects.toThrow('Give exactly one of rules, files or dir (got none).')
    await expect(runRules({ rules: [], dir: fixtures })).rejects.toThrow('(got rules, dir)')
    await expect(runRules({ files: ['/no/such/rule.js'] })).rejects.toThrow(/Cannot read the rule file \/no\/such\/rule.js: ENOENT/)
  })
})

describe('runRules', () => {
  it('resolves with the engine result: claims after the policy, warnings, logs, timings', async () => {
    const result = await runRules({
      rules: [
        rule(`
        context.idToken['https://t.example/name'] = user.name;
        context.idToken.bare = 1;
        console.log('hello');
        callback(null, user, context);`),
      ],
    })
    expect(result.idToken.claims).toEqual({ 'https://t.example/name': 'Ada Lovelace' })
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'CLAIM_DROPPED', claim: 'bare', token: 'idToken', reason: 'not-namespaced' })])
    expect(result.logs).toEqual([expect.objectContaining({ level: 'log', message: 'hello', rule: 'rule-1' })])
    expect(result.rules).toEqual([{ name: 'rule-1', durationMs: expect.any(Number) }])
    expect(result.context).toBeUndefined()
  })

  it('rejects with the engine’s typed error', async () => {
    const error = await runRules({ rules: [rule(`callback(new UnauthorizedError('no'));`)] }).catch((e: unknown) => e)
    expect(isTokenRulesError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'ERR_RULE_UNAUTHORIZED', rule: 'rule-1' })
    await expect(runRules({ rules: [rule(`callback(null, user, context)`) + '}'] })).rejects.toMatchObject({ code: 'ERR_RULE_COMPILE' })
    await expect(runRules({ rules: [rule('')], context: { protocol: 'oauth2-client-credentials' } })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' })
  })

  it('stops a rule that never calls back within the test budget (2 s unless set)', async () => {
    const started = Date.now()
    await expect(runRules({ rules: [rule('')], limits: { timeoutMs: 150 } })).rejects.toMatchObject({ code: 'ERR_RULE_TIMEOUT' })
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('includeContext returns the raw context as the last rule left it', async () => {
    const result = await runRules({ rules: [rule(`context.note = 'kept'; callback(null, user, context);`)], includeContext: true })
    expect(result.context).toMatchObject({ note: 'kept', protocol: 'oauth2-password' })
  })

  it('seeds `global`, sets auth0.domain, and accepts metadata updates by default', async () => {
    const result = await runRules({
      rules: [
        rule(`
        context.idToken['https://t.example/g'] = [global.cached, global.helper(2), auth0.domain];
        auth0.users.updateAppMetadata(user.user_id, { visits: 1 }).then(function () { callback(null, user, context); });`),
      ],
      global: { cached: 'token', helper: (n: number) => n * 10 },
    })
    expect(result.idToken.claims['https://t.example/g']).toEqual(['token', 20, TEST_AUTH0_DOMAIN])
    expect(result.metadataUpdates).toEqual([{ userId: 'auth0|65a1f0c2e4b0a1b2c3d4e5f6', kind: 'app_metadata', metadata: { visits: 1 } }])
  })

  it('global is seeded before the first rule in pipeline order, even with orders', async () => {
    const result = await runRules({
      rules: [
        { name: 'second', order: 2, script: rule(`context.idToken['https://t.example/b'] = global.seen; callback(null, user, context);`) },
        { name: 'first', order: 1, script: rule(`global.seen = global.seed + 1; callback(null, user, context);`) },
      ],
      global: { seed: 41 },
    })
    expect(result.idToken.claims['https://t.example/b']).toBe(42)
  })
})

describe('createRuleRunner', () => {
  it('compiles once, runs many logins, shares `global` between them, and closes', async () => {
    const runner = await createRuleRunner({
      rules: [rule(`global.n = (global.n || 0) + 1; context.idToken['https://t.example/n'] = global.n; callback(null, user, context);`)],
    })
    expect((await runner.run()).idToken.claims['https://t.example/n']).toBe(1)
    expect((await runner.run({ user: { email: 'b@example.com' } })).idToken.claims['https://t.example/n']).toBe(2)
    expect(runner.engine.stats.runs).toBe(2)
    await runner.close()
    await expect(runner.run()).rejects.toMatchObject({ code: 'ERR_ENGINE_CLOSED' })
  })
})

describe('fakeHttp', () => {
  it('answers the sandbox’s request, axios and fetch from routes, and records what they sent', async () => {
    const http = fakeHttp({
      'GET https://api.example/users': (req) => ({ json: { q: new URL(req.url).searchParams.get('q') } }),
      'POST https://api.example/token': { json: { access_token: 't' } },
      'https://api.example/exact?x=1': { body: 'exact', headers: { 'x-kind': 'exact' } },
    })
    const result = await runRules({
      rules: [
        `async function (user, context, callback) {
        const axios = require('axios');
        const request = require('request');
        const users = await axios.get('https://api.example/users', { params: { q: 'ada' } });
        const token = await new Promise(function (resolve, reject) {
          request.post({ url: 'https://api.example/token', form: { grant_type: 'client_credentials' }, json: true }, function (err, res, body) { err ? reject(err) : resolve(body); });
        });
        const exact = await fetch('https://api.example/exact?x=1').then(function (r) { return r.text(); });
        const missing = await fetch('https://api.example/missing');
        context.idToken['https://t.example/http'] = [users.data, token, exact, missing.status];
        callback(null, user, context);
      }`,
      ],
      modules: { http: http.module },
    })
    expect(result.idToken.claims['https://t.example/http']).toEqual([{ q: 'ada' }, { access_token: 't' }, 'exact', 404])
    expect(http.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET https://api.example/users?q=ada',
      'POST https://api.example/token',
      'GET https://api.example/exact?x=1',
      'GET https://api.example/missing',
    ])
    expect(http.requests[1]?.json).toEqual({ grant_type: 'client_credentials' })
    expect(http.unmatched.map((r) => r.url)).toEqual(['https://api.example/missing'])
    expect(http.module.allow).toEqual(['api.example'])
  })

  it('routes are checked; hosts outside the routes stay blocked', async () => {
    expect(() => fakeHttp({ 'GET /relative': {} })).toThrow(/a route is 'METHOD https:\/\/host\/path'/)
    const http = fakeHttp({ 'https://api.example/x': { json: 1 } })
    const result = await runRules({
      rules: [
        `async function (user, context, callback) {
        try { await require('axios').get('https://elsewhere.example/'); } catch (e) { context.idToken['https://t.example/e'] = e.message; }
        callback(null, user, context);
      }`,
      ],
      modules: { http: http.module },
    })
    expect(result.idToken.claims['https://t.example/e']).toMatch(/not allowed/)
  })

  it('its fetch can be observed like any function', async () => {
    const http = fakeHttp({ 'https://api.example/ping': { json: 'pong' } })
    const fetchSpy = vi.fn(http.module.fetch)
    await runRules({
      rules: [`async function (user, context, callback) { await fetch('https://api.example/ping'); callback(null, user, context); }`],
      modules: { http: { ...http.module, fetch: fetchSpy } },
    })
    expect(fetchSpy).toHaveBeenCalledTimes(1)
  })
})
