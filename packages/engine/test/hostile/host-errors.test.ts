/**
 * Class 2 (docs/security.md#sandbox-attack-classes): errors crossing the boundary. Stack overflows inside the rule and
 * inside the engine's own functions, thrown Proxies, Symbols as `error.name`, spoofed
 * `UnauthorizedError`s, and unhandled rejections (which isolated-vm hands to the host by copying
 * the rejected value, i.e. by running its getters).
 */
import { describe, expect, it, vi } from 'vitest'
import { FOUND, HANG_BUDGET, HANG_DEADLINE, SPIN, guardHost, harness, hostileRule, loginInput } from './support.js'

guardHost()

describe('stack overflow inside the rule', () => {
  it('stack-overflow: unbounded recursion is ERR_RULE_EXCEPTION with the generic description', async () => {
    await using h = await harness([hostileRule('(function f() { return f() + 1; })();')])
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(error.message).toBe('Maximum call stack size exceeded')
    await h.expectServes()
  })

  it('stack-overflow: the engine globals used at the edge of the stack throw into the rule, which still calls back', async () => {
    await using h = await harness([
      hostileRule(`
        var depth = 0;
        (function f() { depth++; try { f(); } catch (e) { console.log('edge'); setTimeout(function () {}, 1); queueMicrotask(function () {}); } })();
        context.idToken['${FOUND}'] = depth > 100;
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe(true)
    await h.expectServes()
  })

  it('stack-overflow: a denial called back at the edge of the stack is ERR_RULE_DENIED, not a timeout', async () => {
    // The deepest frame's callback overflows inside the engine after it marked the callback as
    // called; the frame above calls back again. The rule denied the login: it must be denied.
    await using h = await harness([hostileRule(`(function f() { try { f(); } catch (e) { callback(new Error('deep')); } })();`)])
    const error = await h.expectFailure('ERR_RULE_DENIED')
    expect(error.message).toBe('deep')
    await h.expectServes()
  })
})

describe('odd thrown values', () => {
  it('thrown-symbol: throw Symbol() is ERR_RULE_EXCEPTION', async () => {
    await using h = await harness([hostileRule(`throw Symbol('boom');`)])
    await h.expectFailure('ERR_RULE_EXCEPTION')
    await h.expectServes()
  })

  it('thrown-null: throw null is ERR_RULE_EXCEPTION', async () => {
    await using h = await harness([hostileRule(`throw null;`)])
    await h.expectFailure('ERR_RULE_EXCEPTION')
    await h.expectServes()
  })

  it('symbol-name: an error whose name is a Symbol, thrown, is ERR_RULE_EXCEPTION', async () => {
    await using h = await harness([hostileRule(`var e = new Error(''); e.name = Symbol('x'); throw e;`)])
    await h.expectFailure('ERR_RULE_EXCEPTION')
    await h.expectServes()
  })

  it('symbol-name: an error whose name is a Symbol, called back, is ERR_RULE_DENIED with its message', async () => {
    await using h = await harness([hostileRule(`var e = new Error('no entry'); e.name = Symbol('x'); callback(e);`)])
    const error = await h.expectFailure('ERR_RULE_DENIED')
    expect(error.message).toBe('no entry')
    await h.expectServes()
  })

  it('symbol-callback: callback(Symbol()) is ERR_RULE_DENIED', async () => {
    await using h = await harness([hostileRule(`callback(Symbol('nope'));`)])
    await h.expectFailure('ERR_RULE_DENIED')
    await h.expectServes()
  })

  it('thrown-proxy: a thrown Proxy whose traps loop for ever is stopped by the budget (ERR_RULE_TIMEOUT)', async () => {
    await using h = await harness([
      hostileRule(
        `throw new Proxy(new Error('x'), { get: function () { for (;;) {} }, getPrototypeOf: function () { for (;;) {} }, has: function () { for (;;) {} } });`,
      ),
    ])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('thrown-proxy: a thrown revoked Proxy is ERR_RULE_EXCEPTION', async () => {
    await using h = await harness([hostileRule(`var p = Proxy.revocable(new Error('x'), {}); p.revoke(); throw p.proxy;`)])
    await h.expectFailure('ERR_RULE_EXCEPTION')
    await h.expectServes()
  })

  it('thrown-getters: an error whose message and stack getters throw is ERR_RULE_EXCEPTION', async () => {
    await using h = await harness([
      hostileRule(`
        var e = new Error('x');
        Object.defineProperty(e, 'message', { get: function () { throw new Error('message getter'); } });
        Object.defineProperty(e, 'stack', { get: function () { throw new Error('stack getter'); } });
        throw e;`),
    ])
    await h.expectFailure('ERR_RULE_EXCEPTION')
    await h.expectServes()
  })

  it('callback-proxy: callback(Proxy) whose traps loop for ever is stopped by the budget (ERR_RULE_TIMEOUT)', async () => {
    await using h = await harness([hostileRule(`callback(new Proxy(new Error('x'), { get: function () { for (;;) {} } }));`)])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })
})

describe('spoofed UnauthorizedError: identity comes from the engine, not from the value', () => {
  it("spoof: a plain Error named 'UnauthorizedError' with statusCode 401 is ERR_RULE_DENIED (403)", async () => {
    await using h = await harness([
      hostileRule(`var e = new Error('blocked'); e.name = 'UnauthorizedError'; e.code = 'unauthorized'; e.statusCode = 401; callback(e);`),
    ])
    const error = await h.expectFailure('ERR_RULE_DENIED')
    expect(error.toOAuthError()).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'blocked' } })
    await h.expectServes()
  })

  it('spoof: Object.create(UnauthorizedError.prototype) is ERR_RULE_DENIED', async () => {
    await using h = await harness([hostileRule(`var e = Object.create(UnauthorizedError.prototype); e.message = 'forged'; callback(e);`)])
    const error = await h.expectFailure('ERR_RULE_DENIED')
    expect(error.message).toBe('forged')
    await h.expectServes()
  })

  it('spoof: UnauthorizedError.call(existingError) does not brand the existing error', async () => {
    await using h = await harness([hostileRule(`var e = new Error('forged'); UnauthorizedError.call(e, 'forged'); callback(e);`)])
    await h.expectFailure('ERR_RULE_DENIED')
    await h.expectServes()
  })

  it('spoof: a Proxy around a real UnauthorizedError is ERR_RULE_DENIED', async () => {
    await using h = await harness([hostileRule(`callback(new Proxy(new UnauthorizedError('proxied'), {}));`)])
    const error = await h.expectFailure('ERR_RULE_DENIED')
    expect(error.message).toBe('proxied')
    await h.expectServes()
  })

  it('spoof: replacing the UnauthorizedError global fails (it is locked)', async () => {
    await using h = await harness([
      hostileRule(`
        var replaced;
        try { UnauthorizedError = function () {}; replaced = 'assigned'; } catch (e) { replaced = 'threw'; }
        try { Object.defineProperty(globalThis, 'UnauthorizedError', { value: Error }); replaced += ',redefined'; } catch (e) { replaced += ',threw'; }
        callback(new UnauthorizedError('still 401: ' + replaced));`),
    ])
    const error = await h.expectFailure('ERR_RULE_UNAUTHORIZED')
    expect(error.toOAuthError()).toEqual({ status: 401, body: { error: 'unauthorized', error_description: 'still 401: assigned,threw' } })
    await h.expectServes()
  })
})

describe('exception details stay on the host side', () => {
  it('exception-details: onRuleError gets the message and a guest stack without host paths; the client gets neither', async () => {
    const onRuleError = vi.fn()
    await using h = await harness([hostileRule(`throw new Error('internal detail 42');`)], { hooks: { onRuleError } })
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(JSON.stringify(error.toOAuthError())).not.toContain('internal detail 42')
    expect(onRuleError).toHaveBeenCalledTimes(1)
    const event = onRuleError.mock.calls[0]?.[0]
    expect(event).toMatchObject({ code: 'ERR_RULE_EXCEPTION', rule: 'hostile', message: 'internal detail 42' })
    expect(event.stack).toContain('rule:hostile')
    expect(event.stack).not.toMatch(/\/work\/|node_modules|node:internal|file:\/\//)
    await h.expectServes()
  })
})

describe('unhandled rejections (isolated-vm copies the rejected value out of the isolate)', () => {
  it('unhandled-rejection: a stray rejected promise after calling back does not change the outcome', async () => {
    await using h = await harness([hostileRule(`context.idToken['${FOUND}'] = 'kept'; callback(null, user, context); Promise.reject(new Error('stray'));`)])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe('kept')
    await h.expectServes()
  })

  it('unhandled-rejection: a rejected promise nobody handles, in a timer, fails the run with a typed error', async () => {
    await using h = await harness([hostileRule(`setTimeout(function () { Promise.reject(Symbol('s')); }, 1);`)])
    await h.expectFailure(['ERR_RULE_EXCEPTION', 'ERR_RULE_TIMEOUT'])
    await h.expectServes()
  })

  it('unhandled-rejection: a rejected object whose message getter loops does not hang the host', async () => {
    // Real attack: `Promise.reject({ get message() { for (;;) {} } })` hangs engine.run for ever.
    await using h = await harness([hostileRule(`Promise.reject({ get message() { ${SPIN} return 'late'; } });`)], HANG_BUDGET)
    await h.expectFailure(['ERR_RULE_TIMEOUT', 'ERR_RULE_EXCEPTION'], loginInput('attack'), HANG_DEADLINE)
    await h.expectServes()
  })

  it('unhandled-rejection: a rejected Error whose message getter loops does not hang the host, even after calling back', async () => {
    await using h = await harness(
      [
        hostileRule(`
          var e = new Error('x');
          Object.defineProperty(e, 'message', { get: function () { ${SPIN} return 'late'; } });
          callback(null, user, context);
          Promise.reject(e);`),
      ],
      HANG_BUDGET,
    )
    const outcome = await h.run(loginInput('attack'), HANG_DEADLINE)
    expect(outcome.status, 'HOST HANG: engine.run waited for guest code outside the budget').not.toBe('hung')
    await h.expectServes()
  })
})
