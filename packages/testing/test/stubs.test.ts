import { describe, expect, it, vi } from 'vitest'
import { createRuleRunner, loadRule, makeContext, makeUser, runRules } from '@tokenrules/testing'

/** A rule from the body of `function (user, context, callback) { … }`. */
const rule = (body: string) => `function (user, context, callback) {\n${body}\n}`
const claim = (name: string) => `https://t.example/${name}`

describe('host stubs cross the sandbox boundary', () => {
  it('a vi.fn() global records the call on the host, with the arguments copied', async () => {
    const lookup = vi.fn((id: string, options: { fields: string[] }) => ({ id, fields: options.fields.length }))
    const result = await runRules({
      rules: [
        rule(`
        const options = { fields: ['a', 'b'] };
        const answer = lookup(user.user_id, options);
        options.fields.push('c'); // the host already has its copy
        context.idToken['${claim('answer')}'] = answer;
        callback(null, user, context);`),
      ],
      globals: { lookup },
    })
    expect(lookup).toHaveBeenCalledExactlyOnceWith('auth0|65a1f0c2e4b0a1b2c3d4e5f6', { fields: ['a', 'b'] })
    expect(result).toHaveProperty(['idToken', 'claims', claim('answer')], { id: 'auth0|65a1f0c2e4b0a1b2c3d4e5f6', fields: 2 })
  })

  it('a promise-returning stub resolves inside the rule; a rejection is a catchable Error', async () => {
    const fetchPlan = vi.fn(async (id: string) => (id === 'auth0|65a1f0c2e4b0a1b2c3d4e5f6' ? 'gold' : Promise.reject(new Error(`no plan for ${id}`))))
    await using runner = await createRuleRunner({
      rules: [
        rule(`
        fetchPlan(user.user_id).then(function (plan) {
          context.accessToken['${claim('plan')}'] = plan;
          callback(null, user, context);
        }, function (err) {
          context.accessToken['${claim('error')}'] = err instanceof Error ? err.message : 'not an Error';
          callback(null, user, context);
        });`),
      ],
      globals: { fetchPlan },
    })
    expect((await runner.run()).accessToken.claims).toEqual({ [claim('plan')]: 'gold' })
    expect((await runner.run({ user: { user_id: 'auth0|other' } })).accessToken.claims).toEqual({ [claim('error')]: 'no plan for auth0|other' })
    expect(fetchPlan).toHaveBeenCalledTimes(2)
  })

  it('a callback-style stub calls the rule’s function back, with copied arguments', async () => {
    const get = vi.fn((url: string, done: (err: Error | null, body?: unknown) => void) => {
      setTimeout(() => done(null, { url, ok: true }), 5)
    })
    const result = await runRules({
      rules: [
        rule(`
        client.get('https://api.example/users/' + user.user_id, function (err, body) {
          if (err) return callback(err);
          context.idToken['${claim('body')}'] = body;
          callback(null, user, context);
        });`),
      ],
      globals: { client: { get } },
    })
    expect(result.idToken.claims[claim('body')]).toEqual({ url: 'https://api.example/users/auth0|65a1f0c2e4b0a1b2c3d4e5f6', ok: true })
    expect(get).toHaveBeenCalledWith('https://api.example/users/auth0|65a1f0c2e4b0a1b2c3d4e5f6', expect.any(Function))
  })

  it('an error thrown by a stub reaches the rule as an Error with its message and properties', async () => {
    const charge = () => {
      throw Object.assign(new Error('card declined'), { code: 'E_DECLINED', retryable: false })
    }
    const result = await runRules({
      rules: [
        rule(`
        try { charge(); } catch (e) {
          context.idToken['${claim('caught')}'] = [e instanceof Error, e.message, e.code, e.retryable];
        }
        callback(null, user, context);`),
      ],
      globals: { charge },
    })
    expect(result.idToken.claims[claim('caught')]).toEqual([true, 'card declined', 'E_DECLINED', false])
  })

  it('modules.host stubs are what require returns: objects of functions, JSON data, class instances', async () => {
    class Client {
      readonly base = 'https://billing.example'
      plan(id: string) {
        return `${this.base}/plans/${id}`
      }
    }
    const result = await runRules({
      rules: [
        rule(`
        const billing = require('billing');
        const settings = require('settings');
        const sdk = require('sdk');
        context.idToken['${claim('r')}'] = [billing.plan(user.user_id), settings.region, settings.limits, sdk.version(), sdk.base];
        callback(null, user, context);`),
      ],
      modules: {
        host: {
          billing: new Client(),
          settings: { region: 'eu', limits: [1, 2] },
          sdk: { version: () => '1.2.3', base: 'x' },
        },
      },
    })
    expect(result.idToken.claims[claim('r')]).toEqual(['https://billing.example/plans/auth0|65a1f0c2e4b0a1b2c3d4e5f6', 'eu', [1, 2], '1.2.3', 'x'])
  })

  it('a stub replaced on the test’s object after the engine started is the one called', async () => {
    const api = { score: vi.fn(() => 1) }
    await using runner = await createRuleRunner({
      rules: [rule(`context.accessToken['${claim('score')}'] = api.score(); callback(null, user, context);`)],
      globals: { api },
    })
    expect((await runner.run()).accessToken.claims[claim('score')]).toBe(1)
    api.score = vi.fn(() => 2)
    expect((await runner.run()).accessToken.claims[claim('score')]).toBe(2)
    api.score.mockReturnValue(3)
    expect((await runner.run()).accessToken.claims[claim('score')]).toBe(3)
  })

  it('a stub that returns a function is refused with a clear error in the rule', async () => {
    const result = await runRules({
      rules: [
        rule(`
        try { factory(); } catch (e) { context.idToken['${claim('e')}'] = e.message; }
        callback(null, user, context);`),
      ],
      globals: { factory: () => () => 1 },
    })
    expect(String(result.idToken.claims[claim('e')])).toMatch(/only data can cross/)
  })

  it('a callable stub with methods works like the real module: request(opts, cb) and request.get(…)', async () => {
    type Callback = (err: Error | null, response?: unknown, body?: unknown) => void
    const request = Object.assign(
      vi.fn((options: { method: string; url: string }, cb: Callback) => cb(null, { statusCode: 200 }, { via: 'call', method: options.method })),
      { get: vi.fn((_url: string, cb: Callback) => cb(null, { statusCode: 200 }, { via: 'get' })), defaults: { timeout: 1000 } },
    )
    const axios = Object.assign(
      vi.fn(async () => ({ data: 'call' })),
      { post: vi.fn(async () => ({ data: 'post' })) },
    )
    const result = await runRules({
      rules: [
        rule(`
        const request = require('request');
        const http = require('axios');
        request({ method: 'PUT', url: 'https://x.example' }, function (e1, r1, b1) {
          request.get('https://x.example', function (e2, r2, b2) {
            Promise.all([http({ url: 'https://x.example' }), http.post('https://x.example', {}), tracker.send('x')]).then(function (all) {
              context.idToken['${claim('r')}'] = [b1, b2, request.defaults.timeout, all[0].data, all[1].data, all[2], typeof request.mockClear];
              callback(null, user, context);
            });
          });
        });`),
      ],
      modules: { host: { request, axios } },
      globals: { tracker: Object.assign(() => 'called', { send: (v: string) => `sent ${v}` }) },
    })
    expect(result.idToken.claims[claim('r')]).toEqual([{ via: 'call', method: 'PUT' }, { via: 'get' }, 1000, 'call', 'post', 'sent x', 'undefined'])
    expect(request).toHaveBeenCalledTimes(1)
    expect(request.get).toHaveBeenCalledWith('https://x.example', expect.any(Function))
    expect(axios.post).toHaveBeenCalledWith('https://x.example', {})
  })

  it('loadRule gives callable stubs their methods too (classic stubs)', async () => {
    const request = Object.assign(vi.fn(), {
      post: vi.fn((_o: unknown, cb: (e: null, r: unknown, b: unknown) => void) => cb(null, { statusCode: 201 }, { ok: true })),
    })
    await using loaded = loadRule(
      rule(`
      require('request').post({ url: 'https://x.example' }, function (err, res, body) {
        context.idToken.status = res.statusCode;
        callback(null, user, context);
      });`),
      {},
      { request },
    )
    const [, , context] = await loaded(makeUser(), makeContext())
    expect(context).toHaveProperty(['idToken', 'status'], 201)
    expect(request).not.toHaveBeenCalled()
    expect(request.post).toHaveBeenCalledTimes(1)
  })
})
