/**
 * Class 8 (docs/security.md#sandbox-attack-classes): getters, `toJSON`, `valueOf`, `then` on returned objects. isolated-vm
 * would run them while copying a result out, after the time limit stopped; the engine must read
 * own data properties only, inside the sandbox. A getter claim is ERR_RULE_RESULT_INVALID and the
 * getter never runs; `toJSON` is never honored (not in the sandbox, not on the host).
 */
import { describe, expect, it } from 'vitest'
import { FOUND, expectTypedFailure, guardHost, harness, hostileRule, loginInput } from './support.js'

guardHost()

/** A getter that would hang the run (and count that it ran) if anything called it. */
const TRAP_GETTER = `function () { global.getterRuns = (global.getterRuns || 0) + 1; for (;;) {} }`
const GETTER_RUNS = 'global.getterRuns || 0'

describe('getters on returned claims (class 8)', () => {
  it('getter-claim: an enumerable getter claim is ERR_RULE_RESULT_INVALID and the getter never runs', async () => {
    await using h = await harness([
      hostileRule(
        `
        Object.defineProperty(context.idToken, '${FOUND}', { enumerable: true, configurable: true, get: ${TRAP_GETTER} });
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    const error = await h.expectFailure('ERR_RULE_RESULT_INVALID')
    expect(error.path).toContain(FOUND)
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('getter-nested: a getter nested inside a claim value is ERR_RULE_RESULT_INVALID and never runs', async () => {
    await using h = await harness([
      hostileRule(
        `
        var v = { ok: 1, deeper: {} };
        Object.defineProperty(v.deeper, 'x', { enumerable: true, get: ${TRAP_GETTER} });
        context.accessToken['${FOUND}'] = v;
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('getter-index: an array element defined as a getter is ERR_RULE_RESULT_INVALID and never runs', async () => {
    await using h = await harness([
      hostileRule(
        `
        var a = [1, 2, 3];
        Object.defineProperty(a, 1, { enumerable: true, get: ${TRAP_GETTER} });
        context.idToken['${FOUND}'] = a;
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('getter-length: an array whose length lies (a Proxy) cannot make the engine copy a huge array', async () => {
    await using h = await harness([
      hostileRule(`
        context.idToken['${FOUND}'] = new Proxy([], { getOwnPropertyDescriptor: function (t, k) {
          return k === 'length' ? { value: 1e9, writable: true, enumerable: false, configurable: false } : undefined; } });
        callback(null, user, context);`),
    ])
    await h.expectFailure(['ERR_RULE_RESULT_INVALID', 'ERR_CLAIMS_TOO_LARGE'])
    await h.expectServes()
  })

  it('getter-inherited: claims inherited through a prototype with getters are not copied and never run', async () => {
    await using h = await harness([
      hostileRule(
        `
        var proto = {};
        Object.defineProperty(proto, 'https://hostile.example/inherited', { enumerable: true, get: ${TRAP_GETTER} });
        Object.setPrototypeOf(context.idToken, proto);
        context.idToken['${FOUND}'] = 'own';
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims).toEqual({ [FOUND]: 'own' })
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('getter-user: a getter on the user is not copied and never runs', async () => {
    await using h = await harness([
      hostileRule(
        `
        Object.defineProperty(user, 'secret', { enumerable: true, get: ${TRAP_GETTER} });
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    const outcome = await h.run(loginInput('attack'))
    expect(outcome.status).not.toBe('hung')
    if (outcome.status === 'resolved') expect(Object.keys(outcome.value.user)).not.toContain('secret')
    else expectTypedFailure(outcome, 'ERR_RULE_RESULT_INVALID')
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('getter-scope: a getter as context.accessToken.scope is never run and never grants scopes', async () => {
    await using h = await harness([
      hostileRule(
        `
        Object.defineProperty(context.accessToken, 'scope', { enumerable: true, get: function () { global.getterRuns = 1; return 'admin:all'; } });
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    const outcome = await h.run(loginInput('attack'))
    expect(outcome.status).not.toBe('hung')
    if (outcome.status === 'resolved') expect(outcome.value.accessToken.scope).toBeUndefined()
    else expectTypedFailure(outcome, 'ERR_RULE_RESULT_INVALID')
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })
})

describe('toJSON, valueOf, then (class 8)', () => {
  it('tojson-claim: an own toJSON function on a claim value is ERR_RULE_RESULT_INVALID and never runs', async () => {
    await using h = await harness([
      hostileRule(
        `
        context.idToken['${FOUND}'] = { real: 1, toJSON: ${TRAP_GETTER} };
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('tojson-hidden: a non-enumerable toJSON is ignored: the claim is its own data', async () => {
    await using h = await harness([
      hostileRule(
        `
        var v = { real: 1 };
        Object.defineProperty(v, 'toJSON', { enumerable: false, value: function () { global.getterRuns = 1; return 'replaced'; } });
        context.idToken['${FOUND}'] = v;
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toEqual({ real: 1 })
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('tojson-planted: Object.prototype.toJSON planted in the sandbox changes neither the claims nor the host', async () => {
    await using h = await harness([
      hostileRule(
        `
        Object.defineProperty(Object.prototype, 'toJSON', { configurable: true, writable: true, value: function () { global.getterRuns = (global.getterRuns || 0) + 1; return 'replaced'; } });
        Array.prototype.toJSON = Object.prototype.toJSON;
        context.idToken['${FOUND}'] = { a: [1, { b: 2 }] };
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toEqual({ a: [1, { b: 2 }] })
    expect(JSON.stringify(result.idToken.claims)).toBe(`{"${FOUND}":{"a":[1,{"b":2}]}}`)
    await h.expectServes()
    expect(await h.report()).toBe(0)
  })

  it('tojson-user: toJSON on the user is not honored: the user is copied from its own data', async () => {
    await using h = await harness([
      hostileRule(
        `
        user.toJSON = function () { global.getterRuns = 1; return { user_id: 'someone-else', email: 'evil@example.com' }; };
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    const result = await h.expectSuccess()
    expect(result.user.user_id).toBe('auth0|5f7c8ec7c33c6c004bbafe82')
    expect(result.user.email).toBe('ada@example.com')
    expect(result.user).not.toHaveProperty('toJSON')
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('date-claim: a Date claim is its real ISO time even with Date.prototype.toJSON/toISOString replaced', async () => {
    await using h = await harness([
      hostileRule(`
        Date.prototype.toJSON = function () { return 'replaced'; };
        Date.prototype.toISOString = function () { return 'replaced'; };
        context.idToken['${FOUND}'] = new Date(0);
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe('1970-01-01T00:00:00.000Z')
    await h.expectServes()
  })

  it('valueof-claim: a boxed Number with a hostile valueOf is ERR_RULE_RESULT_INVALID and valueOf never runs', async () => {
    await using h = await harness([
      hostileRule(
        `
        var n = new Number(5);
        n.valueOf = ${TRAP_GETTER};
        Object.defineProperty(n, 'toString', { value: n.valueOf });
        context.idToken['${FOUND}'] = n;
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('then-claim: a claim value with a then method is ERR_RULE_RESULT_INVALID and is never awaited', async () => {
    await using h = await harness([
      hostileRule(
        `
        context.idToken['${FOUND}'] = { then: function (resolve) { global.getterRuns = 1; resolve('awaited'); } };
        callback(null, user, context);`,
        { report: GETTER_RUNS },
      ),
    ])
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('class-instance: a claim value that is a class instance (Map, RegExp, Error) is ERR_RULE_RESULT_INVALID', async () => {
    await using h = await harness([hostileRule(`context.idToken['${FOUND}'] = new Map([['a', 1]]); callback(null, user, context);`)])
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    await h.expectServes()
  })
})
