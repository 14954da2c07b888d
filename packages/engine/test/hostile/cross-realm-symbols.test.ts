/**
 * Class 7 (docs/security.md#sandbox-attack-classes): well-known cross-realm symbols. `Symbol.for(...)` is the same symbol
 * in every realm of a process, so an object carrying `Symbol.for('nodejs.util.inspect.custom')`
 * would run its inspector in the host if the host ever `util.inspect`ed or logged a guest value.
 * The engine formats logs and copies results inside the sandbox, as data: the inspector (and
 * `Symbol.toPrimitive`, `Symbol.toStringTag`, `Symbol.hasInstance`) never decide anything.
 */
import { inspect } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import { FOUND, guardHost, harness, hostileRule, loginInput } from './support.js'

guardHost()

/** An object whose custom inspector would show (and count) it ran. */
const INSPECTABLE = `(function () {
  var o = { a: 1, nested: { b: [2] } };
  o[Symbol.for('nodejs.util.inspect.custom')] = function () {
    global.inspected = (global.inspected || 0) + 1;
    return 'INSPECTED-' + ((typeof process === 'undefined' || process.versions.v8 === undefined) ? 'sandbox' : 'host');
  };
  o.nested[Symbol.for('nodejs.util.inspect.custom')] = o[Symbol.for('nodejs.util.inspect.custom')];
  return o;
})()`

describe('Symbol.for(nodejs.util.inspect.custom) (class 7)', () => {
  it('inspect-custom-log: a logged object is formatted from its data; its inspector never runs', async () => {
    const onLog = vi.fn()
    await using h = await harness(
      [
        hostileRule(
          `
          var o = ${INSPECTABLE};
          console.log(o);
          console.info('%o %O %j %s', o, o, o, o);
          console.error(o.nested);
          callback(null, user, context);`,
          { report: 'global.inspected || 0' },
        ),
      ],
      { hooks: { onLog } },
    )
    const result = await h.expectSuccess()
    expect(result.logs).toHaveLength(3)
    for (const entry of result.logs) {
      expect(typeof entry.message).toBe('string')
      expect(entry.message).not.toContain('INSPECTED')
    }
    expect(result.logs[0]?.message).toMatch(/a/)
    expect(onLog).toHaveBeenCalledTimes(3)
    expect(inspect(onLog.mock.calls, { depth: null })).not.toContain('INSPECTED')
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('inspect-custom-result: on the returned user and claims the symbol is dropped; util.inspect on the host runs no guest code', async () => {
    await using h = await harness([
      hostileRule(
        `
        var o = ${INSPECTABLE};
        user.profile = o;
        user[Symbol.for('nodejs.util.inspect.custom')] = o[Symbol.for('nodejs.util.inspect.custom')];
        context.idToken['${FOUND}'] = o;
        callback(null, user, context);`,
        { report: 'global.inspected || 0' },
      ),
    ])
    const result = await h.expectSuccess()
    expect(Object.getOwnPropertySymbols(result.user)).toEqual([])
    expect(result.idToken.claims[FOUND]).toEqual({ a: 1, nested: { b: [2] } })
    expect(inspect(result, { depth: null, showHidden: true })).not.toContain('INSPECTED')
    expect(JSON.stringify(result)).not.toContain('INSPECTED')
    expect(await h.report()).toBe(0)
    await h.expectServes()
  })

  it('inspect-custom-error: a denial with an inspectable error gives a host error that util.inspect shows without guest code', async () => {
    await using h = await harness([
      hostileRule(`
        var e = new Error('denied');
        e[Symbol.for('nodejs.util.inspect.custom')] = function () { global.inspected = 1; return 'INSPECTED'; };
        callback(e);`),
    ])
    const error = await h.expectFailure('ERR_RULE_DENIED')
    expect(Object.getOwnPropertySymbols(error).map(String)).not.toContain('Symbol(nodejs.util.inspect.custom)')
    expect(inspect(error, { depth: null, showHidden: true })).not.toContain('INSPECTED')
    await h.expectServes()
  })

  it('inspect-custom-rejection: an inspectable value rejected without a handler reaches the host only as a host copy', async () => {
    await using h = await harness([
      hostileRule(`setTimeout(function () {
        var e = new Error('stray');
        e[Symbol.for('nodejs.util.inspect.custom')] = function () { return 'INSPECTED'; };
        Promise.reject(e);
      }, 1);`),
    ])
    const error = await h.expectFailure(['ERR_RULE_EXCEPTION', 'ERR_RULE_TIMEOUT'])
    expect(inspect(error, { depth: null, showHidden: true })).not.toContain('INSPECTED')
    expect(inspect(error.cause, { depth: null, showHidden: true })).not.toContain('INSPECTED')
    await h.expectServes()
  })
})

describe('other well-known symbols', () => {
  it('to-primitive: Symbol.toPrimitive and toString of logged and thrown values run only in the sandbox', async () => {
    const onRuleError = vi.fn()
    await using h = await harness(
      [
        hostileRule(`
          var realm = function () { return (typeof process === 'undefined' || process.versions.v8 === undefined) ? 'sandbox' : 'host'; };
          var o = { toString: function () { return 'toString in ' + realm(); } };
          o[Symbol.toPrimitive] = function () { return 'toPrimitive in ' + realm(); };
          console.log('%s', o);
          console.log('' + o);
          throw o;`),
      ],
      { hooks: { onRuleError } },
    )
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(error.logs.map((l: { message: string }) => l.message)).toEqual(expect.arrayContaining(['toPrimitive in sandbox']))
    expect(JSON.stringify(error.logs)).not.toContain('in host')
    expect(JSON.stringify(onRuleError.mock.calls)).not.toContain('in host')
    await h.expectServes()
  })

  it('to-string-tag: a claim value tagged as Date or Error is copied as its own data', async () => {
    await using h = await harness([
      hostileRule(`
        var fakeDate = { x: 1 }; fakeDate[Symbol.toStringTag] = 'Date';
        var fakeError = { message: 'm' }; fakeError[Symbol.toStringTag] = 'Error';
        context.idToken['${FOUND}'] = { date: fakeDate, error: fakeError };
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toEqual({ date: { x: 1 }, error: { message: 'm' } })
    await h.expectServes()
  })

  it('symbol-keys: symbol-keyed claims and user properties never reach the host', async () => {
    await using h = await harness([
      hostileRule(`
        context.idToken[Symbol.for('https://hostile.example/sym')] = 'hidden';
        context.idToken[Symbol.iterator] = function () {};
        user[Symbol.for('nodejs.rejection')] = function () {};
        context.idToken['${FOUND}'] = 'visible';
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims).toEqual({ [FOUND]: 'visible' })
    expect(Object.getOwnPropertySymbols(result.idToken.claims)).toEqual([])
    expect(Object.getOwnPropertySymbols(result.user)).toEqual([])
    await h.expectServes()
  })

  it('has-instance: Symbol.hasInstance on UnauthorizedError does not make a plain Error a 401', async () => {
    await using h = await harness([
      hostileRule(`
        try { Object.defineProperty(UnauthorizedError, Symbol.hasInstance, { value: function () { return true; } }); } catch (e) {}
        try { Object.defineProperty(Error, Symbol.hasInstance, { value: function () { return true; } }); } catch (e) {}
        callback(new Error('plain'));`),
    ])
    const error = await h.expectFailure('ERR_RULE_DENIED')
    expect(error.toOAuthError().status).toBe(403)
    await h.expectServes()
  })

  it('async-iterator: a claim value with Symbol.asyncIterator / Symbol.iterator is copied as data', async () => {
    await using h = await harness([
      hostileRule(
        `
        var v = { k: 'v' };
        v[Symbol.iterator] = function () { global.iterated = true; return [][Symbol.iterator](); };
        v[Symbol.asyncIterator] = v[Symbol.iterator];
        context.idToken['${FOUND}'] = v;
        callback(null, user, context);`,
        { report: 'global.iterated === true' },
      ),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toEqual({ k: 'v' })
    expect(await h.report()).toBe(false)
    await h.expectServes()
  })

  it('report-mode sanity: the hostile rule reports from the sandbox realm', async () => {
    await using h = await harness([
      hostileRule(`callback(null, user, context);`, { report: "(typeof process === 'undefined' || process.versions.v8 === undefined) ? 'sandbox' : 'host'" }),
    ])
    await h.expectSuccess(loginInput('attack'))
    expect(await h.report()).toBe('sandbox')
  })
})
