/**
 * Class 5 (docs/security.md#sandbox-attack-classes): `Symbol.species` and constructor hijacks on promises and arrays.
 * `promise.then` and array methods consult `constructor[Symbol.species]`; a rule that replaces
 * them must not change how the engine awaits an async rule, copies arrays, or reports outcomes —
 * in the run that does it or in the next ones (the context is reused).
 */
import { describe, expect, it } from 'vitest'
import { FOUND, guardHost, harness, hostileRule, loginInput } from './support.js'

guardHost()

/** Runs `statements` after the run has finished, so that they persist into the next run only. */
const afterFinish = (statements: string) =>
  `callback(null, user, context); Promise.resolve().then(function () { Promise.resolve().then(function () { ${statements} }); });`

describe('Symbol.species on Promise', () => {
  it('promise-species: an async rule that throws after hijacking Promise[Symbol.species] is ERR_RULE_EXCEPTION', async () => {
    await using h = await harness([
      hostileRule(
        `Object.defineProperty(Promise, Symbol.species, { configurable: true, get: function () { return function () { throw new Error('species'); }; } });
         throw new Error('async boom');`,
        { async: true },
      ),
    ])
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(error.message).toBe('async boom')
    await h.expectServes()
  })

  it('promise-constructor: an async rule that replaced Promise.prototype.constructor and rejects is ERR_RULE_EXCEPTION', async () => {
    await using h = await harness([
      hostileRule(
        `Promise.prototype.constructor = { [Symbol.species]: function (executor) { global.executor = executor; executor(function () {}, function () {}); } };
         await null;
         throw new Error('after await');`,
        { async: true },
      ),
    ])
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(error.message).toBe('after await')
    await h.expectServes()
  })

  it('promise-species: the species constructor only ever receives a native executor, never an engine function', async () => {
    await using h = await harness([
      hostileRule(
        `var seen = [];
         function Spy(executor) {
           seen.push(Function.prototype.toString.call(executor));
           var self = this;
           executor(function (v) { self.v = v; }, function (e) { self.e = e; });
         }
         Promise.prototype.constructor = { [Symbol.species]: Spy };
         global.seen = seen;
         await null;
         context.idToken['${FOUND}'] = seen;
         callback(null, user, context);`,
        { async: true, report: 'global.seen' },
      ),
    ])
    const result = await h.expectSuccess()
    for (const source of result.idToken.claims[FOUND] as string[]) {
      expect(source).toMatch(/\[native code\]/)
      expect(source).not.toMatch(/notify|dispatch|failed|startRule/)
    }
    await h.expectServes()
  })

  it('promise-species: a species hijack left behind by one run does not change the next async run', async () => {
    await using h = await harness([
      hostileRule(
        afterFinish(`Object.defineProperty(Promise, Symbol.species, { configurable: true, get: function () { throw new Error('species'); } });
        Promise.prototype.constructor = { [Symbol.species]: function () { throw new Error('ctor'); } };`),
      ),
    ])
    await h.expectSuccess()
    await h.expectServes()
  })

  it("promise-species: after a previous run hijacked Promise.prototype.constructor, an async rule's rejection is still ERR_RULE_EXCEPTION", async () => {
    await using h = await harness([
      hostileRule(afterFinish(`Promise.prototype.constructor = { [Symbol.species]: function () { throw new Error('ctor'); } };`), {
        async: true,
        modes: { throw: `throw new Error('rule failed');` },
      }),
    ])
    await h.expectSuccess()
    const error = await h.expectFailure('ERR_RULE_EXCEPTION', loginInput('throw'))
    expect(error.message).toBe('rule failed')
    await h.expectServes()
  })
})

describe('Symbol.species on Array', () => {
  it('array-species: hijacked Array[Symbol.species] and Array.prototype.constructor do not change claim arrays', async () => {
    await using h = await harness([
      hostileRule(`
        var roles = user.app_metadata.roles.concat(['extra']);
        function Evil() { global.evilCalls = (global.evilCalls || 0) + 1; return { length: 0, evil: true }; }
        Object.defineProperty(Array, Symbol.species, { configurable: true, get: function () { return Evil; } });
        Array.prototype.constructor = Evil;
        context.idToken['${FOUND}'] = { roles: roles, nested: [[1, 2], [3]] };
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toEqual({ roles: ['admin', 'extra'], nested: [[1, 2], [3]] })
    await h.expectServes()
  })

  it('array-species: a species hijack left behind by one run does not change the next run', async () => {
    await using h = await harness([
      hostileRule(
        afterFinish(`
        Object.defineProperty(Array, Symbol.species, { configurable: true, get: function () { throw new Error('species'); } });
        Array.prototype.constructor = function () { throw new Error('ctor'); };
        Object.defineProperty(Array.prototype, Symbol.iterator, { configurable: true, writable: true, value: function () { throw new Error('iter'); } });`),
      ),
    ])
    await h.expectSuccess()
    await h.expectServes()
    await h.expectServes()
  })

  it('regexp-species: a hijacked RegExp[Symbol.species] does not change the next run', async () => {
    await using h = await harness([
      hostileRule(
        afterFinish(`Object.defineProperty(RegExp, Symbol.species, { configurable: true, get: function () { throw new Error('species'); } });
        RegExp.prototype.exec = function () { throw new Error('exec'); };`),
      ),
    ])
    await h.expectSuccess()
    await h.expectServes()
  })
})
