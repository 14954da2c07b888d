/**
 * Host stubs: functions, objects of functions and data the integrator hands to rules through
 * `globals` and `modules.host`. Only data crosses the boundary; functions run on the host with
 * copies of their arguments; what they return or throw comes back as data and Errors.
 */
import { describe, expect, it, vi } from 'vitest'
import { createEngine } from '@tokenrules/engine'
import { passwordInput, rejection, rule } from '../helpers.js'
import { evaluate } from './support.js'

describe('globals and modules.host: calling host functions', () => {
  it('a plain function returns its value synchronously', async () => {
    const result = await evaluate(`done([add(2, 3), add('a', 'b'), typeof add]);`, { globals: { add: (a: number, b: number) => a + b } })
    expect(result).toEqual([5, 'ab', 'function'])
  })

  it('an async function gives the rule a promise of its value', async () => {
    const lookup = async (email: string) => ({ email, plan: 'gold' })
    const result = await evaluate(
      `var p = lookup('ada@example.com');
       var isPromise = p instanceof Promise;
       p.then(function (v) { done({ isPromise: isPromise, value: v }); }, function (e) { done(describeError(e)); });`,
      { globals: { lookup } },
    )
    expect(result).toEqual({ isPromise: true, value: { email: 'ada@example.com', plan: 'gold' } })
  })

  it('an async function works with await in an async rule', async () => {
    const result = await evaluate(`(async function () { var v = await score(user.user_id); done(v); })().catch(function (e) { done(describeError(e)); });`, {
      globals: { score: async (id: string) => ({ id, score: 42 }) },
    })
    expect(result).toEqual({ id: 'auth0|5f7c8ec7c33c6c004bbafe82', score: 42 })
  })

  it('a callback-style function calls the rule back (later, with copies of its data)', async () => {
    const legacy = (id: string, cb: (err: unknown, data?: unknown) => void) => {
      setTimeout(() => cb(null, { id, groups: ['eng'], at: new Date(0) }), 5)
    }
    const result = await evaluate(
      `var sync = true;
       legacyLookup('u1', function (err, data) { done({ err: err, data: data, async: !sync }); });
       sync = false;`,
      { globals: { legacyLookup: legacy } },
    )
    expect(result).toEqual({ err: null, data: { id: 'u1', groups: ['eng'], at: '1970-01-01T00:00:00.000Z' }, async: true })
  })

  it('a callback-style function can call back with an error', async () => {
    const legacy = (_id: string, cb: (err: unknown) => void) => {
      setTimeout(() => cb(Object.assign(new Error('not found'), { status: 404 })), 1)
    }
    const result = await evaluate(
      `legacyLookup('u1', function (err) { done({ message: err.message, status: err.status, isError: err instanceof Error }); });`,
      {
        globals: { legacyLookup: legacy },
      },
    )
    expect(result).toEqual({ message: 'not found', status: 404, isError: true })
  })

  it('a callback-style function whose own return value cannot cross (a timer, a client object) still calls back', async () => {
    // Typical Node APIs return a handle from a callback-style call (a Timeout, a Request, a Query);
    // the rule ignores it and waits for its callback.
    const legacy = (id: string, cb: (err: unknown, data?: unknown) => void) => setTimeout(() => cb(null, { id }), 1)
    const result = await evaluate(
      `var calls = 0;
       legacyLookup('u1', function (err, data) { calls++; done({ err: err, data: data, calls: calls }); });`,
      { globals: { legacyLookup: legacy } },
    )
    expect(result).toEqual({ err: null, data: { id: 'u1' }, calls: 1 })
  })

  it('an object of functions: methods run with the host object as `this`; data members are copied in', async () => {
    const crm = {
      prefix: 'cus_',
      settings: { region: 'eu' },
      find(id: string) {
        return `${this.prefix}${id}`
      },
      nested: {
        label: 'nested',
        who() {
          return (this as { label: string }).label
        },
      },
    }
    const result = await evaluate(`done([crm.find('42'), crm.prefix, crm.settings.region, crm.nested.who(), typeof crm.find]);`, { globals: { crm } })
    expect(result).toEqual(['cus_42', 'cus_', 'eu', 'nested', 'function'])
  })

  it('modules.host: require returns the stub module (functions and data)', async () => {
    const result = await evaluate(
      `var geo = require('geo'); var plans = require('plans');
       done([geo.country('203.0.113.7'), plans.gold.seats, require('geo') === geo]);`,
      { modules: { host: { geo: { country: (ip: string) => (ip.startsWith('203.') ? 'NZ' : 'US') }, plans: { gold: { seats: 50 } } } } },
    )
    expect(result).toEqual(['NZ', 50, true])
  })

  it('modules.host can stand in for a capability module (a fake axios for a rule’s tests, no network granted)', async () => {
    const get = vi.fn(async (url: string) => ({ status: 200, data: { url, plan: 'gold' } }))
    const result = await evaluate(
      `require('axios').get('https://crm.example/u/1').then(function (r) { done(r.data); }, function (e) { done(describeError(e)); });`,
      {
        modules: { host: { axios: { get } } },
      },
    )
    expect(result).toEqual({ url: 'https://crm.example/u/1', plan: 'gold' })
    expect(get).toHaveBeenCalledWith('https://crm.example/u/1')
  })

  it('a class instance’s methods (on its prototype) are callable', async () => {
    class Directory {
      readonly base = 'ldap://dir'
      lookup(id: string) {
        return `${this.base}/${id}`
      }
    }
    const result = await evaluate(`done([typeof directory.lookup, typeof directory.lookup === 'function' ? directory.lookup('u1') : null]);`, {
      globals: { directory: new Directory() },
    })
    expect(result).toEqual(['function', 'ldap://dir/u1'])
  })

  it('a vi.fn() records each call with copies of the arguments, not the rule’s objects', async () => {
    const track = vi.fn((..._args: unknown[]) => 'ok')
    const result = await evaluate(
      `var event = { type: 'login', tags: ['a'], at: new Date(86400000), bytes: Buffer.from('hi'), missing: undefined };
       var answer = track(event, 7, 'x', null, true);
       event.type = 'changed'; event.tags.push('b');
       track();
       done(answer);`,
      { globals: { track } },
    )
    expect(result).toBe('ok')
    expect(track).toHaveBeenCalledTimes(2)
    expect(track.mock.calls[0]).toEqual([
      { type: 'login', tags: ['a'], at: '1970-01-02T00:00:00.000Z', bytes: Buffer.from('hi'), missing: undefined },
      7,
      'x',
      null,
      true,
    ])
    expect(Buffer.isBuffer((track.mock.calls[0]?.[0] as { bytes: unknown }).bytes)).toBe(true)
    expect(track.mock.calls[1]).toEqual([])
  })

  it('a host function mutating its argument does not change the rule’s object', async () => {
    const result = await evaluate(`var o = { n: 1 }; mutate(o); done(o);`, {
      globals: {
        mutate: (o: { n: number }) => {
          o.n = 2
        },
      },
    })
    expect(result).toEqual({ n: 1 })
  })
})

describe('what comes back from a stub', () => {
  const returning = (value: unknown) => ({ globals: { give: () => value } })

  it('a Buffer (or Uint8Array) arrives as a Buffer', async () => {
    expect(
      await evaluate(`var b = give(); done([Buffer.isBuffer(b), b.toString('hex'), b.length]);`, returning(Buffer.from([0xde, 0xad, 0xbe, 0xef]))),
    ).toEqual([true, 'deadbeef', 4])
    expect(await evaluate(`var b = give(); done([Buffer.isBuffer(b), b.toString('utf8')]);`, returning(new TextEncoder().encode('héllo')))).toEqual([
      true,
      'héllo',
    ])
  })

  it('undefined arrives as undefined, null as null', async () => {
    expect(await evaluate(`done([typeof give(), give() === undefined]);`, returning(undefined))).toEqual(['undefined', true])
    expect(await evaluate(`done([give() === null]);`, returning(null))).toEqual([true])
  })

  it('a Date arrives as its ISO string (JSON), an invalid Date as null', async () => {
    expect(await evaluate(`var d = give(); done([typeof d, d]);`, returning(new Date(Date.UTC(2024, 2, 13, 10))))).toEqual([
      'string',
      '2024-03-13T10:00:00.000Z',
    ])
    expect(await evaluate(`done(give());`, returning(new Date(Number.NaN)))).toBe(null)
  })

  it('nested data is a deep copy; functions inside data are left out', async () => {
    const value = { a: [1, { b: 'c' }], fn: () => 1, m: new Map([['k', 'v']]) }
    expect(await evaluate(`var v = give(); done([v, 'fn' in v]);`, returning(value))).toEqual([{ a: [1, { b: 'c' }], m: { k: 'v' } }, false])
  })

  it('returning a function is an Error in the rule (only data crosses)', async () => {
    const result = await evaluate(`try { give(); done('returned'); } catch (e) { done(describeError(e)); }`, { globals: { give: () => () => 1 } })
    expect(result).toMatchObject({ name: 'TypeError', isError: true, message: expect.stringContaining('only data can cross into the sandbox') })
  })

  it('returning a circular value is an Error in the rule', async () => {
    const cycle: Record<string, unknown> = {}
    cycle['self'] = cycle
    const result = await evaluate(`try { give(); done('returned'); } catch (e) { done(describeError(e)); }`, returning(cycle))
    expect(result).toMatchObject({ name: 'TypeError', isError: true, message: expect.stringContaining('circular') })
  })
})

describe('what a stub throws', () => {
  class QuotaError extends Error {
    readonly code = 'E_QUOTA'
    readonly retryAfter = 30
    readonly details = { limit: 100, window: '1m' }
    constructor() {
      super('quota exceeded for tenant acme')
      this.name = 'QuotaError'
    }
  }

  const describeThrown = `function (e) { return { isError: e instanceof Error, name: e.name, message: e.message, code: e.code, retryAfter: e.retryAfter, details: e.details,
    leaksHostPath: /\\/work\\/|node_modules|\\.ts:/.test(String(e.stack)) }; }`

  it('a throwing stub throws an Error in the rule with its name, message and own properties', async () => {
    const result = await evaluate(`var d = ${describeThrown}; try { limited(); done('no throw'); } catch (e) { done(d(e)); }`, {
      globals: {
        limited: () => {
          throw new QuotaError()
        },
      },
    })
    expect(result).toEqual({
      isError: true,
      name: 'QuotaError',
      message: 'quota exceeded for tenant acme',
      code: 'E_QUOTA',
      retryAfter: 30,
      details: { limit: 100, window: '1m' },
      leaksHostPath: false,
    })
  })

  it('a rejecting async stub rejects the rule’s promise with the same Error', async () => {
    const result = await evaluate(`var d = ${describeThrown}; limited().then(function () { done('resolved'); }, function (e) { done(d(e)); });`, {
      globals: { limited: async () => Promise.reject(new QuotaError()) },
    })
    expect(result).toMatchObject({ isError: true, name: 'QuotaError', code: 'E_QUOTA', details: { limit: 100, window: '1m' }, leaksHostPath: false })
  })

  it('a TypeError stays a TypeError; a thrown string becomes an Error with it as message', async () => {
    const result = await evaluate(
      `var out = [];
       try { typed(); } catch (e) { out.push([e instanceof TypeError, e.message]); }
       try { stringy(); } catch (e) { out.push([e instanceof Error, e.message]); }
       done(out);`,
      {
        globals: {
          typed: () => {
            throw new TypeError('id must be a string')
          },
          stringy: () => {
            throw 'plain string failure'
          },
        },
      },
    )
    expect(result).toEqual([
      [true, 'id must be a string'],
      [true, 'plain string failure'],
    ])
  })

  it('an uncaught stub error fails the run as a rule exception (generic 403), and never exposes host details', async () => {
    await using engine = await createEngine({
      rules: [rule('r', `boom(); callback(null, user, context);`)],
      concurrency: 1,
      globals: {
        boom: () => {
          throw new Error('connection string postgres://admin:hunter2@db/users refused')
        },
      },
    })
    const err = await rejection(engine.run(passwordInput()))
    expect(err.code).toBe('ERR_RULE_EXCEPTION')
    expect(err.toOAuthError()).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'Rule execution failed.' } })
  })
})

describe('configuration of stubs', () => {
  it.each([
    ['a symbol', Symbol('x')],
    ['a BigInt', 10n],
    [
      'a circular object without functions',
      (() => {
        const o: Record<string, unknown> = {}
        o['o'] = o
        return o
      })(),
    ],
  ])('%s as a global is ERR_CONFIG_INVALID', async (_what, value) => {
    const err = await rejection(createEngine({ rules: [rule('r', 'callback(null, user, context);')], globals: { bad: value } }))
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(err.message).toContain('globals.bad')
  })

  it.each(['configuration', 'require', 'UnauthorizedError', 'console', 'global'])('globals may not replace %s', async (name) => {
    const err = await rejection(createEngine({ rules: [rule('r', 'callback(null, user, context);')], globals: { [name]: () => 1 } }))
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(err.message).toContain(`'${name}' is defined by the engine and cannot be replaced`)
  })
})

describe('a host function with members', () => {
  it('keeps its members: callable like request, with .get like request.get', async () => {
    const { engineWith, passwordInput, rule } = await import('../helpers.js')
    const client = Object.assign((path: string) => `called ${path}`, { get: (path: string) => `got ${path}`, version: '2.1' })
    await using engine = await engineWith(
      [rule('r', `var c = require('client'); context.idToken['https://t.example/c'] = [c('/a'), c.get('/b'), c.version]; callback(null, user, context);`)],
      { modules: { host: { client } } },
    )
    const result = await engine.run(passwordInput())
    expect(result.idToken.claims['https://t.example/c']).toEqual(['called /a', 'got /b', '2.1'])
  })
})
