/**
 * Class 1 (docs/security.md#sandbox-attack-classes): `x.constructor.constructor('return process')()` on every object the
 * host supplied — arguments, globals, callbacks, errors, `configuration`, `UnauthorizedError`.
 *
 * Each chain must land on the sandbox's own `Function`, whose global is the sandbox's: only the
 * sandbox's powerless `process` (guest/node.js: no `process.env` canary, no binding, no main
 * module), no host `require` (so no canary file), no `Buffer` of the host, no `module`.
 */
import { describe, expect, it } from 'vitest'
import { CANARY, FOUND, asRecord, guardHost, harness, hostileRule } from './support.js'

guardHost()

/**
 * The attack: follow the constructor chain of `target` (an expression in the rule's scope), then
 * try everything a vm2-style escape would do with the `Function` it finds, and report it.
 */
function chainAttack(target: string): string {
  return `
    var found = { target: 'unset' };
    try {
      var target = (${target});
      found.target = target === null ? 'null' : typeof target;
      var F = target.constructor.constructor;
      found.isSandboxFunction = F === Function;
      var run = function (body) { try { return F(body)(); } catch (e) { return 'threw: ' + (e && e.name); } };
      found.globalIsSandbox = run('return this') === globalThis;
      found.typeofProcess = run('return typeof process');
      found.processIsSandbox = run('return process === globalThis.process && Object.getPrototypeOf(process) === Object.prototype');
      found.env = run('return process.env.TOKENRULES_CANARY');
      found.pid = run('return process.pid');
      found.binding = run('return typeof process.binding("fs")');
      found.mainModuleFile = run('return process.mainModule.require("fs").readFileSync(configuration.CANARY_FILE, "utf8")');
      found.hostRequire = run('return require("fs").readFileSync(configuration.CANARY_FILE, "utf8")');
      found.moduleRequire = run('return module.require("fs").readFileSync(configuration.CANARY_FILE, "utf8")');
      found.typeofModule = run('return typeof module');
      found.typeofExports = run('return typeof exports');
      found.sameRealm = Object(target) instanceof Object;
    } catch (e) {
      found.error = String(e && e.message);
    }
    context.idToken['${FOUND}'] = found;
    callback(null, user, context);`
}

/** What every chain must show: the sandbox's own Function and global, nothing of Node. */
function expectSandboxOnly(found: Record<string, unknown>): void {
  expect(found.error).toBeUndefined()
  expect(found.isSandboxFunction).toBe(true)
  expect(found.globalIsSandbox).toBe(true)
  expect(found.typeofProcess).toBe('object')
  expect(found.processIsSandbox).toBe(true)
  expect(found.env).toBeUndefined()
  expect(found.pid).toBe(1)
  expect(found.binding).toMatch(/^threw: /)
  expect(found.mainModuleFile).toMatch(/^threw: /)
  expect(found.hostRequire).toMatch(/^threw: /)
  expect(found.moduleRequire).toMatch(/^threw: /)
  expect(found.typeofModule).toBe('undefined')
  expect(found.typeofExports).toBe('undefined')
  expect(found.sameRealm).toBe(true)
  expect(JSON.stringify(found)).not.toContain(CANARY)
  expect(found.pid).not.toBe(process.pid)
}

const targets: [label: string, expression: string][] = [
  // the rule's arguments
  ['the user argument', 'user'],
  ['the context argument', 'context'],
  ['the callback argument', 'callback'],
  ['a nested input object (context.request)', 'context.request'],
  ['an input array (user.app_metadata.roles)', 'user.app_metadata.roles'],
  ['the arguments object', 'arguments'],
  ["the rule's this", 'this'],
  ['the rule function itself (arguments.callee)', 'arguments.callee'],
  // globals
  ['configuration', 'configuration'],
  ['global', 'global'],
  ['globalThis', 'globalThis'],
  ['console', 'console'],
  ['console.log', 'console.log'],
  ['setTimeout', 'setTimeout'],
  ['setImmediate', 'setImmediate'],
  ['clearTimeout', 'clearTimeout'],
  ['queueMicrotask', 'queueMicrotask'],
  ['require', 'require'],
  ['UnauthorizedError', 'UnauthorizedError'],
  ['an UnauthorizedError instance', "new UnauthorizedError('x')"],
  ['UnauthorizedError.prototype', 'UnauthorizedError.prototype'],
  // errors the engine creates and the rule catches
  ["the error of require('fs')", "(function () { try { require('fs'); } catch (e) { return e; } return {}; })()"],
  ["the error of require('child_process')", "(function () { try { require('child_process'); } catch (e) { return e; } return {}; })()"],
  ["the error of setTimeout('not a function')", "(function () { try { setTimeout('not a function'); } catch (e) { return e; } return {}; })()"],
  [
    'the error of too many timers',
    '(function () { try { for (var i = 0; i < 2000; i++) setTimeout(function () {}, 100000); } catch (e) { return e; } return {}; })()',
  ],
  ['a stack-overflow RangeError', '(function () { try { (function f() { f(); })(); } catch (e) { return e; } return {}; })()'],
  ['a timer id', 'setTimeout(function () {}, 100000)'],
  // module-era globals: checked when present (undefined ones report typeof 'undefined' and are skipped)
  ['auth0 (when present)', "typeof auth0 === 'undefined' ? {} : auth0"],
  ['auth0.users.updateAppMetadata (when present)', "typeof auth0 === 'undefined' ? function () {} : auth0.users.updateAppMetadata"],
  ['Buffer (when present)', "typeof Buffer === 'undefined' ? function () {} : Buffer"],
  ['crypto (when present)', "typeof crypto === 'undefined' ? {} : crypto"],
  ['fetch (when present)', "typeof fetch === 'undefined' ? function () {} : fetch"],
]

describe('constructor chains (class 1): every host-supplied object leads only to the sandbox', () => {
  it.each(targets)("constructor-chain: %s.constructor.constructor('return process')() finds no Node process", async (_label, expression) => {
    await using h = await harness([hostileRule(chainAttack(expression))])
    const result = await h.expectSuccess()
    expectSandboxOnly(asRecord(result.idToken.claims[FOUND]))
    await h.expectServes()
  })

  it('constructor-chain: the prototype chain of callback ends at the sandbox Object.prototype', async () => {
    await using h = await harness([
      hostileRule(`
        var chain = [];
        var p = callback;
        for (var i = 0; i < 10 && p !== null; i++) {
          chain.push(p === Function.prototype ? 'Function.prototype' : p === Object.prototype ? 'Object.prototype' : typeof p);
          p = Object.getPrototypeOf(p);
        }
        context.idToken['${FOUND}'] = { chain: chain, protoCtor: callback.__proto__.constructor === Function };
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toEqual({ chain: ['function', 'Function.prototype', 'Object.prototype'], protoCtor: true })
    await h.expectServes()
  })

  it('constructor-chain: the error of a denied login is a host object the rule never sees again', async () => {
    // The host turns the rule's error into its own TokenRulesError; nothing of the guest object survives.
    await using h = await harness([
      hostileRule(`
        var e = new Error('denied');
        e.constructor = { constructor: function () { return function () { return 'hijacked'; }; } };
        e.toString = function () { return 'hijacked'; };
        callback(e);`),
    ])
    const error = await h.expectFailure('ERR_RULE_DENIED')
    expect(error.message).toBe('denied')
    expect(error.constructor.name).toBe('RuleDeniedError')
    expect(String(error)).toBe('RuleDeniedError: denied')
    expect(error.toOAuthError()).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'denied' } })
    await h.expectServes()
  })

  it('constructor-chain: Function from strings inside the rule still cannot read the canary file', async () => {
    await using h = await harness([
      hostileRule(`
        var attempts = [
          "return require('fs').readFileSync(configuration.CANARY_FILE, 'utf8')",
          "return import('node:fs')",
          "return this.process && this.process.env.TOKENRULES_CANARY === undefined && this.process.env",
          "return globalThis.constructor.constructor('return process')().env.TOKENRULES_CANARY === undefined && process.env",
        ];
        var out = [];
        var pending = 0;
        attempts.forEach(function (body, i) {
          try {
            var v = Function(body)();
            if (v && typeof v.then === 'function') {
              pending++;
              v.then(function (m) { out[i] = 'imported: ' + typeof m; }, function (e) { out[i] = 'rejected'; })
               .then(function () { if (--pending === 0) done(); });
            } else out[i] = typeof v === 'string' ? v : 'value: ' + typeof v;
          } catch (e) { out[i] = 'threw'; }
        });
        function done() { context.idToken['${FOUND}'] = out; callback(null, user, context); }
        if (pending === 0) done();`),
    ])
    const result = await h.expectSuccess()
    const out = result.idToken.claims[FOUND] as unknown[]
    expect(out).toHaveLength(4)
    expect(out[0]).toBe('threw')
    expect(['rejected', 'threw']).toContain(out[1])
    // The sandbox's process: its env is the integrator's process.env option (none here), never the host's.
    expect(out[2]).toBe('value: object')
    expect(out[3]).toBe('value: object')
    await h.expectServes()
  })
})
