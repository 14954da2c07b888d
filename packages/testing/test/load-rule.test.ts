import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { closeAll, createRuleLoader, isTokenRulesError, loadRule, makeContext, makeUser, openEngineCount, UnauthorizedError } from '@tokenrules/testing'

const rule = (body: string) => `function (user, context, callback) {\n${body}\n}`

afterAll(closeAll)

describe('loadRule calls back with exactly what the rule passed', () => {
  it.each([
    ['callback()', 0],
    ['callback(null)', 1],
    ['callback(null, user)', 2],
    ['callback(null, user, context)', 3],
  ])('%s → %i argument(s)', async (call, count) => {
    await using loaded = loadRule(rule(`${call};`))
    const callback = vi.fn()
    const args = await loaded(makeUser(), makeContext(), callback)
    expect(callback).toHaveBeenCalledTimes(1)
    expect(callback.mock.calls[0]).toHaveLength(count)
    expect(args).toHaveLength(count)
  })

  it('hands back the test’s own objects, updated in place, when the rule passes its own', async () => {
    await using loaded = loadRule(
      rule(`
      user.app_metadata.seen = true;
      context.idToken.plain = 'kept raw';
      context.accessToken.scope = 'openid read';
      callback(null, user, context);`),
    )
    const user = makeUser()
    const context = makeContext()
    const idToken = context.idToken
    const [err, u, c] = await loaded(user, context)
    expect(err).toBeNull()
    expect(u).toBe(user)
    expect(c).toBe(context)
    expect(user.app_metadata).toEqual({ seen: true })
    expect(idToken).toEqual({ plain: 'kept raw' })
    expect(context.accessToken.scope).toBe('openid read')
  })

  it('hands back new objects when the rule passes new ones', async () => {
    await using loaded = loadRule(rule(`callback(null, { user_id: user.user_id, replaced: true }, Object.assign({}, context, { extra: 1 }));`))
    const user = makeUser()
    const context = makeContext()
    const [, u, c] = await loaded(user, context)
    expect(u).not.toBe(user)
    expect(u).toEqual({ user_id: user.user_id, replaced: true })
    expect(c).toMatchObject({ extra: 1, protocol: 'oauth2-password' })
  })

  it('an UnauthorizedError arrives as the package’s UnauthorizedError', async () => {
    await using loaded = loadRule(rule(`callback(new UnauthorizedError('Verify your email.'));`))
    const [err] = await loaded(makeUser(), makeContext())
    expect(err).toBeInstanceOf(UnauthorizedError)
    expect(err).toMatchObject({ name: 'UnauthorizedError', message: 'Verify your email.', statusCode: 401, code: 'unauthorized' })
    expect(isTokenRulesError((err as Error).cause)).toBe(true)
    expect(((err as Error).cause as { code: string }).code).toBe('ERR_RULE_UNAUTHORIZED')
  })

  it('an Error keeps its class name, message and properties; a string stays a string', async () => {
    await using typed = loadRule(
      rule(`
      const e = new TypeError('bad plan'); e.plan = 'gold';
      callback(e);`),
    )
    const [err] = await typed(makeUser(), makeContext())
    expect(err).toBeInstanceOf(TypeError)
    expect(err).toMatchObject({ message: 'bad plan', plan: 'gold' })

    await using custom = loadRule(
      rule(`
      class PolicyError extends Error { constructor(m) { super(m); this.name = 'PolicyError'; this.rule = 'p1'; } }
      callback(new PolicyError('outside office hours'));`),
    )
    const [err2] = await custom(makeUser(), makeContext())
    expect(err2).toBeInstanceOf(Error)
    expect(err2).toMatchObject({ name: 'PolicyError', message: 'outside office hours', rule: 'p1' })

    await using text = loadRule(rule(`callback('denied as text');`))
    expect(await text(makeUser(), makeContext())).toEqual(['denied as text'])
  })

  it('a throw, a rejection, or a throw inside a timer calls back with that Error', async () => {
    await using sync = loadRule(rule(`throw new RangeError('sync boom');`))
    const [err1] = await sync(makeUser(), makeContext())
    expect(err1).toBeInstanceOf(RangeError)
    expect((err1 as Error).message).toBe('sync boom')
    expect((err1 as Error).stack).toContain('rule:')

    await using rejects = loadRule(`async function (user, context, callback) { await null; throw new Error('async boom'); }`)
    const [err2] = await rejects(makeUser(), makeContext())
    expect((err2 as Error).message).toBe('async boom')

    await using timer = loadRule(rule(`setTimeout(function () { throw new Error('timer boom'); }, 1);`))
    const [err3] = await timer(makeUser(), makeContext())
    expect(err3).toBeInstanceOf(Error)
    expect((err3 as Error).message).toBe('timer boom')
    expect(((err3 as Error).cause as { code: string }).code).toBe('ERR_RULE_EXCEPTION')
  })

  it('a rule that never calls back gets the engine’s ERR_RULE_TIMEOUT', async () => {
    await using loaded = loadRule(rule(`/* forgot the callback */`), { limits: { timeoutMs: 100 } })
    const [err] = await loaded(makeUser(), makeContext())
    expect(err).toMatchObject({ code: 'ERR_RULE_TIMEOUT' })
  })

  it('raw means raw: no claims policy, no redirect refusal (the engine’s view is in lastRun)', async () => {
    await using loaded = loadRule(
      rule(`
      context.redirect = { url: 'https://consent.example' };
      context.idToken.not_namespaced = 1;
      callback(null, user, context);`),
    )
    const [err, , context] = await loaded(makeUser(), makeContext())
    expect(err).toBeNull()
    expect(context).toMatchObject({ redirect: { url: 'https://consent.example' }, idToken: { not_namespaced: 1 } })
    expect(loaded.lastRun?.error?.code).toBe('ERR_REDIRECT_UNSUPPORTED')
  })

  it('a rule that does not compile rejects the call, with the rule’s own line', async () => {
    await using loaded = loadRule(`function (user, context, callback) {\n  if (user.x {\n    callback(null, user, context);\n  }\n}`)
    const callback = vi.fn()
    await expect(loaded(makeUser(), makeContext(), callback)).rejects.toMatchObject({ code: 'ERR_RULE_COMPILE', line: 2 })
    expect(callback).not.toHaveBeenCalled()
    await using unclosed = loadRule(`function (user, context, callback) {\n  callback(null, user, context);\n`)
    await expect(unclosed(makeUser(), makeContext())).rejects.toMatchObject({ code: 'ERR_RULE_COMPILE', line: 3 })
    await using notFunction = loadRule(`({ not: 'a function' })`)
    await expect(notFunction(makeUser(), makeContext())).rejects.toThrow(/must evaluate to a function/)
  })

  it('a failing assertion in the callback fails the awaited call', async () => {
    await using loaded = loadRule(rule(`callback(null, user, context);`))
    await expect(
      loaded(makeUser(), makeContext(), () => {
        throw new Error('assertion failed')
      }),
    ).rejects.toThrow('assertion failed')
  })

  it('fills in what the engine requires and classic tests often leave out', async () => {
    await using loaded = loadRule(rule(`callback(null, user, context);`))
    const [err, user, context] = await loaded({ email: 'x@example.com' }, {})
    expect(err).toBeNull()
    expect(user).toMatchObject({ email: 'x@example.com', user_id: expect.any(String) })
    expect(context).toMatchObject({ protocol: 'oauth2-password', clientID: expect.any(String) })
  })
})

describe('the classic loadRule(name, globals, stubs) signature', () => {
  it('globals become globals (configuration, global, any stub); stubs are what require returns', async () => {
    const stubs = { 'acme-sdk': { tier: vi.fn(async () => 'gold') } }
    const globals = { configuration: { NS: 'https://t.example/' }, global: { calls: 0 }, greet: (n: string) => `hi ${n}`, UnauthorizedError: class {} }
    await using loaded = loadRule(
      rule(`
      global.calls++;
      require('acme-sdk').tier(user.user_id).then(function (tier) {
        context.idToken[configuration.NS + 'tier'] = tier;
        context.idToken[configuration.NS + 'greeting'] = greet(user.given_name);
        context.idToken[configuration.NS + 'calls'] = global.calls;
        callback(null, user, context);
      });`),
      globals,
      stubs,
    )
    const [, , first] = await loaded(makeUser(), makeContext())
    const [, , second] = await loaded(makeUser(), makeContext())
    expect((first as { idToken: unknown }).idToken).toEqual({
      'https://t.example/tier': 'gold',
      'https://t.example/greeting': 'hi Ada',
      'https://t.example/calls': 1,
    })
    expect((second as { idToken: Record<string, unknown> }).idToken['https://t.example/calls']).toBe(2)
    expect(stubs['acme-sdk'].tier).toHaveBeenCalledWith('auth0|65a1f0c2e4b0a1b2c3d4e5f6')
  })

  it('requires of installed packages fall through to them (bundled into the sandbox), like the classic harness', async () => {
    const file = fileURLToPath(new URL('./fixtures/broken-rules/05-require.js', import.meta.url))
    await using loaded = loadRule(file, {}, { fs: { readFileSync: () => 'stubbed' } })
    const [err, , context] = await loaded(makeUser({ app_metadata: { a: 1, b: 2 } }), makeContext())
    expect(err).toBeNull()
    expect((context as { idToken: unknown }).idToken).toEqual({ 'https://tokenrules.example/keys': ['a', 'b'] })
  })

  it('an auth0 global replaces the sandbox’s auth0 object, as in classic suites', async () => {
    const auth0 = { users: { updateAppMetadata: vi.fn().mockResolvedValue(undefined) }, domain: 'tenant.example' }
    await using loaded = loadRule(
      rule(`
      auth0.users.updateAppMetadata(user.user_id, { visits: 1 }).then(function () {
        context.idToken['https://t.example/domain'] = auth0.domain;
        callback(null, user, context);
      });`),
      { auth0 },
      {},
    )
    const [, , context] = await loaded(makeUser(), makeContext())
    expect(auth0.users.updateAppMetadata).toHaveBeenCalledWith('auth0|65a1f0c2e4b0a1b2c3d4e5f6', { visits: 1 })
    expect((context as { idToken: unknown }).idToken).toEqual({ 'https://t.example/domain': 'tenant.example' })
  })

  it('passes the engine’s auth0 options through: accessToken and an in-process managementApi', async () => {
    const seen: string[] = []
    await using loaded = loadRule(
      rule(`
      const fetch = require('node-fetch');
      fetch(auth0.baseUrl + '/users/' + encodeURIComponent(user.user_id), { headers: { authorization: 'Bearer ' + auth0.accessToken } })
        .then(function (res) { return res.json(); })
        .then(function (body) {
          context.idToken['https://t.example/plan'] = body.app_metadata.plan;
          callback(null, user, context);
        })
        .catch(callback);`),
      {
        auth0: {
          domain: 'tenant.example',
          accessToken: ({ userId }) => 'mgmt-token-for-' + userId,
          managementApi: async (request) => {
            seen.push(request.method + ' ' + new URL(request.url).pathname + ' ' + request.headers.get('authorization'))
            return Response.json({ user_id: 'auth0|65a1f0c2e4b0a1b2c3d4e5f6', app_metadata: { plan: 'pro' } })
          },
        },
      },
    )
    const [err, , context] = await loaded(makeUser(), makeContext())
    expect(err).toBeNull()
    expect((context as { idToken: unknown }).idToken).toEqual({ 'https://t.example/plan': 'pro' })
    expect(seen).toEqual(['GET /api/v2/users/auth0%7C65a1f0c2e4b0a1b2c3d4e5f6 Bearer mgmt-token-for-auth0|65a1f0c2e4b0a1b2c3d4e5f6'])
  })

  it('still refuses an auth0 option key the engine does not have', () => {
    expect(() => loadRule(rule('callback(null, user, context);'), { auth0: { domain: 'tenant.example', users: {} } } as never)).toThrow(
      /'auth0' is not an option/,
    )
  })

  it('createRuleLoader finds rules by name in a folder', async () => {
    const load = createRuleLoader({ dir: new URL('./fixtures/good-rules/', import.meta.url) })
    await using roles = load('roles')
    expect(roles.ruleName).toBe('roles')
    expect(roles.file).toMatch(/02-roles\.js$/)
    const [, , context] = await roles(makeUser({ app_metadata: { roles: ['admin'] } }), makeContext())
    expect(context).toHaveProperty(['accessToken', 'https://tokenrules.example/roles'], ['admin'])
    await using byFile = load('01-check-email.js')
    expect(await byFile(makeUser(), makeContext())).toHaveLength(3)
    expect(() => load('missing')).toThrow(/No rule 'missing'/)
  })
})

describe('engines of loaded rules', () => {
  it('are created on the first call, kept between calls, and released by close, closeAll or await using', async () => {
    await closeAll()
    expect(openEngineCount()).toBe(0)
    const a = loadRule(rule(`global.n = (global.n || 0) + 1; context.idToken.n = global.n; callback(null, user, context);`))
    const b = loadRule(rule(`callback(null, user, context);`))
    expect(openEngineCount()).toBe(0)
    await a(makeUser(), makeContext())
    await b(makeUser(), makeContext())
    expect(openEngineCount()).toBe(2)
    const [, , again] = await a(makeUser(), makeContext())
    expect((again as { idToken: { n: number } }).idToken.n).toBe(2)
    await a.close()
    expect(openEngineCount()).toBe(1)
    await closeAll()
    expect(openEngineCount()).toBe(0)
    // Still usable: a fresh engine (and a fresh `global`).
    const [, , fresh] = await a(makeUser(), makeContext())
    expect((fresh as { idToken: { n: number } }).idToken.n).toBe(1)
    {
      await using scoped = a
      void scoped
    }
    expect(openEngineCount()).toBe(0)
  })

  it('serve concurrent calls one at a time, each with its own outcome', async () => {
    await using loaded = loadRule(rule(`setTimeout(function () { context.idToken.email = user.email; callback(null, user, context); }, 5);`))
    const emails = ['a@example.com', 'b@example.com', 'c@example.com']
    const outcomes = await Promise.all(emails.map((email) => loaded(makeUser({ email }), makeContext())))
    expect(outcomes.map((args) => (args[2] as { idToken: { email: string } }).idToken.email)).toEqual(emails)
  })
})
