/**
 * Class 10 (docs/security.md#sandbox-attack-classes): reaching the engine's internals by name. The guest runtime keeps
 * its state (`notify`, `dispatch`, the run, the rules) in a strict closure: nothing of it may be a
 * global, be found by enumerating `globalThis`, by computed or escaped names, by `eval`, or through
 * `caller` / `arguments.callee` from the rule, a timer or a promise job.
 */
import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { passwordInput } from '../helpers.js'
import { FOUND, asRecord, guardHost, harness, hostileRule } from './support.js'

guardHost()

/** Globals of a fresh V8 context: what every context has before any embedder code runs. */
const V8_GLOBALS = new Set<string>(vm.runInNewContext('Object.getOwnPropertyNames(globalThis)') as string[])

/** docs/behaviour.md#globals, plus the Node.js timer functions rules expect. */
const DOCUMENTED_GLOBALS = [
  'configuration',
  'global',
  'UnauthorizedError',
  'console',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'clearImmediate',
  'queueMicrotask',
  'require',
  'auth0',
]
/** Node-compatible APIs the engine implements inside the sandbox (guest-side shims, no host objects). */
// `process` is the sandbox's own (guest/node.js, docs/security.md): no host powers, test/hostile/node-builtins.test.ts.
const DOCUMENTED_SHIMS = ['process', 'Buffer', 'TextEncoder', 'TextDecoder', 'atob', 'btoa', 'URL', 'URLSearchParams', 'FormData', 'crypto', 'fetch', 'Headers']

/** Names the guest runtime uses internally, and the usual suspects of other sandboxes. */
const INTERNAL_NAMES = [
  'notify',
  'dispatch',
  'settings',
  'run',
  'rules',
  'start',
  'fire',
  'abort',
  'register',
  'finish',
  'startRule',
  'settle',
  'callGuest',
  'callHost',
  'invoke',
  'bridge',
  'host',
  'G',
  'ReflectApply',
  'unauthorizedBrand',
  'internalErrors',
  '$0',
  '$1',
  '$2',
  '$3',
  'ivm',
  '_ivm',
  'isolatedVm',
  'Reference',
  'ExternalCopy',
  'Callback',
  'module',
  'exports',
  '__dirname',
  '__filename',
  '__engine',
  '__tokenrules',
  'Deno',
  'Bun',
]

describe('engine internals are unreachable (class 10)', () => {
  it('globals: globalThis holds only V8 standard globals and the documented rule globals', async () => {
    await using h = await harness([hostileRule(`context.idToken['${FOUND}'] = Object.getOwnPropertyNames(globalThis); callback(null, user, context);`)])
    const result = await h.expectSuccess()
    const extra = (result.idToken.claims[FOUND] as string[]).filter((name) => !V8_GLOBALS.has(name))
    const allowed = new Set([...DOCUMENTED_GLOBALS, ...DOCUMENTED_SHIMS])
    expect(extra.filter((name) => !allowed.has(name))).toEqual([])
    expect(extra).toEqual(expect.arrayContaining(['configuration', 'global', 'UnauthorizedError', 'setTimeout', 'require']))
    await h.expectServes()
  })

  it('globals: globalThis has no symbol-keyed properties a fresh context lacks', async () => {
    await using h = await harness([
      hostileRule(`context.idToken['${FOUND}'] = Object.getOwnPropertySymbols(globalThis).map(String); callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    const baseline = vm.runInNewContext('Object.getOwnPropertySymbols(globalThis).map(String)') as string[]
    expect(result.idToken.claims[FOUND]).toEqual(baseline)
    await h.expectServes()
  })

  it('names: engine bindings are unreachable by name, computed key, escaped identifier or indirect eval', async () => {
    await using h = await harness([
      hostileRule(`
        var names = ${JSON.stringify(INTERNAL_NAMES)};
        var found = {};
        names.forEach(function (n) {
          var seen = [];
          try { if (globalThis[n] !== undefined) seen.push('globalThis'); } catch (e) { seen.push('globalThis threw'); }
          try { if ((0, eval)('typeof ' + n) !== 'undefined') seen.push('eval'); } catch (e) { /* not an identifier */ }
          try { if (Function('return typeof ' + n)() !== 'undefined') seen.push('Function'); } catch (e) { /* not an identifier */ }
          try { if (Reflect.has(globalThis, n)) seen.push('has'); } catch (e) { seen.push('has threw'); }
          if (seen.length > 0) found[n] = seen;
        });
        try { found.escaped = typeof \\u006eotify + ',' + typeof \\u{64}ispatch + ',' + typeof s\\u0065ttings; } catch (e) { found.escaped = 'threw'; }
        try { found.computed = typeof globalThis['no' + 'tify'] + ',' + typeof globalThis[['dis', 'patch'].join('')]; } catch (e) { found.computed = 'threw'; }
        try { found.with = (function () { with (globalThis) { return typeof notify + ',' + typeof dispatch; } })(); } catch (e) { found.with = 'threw'; }
        context.idToken['${FOUND}'] = found;
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toEqual({ escaped: 'undefined,undefined,undefined', computed: 'undefined,undefined', with: 'undefined,undefined' })
    await h.expectServes()
  })

  it('caller: arguments.callee.caller of the rule is null (the engine frame is strict)', async () => {
    await using h = await harness([
      hostileRule(`
        var c;
        try { c = arguments.callee.caller; c = c === null ? 'null' : typeof c; } catch (e) { c = 'threw'; }
        context.idToken['${FOUND}'] = c;
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(['null', 'threw']).toContain(result.idToken.claims[FOUND])
    await h.expectServes()
  })

  it('caller: callback.caller, callback.arguments and the caller of every engine global throw or are null', async () => {
    await using h = await harness([
      hostileRule(`
        var fns = { callback: callback, log: console.log, setTimeout: setTimeout, setImmediate: setImmediate, clearTimeout: clearTimeout,
          queueMicrotask: queueMicrotask, require: require, UnauthorizedError: UnauthorizedError };
        var callerGet = Object.getOwnPropertyDescriptor(Function.prototype, 'caller').get;
        var found = {};
        Object.keys(fns).forEach(function (k) {
          var f = fns[k], r = [];
          try { var c = f.caller; r.push(c === null || c === undefined ? 'none' : 'FOUND ' + typeof c); } catch (e) { r.push('threw'); }
          try { var a = f.arguments; r.push(a === null || a === undefined ? 'none' : 'FOUND ' + typeof a); } catch (e) { r.push('threw'); }
          try { var c2 = callerGet.call(f); r.push(c2 === null || c2 === undefined ? 'none' : 'FOUND ' + typeof c2); } catch (e) { r.push('threw'); }
          found[k] = r.join(',');
        });
        context.idToken['${FOUND}'] = found;
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    const found = asRecord(result.idToken.claims[FOUND])
    expect(Object.keys(found)).toHaveLength(8)
    for (const [name, value] of Object.entries(found)) expect(value, name).not.toContain('FOUND')
    await h.expectServes()
  })

  it('caller: sloppy functions called by engine timers, immediates and promise jobs see no caller', async () => {
    await using h = await harness([
      hostileRule(`
        var found = {};
        var probe = function probe(label) {
          return function sloppy() { var c = sloppy.caller; found[label] = c === null ? 'null' : typeof c; };
        };
        setTimeout(probe('timeout'), 1);
        setImmediate(probe('immediate'));
        queueMicrotask(probe('microtask'));
        Promise.resolve().then(probe('then'));
        setTimeout(function () { context.idToken['${FOUND}'] = found; callback(null, user, context); }, 5);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toEqual({ timeout: 'null', immediate: 'null', microtask: 'null', then: 'null' })
    await h.expectServes()
  })

  it('source: the source of engine globals names no host path', async () => {
    await using h = await harness([
      hostileRule(`
        var toString = Function.prototype.toString;
        context.idToken['${FOUND}'] = [callback, console.log, setTimeout, require, UnauthorizedError].map(function (f) { return toString.call(f); }).join('\\n');
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(String(result.idToken.claims[FOUND])).not.toMatch(/\/work\/|node_modules|file:\/\/|\.ts\b/)
    await h.expectServes()
  })

  it("previous-run: nothing reachable from globalThis holds a previous run's user or context", async () => {
    // Walk everything reachable from the global object (own properties, prototypes, function
    // properties) looking for the previous login's email.
    await using h = await harness([
      hostileRule(`
        var needle = 'ada@example.com', seen = new Set(), queue = [globalThis], hits = [], visited = 0;
        while (queue.length > 0 && visited < 50000) {
          var o = queue.shift();
          if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
          seen.add(o); visited++;
          var keys; try { keys = Reflect.ownKeys(o); } catch (e) { continue; }
          keys.push('__proto__');
          for (var i = 0; i < keys.length; i++) {
            var d, v;
            if (keys[i] === '__proto__') { try { v = Object.getPrototypeOf(o); } catch (e) { continue; } }
            else { try { d = Object.getOwnPropertyDescriptor(o, keys[i]); } catch (e) { continue; } if (!d || !('value' in d)) continue; v = d.value; }
            if (v === needle) hits.push(String(keys[i]));
            else if (v !== null && (typeof v === 'object' || typeof v === 'function')) queue.push(v);
          }
        }
        context.idToken['${FOUND}'] = { hits: hits, visited: visited };
        callback(null, user, context);`),
    ])
    await h.expectServes()
    const other = passwordInput({ user: { email: 'grace@example.com', app_metadata: { attack: 'attack' } } })
    const result = await h.expectSuccess(other)
    const found = asRecord(result.idToken.claims[FOUND])
    expect(found.visited).toBeGreaterThan(100)
    expect(found.hits).toEqual([])
  })

  it('dynamic-import: import() of a Node built-in from the rule is refused', async () => {
    await using h = await harness([
      hostileRule(`
        var p;
        try { p = import('node:fs'); } catch (e) { context.idToken['${FOUND}'] = 'threw'; return callback(null, user, context); }
        p.then(function (m) { context.idToken['${FOUND}'] = 'imported ' + typeof (m && m.readFileSync); callback(null, user, context); },
               function () { context.idToken['${FOUND}'] = 'rejected'; callback(null, user, context); });`),
    ])
    const result = await h.expectSuccess()
    expect(['rejected', 'threw']).toContain(result.idToken.claims[FOUND])
    await h.expectServes()
  })

  it('configuration: the frozen configuration cannot be changed for later runs', async () => {
    await using h = await harness(
      [
        hostileRule(
          `
          try { configuration.MODE = 'evil'; } catch (e) {}
          try { Object.defineProperty(configuration, 'MODE', { value: 'evil' }); } catch (e) {}
          try { delete configuration.MODE; } catch (e) {}
          try { configuration = { MODE: 'evil' }; } catch (e) {}
          callback(null, user, context);`,
          { report: 'configuration.MODE' },
        ),
      ],
      { configuration: { MODE: 'safe' } },
    )
    await h.expectSuccess()
    expect(await h.report()).toBe('safe')
    await h.expectServes()
  })
})
