/**
 * Classes 4 and 6 (docs/security.md#sandbox-attack-classes) through the engine's host bridge: values a rule hands to host
 * functions (the integrator's `globals`), and host results and promises coming back. Only data may
 * cross: proxies and getters are read inside the sandbox, a rule cannot forge a function or bytes
 * reference, host errors carry no host stack, and a guest function called after its run ended
 * never runs.
 */
import { types } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import { FOUND, asRecord, guardHost, harness, hostileRule } from './support.js'

guardHost()

describe('values handed to host functions', () => {
  it('bridge-args: Proxy and getter arguments are read in the sandbox; the host function receives plain data', async () => {
    const sink = vi.fn((..._args: unknown[]) => 'ok')
    await using h = await harness(
      [
        hostileRule(
          `
          var p = new Proxy({ a: 1 }, { ownKeys: function (t) { t.realm = (typeof process === 'undefined' || process.versions.v8 === undefined) ? 'sandbox' : 'host'; return Reflect.ownKeys(t); } });
          var g = { plain: 2 };
          Object.defineProperty(g, 'secret', { enumerable: true, get: function () { global.getterRan = true; return 'from getter'; } });
          context.idToken['${FOUND}'] = sink(p, g);
          callback(null, user, context);`,
          { report: 'global.getterRan === true' },
        ),
      ],
      { globals: { sink } },
    )
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe('ok')
    expect(sink).toHaveBeenCalledTimes(1)
    const [first, second] = sink.mock.calls[0] ?? []
    expect(types.isProxy(first)).toBe(false)
    expect(first).toEqual({ a: 1, realm: 'sandbox' })
    expect(Object.getOwnPropertyDescriptor(second as object, 'secret')?.get).toBeUndefined()
    expect(await h.report()).toBe(false)
    await h.expectServes()
  })

  it('bridge-args: a Proxy argument whose traps loop for ever is stopped by the budget (ERR_RULE_TIMEOUT)', async () => {
    const sink = vi.fn(() => 'ok')
    await using h = await harness(
      [
        hostileRule(
          `var loop = function () { for (;;) {} }; sink(new Proxy({}, { ownKeys: loop, getOwnPropertyDescriptor: loop, getPrototypeOf: loop, get: loop }));`,
        ),
      ],
      { globals: { sink } },
    )
    await h.expectFailure('ERR_RULE_TIMEOUT')
    expect(sink).not.toHaveBeenCalled()
    await h.expectServes()
  })

  it("bridge-marker: a rule cannot forge a function or bytes reference with the bridge's marker key", async () => {
    // The bridge marks functions as { "\\u0000": "f", id } and bytes as { "\\u0000": "b", d }. An
    // object the rule builds with that key is data: the host must not receive a callable function
    // (that calls whatever guest function has that id) or a Buffer instead.
    const sink = vi.fn((..._args: unknown[]) => 'ok')
    await using h = await harness(
      [
        hostileRule(
          `
          var fn = {}; fn['\\u0000'] = 'f'; fn.id = 1;
          var bytes = {}; bytes['\\u0000'] = 'b'; bytes.d = 'AAAA';
          sink(function registered() { global.registeredRan = true; }, fn, bytes);
          callback(null, user, context);`,
          { report: 'global.registeredRan === true' },
        ),
      ],
      { globals: { sink } },
    )
    await h.expectSuccess()
    const [, forgedFunction, forgedBytes] = sink.mock.calls[0] ?? []
    expect(typeof forgedFunction).not.toBe('function')
    expect(Buffer.isBuffer(forgedBytes)).toBe(false)
    await h.expectServes()
  })

  it('bridge-chain: host functions, their results and their promises lead only to the sandbox', async () => {
    await using h = await harness(
      [
        hostileRule(`
          var found = {};
          var probe = function (label, x) {
            try {
              var F = x.constructor.constructor;
              found[label] = [F === Function, F('return (typeof process === "undefined" || process.versions.v8 === undefined ? "undefined" : typeof process)')(), Object(x) instanceof Object].join(',');
            } catch (e) { found[label] = 'threw ' + e.name; }
          };
          probe('function', lookup);
          probe('result', lookup('a'));
          var p = lookupAsync('b');
          probe('promise', p);
          p.then(function (v) {
            probe('resolved', v);
            context.idToken['${FOUND}'] = found;
            callback(null, user, context);
          });`),
      ],
      { globals: { lookup: (id: string) => ({ id, tags: ['x'] }), lookupAsync: async (id: string) => ({ id }) } },
    )
    const result = await h.expectSuccess()
    const found = asRecord(result.idToken.claims[FOUND])
    expect(found).toEqual({ function: 'true,undefined,true', result: 'true,undefined,true', promise: 'true,undefined,true', resolved: 'true,undefined,true' })
    await h.expectServes()
  })
})

describe('host results, errors and promises coming back', () => {
  it('bridge-error: a host error caught by the rule carries no host stack or path, and leads only to the sandbox', async () => {
    const boom = () => {
      throw new Error('boom')
    }
    await using h = await harness(
      [
        hostileRule(`
          try { boom(); } catch (e) {
            context.idToken['${FOUND}'] = {
              message: e.message,
              stack: String(e.stack),
              keys: Object.keys(e),
              chain: e.constructor.constructor('return (typeof process === "undefined" || process.versions.v8 === undefined ? "undefined" : typeof process)')(),
            };
          }
          callback(null, user, context);`),
      ],
      { globals: { boom } },
    )
    const result = await h.expectSuccess()
    const found = asRecord(result.idToken.claims[FOUND])
    expect(found.message).toBe('boom')
    expect(found.chain).toBe('undefined')
    expect(String(found.stack)).not.toMatch(/\/work\/|node_modules|node:internal|file:\/\/|\.ts:\d+/)
    await h.expectServes()
  })

  it('bridge-promise: a host promise that never settles is ERR_RULE_TIMEOUT', async () => {
    await using h = await harness([hostileRule(`never().then(function () { callback(null, user, context); });`)], {
      globals: { never: () => new Promise(() => {}) },
    })
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('bridge-promise: a host promise rejecting with a host error object is a plain error inside the rule', async () => {
    const fails = async () => {
      const error = new Error('host said no') as Error & { detail: unknown }
      error.detail = { path: '/srv/secret', fn: () => 1 }
      throw error
    }
    await using h = await harness(
      [
        hostileRule(`
          fails().then(null, function (e) {
            context.idToken['${FOUND}'] = { message: e.message, detailFn: typeof (e.detail && e.detail.fn), isError: e instanceof Error };
            callback(null, user, context);
          });`),
      ],
      { globals: { fails } },
    )
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toEqual({ message: 'host said no', detailFn: 'undefined', isError: true })
    await h.expectServes()
  })

  it('bridge-late-callback: a guest function the host calls after the run ended never runs', async () => {
    const later = (cb: (value: string) => void) => {
      setTimeout(() => cb('late'), 30)
    }
    await using h = await harness(
      [hostileRule(`global.lateRan = false; later(function () { global.lateRan = true; }); callback(null, user, context);`, { report: 'global.lateRan' })],
      { globals: { later } },
    )
    await h.expectSuccess()
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(await h.report()).toBe(false)
    await h.expectServes()
  })
})
