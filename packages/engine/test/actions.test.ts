/**
 * Post-login Actions in the real sandbox (issue 21): every `event` field and `api` method, the
 * pipeline after the rules, errors, metadata, the cache and dependencies pinned by version.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEngine, type ActionDefinition, type EngineOptions, type RuleErrorEvent } from '@tokenrules/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { passwordInput, rejection, rule } from './helpers.js'

function action(name: string, body: string, extra: Partial<ActionDefinition> = {}): ActionDefinition {
  return { name, code: `exports.onExecutePostLogin = async (event, api) => {\n${body}\n};`, ...extra }
}
async function engineOf(actions: ActionDefinition[], options: Partial<EngineOptions> = {}) {
  return createEngine({ concurrency: 1, rules: [], ...options, actions, limits: { timeoutMs: 5_000, memoryLimitMb: 64, ...options.limits } })
}
/** The event an action saw, sent out as an ID token claim. */
async function eventOf(input = passwordInput(), extra: Partial<ActionDefinition> = {}, options: Partial<EngineOptions> = {}) {
  await using engine = await engineOf([action('see', `api.idToken.setCustomClaim('https://x/event', event);`, extra)], options)
  return (await engine.run(input)).idToken.claims['https://x/event'] as Record<string, any>
}

describe('the event', () => {
  it('has the user without Rules-only fields, custom root fields kept, metadata always objects', async () => {
    const event = await eventOf(
      passwordInput({ user: { logins_count: 7, last_login: '2024-01-01', last_ip: '1.2.3.4', department: 'R&D', user_metadata: undefined } }),
    )
    expect(event.user).toEqual({
      user_id: 'auth0|5f7c8ec7c33c6c004bbafe82',
      email: 'ada@example.com',
      email_verified: true,
      name: 'Ada Lovelace',
      app_metadata: { roles: ['admin'], plan: 'gold' },
      user_metadata: {},
      identities: [{ connection: 'Employees', provider: 'auth0', user_id: '5f7c8ec7c33c6c004bbafe82', isSocial: false }],
      department: 'R&D',
    })
  })

  it('has client, connection, request (camelCase geoip, no secrets beyond what the host passed), transaction, stats, tenant', async () => {
    const input = passwordInput({
      context: {
        clientMetadata: { tier: 'gold' },
        connectionID: 'con_1',
        connectionMetadata: { region: 'eu' },
        request: {
          ip: '203.0.113.7',
          userAgent: 'curl/8',
          hostname: 'login.example.com',
          query: {},
          body: { grant_type: 'password', scope: 'openid  email openid', audience: 'https://api.example.com', username: 'ada' },
          geoip: {
            country_code: 'FR',
            country_code3: 'FRA',
            country_name: 'France',
            city_name: 'Paris',
            latitude: 48.8,
            longitude: 2.3,
            time_zone: 'Europe/Paris',
            continent_code: 'EU',
          },
        },
      },
    })
    const event = await eventOf(input)
    expect(event.client).toEqual({ client_id: 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6', name: 'Trusted App', metadata: { tier: 'gold' } })
    expect(event.connection).toEqual({ id: 'con_1', name: 'Employees', strategy: 'auth0', metadata: { region: 'eu' } })
    expect(event.request).toEqual({
      ip: '203.0.113.7',
      hostname: 'login.example.com',
      user_agent: 'curl/8',
      query: {},
      body: { grant_type: 'password', scope: 'openid  email openid', audience: 'https://api.example.com', username: 'ada' },
      geoip: {
        countryCode: 'FR',
        countryCode3: 'FRA',
        countryName: 'France',
        cityName: 'Paris',
        latitude: 48.8,
        longitude: 2.3,
        timeZone: 'Europe/Paris',
        continentCode: 'EU',
      },
    })
    expect(event.transaction).toEqual({ protocol: 'oauth2-password', requested_scopes: ['openid', 'email'], locale: 'en' })
    expect(event.resource_server).toEqual({ identifier: 'https://api.example.com' })
    expect(event.stats).toEqual({ logins_count: 3 })
    expect(event.tenant).toEqual({ id: 'acme' })
    expect(event.authentication).toEqual({ methods: [{ name: 'pwd', timestamp: 1_700_000_000_000 }] })
  })

  it('has authorization.roles, organization when set, ui_locales as the locale; no geoip, resource_server, organization or authorization when absent', async () => {
    const event = await eventOf(
      passwordInput({
        context: {
          authorization: { roles: ['editor'] },
          organization: { id: 'org_1', name: 'acme', display_name: 'Acme', metadata: { plan: 'b2b' } },
          request: { ip: '203.0.113.7', userAgent: 'x', hostname: 'h', query: {}, body: { ui_locales: 'fr-CA en' } },
        },
      }),
    )
    expect(event.authorization).toEqual({ roles: ['editor'] })
    expect(event.organization).toEqual({ id: 'org_1', name: 'acme', display_name: 'Acme', metadata: { plan: 'b2b' } })
    expect(event.transaction).toEqual({ protocol: 'oauth2-password', requested_scopes: [], locale: 'fr-CA', ui_locales: ['fr-CA', 'en'] })
    const bare = await eventOf()
    for (const key of ['organization', 'authorization', 'resource_server']) expect(bare).not.toHaveProperty(key)
    expect(bare.request).not.toHaveProperty('geoip')
  })

  it('has the action’s own secrets and configuration, and nothing else', async () => {
    const event = await eventOf(passwordInput(), {
      secrets: [{ name: 'API_KEY', value: 's3cr3t' }],
      configuration: [{ name: 'DOMAIN', value: 'acme.example' }],
    })
    expect(event.secrets).toEqual({ API_KEY: 's3cr3t' })
    expect(event.configuration).toEqual({ DOMAIN: 'acme.example' })
    expect(Object.keys(event).sort()).toEqual(
      ['authentication', 'client', 'configuration', 'connection', 'request', 'secrets', 'stats', 'tenant', 'transaction', 'user'].sort(),
    )
  })

  it('is the action’s own copy: changing it changes neither the rules’ context nor the next action’s event', async () => {
    await using engine = await engineOf([
      action('mutate', `event.user.email = 'evil@example.com'; event.secrets.X = 'leak'; event.transaction.protocol = 'x';`, {
        secrets: [{ name: 'X', value: 'mine' }],
      }),
      action('read', `api.idToken.setCustomClaim('https://x/seen', [event.user.email, event.secrets.X === undefined, event.transaction.protocol]);`),
    ])
    const result = await engine.run(passwordInput())
    expect(result.idToken.claims['https://x/seen']).toEqual(['ada@example.com', true, 'oauth2-password'])
    expect(result.user['email']).toBe('ada@example.com')
  })
})

describe('the api', () => {
  it('setCustomClaim on both tokens follows the claims policy; the later write wins; calls chain', async () => {
    await using engine = await engineOf([
      action(
        'claims',
        `api.accessToken.setCustomClaim('https://x/a', 1).accessToken.setCustomClaim('https://x/a', 2);
         api.idToken.setCustomClaim('https://x/i', { n: 1 });
         api.idToken.setCustomClaim('plain', 'dropped under required');`,
      ),
    ])
    const result = await engine.run(passwordInput())
    expect(result.accessToken.claims).toEqual({ 'https://x/a': 2 })
    expect(result.idToken.claims).toEqual({ 'https://x/i': { n: 1 } })
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'CLAIM_DROPPED', claim: 'plain', reason: 'not-namespaced' }))
  })

  it('non-namespaced claims pass with the optional claims policy', async () => {
    await using engine = await engineOf(
      [action('claims', `api.accessToken.setCustomClaim('roles_list', ['a']); api.idToken.setCustomClaim('tier', 'gold');`)],
      {
        claims: { namespace: 'optional' },
      },
    )
    const result = await engine.run(passwordInput())
    expect([result.accessToken.claims, result.idToken.claims]).toEqual([{ roles_list: ['a'] }, { tier: 'gold' }])
  })

  it('addScope / removeScope start from the requested scopes; setting the scope claim is a TypeError', async () => {
    await using engine = await engineOf([
      action('scopes', `api.accessToken.addScope('read:x').accessToken.addScope('openid').accessToken.removeScope('email');`),
    ])
    const input = passwordInput({ context: { request: { ip: '1.1.1.1', userAgent: 'x', hostname: 'h', query: {}, body: { scope: 'openid email' } } } })
    expect((await engine.run(input)).accessToken.scope).toEqual(['openid', 'read:x'])
    await using bad = await engineOf([action('bad', `api.accessToken.setCustomClaim('scope', 'admin');`)], { errors: { exposeExceptionMessages: true } })
    const err = await rejection(bad.run(input))
    expect([err.code, err.message]).toEqual(['ERR_RULE_EXCEPTION', expect.stringContaining("'scope' is the token's scopes")])
  })

  it('access.deny → access_denied with the reason; the first denial wins; the denying action finishes, no later action runs', async () => {
    await using engine = await engineOf([
      action(
        'deny',
        `api.access.deny('Not on weekends.'); api.access.deny('second'); api.idToken.setCustomClaim('https://x/after', true); console.log('still running');`,
      ),
      action('never', `console.log('never');`),
    ])
    const err = await rejection(engine.run(passwordInput()))
    expect(err.code).toBe('ERR_RULE_DENIED')
    expect(err.rule).toBe('deny')
    expect(err.toOAuthError()).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'Not on weekends.' } })
    expect(err.logs.map((entry: { rule: string; message: string }) => [entry.rule, entry.message])).toEqual([['deny', 'still running']])
  })

  it('multifactor.enable → result.multifactor (mfa_required at the token server)', async () => {
    await using engine = await engineOf([action('mfa', `api.multifactor.enable('any', { allowRememberBrowser: true });`)])
    expect((await engine.run(passwordInput())).multifactor).toEqual({ provider: 'any', allowRememberBrowser: true })
    await using strict = await engineOf([action('mfa', `api.multifactor.enable('guardian');`)])
    expect((await strict.run(passwordInput())).multifactor).toEqual({ provider: 'guardian', allowRememberBrowser: false })
  })

  it('redirect.sendUserTo is refused under the password grant with the rules’ redirect error; allowed with a browser', async () => {
    await using engine = await engineOf([action('redirect', `api.redirect.sendUserTo('https://example.com/consent', { query: { a: 'b c' } });`)])
    const err = await rejection(engine.run(passwordInput()))
    expect([err.code, err.rule]).toEqual(['ERR_REDIRECT_UNSUPPORTED', 'redirect'])
    expect(err.toOAuthError().body.error_description).toBe('Redirect from a rule is not supported in the password exchange.')
    const result = await engine.run(passwordInput({ context: { protocol: 'oidc-basic-profile' } }))
    expect(result.redirect).toEqual({ url: 'https://example.com/consent?a=b%20c' })
  })

  it('user.setAppMetadata / setUserMetadata: aggregated, written once at the end through the hooks, null removes, later actions see them', async () => {
    const writes: [string, string, Record<string, unknown>][] = []
    await using engine = await engineOf(
      [
        action('one', `api.user.setAppMetadata('plan', 'platinum').user.setAppMetadata('roles', null); api.user.setUserMetadata('theme', 'light');`),
        action('two', `api.user.setAppMetadata('visits', 1); api.idToken.setCustomClaim('https://x/seen', event.user.app_metadata);`),
      ],
      {
        hooks: {
          updateAppMetadata: (id, m) => void writes.push(['app', id, m]),
          updateUserMetadata: (id, m) => void writes.push(['user', id, m]),
        },
      },
    )
    const result = await engine.run(passwordInput())
    expect(writes).toEqual([
      ['app', 'auth0|5f7c8ec7c33c6c004bbafe82', { plan: 'platinum', roles: null, visits: 1 }],
      ['user', 'auth0|5f7c8ec7c33c6c004bbafe82', { theme: 'light' }],
    ])
    expect(result.idToken.claims['https://x/seen']).toEqual({ plan: 'platinum' })
    expect(result.user['app_metadata']).toEqual({ plan: 'platinum', visits: 1 })
    expect(result.metadataUpdates.map((u) => u.kind)).toEqual(['app_metadata', 'user_metadata'])
  })

  it('metadata is written when an action denies, not when one throws; a failed write gives no token', async () => {
    const writes: Record<string, unknown>[] = []
    const hooks = { updateAppMetadata: (_: string, m: Record<string, unknown>) => void writes.push(m) }
    await using denies = await engineOf([action('deny', `api.user.setAppMetadata('blocked_at', 1); api.access.deny('blocked');`)], { hooks })
    expect((await rejection(denies.run(passwordInput()))).code).toBe('ERR_RULE_DENIED')
    expect(writes).toEqual([{ blocked_at: 1 }])
    await using throws = await engineOf([action('throw', `api.user.setAppMetadata('x', 1); throw new Error('boom');`)], { hooks })
    expect((await rejection(throws.run(passwordInput()))).code).toBe('ERR_RULE_EXCEPTION')
    expect(writes).toEqual([{ blocked_at: 1 }])
    await using failing = await engineOf([action('write', `api.user.setAppMetadata('x', 1);`)], {
      hooks: { updateAppMetadata: () => Promise.reject(new Error('store down')) },
    })
    expect((await rejection(failing.run(passwordInput()))).code).toBe('ERR_METADATA_UPDATE_FAILED')
  })

  it('setAppMetadata refuses keys and values the store could not take, as a TypeError in the action', async () => {
    await using engine = await engineOf([
      action(
        'bad',
        `const out = [];
         for (const [k, v] of [['a.b', 1], ['__proto__', 1], ['ok', () => 1], ['', 1]]) {
           try { api.user.setAppMetadata(k, v); out.push('accepted') } catch (e) { out.push(e.name) }
         }
         api.idToken.setCustomClaim('https://x/out', out);`,
      ),
    ])
    expect((await engine.run(passwordInput())).idToken.claims['https://x/out']).toEqual(['TypeError', 'TypeError', 'TypeError', 'TypeError'])
  })

  it('cache.get / set / delete: shared by the actions of the engine across runs, with Auth0’s limits', async () => {
    let now = Date.parse('2024-05-01T00:00:00Z')
    await using engine = await engineOf(
      [
        action(
          'cache',
          `const seen = api.cache.get('token');
           const out = { seen: seen === undefined ? null : seen };
           if (!seen) out.set = api.cache.set('token', 'abc', { ttl: 60000 });
           out.bigKey = api.cache.set('k'.repeat(65), 'v').code;
           out.bigValue = api.cache.set('v', 'x'.repeat(4097)).code;
           out.tooLong = api.cache.set('long', 'v', { ttl: 25 * 3600 * 1000 }).code;
           out.expired = api.cache.set('old', 'v', { expires_at: 1 }).code;
           out.missing = api.cache.delete('nothing').code;
           api.idToken.setCustomClaim('https://x/cache', out);`,
        ),
      ],
      { clock: () => now },
    )
    const first = (await engine.run(passwordInput())).idToken.claims['https://x/cache']
    const expiresAt = now + 60_000
    expect(first).toEqual({
      seen: null,
      set: { type: 'success', record: { value: 'abc', expires_at: expiresAt } },
      bigKey: 'CacheKeySizeExceeded',
      bigValue: 'CacheValueSizeExceeded',
      tooLong: 'InvalidExpiry',
      expired: 'ItemAlreadyExpired',
      missing: 'CacheKeyDoesNotExist',
    })
    now += 1_000
    expect((await engine.run(passwordInput())).idToken.claims['https://x/cache']).toMatchObject({ seen: { value: 'abc', expires_at: expiresAt } })
    now += 60_000
    expect((await engine.run(passwordInput())).idToken.claims['https://x/cache']).toMatchObject({ seen: null })
  })

  it('cache holds at most 20 entries and 8 kB', async () => {
    await using engine = await engineOf([
      action(
        'fill',
        `const codes = [];
         for (let i = 0; i < 21; i++) codes.push(api.cache.set('k' + i, 'v').type === 'success' ? 'ok' : api.cache.set('k' + i, 'v').code);
         for (let i = 0; i < 20; i++) api.cache.delete('k' + i);
         const big = [];
         for (let i = 0; i < 3; i++) big.push(api.cache.set('b' + i, 'x'.repeat(3000)).type === 'success' ? 'ok' : api.cache.set('b' + i, 'x'.repeat(3000)).code);
         api.idToken.setCustomClaim('https://x/codes', [codes.slice(19), big]);`,
      ),
    ])
    expect((await engine.run(passwordInput())).idToken.claims['https://x/codes']).toEqual([
      ['ok', 'CacheSizeExceeded'],
      ['ok', 'ok', 'CacheSizeExceeded'],
    ])
  })

  it('rules.wasExecuted sees the rules that ran, by id (by name for a rule without one)', async () => {
    await using engine = await createEngine({
      concurrency: 1,
      rules: [
        { id: 'rul_a', ...rule('a', 'callback(null, user, context)') },
        { id: 'rul_off', ...rule('off', 'callback(null, user, context)', { enabled: false }) },
        rule('no-id', 'callback(null, user, context)'),
      ],
      actions: [
        action('check', `api.idToken.setCustomClaim('https://x/ran', ['rul_a', 'rul_off', 'no-id', 'rul_zz'].map((id) => api.rules.wasExecuted(id)));`),
      ],
    })
    expect((await engine.run(passwordInput())).idToken.claims['https://x/ran']).toEqual([true, false, true, false])
  })

  it('authentication.setPrimaryUser sets the primary user; methods Auth0 has but the engine cannot serve fail clearly; anything else is a TypeError; api stays extensible', async () => {
    await using engine = await engineOf([
      action(
        'misc',
        `api.authentication.setPrimaryUser('auth0|primary');
         const errors = [];
         for (const call of [() => api.authentication.challengeWith({ type: 'otp' }), () => api.redirect.encodeToken({ secret: 's', payload: {} }), () => api.prompt.render('f')]) {
           try { call() } catch (e) { errors.push(e.code) }
         }
         for (const call of [() => api.accessToken.setCustomClaims('a', 1), () => api.session.revoke(), () => api.samlResponse.setAttribute('a', 'b')]) {
           try { call() } catch (e) { errors.push(e.name) }
         }
         api.mine = { helper: () => 'added' };
         api.idToken.setCustomClaim('https://x/misc', [errors, api.mine.helper(), Object.isExtensible(api)]);`,
      ),
    ])
    const result = await engine.run(passwordInput())
    expect(result.primaryUser).toBe('auth0|primary')
    expect(result.idToken.claims['https://x/misc']).toEqual([
      ['ERR_ACTION_API_UNSUPPORTED', 'ERR_ACTION_API_UNSUPPORTED', 'ERR_ACTION_API_UNSUPPORTED', 'TypeError', 'TypeError', 'TypeError'],
      'added',
      true,
    ])
  })
})

describe('the pipeline', () => {
  it('engine.update(rules) keeps the actions; update({ rules, actions }) replaces both; a bad action keeps the old set', async () => {
    const claim = (value: string) => action('tag', `api.idToken.setCustomClaim('https://x/action', '${value}');`)
    const ruleTag = (value: string) => rule('r', `context.idToken['https://x/rule'] = '${value}'; callback(null, user, context);`)
    await using engine = await createEngine({ concurrency: 1, rules: [ruleTag('r1')], actions: [claim('a1')] })
    await engine.update([ruleTag('r2')])
    expect((await engine.run(passwordInput())).idToken.claims).toEqual({ 'https://x/rule': 'r2', 'https://x/action': 'a1' })
    await engine.update({ rules: [ruleTag('r3')], actions: [claim('a2'), action('off', `api.access.deny('never');`, { enabled: false })] })
    const both = await engine.run(passwordInput())
    expect([both.idToken.claims, both.actions?.map((a) => a.name)]).toEqual([{ 'https://x/rule': 'r3', 'https://x/action': 'a2' }, ['tag']])
    await expect(engine.update({ rules: [ruleTag('r4')], actions: [action('broken', 'api.idToken.setCustomClaim(')] })).rejects.toMatchObject({
      code: 'ERR_RULE_COMPILE',
    })
    await expect(engine.update({ rules: [ruleTag('r4')], actions: [action('r', '')] })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      issues: [expect.objectContaining({ path: ['actions', 0, 'name'] })],
    })
    await expect(engine.update({ rules: [], action: [] } as never)).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      issues: [expect.objectContaining({ path: ['action'] })],
    })
    expect((await engine.run(passwordInput())).idToken.claims).toEqual({ 'https://x/rule': 'r3', 'https://x/action': 'a2' })
    await engine.update({ rules: [ruleTag('r5')] })
    expect((await engine.run(passwordInput())).actions).toBeUndefined()
  })

  it('runs the rules first, then the actions in order; claims of both reach the tokens, the later write wins', async () => {
    await using engine = await createEngine({
      concurrency: 1,
      rules: [rule('r', `context.accessToken['https://x/both'] = 'rule'; context.idToken['https://x/rule'] = true; callback(null, user, context);`)],
      actions: [action('a1', `api.accessToken.setCustomClaim('https://x/both', 'action');`), action('a2', `api.idToken.setCustomClaim('https://x/order', 2);`)],
    })
    const result = await engine.run(passwordInput())
    expect(result.accessToken.claims).toEqual({ 'https://x/both': 'action' })
    expect(result.idToken.claims).toEqual({ 'https://x/rule': true, 'https://x/order': 2 })
    expect(result.rules.map((r) => r.name)).toEqual(['r'])
    expect(result.actions?.map((a) => a.name)).toEqual(['a1', 'a2'])
  })

  it('a rule that denies stops the login before any action', async () => {
    await using engine = await createEngine({
      concurrency: 1,
      rules: [rule('deny', `callback(new UnauthorizedError('no'))`)],
      actions: [action('never', `console.log('ran');`)],
    })
    const err = await rejection(engine.run(passwordInput()))
    expect([err.code, err.logs]).toEqual(['ERR_RULE_UNAUTHORIZED', []])
  })

  it('an uncaught error fails the login with a generic description; the action and message go to onRuleError', async () => {
    const events: RuleErrorEvent[] = []
    await using engine = await engineOf([action('boom', `await null; event.user.app_metadata.missing.deep;`)], {
      hooks: { onRuleError: (e) => void events.push(e) },
    })
    const err = await rejection(engine.run(passwordInput()))
    expect(err.toOAuthError()).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'Rule execution failed.' } })
    expect(events).toEqual([
      expect.objectContaining({
        code: 'ERR_RULE_EXCEPTION',
        rule: 'boom',
        message: "Cannot read properties of undefined (reading 'deep')",
        stack: expect.stringContaining('action:boom:2'),
      }),
    ])
  })

  it('a module that throws at load fails the run; one without onExecutePostLogin is skipped; disabled actions never run', async () => {
    await using engine = await engineOf([{ name: 'bad', code: `throw new Error('at load')` }])
    expect((await rejection(engine.run(passwordInput()))).code).toBe('ERR_RULE_EXCEPTION')
    await using skip = await engineOf([
      { name: 'continue-only', code: `exports.onContinuePostLogin = async () => {}` },
      action('off', `api.access.deny('x')`, { enabled: false }),
      action('on', `api.idToken.setCustomClaim('https://x/on', 1)`),
    ])
    const result = await skip.run(passwordInput())
    expect([result.idToken.claims, result.actions?.map((a) => a.name)]).toEqual([{ 'https://x/on': 1 }, ['continue-only', 'on']])
  })

  it('shares the run’s time budget: an action that never settles times out', async () => {
    await using engine = await engineOf([action('hang', `await new Promise(() => {});`)], { limits: { timeoutMs: 300 } })
    const err = await rejection(engine.run(passwordInput()))
    expect([err.code, err.rule]).toEqual(['ERR_RULE_TIMEOUT', 'hang'])
  })

  it('logs name the action; compile errors name the action and line', async () => {
    await using engine = await engineOf([action('talk', `console.info('hello', event.user.email);`)])
    expect((await engine.run(passwordInput())).logs).toEqual([expect.objectContaining({ level: 'info', rule: 'talk', message: 'hello ada@example.com' })])
    const err = await rejection(engineOf([{ name: 'broken', code: `exports.onExecutePostLogin = async (event, api) => {\n  api.access.deny(;\n};` }]))
    expect([err.code, err.message]).toEqual(['ERR_RULE_COMPILE', expect.stringMatching(/^Action 'broken' does not compile: .*\(line 2\)$/)])
  })

  it('refuses bad definitions with ERR_CONFIG_INVALID', async () => {
    for (const [actions, text] of [
      [[action('a', ''), action('a', '')], "duplicate action name 'a'"],
      [[{ name: 'a' }], 'code'],
      [[action('a', '', { dependencies: [{ name: 'lib', version: '^1.0.0' }] })], 'must be an exact version'],
      [[action('a', '', { dependencies: [{ name: 'left-pad', version: '1.3.0' }] })], "'left-pad', which is not an allowed module"],
      [
        [
          action('a', '', {
            secrets: [
              { name: 'K', value: '1' },
              { name: 'K', value: '2' },
            ],
          }),
        ],
        "duplicate name 'K'",
      ],
    ] as const) {
      const err = await rejection(createEngine({ concurrency: 1, rules: [], actions: actions as unknown as ActionDefinition[] }))
      expect([err.code, err.message]).toEqual(['ERR_CONFIG_INVALID', expect.stringContaining(text)])
    }
    const clash = await rejection(createEngine({ concurrency: 1, rules: [rule('same', 'callback(null, user, context)')], actions: [action('same', '')] }))
    expect(clash.message).toContain("'same' is also the name of a rule")
  })

  it('runs in isolation: process as well', async () => {
    await using engine = await engineOf(
      [action('p', `api.accessToken.setCustomClaim('https://x/p', event.secrets.S); api.cache.set('a', 'b');`, { secrets: [{ name: 'S', value: 'v' }] })],
      { isolation: 'process' },
    )
    expect((await engine.run(passwordInput())).accessToken.claims).toEqual({ 'https://x/p': 'v' })
  }, 60_000)
})

describe('dependencies', () => {
  let fixtures: string
  beforeAll(() => {
    fixtures = mkdtempSync(join(tmpdir(), 'tokenrules-actions-'))
    for (const version of ['1.0.0', '2.0.0']) {
      const root = join(fixtures, 'node_modules', `lib-${version}`)
      mkdirSync(root, { recursive: true })
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'lib', version, main: 'index.js' }))
      writeFileSync(join(root, 'index.js'), `exports.version = ${JSON.stringify(version)};`)
    }
  })
  afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
  const modules = () => ({
    packages: [
      { name: 'lib', version: '1.0.0', from: 'lib-1.0.0' },
      { name: 'lib', version: '2.0.0', from: 'lib-2.0.0' },
    ],
    resolveFrom: fixtures,
  })

  it('each action’s require loads exactly the version it declares, two majors side by side', async () => {
    await using engine = await engineOf(
      [
        {
          name: 'old',
          code: `const lib = require('lib');\nexports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/old', lib.version) }`,
          dependencies: [{ name: 'lib', version: '1.0.0' }],
        },
        {
          name: 'new',
          code: `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/new', require('lib').version) }`,
          dependencies: [{ name: 'lib', version: '2.0.0' }],
        },
      ],
      { modules: modules() },
    )
    expect((await engine.run(passwordInput())).idToken.claims).toEqual({ 'https://x/old': '1.0.0', 'https://x/new': '2.0.0' })
  })

  it('a declared version that is not installed is refused at createEngine', async () => {
    const err = await rejection(engineOf([action('a', '', { dependencies: [{ name: 'lib', version: '3.0.0' }] })], { modules: modules() }))
    expect([err.code, err.message]).toEqual([
      'ERR_CONFIG_INVALID',
      expect.stringContaining('lib@3.0.0, which is not installed (modules.packages gives lib@1.0.0, lib@2.0.0)'),
    ])
  })
})
