/**
 * Class 6 (docs/security.md#sandbox-attack-classes): promises and `then` hijacks. The engine awaits only genuine promises
 * with a `then` captured before any rule ran; thenables are never called; raw rejection values are
 * exceptions; nothing a rule does with promises reaches the host's `unhandledRejection`.
 */
import { describe, expect, it } from 'vitest'
import { rule } from '../helpers.js'
import { FOUND, guardHost, harness, hostileRule, loginInput } from './support.js'

guardHost()

const afterFinish = (statements: string) =>
  `callback(null, user, context); Promise.resolve().then(function () { Promise.resolve().then(function () { ${statements} }); });`

describe('then hijacks', () => {
  it('then-hijack: Promise.prototype.then replaced before calling back; the run still finishes with its claims', async () => {
    await using h = await harness([
      hostileRule(`
        Promise.prototype.then = function () { global.thenCalls = (global.thenCalls || 0) + 1; return this; };
        context.idToken['${FOUND}'] = 'finished';
        setTimeout(function () { callback(null, user, context); }, 1);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe('finished')
    await h.expectServes()
  })

  it('then-hijack: an async rule that replaced Promise.prototype.then still has its rejection reported', async () => {
    await using h = await harness([
      hostileRule(`Promise.prototype.then = function () { return this; }; await null; throw new Error('rejected anyway');`, { async: true }),
    ])
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(error.message).toBe('rejected anyway')
    await h.expectServes()
  })

  it('then-hijack: a then that never calls its handlers, left behind by one run, does not stall the next async run', async () => {
    await using h = await harness([
      hostileRule(
        afterFinish(`Promise.prototype.then = function () { return new Promise(function () {}); };
        Promise.prototype.catch = function () { return this; }; Promise.prototype.finally = function () { return this; };`),
        {
          async: true,
          modes: { async: `await null; context.idToken['${FOUND}'] = 'after await'; callback(null, user, context);` },
        },
      ),
    ])
    await h.expectSuccess()
    const result = await h.expectSuccess(loginInput('async'))
    expect(result.idToken.claims[FOUND]).toBe('after await')
    await h.expectServes()
  })

  it('then-hijack: Promise.resolve / Promise.reject replaced do not change how the engine awaits an async rule', async () => {
    await using h = await harness([
      hostileRule(
        `Promise.resolve = function () { return { then: function () {} }; }; Promise.reject = Promise.resolve;
        await null; throw new Error('still reported');`,
        { async: true },
      ),
    ])
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(error.message).toBe('still reported')
    await h.expectServes()
  })
})

describe('thenables', () => {
  it('thenable-return: a thenable returned by the rule is never called; without a callback the run times out', async () => {
    await using h = await harness([
      hostileRule(`global.thenCalled = false; return { then: function (resolve, reject) { global.thenCalled = true; reject(new Error('thenable')); } };`, {
        report: 'global.thenCalled',
      }),
    ])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    expect(await h.report()).toBe(false)
    await h.expectServes()
  })

  it('thenable-user: a thenable passed as user is copied as data, never resolved', async () => {
    await using h = await harness([
      hostileRule(
        `
        global.thenCalled = false;
        var u = { user_id: user.user_id, email: user.email, then: function (resolve) { global.thenCalled = true; resolve({ user_id: 'evil' }); } };
        callback(null, u, context);`,
        { report: 'global.thenCalled' },
      ),
    ])
    const result = await h.expectSuccess()
    expect(result.user).toEqual({ user_id: 'auth0|5f7c8ec7c33c6c004bbafe82', email: 'ada@example.com' })
    expect(await h.report()).toBe(false)
    await h.expectServes()
  })

  it('thenable-planted: Object.prototype.then planted by one run does not make the next run wait or fail', async () => {
    await using h = await harness([
      hostileRule(
        afterFinish(
          `Object.defineProperty(Object.prototype, 'then', { configurable: true, writable: true, value: function () { global.thenCalls = (global.thenCalls || 0) + 1; } });`,
        ),
        {
          report: "typeof global.thenCalls === 'number' ? global.thenCalls : 0",
        },
      ),
    ])
    await h.expectSuccess()
    await h.expectServes()
    await h.expectServes()
    // The engine itself never called the planted then (the report reads the count via the rule).
    expect(await h.report()).toBe(0)
  })
})

describe('raw rejections and promises that never settle', () => {
  it('raw-rejection: an async rule rejecting with a number is ERR_RULE_EXCEPTION with the generic description', async () => {
    await using h = await harness([hostileRule(`return Promise.reject(42);`)])
    await h.expectFailure('ERR_RULE_EXCEPTION')
    await h.expectServes()
  })

  it('raw-rejection: rejecting with an object whose getters throw is ERR_RULE_EXCEPTION', async () => {
    await using h = await harness([
      hostileRule(`return Promise.reject({ get message() { throw new Error('getter'); }, get stack() { throw new Error('getter'); } });`),
    ])
    await h.expectFailure('ERR_RULE_EXCEPTION')
    await h.expectServes()
  })

  it('never-settles: a returned promise that never settles and no callback is ERR_RULE_TIMEOUT', async () => {
    await using h = await harness([hostileRule(`return new Promise(function () {});`)])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('throw-after-callback: an async rule that rejects after calling back keeps the outcome and warns', async () => {
    await using h = await harness([
      hostileRule(`context.idToken['${FOUND}'] = 1; callback(null, user, context); await null; throw new Error('late');`, { async: true }),
      // A second rule still running when the first one rejects.
      rule('waits', `setTimeout(function () { callback(null, user, context); }, 20);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe(1)
    expect(result.warnings.map((w) => w.code)).toEqual(['RULE_THREW_AFTER_CALLBACK'])
    await h.expectServes()
  })

  it('callback-in-then: a callback called from a then job after Promise.prototype.then was replaced still counts', async () => {
    await using h = await harness([
      hostileRule(`
        var then = Promise.prototype.then;
        Promise.prototype.then = function (a, b) { return then.call(this, a, b); };
        Promise.resolve('v').then(function (v) { context.idToken['${FOUND}'] = v; callback(null, user, context); });`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe('v')
    await h.expectServes()
  })
})
