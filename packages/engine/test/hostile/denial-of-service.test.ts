/**
 * Class 12 (docs/security.md#sandbox-attack-classes): denial of service. Every way a rule can burn CPU, block, wait for
 * ever, exhaust memory, or flood the host with output ends with a typed error within the budget
 * (or the memory limit), and the SAME engine then answers a normal login correctly and promptly.
 */
import { describe, expect, it } from 'vitest'
import { MAX_CUSTOM_CLAIMS_BYTES } from '@tokenrules/engine'
import { FOUND, expectTypedFailure, guardHost, harness, hostileRule, loginInput } from './support.js'

guardHost()

/** WebAssembly: `(func (export "l") (loop (br 0)))`. */
const WASM_LOOP = '[0,97,115,109,1,0,0,0,1,4,1,96,0,0,3,2,1,0,7,5,1,1,108,0,0,10,9,1,7,0,3,64,12,0,11,11]'
/** WebAssembly: `(memory 1 1 shared) (func (export "w") (result i32) (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))`. */
const WASM_WAIT = '[0,97,115,109,1,0,0,0,1,5,1,96,0,1,127,3,2,1,0,5,4,1,3,1,1,7,5,1,1,119,0,0,10,14,1,12,0,65,0,65,0,66,127,254,1,2,0,11]'

const MEMORY = { limits: { memoryLimitMb: 32, timeoutMs: 10_000 } }

describe('CPU: loops of every kind are stopped by the budget', () => {
  it('sync-loop: while (true) {} is ERR_RULE_TIMEOUT and the isolate keeps serving', async () => {
    await using h = await harness([hostileRule('while (true) {}')])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('microtask-loop: an endless chain of promise jobs is ERR_RULE_TIMEOUT', async () => {
    await using h = await harness([hostileRule('(function loop() { Promise.resolve().then(loop); })();')])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('microtask-loop: queueMicrotask recursion is ERR_RULE_TIMEOUT', async () => {
    await using h = await harness([hostileRule('(function loop() { queueMicrotask(loop); })();')])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('microtask-loop: a promise-job loop started after calling back keeps the outcome and does not leak into the next run', async () => {
    await using h = await harness([
      hostileRule(`context.idToken['${FOUND}'] = 'called back'; callback(null, user, context); (function loop() { Promise.resolve().then(loop); })();`),
    ])
    const outcome = await h.run(loginInput('attack'))
    expect(outcome.status).not.toBe('hung')
    if (outcome.status === 'resolved') expect(outcome.value.idToken.claims[FOUND]).toBe('called back')
    else expectTypedFailure(outcome, 'ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('wasm-loop: WebAssembly is not there unless the integrator enables it (engine option webAssembly)', async () => {
    await using h = await harness([hostileRule(`context.idToken['${FOUND}'] = typeof WebAssembly; callback(null, user, context);`)])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe('undefined')
    await h.expectServes()
  })

  it('wasm-loop: enabled, an infinite WebAssembly loop is ERR_RULE_TIMEOUT', async () => {
    await using h = await harness([hostileRule(`new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(${WASM_LOOP})), {}).exports.l();`)], {
      webAssembly: true,
    })
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('redos: catastrophic backtracking is ERR_RULE_TIMEOUT', async () => {
    await using h = await harness([hostileRule(`/^(a+)+$/.test(new Array(64).join('a') + '!'); callback(null, user, context);`)])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('string-bomb-cpu: repeat / padStart of huge lengths is a typed failure', async () => {
    await using h = await harness([hostileRule(`var s = ''.padStart(2147483647, 'x'); callback(null, user, context);`)])
    await h.expectFailure(['ERR_RULE_EXCEPTION', 'ERR_RULE_MEMORY_LIMIT', 'ERR_RULE_TIMEOUT'])
    await h.expectServes()
  })
})

describe('blocking: Atomics and shared memory', () => {
  it('atomics: Atomics.wait and Atomics.waitAsync are absent and SharedArrayBuffer is not a global', async () => {
    await using h = await harness([
      hostileRule(`
        context.idToken['${FOUND}'] = {
          sab: typeof SharedArrayBuffer,
          wait: typeof Atomics === 'object' ? typeof Atomics.wait : 'no Atomics',
          waitAsync: typeof Atomics === 'object' ? typeof Atomics.waitAsync : 'no Atomics',
          onGlobal: Object.getOwnPropertyNames(globalThis).indexOf('SharedArrayBuffer'),
        };
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toEqual({ sab: 'undefined', wait: 'undefined', waitAsync: 'undefined', onGlobal: -1 })
    await h.expectServes()
  })

  it('atomics: the SharedArrayBuffer constructor is not reachable, even through WebAssembly shared memory (WebAssembly enabled)', async () => {
    // The brief for this suite: SharedArrayBuffer should be absent. The engine deletes the global,
    // but \`new WebAssembly.Memory({ shared: true }).buffer.constructor\` is the constructor again.
    await using h = await harness(
      [
        hostileRule(`
        var found;
        try {
          var buffer = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer;
          found = Object.prototype.toString.call(buffer) + ' ' + typeof buffer.constructor;
        } catch (e) { found = 'refused'; }
        context.idToken['${FOUND}'] = found;
        callback(null, user, context);`),
      ],
      { webAssembly: true },
    )
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe('refused')
    await h.expectServes()
  })

  it('atomics: a module whose own shared memory would let memory.atomic.wait32 block (an Atomics.wait) is refused before it runs (WebAssembly enabled)', async () => {
    await using h = await harness(
      [
        hostileRule(`
          new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(${WASM_WAIT})), {}).exports.w();
          callback(null, user, context);`),
      ],
      { webAssembly: true },
    )
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(error.message).toBe('Shared WebAssembly memory is not available to rules.')
    await h.expectServes()
  })
})

describe('waiting for ever', () => {
  it('never-settles: an async rule awaiting a promise that never settles is ERR_RULE_TIMEOUT', async () => {
    await using h = await harness([hostileRule(`await new Promise(function () {}); callback(null, user, context);`, { async: true })])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('never-calls-back: a rule that returns without calling back is ERR_RULE_TIMEOUT', async () => {
    await using h = await harness([hostileRule(`/* no callback */`)])
    const error = await h.expectFailure('ERR_RULE_TIMEOUT')
    expect(error.rule).toBe('hostile')
    await h.expectServes()
  })

  it('late-callback: a callback after the budget (from a timer) is ignored; the run is ERR_RULE_TIMEOUT', async () => {
    await using h = await harness([hostileRule(`setTimeout(function () { callback(null, user, context); }, 2000);`)], { limits: { timeoutMs: 300 } })
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('late-callback: a stale callback kept in global and called during a later run changes nothing', async () => {
    await using h = await harness([
      hostileRule(`global.stale = callback; /* never calls back */`, {
        modes: {
          stale: `
            var calls = [];
            try { global.stale(new Error('stale denial')); calls.push('denial ignored'); } catch (e) { calls.push('threw'); }
            try { global.stale(null, { user_id: 'someone-else' }, { accessToken: { 'https://evil.example/x': 1 } }); calls.push('success ignored'); } catch (e) { calls.push('threw'); }
            context.idToken['${FOUND}'] = calls;
            callback(null, user, context);`,
        },
      }),
    ])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    const result = await h.expectSuccess(loginInput('stale'))
    expect(result.idToken.claims).toEqual({ [FOUND]: ['denial ignored', 'success ignored'] })
    expect(result.accessToken.claims).toEqual({})
    expect(result.user.user_id).toBe('auth0|5f7c8ec7c33c6c004bbafe82')
    expect(result.warnings).toEqual([])
    await h.expectServes()
  })

  it('twice: a callback called twice keeps the first outcome and warns CALLBACK_CALLED_TWICE', async () => {
    await using h = await harness([hostileRule(`context.idToken['${FOUND}'] = 'first'; callback(null, user, context); callback(new Error('second'));`)])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe('first')
    expect(result.warnings).toEqual([
      { code: 'CALLBACK_CALLED_TWICE', rule: 'hostile', message: "Rule 'hostile' called its callback more than once; later calls were ignored." },
    ])
    await h.expectServes()
  })

  it('twice-flood: a callback called 20,000 times keeps the first outcome; every later call is only a warning', async () => {
    await using h = await harness(
      [hostileRule(`context.idToken['${FOUND}'] = 'first'; for (var i = 0; i < 20000; i++) callback(i === 0 ? null : new Error('again'), user, context);`)],
      { limits: { timeoutMs: 10_000 } },
    )
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe('first')
    expect(new Set(result.warnings.map((w) => w.code))).toEqual(new Set(['CALLBACK_CALLED_TWICE']))
    await h.expectServes()
  })
})

describe('timers', () => {
  it('interval-flood: setInterval(fn, 0) is ERR_RULE_TIMEOUT and no tick runs after the run ended', async () => {
    await using h = await harness([hostileRule(`global.ticks = 0; setInterval(function () { global.ticks++; }, 0);`, { report: 'global.ticks' })])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    const ticks = await h.report()
    expect(ticks).toBeGreaterThan(0)
    await h.expectServes()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await h.report()).toBe(ticks)
  })

  it('timer-flood: 10,000 timers are refused past the engine limit (ERR_RULE_EXCEPTION)', async () => {
    await using h = await harness([hostileRule(`for (var i = 0; i < 10000; i++) setTimeout(function () {}, 100000);`)])
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(error.message).toMatch(/timers/i)
    await h.expectServes()
  })

  it('timer-flood: 10,000 timers with the refusals caught, then a callback, succeed; the 1,000 left run after the answer, bounded and reported', async () => {
    await using h = await harness([
      hostileRule(
        `
        var refused = 0;
        for (var i = 0; i < 10000; i++) { try { setTimeout(function () { global.fired = true; }, 30); } catch (e) { refused++; } }
        context.idToken['${FOUND}'] = refused > 0;
        callback(null, user, context);`,
      ),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe(true)
    // Work after the callback (docs/behaviour.md#work-after-the-callback): at most limits.backgroundMs.
    const report = await result.background
    expect(['settled', 'grace']).toContain(report?.end)
    expect(report?.tasks).toHaveLength(100)
    expect(report?.untracked).toBe(900)
    await h.expectServes()
  })

  it('immediate-flood: recursive setImmediate is ERR_RULE_TIMEOUT', async () => {
    await using h = await harness([hostileRule(`(function loop() { setImmediate(loop); })();`)])
    await h.expectFailure('ERR_RULE_TIMEOUT')
    await h.expectServes()
  })

  it('timer-delays: NaN, negative, Infinity and huge delays cannot starve or overflow the host timers', async () => {
    await using h = await harness([
      hostileRule(`
        var n = 0, delays = [NaN, -1, Infinity, 2147483648, 1e300, { valueOf: function () { return 1; } }];
        delays.forEach(function (d) { setTimeout(function () { if (++n === delays.length) { context.idToken['${FOUND}'] = n; callback(null, user, context); } }, d); });`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toBe(6)
    await h.expectServes()
  })
})

describe('memory', () => {
  it('heap-bomb: string doubling hits ERR_RULE_MEMORY_LIMIT and the engine recycles and keeps serving', async () => {
    await using h = await harness([hostileRule(`var s = 'xy', keep = []; while (true) { s += s; keep.push(s.slice(1)); }`)], MEMORY)
    await h.expectFailure('ERR_RULE_MEMORY_LIMIT')
    await h.expectServes()
    expect(h.engine.stats.recycled).toBe(1)
  })

  it('heap-bomb: array growth recycles the isolate', async () => {
    await using h = await harness([hostileRule(`var a = []; while (true) a.push([a.length, {}]);`)], MEMORY)
    await h.expectFailure('ERR_RULE_MEMORY_LIMIT')
    await h.expectServes()
    expect(h.engine.stats.recycled).toBe(1)
  })

  it('heap-bomb: growth inside a timer callback recycles the isolate', async () => {
    await using h = await harness([hostileRule(`setTimeout(function () { var a = []; while (true) a.push({ n: a.length }); }, 1);`)], MEMORY)
    await h.expectFailure('ERR_RULE_MEMORY_LIMIT')
    await h.expectServes()
  })

  it('heap-bomb: ArrayBuffer allocations beyond the limit are a typed failure', async () => {
    await using h = await harness([hostileRule(`var keep = []; while (true) keep.push(new ArrayBuffer(8 * 1024 * 1024));`)], MEMORY)
    await h.expectFailure(['ERR_RULE_MEMORY_LIMIT', 'ERR_RULE_EXCEPTION'])
    await h.expectServes()
  })

  it('heap-bomb: global kept between runs cannot grow past the limit: a later run recycles, the one after serves', async () => {
    await using h = await harness(
      [hostileRule(`global.keep = global.keep || []; for (var i = 0; i < 2e5; i++) global.keep.push({ i: i }); callback(null, user, context);`)],
      MEMORY,
    )
    let failed: any
    for (let i = 0; i < 20 && failed === undefined; i++) {
      const outcome = await h.run(loginInput('attack'))
      expect(outcome.status).not.toBe('hung')
      if (outcome.status === 'rejected') failed = outcome.error
    }
    expect(failed?.code).toBe('ERR_RULE_MEMORY_LIMIT')
    await h.expectServes()
  })
})

describe('huge outputs', () => {
  it('huge-claim: a 50 MB claim is ERR_CLAIMS_TOO_LARGE (or ERR_RULE_RESULT_INVALID), quickly', async () => {
    // The rule can build the 50 MB string inside its 64 MB isolate; copying it out must not be
    // what kills the isolate.
    await using h = await harness([hostileRule(`context.idToken['${FOUND}'] = 'x'.repeat(50 * 1024 * 1024); callback(null, user, context);`)], {
      limits: { memoryLimitMb: 64, timeoutMs: 5_000 },
    })
    await h.expectFailure(['ERR_CLAIMS_TOO_LARGE', 'ERR_RULE_RESULT_INVALID'], loginInput('attack'), 5_000)
    await h.expectServes()
  })

  it('huge-claims: many claims each under the limit are refused inside the sandbox (one budget per token)', async () => {
    await using h = await harness(
      [
        hostileRule(`
        var big = new Array(90 * 1024).join('x');
        for (var i = 0; i < 200; i++) context.accessToken['https://hostile.example/c' + i] = big;
        callback(null, user, context);`),
      ],
      { limits: { memoryLimitMb: 64, timeoutMs: 5_000 } },
    )
    const error = await h.expectFailure('ERR_CLAIMS_TOO_LARGE')
    // The sandbox stops copying at a bounded size: the host never received the 18 MB.
    expect(error.bytes).toBeLessThanOrEqual(MAX_CUSTOM_CLAIMS_BYTES * 4)
    await h.expectServes()
  })

  it('huge-user: a 50 MB field on the user is ERR_RULE_RESULT_INVALID, quickly', async () => {
    await using h = await harness([hostileRule(`user.blob = 'x'.repeat(50 * 1024 * 1024); callback(null, user, context);`)], {
      limits: { memoryLimitMb: 64, timeoutMs: 5_000 },
    })
    await h.expectFailure('ERR_RULE_RESULT_INVALID', loginInput('attack'), 5_000)
    await h.expectServes()
  })

  it('huge-logs: 100,000 log lines are bounded with LOGS_TRUNCATED', async () => {
    await using h = await harness([hostileRule(`for (var i = 0; i < 100000; i++) console.log('line', i); callback(null, user, context);`)], {
      limits: { timeoutMs: 5_000 },
    })
    const result = await h.expectSuccess()
    expect(result.logs.length).toBe(100)
    expect(result.warnings.map((w) => w.code)).toEqual(['LOGS_TRUNCATED'])
    await h.expectServes()
  })

  it('huge-log-line: a 20 MB log line is truncated', async () => {
    await using h = await harness([hostileRule(`var s = 'y'.repeat(20 * 1024 * 1024); console.log(s); console.log('%s', s); callback(null, user, context);`)], {
      limits: { timeoutMs: 5_000 },
    })
    const result = await h.expectSuccess()
    expect(result.logs).toHaveLength(2)
    for (const entry of result.logs) expect(entry.message.length).toBeLessThanOrEqual(8_200)
    await h.expectServes()
  })

  it('huge-log-object: logging an object holding a 20 MB string is truncated, not a memory failure', async () => {
    await using h = await harness(
      [hostileRule(`var s = 'y'.repeat(20 * 1024 * 1024); console.log({ s: s }); console.log([s]); callback(null, user, context);`)],
      { limits: { memoryLimitMb: 64, timeoutMs: 5_000 } },
    )
    const result = await h.expectSuccess()
    expect(result.logs).toHaveLength(2)
    for (const entry of result.logs) expect(entry.message.length).toBeLessThanOrEqual(8_200)
    await h.expectServes()
  })

  it('huge-error: a thrown error with a 20 MB message is reported with a bounded message', async () => {
    await using h = await harness([hostileRule(`throw new Error('z'.repeat(20 * 1024 * 1024));`)], { limits: { timeoutMs: 5_000 } })
    const error = await h.expectFailure('ERR_RULE_EXCEPTION')
    expect(error.message.length).toBeLessThanOrEqual(5_000)
    await h.expectServes()
  })

  it('huge-denial: a denial with a 20 MB message reaches the client bounded', async () => {
    await using h = await harness([hostileRule(`callback(new Error('d'.repeat(20 * 1024 * 1024)));`)], { limits: { timeoutMs: 5_000 } })
    const error = await h.expectFailure('ERR_RULE_DENIED')
    expect(JSON.stringify(error.toOAuthError()).length).toBeLessThanOrEqual(5_000)
    await h.expectServes()
  })
})
