/**
 * Escape variants the per-class files do not cover yet: the other function constructors (async,
 * generator, async generator), direct and indirect `eval`, `__lookupGetter__` on host-supplied
 * objects, `Reflect.construct` with a foreign `newTarget` on promises handed back through the
 * callback, FinalizationRegistry/WeakRef callbacks that outlive the run, and a wholesale
 * monkey-patching of the string, array, number and object intrinsics the engine's wrapper might
 * use. Same canaries as the rest of the suite (support.ts): no host object, no secret, host
 * intrinsics unchanged, and the engine serves a normal login right after.
 */
import { describe, expect, it } from 'vitest'
import { FOUND, asRecord, guardHost, harness, hostileRule } from './support.js'

guardHost()

/** Statements that try every way to Node from the Function constructor `F`, reporting in `found`. */
const probe = (label: string, F: string) => `
  try {
    var F_${label} = ${F};
    var make = function (body) { try { return F_${label}(body); } catch (e) { return null; } };
    var f = make('return (typeof process === "undefined" || process.versions.v8 === undefined ? "undefined" : typeof process)');
    found.${label} = {
      sandboxRealm: Object.getPrototypeOf(F_${label}) === Function || F_${label} === Function,
      compiled: f !== null,
    };
  } catch (e) { found.${label} = 'threw: ' + (e && e.name); }`

describe('escape variants the class files lack', () => {
  it('variant: async, generator and async generator constructors run in the sandbox realm only', async () => {
    await using h = await harness([
      hostileRule(
        `
        var found = {};
        ${probe('asyncFn', '(async function () {}).constructor')}
        ${probe('genFn', '(function* () {}).constructor')}
        ${probe('asyncGenFn', '(async function* () {}).constructor')}
        var out = [];
        (async function () {
          try { out.push(await (async function () {}).constructor('return (typeof process === "undefined" || process.versions.v8 === undefined ? "undefined" : typeof process)')()); } catch (e) { out.push('threw'); }
          try { out.push((function* () {}).constructor('yield typeof module; yield (typeof process === "undefined" || process.versions.v8 === undefined ? "undefined" : typeof process)')().next().value); } catch (e) { out.push('threw'); }
          try {
            var it = (async function* () {}).constructor('yield this === globalThis; yield (typeof process === "undefined" || process.versions.v8 === undefined ? "undefined" : typeof process)')();
            out.push((await it.next()).value, (await it.next()).value);
          } catch (e) { out.push('threw'); }
          found.results = out;
          context.idToken['${FOUND}'] = found;
          callback(null, user, context);
        })();`,
        { async: false },
      ),
    ])
    const found = asRecord((await h.expectSuccess()).idToken.claims[FOUND])
    expect(found.results).toEqual(['undefined', 'undefined', true, 'undefined'])
    for (const key of ['asyncFn', 'genFn', 'asyncGenFn']) expect(found[key]).toEqual({ sandboxRealm: true, compiled: true })
    await h.expectServes()
  })

  it('variant: direct and indirect eval see the sandbox global and no Node', async () => {
    await using h = await harness([
      hostileRule(`
        var found = {};
        found.direct = eval('(typeof process === "undefined" || process.versions.v8 === undefined ? "undefined" : typeof process) + "," + typeof module + "," + (function () { try { require("fs"); return "fs loaded"; } catch (e) { return e.code; } })()');
        found.indirect = (0, eval)('(typeof process === "undefined" || process.versions.v8 === undefined ? "undefined" : typeof process) + "," + (this === globalThis)');
        found.scope = eval('typeof callback + "," + typeof configuration');
        // The sandbox's process (guest/node.js): an env of the integrator's values only, never the host's.
        try { found.env = String(eval('process.env.TOKENRULES_CANARY')); } catch (e) { found.env = 'threw: ' + e.name; }
        context.idToken['${FOUND}'] = found;
        callback(null, user, context);`),
    ])
    const found = asRecord((await h.expectSuccess()).idToken.claims[FOUND])
    expect(found).toEqual({
      direct: 'undefined,undefined,ERR_MODULE_NOT_ALLOWED',
      indirect: 'undefined,true',
      scope: 'function,object',
      env: 'undefined',
    })
    await h.expectServes()
  })

  it('variant: __lookupGetter__ / __lookupSetter__ on host-supplied objects yield nothing of the host', async () => {
    await using h = await harness([
      hostileRule(`
        var found = {};
        var targets = { configuration: configuration, context: context, user: user, callback: callback, console: console, auth0: typeof auth0 === 'undefined' ? {} : auth0 };
        Object.keys(targets).forEach(function (name) {
          var t = targets[name];
          var protoGetter = Object.prototype.__lookupGetter__.call(t, '__proto__');
          var proto = protoGetter ? protoGetter.call(t) : null;
          var ctor = proto && proto.constructor;
          var escaped;
          try { escaped = ctor && ctor.constructor ? ctor.constructor('return (typeof process === "undefined" || process.versions.v8 === undefined ? "undefined" : typeof process)')() : 'no ctor'; } catch (e) { escaped = 'threw: ' + e.name; }
          var getters = Object.getOwnPropertyNames(t).filter(function (k) { return Object.prototype.__lookupGetter__.call(t, k) !== undefined; });
          var setters = Object.getOwnPropertyNames(t).filter(function (k) { return Object.prototype.__lookupSetter__.call(t, k) !== undefined; });
          found[name] = { escaped: escaped, getters: getters.length, setters: setters.length };
        });
        context.idToken['${FOUND}'] = found;
        callback(null, user, context);`),
    ])
    const found = asRecord((await h.expectSuccess()).idToken.claims[FOUND])
    for (const [name, value] of Object.entries(found)) {
      expect(asRecord(value).escaped, name).toMatch(/^(undefined|no ctor|threw: \w+)$/)
    }
    await h.expectServes()
  })

  it('variant: a promise built with Reflect.construct and a foreign newTarget, handed to callback and to then', async () => {
    await using h = await harness([
      hostileRule(`
        function Evil(executor) { return Reflect.construct(Promise, [executor], Evil); }
        Evil.prototype = Object.create(Promise.prototype);
        Evil.prototype.constructor = Evil;
        Evil.prototype.then = function (a, b) { globalThis.thenCalledBy = typeof a; return Promise.prototype.then.call(this, a, b); };
        Object.defineProperty(Evil, Symbol.species, { get: function () { return Evil; } });
        var p = Reflect.construct(Promise, [function (resolve) { resolve({ 'https://t.example/plan': 'hijacked' }); }], Evil);
        context.accessToken['https://t.example/p'] = p;
        p.then(function () { callback(null, user, context); });`),
    ])
    // A promise is not a claim: the result is refused, typed; nothing of the host was handed out.
    await h.expectFailure('ERR_RULE_RESULT_INVALID')
    await h.expectServes()
  })

  it('variant: FinalizationRegistry and WeakRef callbacks that outlive the run change nothing later', async () => {
    await using h = await harness([
      hostileRule(`
        var registry = new FinalizationRegistry(function () {
          try { Object.prototype.polluted = 'late'; } catch (e) {}
          try { JSON.stringify = function () { return '{"https://t.example/plan":"late"}'; }; } catch (e) {}
        });
        for (var i = 0; i < 2000; i++) registry.register({ i: i, pad: new Array(64).join('x') }, i);
        var ref = new WeakRef({ big: new Array(100000).join('y') });
        global.keep = registry;
        global.ref = ref;
        var junk = [];
        for (var j = 0; j < 200; j++) junk.push(new Array(10000).join('z' + j));
        callback(null, user, context);`),
    ])
    await h.expectSuccess()
    // Several normal logins after: whatever the finalizers did inside the sandbox, the claims are right.
    for (let k = 0; k < 3; k++) await h.expectServes()
  })

  it('variant: monkey-patched string, array, number, object and JSON intrinsics do not bend the result', async () => {
    await using h = await harness([
      hostileRule(`
        var evil = function () { return 'patched'; };
        String.prototype.replace = evil;
        String.prototype.slice = evil;
        String.prototype.indexOf = function () { return 0; };
        String.prototype.split = function () { return ['patched']; };
        String.prototype.toString = evil;
        String.prototype.charCodeAt = function () { return 65; };
        Array.prototype.join = evil;
        Array.prototype.map = function () { return ['patched']; };
        Array.prototype.filter = function () { return []; };
        Array.prototype.forEach = function () {};
        Array.prototype.indexOf = function () { return -1; };
        Array.prototype.includes = function () { return true; };
        Array.isArray = function () { return false; };
        Number.prototype.toString = evil;
        Object.keys = function () { return ['https://t.example/plan']; };
        Object.entries = function () { return [['https://t.example/plan', 'patched']]; };
        Object.getOwnPropertyNames = function () { return []; };
        Object.prototype.hasOwnProperty = function () { return true; };
        Object.assign = function (t) { return t; };
        JSON.stringify = function () { return '{"ok":true,"patched":true}'; };
        JSON.parse = function () { return { patched: true }; };
        Reflect.ownKeys = function () { return []; };
        Map.prototype.get = function () { return 'patched'; };
        Set.prototype.has = function () { return true; };
        Symbol.prototype.toString = evil;
        Date.now = function () { return 0; };
        context.accessToken['https://t.example/plan'] = user.app_metadata.plan;
        context.accessToken['https://t.example/roles'] = user.app_metadata.roles;
        context.idToken['https://t.example/email'] = user.email;
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.accessToken.claims).toEqual({ 'https://t.example/plan': 'gold', 'https://t.example/roles': ['admin'] })
    expect(result.idToken.claims).toEqual({ 'https://t.example/email': 'ada@example.com' })
    await h.expectServes()
  })
})
