/**
 * Class 4 (docs/security.md#sandbox-attack-classes): Proxies handed to the engine as `user`, `context`, claims or log
 * arguments. Their traps may only ever run inside the sandbox, under the run's budget; the host
 * receives plain data, never a proxy, and a trap that throws or loops is a typed failure.
 */
import { types } from 'node:util'
import { describe, expect, it } from 'vitest'
import { FOUND, expectTypedFailure, guardHost, harness, hostileRule, loginInput } from './support.js'

guardHost()

/** Traps that record where they ran (`typeof process` is 'object' on the host) into the target. */
const RECORDING_HANDLER = `{
  ownKeys: function (t) { t.trapRealm = (typeof process === 'undefined' || process.versions.v8 === undefined) ? 'sandbox' : 'host'; t.trapCalls = (t.trapCalls || 0) + 1; return Reflect.ownKeys(t); },
  getOwnPropertyDescriptor: function (t, k) { return Reflect.getOwnPropertyDescriptor(t, k); },
  get: function (t, k) { return Reflect.get(t, k); },
}`

describe('Proxies handed to the engine (class 4)', () => {
  it('proxy-user: a Proxy passed as user is read inside the sandbox; the host gets a plain object', async () => {
    await using h = await harness([hostileRule(`callback(null, new Proxy(user, ${RECORDING_HANDLER}), context);`)])
    const result = await h.expectSuccess()
    expect(types.isProxy(result.user)).toBe(false)
    expect(Object.getPrototypeOf(result.user)).toBe(Object.prototype)
    expect(result.user).toMatchObject({ user_id: 'auth0|5f7c8ec7c33c6c004bbafe82', email: 'ada@example.com', trapRealm: 'sandbox' })
    await h.expectServes()
  })

  it('proxy-context: a Proxy passed as context is read inside the sandbox; claims arrive as plain data', async () => {
    await using h = await harness([
      hostileRule(`
        context.idToken['${FOUND}'] = { kept: true };
        callback(null, user, new Proxy(context, ${RECORDING_HANDLER}));`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims).toEqual({ [FOUND]: { kept: true } })
    await h.expectServes()
  })

  it('proxy-claims: a Proxy as the claims object and as a claim value is copied as plain data', async () => {
    await using h = await harness([
      hostileRule(`
        var value = new Proxy({ roles: ['a', 'b'] }, ${RECORDING_HANDLER});
        context.idToken = new Proxy({ '${FOUND}': value }, ${RECORDING_HANDLER});
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    const claim = result.idToken.claims[FOUND] as Record<string, unknown>
    expect(types.isProxy(claim)).toBe(false)
    expect(types.isProxy(result.idToken.claims)).toBe(false)
    expect(claim).toEqual({ roles: ['a', 'b'], trapRealm: 'sandbox', trapCalls: 1 })
    await h.expectServes()
  })

  it('proxy-loop: a claim Proxy whose traps loop for ever is stopped by the budget (ERR_RULE_TIMEOUT)', async () => {
    await using h = await harness([
      hostileRule(`
        var loop = function () { for (;;) {} };
        context.idToken['${FOUND}'] = new Proxy({}, { ownKeys: loop, getOwnPropertyDescriptor: loop, getPrototypeOf: loop, get: loop });
        callback(null, user, context);`),
    ])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('proxy-user-loop: a user Proxy whose traps loop for ever is stopped by the budget (ERR_RULE_TIMEOUT)', async () => {
    await using h = await harness([
      hostileRule(`var loop = function () { for (;;) {} }; callback(null, new Proxy({}, { ownKeys: loop, getPrototypeOf: loop, get: loop }), context);`),
    ])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('proxy-throw: a claim Proxy whose ownKeys trap throws is ERR_RULE_RESULT_INVALID', async () => {
    await using h = await harness([
      hostileRule(`
        context.idToken['${FOUND}'] = new Proxy({}, { ownKeys: function () { throw new Error('trap'); } });
        callback(null, user, context);`),
    ])
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    await h.expectServes()
  })

  it('proxy-throw: a claim Proxy whose getPrototypeOf trap throws a Proxy is ERR_RULE_RESULT_INVALID', async () => {
    await using h = await harness([
      hostileRule(`
        var thrown = new Proxy({}, { get: function () { throw thrown; }, getPrototypeOf: function () { throw thrown; } });
        context.idToken['${FOUND}'] = new Proxy({}, { getPrototypeOf: function () { throw thrown; } });
        callback(null, user, context);`),
    ])
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    await h.expectServes()
  })

  it('proxy-revoked: a revoked Proxy as a claim value is ERR_RULE_RESULT_INVALID', async () => {
    await using h = await harness([
      hostileRule(`var p = Proxy.revocable({}, {}); p.revoke(); context.idToken['${FOUND}'] = p.proxy; callback(null, user, context);`),
    ])
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    await h.expectServes()
  })

  it('proxy-revoked: a revoked Proxy passed as user is ERR_RULE_RESULT_INVALID, promptly', async () => {
    // docs/behaviour.md#callback-outcomes: a non-object user is ERR_RULE_RESULT_INVALID. A revoked proxy makes the engine's
    // own Array.isArray check throw inside callback(); the run must still end, with that code.
    await using h = await harness([hostileRule(`var p = Proxy.revocable({}, {}); p.revoke(); callback(null, p.proxy, context);`)])
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    await h.expectServes()
  })

  it('proxy-revoked: a revoked Proxy passed as context is ERR_RULE_RESULT_INVALID, promptly', async () => {
    await using h = await harness([hostileRule(`var p = Proxy.revocable({}, {}); p.revoke(); callback(null, user, p.proxy);`)])
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    await h.expectServes()
  })

  it('proxy-lies: a Proxy of a Map that claims Object.prototype is copied from its own data only', async () => {
    await using h = await harness([
      hostileRule(`
        var m = new Map([['secret', 'x']]);
        context.idToken['${FOUND}'] = new Proxy(m, { getPrototypeOf: function () { return Object.prototype; } });
        callback(null, user, context);`),
    ])
    // Either refused or copied as the (empty) own data of the Map: never the Map's entries.
    const outcome = await h.run(loginInput('attack'))
    expect(outcome.status).not.toBe('hung')
    if (outcome.status === 'resolved') expect(outcome.value.idToken.claims[FOUND]).toEqual({})
    else expectTypedFailure(outcome, 'ERR_RULE_RESULT_INVALID')
    await h.expectServes()
  })

  it('proxy-log: a Proxy passed to console.log is formatted inside the sandbox; the log line is text', async () => {
    await using h = await harness([
      hostileRule(`
        console.log(new Proxy({ a: 1 }, ${RECORDING_HANDLER}));
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.logs).toHaveLength(1)
    expect(typeof result.logs[0]?.message).toBe('string')
    expect(result.logs[0]?.message).toContain('sandbox')
    await h.expectServes()
  })

  it('proxy-log-loop: console.log of a Proxy whose traps loop for ever is stopped by the budget', async () => {
    await using h = await harness([
      hostileRule(`
        var loop = function () { for (;;) {} };
        console.log(new Proxy({}, { ownKeys: loop, getOwnPropertyDescriptor: loop, getPrototypeOf: loop, get: loop, has: loop }));
        callback(null, user, context);`),
    ])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })
})
