/**
 * Class 3 (docs/security.md#sandbox-attack-classes): `Error.prepareStackTrace` and CallSites. A rule that installs its
 * own `prepareStackTrace` sees a CallSite for every frame on the stack, including the engine's
 * frames: `getThis()` and `getFunction()` must reveal nothing of the engine (its functions are
 * strict), and `getFileName()` must never be a host path.
 */
import { describe, expect, it, vi } from 'vitest'
import { FOUND, HANG_BUDGET, HANG_DEADLINE, SPIN, guardHost, harness, hostileRule, loginInput } from './support.js'

guardHost()

/** Installs a prepareStackTrace that records every CallSite into global.sites. */
const COLLECT = `
  global.sites = global.sites || [];
  Error.prepareStackTrace = function (error, callSites) {
    for (var i = 0; i < callSites.length; i++) {
      var c = callSites[i], self, fn;
      try { self = c.getThis(); } catch (e) { self = 'threw'; }
      try { fn = c.getFunction(); } catch (e) { fn = 'threw'; }
      global.sites.push({
        file: String(c.getFileName()),
        script: String(c.getScriptNameOrSourceURL && c.getScriptNameOrSourceURL()),
        eval: String(c.getEvalOrigin()),
        name: String(c.getFunctionName()),
        self: self === globalThis ? 'globalThis' : typeof self,
        fn: typeof fn,
        fnSource: typeof fn === 'function' ? Function.prototype.toString.call(fn).slice(0, 60) : '',
      });
    }
    return 'collected';
  };`

interface Site {
  file: string
  script: string
  eval: string
  name: string
  self: string
  fn: string
  fnSource: string
}

/** Engine frames show nothing; no frame names a host file. */
function expectNothingOfTheEngine(sites: Site[], expectEngineFrames = true): void {
  expect(sites.length).toBeGreaterThan(0)
  for (const site of sites) {
    for (const text of [site.file, site.script, site.eval]) {
      expect(text).not.toMatch(/\/work\/|node_modules|node:|file:|\.ts\b|\.js\b|^\//)
    }
    if (site.file !== 'rule:hostile') {
      expect(site, `engine frame ${site.name} leaks its function or receiver`).toMatchObject({ self: 'undefined', fn: 'undefined' })
    } else if (site.fn === 'function') {
      // A frame of the rule may hand back the rule's own functions, nothing else.
      expect(site.fnSource).not.toMatch(/notify|dispatch|ReflectApply|settings/)
    }
  }
  if (expectEngineFrames) expect(sites.some((s) => s.file !== 'rule:hostile')).toBe(true)
}

describe('Error.prepareStackTrace and CallSites (class 3)', () => {
  it('callsites: an error created in the rule reveals no engine function, receiver or host path', async () => {
    await using h = await harness([hostileRule(`${COLLECT} new Error('x').stack; context.idToken['${FOUND}'] = global.sites; callback(null, user, context);`)])
    const result = await h.expectSuccess()
    expectNothingOfTheEngine(result.idToken.claims[FOUND] as unknown as Site[])
    await h.expectServes()
  })

  it('callsites: an error created in a timer callback reveals nothing of the engine', async () => {
    await using h = await harness([
      hostileRule(`${COLLECT}
        setTimeout(function () { new Error('x').stack; context.idToken['${FOUND}'] = global.sites; callback(null, user, context); }, 1);`),
    ])
    const result = await h.expectSuccess()
    expectNothingOfTheEngine(result.idToken.claims[FOUND] as unknown as Site[])
    await h.expectServes()
  })

  it('callsites: an error created in a promise job reveals nothing of the engine', async () => {
    await using h = await harness([
      hostileRule(`${COLLECT}
        Promise.resolve().then(function () { new Error('x').stack; context.idToken['${FOUND}'] = global.sites; callback(null, user, context); });`),
    ])
    const result = await h.expectSuccess()
    expectNothingOfTheEngine(result.idToken.claims[FOUND] as unknown as Site[], false)
    await h.expectServes()
  })

  it("callsites: an error thrown by the engine's own setTimeout reveals nothing of the engine", async () => {
    await using h = await harness([
      hostileRule(`${COLLECT}
        try { setTimeout('not a function'); } catch (e) { e.stack; }
        try { require('fs'); } catch (e) { e.stack; }
        context.idToken['${FOUND}'] = global.sites; callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expectNothingOfTheEngine(result.idToken.claims[FOUND] as unknown as Site[])
    await h.expectServes()
  })

  it('callsites: an error created in a Proxy trap while the engine serializes the claims reveals nothing of the engine', async () => {
    // The trap runs inside the engine's serializer; it writes what it sees into a claim that the
    // serializer reads afterwards.
    await using h = await harness([
      hostileRule(`${COLLECT}
        var sink = { sites: [] };
        context.idToken['https://hostile.example/a-proxy'] = new Proxy({ a: 1 }, {
          ownKeys: function (t) { new Error('in trap').stack; sink.sites = global.sites.slice(); return Reflect.ownKeys(t); },
        });
        context.idToken['${FOUND}'] = sink;
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    const sites = (result.idToken.claims[FOUND] as unknown as { sites: Site[] }).sites
    expectNothingOfTheEngine(sites)
    // The trap did run inside the serializer: its frames are there, and they are the engine's.
    expect(sites.length).toBeGreaterThan(3)
    await h.expectServes()
  })

  it('callsites: a getter of a thrown error, run by the engine while it describes the error, reveals nothing of the engine', async () => {
    await using h = await harness([
      hostileRule(
        `${COLLECT}
        var e = new Error('x');
        Object.defineProperty(e, 'message', { get: function () { new Error('in getter').stack; return 'described'; } });
        throw e;`,
        { report: 'global.sites' },
      ),
    ])
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(error.message).toBe('described')
    expectNothingOfTheEngine((await h.report()) as Site[])
    await h.expectServes()
  })

  it('stack-text: error.stack, Error.captureStackTrace and a thrown error name no host path', async () => {
    const onRuleError = vi.fn()
    await using h = await harness(
      [
        hostileRule(`
          var o = {}; Error.captureStackTrace(o);
          var text = [new Error('x').stack, o.stack, (function () { try { null.x; } catch (e) { return e.stack; } })()].join('\\n');
          context.idToken['${FOUND}'] = text;
          callback(null, user, context);`),
      ],
      { hooks: { onRuleError } },
    )
    const result = await h.expectSuccess()
    const text = String(result.idToken.claims[FOUND])
    expect(text).toContain('rule:hostile')
    expect(text).not.toMatch(/\/work\/|node_modules|node:internal|file:\/\/|\.ts:\d+/)
    await h.expectServes()
  })

  it('prepare-stack-trace: a prepareStackTrace that loops when the engine reads a thrown error is stopped by the budget', async () => {
    await using h = await harness([hostileRule(`Error.prepareStackTrace = function () { for (;;) {} }; throw new Error('x');`)])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('prepare-stack-trace: a prepareStackTrace returning a huge or non-string stack keeps the failure bounded', async () => {
    const onRuleError = vi.fn()
    await using h = await harness([hostileRule(`Error.prepareStackTrace = function () { return new Array(1 << 20).join('s'); }; throw new Error('x');`)], {
      hooks: { onRuleError },
    })
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(String(error.guestStack ?? '').length).toBeLessThanOrEqual(20_000)
    expect(String(onRuleError.mock.calls[0]?.[0]?.stack ?? '').length).toBeLessThanOrEqual(20_000)
    await h.expectServes()
  })

  it('prepare-stack-trace: Error.stackTraceLimit = Infinity with deep recursion is reported promptly', async () => {
    await using h = await harness([hostileRule(`Error.stackTraceLimit = Infinity; (function f() { f(); })();`)], { limits: { timeoutMs: 5_000 } })
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(String(error.guestStack ?? '').length).toBeLessThanOrEqual(20_000)
    await h.expectServes()
  })

  it('prepare-stack-trace: a looping prepareStackTrace on an unhandled rejection does not hang the host', async () => {
    // Real attack: `Error.prepareStackTrace = function () { for (;;) {} }; Promise.reject(new Error())`
    // hangs engine.run for ever: isolated-vm formats the rejected error's stack outside the budget.
    await using h = await harness([hostileRule(`Error.prepareStackTrace = function () { ${SPIN} return ''; }; Promise.reject(new Error('x'));`)], HANG_BUDGET)
    await h.expectFailure(['ERR_RULE_TIMEOUT', 'ERR_RULE_EXCEPTION'], loginInput('attack'), HANG_DEADLINE)
    await h.expectServes()
  })
})
