/**
 * Issue 14, class 3 — memory the isolate limit does not count (docs/security.md#sandbox-attack-classes, row 15).
 *
 * isolated-vm's `memoryLimit` counts the V8 heap and fixed-length ArrayBuffers only. Before the
 * fix, at a 32 MB limit, a rule made the process hold 500 MB (a resizable ArrayBuffer grown, a
 * WebAssembly memory grown, a growable SharedArrayBuffer), 640 MB (twenty WebAssembly memories),
 * 2 GB (Intl.DateTimeFormat objects kept in an array) or, through the host, whatever its pending
 * host calls carried. Every attack here must now fail its run with a typed error, and the process's
 * resident memory, sampled every few milliseconds around the attack, must grow by less than the
 * bound docs/security.md states for one isolate: memoryLimitMb × RSS_FACTOR.
 */
import { describe, expect, it } from 'vitest'
import { FOUND, guardHost, harness, hostileRule, loginInput } from './support.js'

guardHost()

const MEMORY_LIMIT_MB = 32
/** docs/security.md, "What is guaranteed": one isolate holds at most memoryLimitMb × 5 of the process. */
const RSS_FACTOR = 5
const BOUND_MB = MEMORY_LIMIT_MB * RSS_FACTOR
const OPTIONS = { limits: { memoryLimitMb: MEMORY_LIMIT_MB, timeoutMs: 10_000 } }
const MB = 1024 * 1024

/** `fn`'s value and the process's peak resident memory above where it started, sampled every 5 ms. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; growthMb: number }> {
  const base = process.memoryUsage().rss
  let peak = base
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }
  const timer = setInterval(sample, 5)
  try {
    const value = await fn()
    sample()
    return { value, growthMb: (peak - base) / MB }
  } finally {
    clearInterval(timer)
  }
}

type Harness = Awaited<ReturnType<typeof harness>>

/** Warm the engine up (a normal login, and `warm` if given), then run the attack: typed failure, bounded growth. */
async function attack(h: Harness, code: string, warm?: string): Promise<any> {
  await h.expectServes()
  if (warm !== undefined) await h.expectSuccess(loginInput(warm))
  const { value: error, growthMb } = await measured(() => h.expectFailure(code))
  expect(growthMb, `RSS grew by ${growthMb.toFixed(0)} MB during the attack`).toBeLessThan(BOUND_MB)
  await h.expectServes()
  return error
}

const WARM_INTL = `new Intl.DateTimeFormat('en', { timeZone: 'UTC', dateStyle: 'full', timeStyle: 'full' }).format(0);
  new Intl.Segmenter('en', { granularity: 'word' }).segment('a b'); callback(null, user, context);`

/** A module that defines memory `m` (1 page, at most `max` pages, LEB128 bytes) and exports it. */
function memoryModule(maxLeb: number[]): string {
  const memory = [1, 1, 1, ...maxLeb]
  return JSON.stringify([0, 97, 115, 109, 1, 0, 0, 0, 5, memory.length, ...memory, 7, 5, 1, 1, 109, 2, 0])
}
/** `(memory 1 1 shared)`, `memory.atomic.wait32` on it: a module that declares its own shared memory. */
const WASM_SHARED = '[0,97,115,109,1,0,0,0,1,5,1,96,0,1,127,3,2,1,0,5,4,1,3,1,1,7,5,1,1,119,0,0,10,14,1,12,0,65,0,65,0,66,127,254,1,2,0,11]'

describe('resizable ArrayBuffers count their maxByteLength', () => {
  it('one buffer resized to 1 GB fails the run with ERR_RULE_MEMORY_LIMIT, even when the rule catches the RangeError', async () => {
    await using h = await harness(
      [
        hostileRule(`
          try {
            var b = new ArrayBuffer(1, { maxByteLength: 1024 * 1024 * 1024 });
            b.resize(1024 * 1024 * 1024); new Uint8Array(b).fill(1); global.kept = b;
          } catch (e) { context.idToken['${FOUND}'] = 'caught ' + e.name; }
          callback(null, user, context);`),
      ],
      OPTIONS,
    )
    const error = await attack(h, 'ERR_RULE_MEMORY_LIMIT')
    expect(error.message).toMatch(/resizable ArrayBuffer .* outside the heap/)
    expect(error.rule).toBe('hostile')
  })

  it('many buffers of 8 MB each, every one under any per-buffer cap, fail the run once together they pass the budget', async () => {
    await using h = await harness(
      [
        hostileRule(`
          global.kept = [];
          for (var i = 0; i < 100; i++) {
            var b = new ArrayBuffer(1, { maxByteLength: 8 * 1024 * 1024 });
            b.resize(8 * 1024 * 1024); new Uint8Array(b).fill(1); global.kept.push(b);
          }
          callback(null, user, context);`),
      ],
      OPTIONS,
    )
    await attack(h, 'ERR_RULE_MEMORY_LIMIT')
  })

  it('transfer() of a resizable buffer keeps counting (the new buffer carries the count), so a chain of transfers cannot launder it', async () => {
    await using h = await harness(
      [
        hostileRule(`
          global.kept = [];
          for (var i = 0; i < 100; i++) {
            var b = new ArrayBuffer(1, { maxByteLength: 8 * 1024 * 1024 }).transfer();
            b = b.transfer(8 * 1024 * 1024); new Uint8Array(b).fill(1); global.kept.push(b);
          }
          callback(null, user, context);`),
      ],
      OPTIONS,
    )
    await attack(h, 'ERR_RULE_MEMORY_LIMIT')
  })

  it('a maxByteLength getter that answers 1 KB to the count and 1 GB afterwards is read once: the buffer cannot grow past 1 KB', async () => {
    await using h = await harness(
      [
        hostileRule(`
          var reads = 0;
          var options = { get maxByteLength() { reads++; return reads === 1 ? 1024 : 1024 * 1024 * 1024; } };
          var b = new ArrayBuffer(1, options);
          context.idToken['${FOUND}'] = { reads: reads, max: b.maxByteLength };
          if (user.app_metadata.attack === 'attack') { b.resize(1024 * 1024 * 1024); new Uint8Array(b).fill(1); }
          callback(null, user, context);`),
      ],
      OPTIONS,
    )
    const error = await attack(h, 'ERR_RULE_EXCEPTION')
    expect(error.message).toMatch(/Invalid length|RangeError|resize/i)
  })

  it('ArrayBuffer, its prototype and typed arrays still behave as the language says for ordinary code', async () => {
    await using h = await harness(
      [
        hostileRule('', {
          report: `(function () {
            var r = new ArrayBuffer(4, { maxByteLength: 64 }); r.resize(32);
            var fixed = new ArrayBuffer(8);
            return {
              resizable: r.resizable, length: r.byteLength, max: r.maxByteLength,
              proto: Object.getPrototypeOf(new Uint8Array(2).buffer) === ArrayBuffer.prototype,
              ctor: new Uint8Array(2).buffer.constructor === ArrayBuffer, isView: ArrayBuffer.isView(new Uint8Array(1)),
              name: ArrayBuffer.name, arity: ArrayBuffer.length, species: ArrayBuffer[Symbol.species] === ArrayBuffer,
              sliced: fixed.slice(2).byteLength, fixedAfter: r.transferToFixedLength().resizable, detached: r.detached,
              noNew: (function () { try { ArrayBuffer(1); return 'called'; } catch (e) { return e.name; } })(),
            };
          })()`,
        }),
      ],
      OPTIONS,
    )
    expect(await h.report()).toEqual({
      resizable: true,
      length: 32,
      max: 64,
      proto: true,
      ctor: true,
      isView: true,
      name: 'ArrayBuffer',
      arity: 1,
      species: true,
      sliced: 6,
      fixedAfter: false,
      detached: true,
      noNew: 'TypeError',
    })
  })
})

describe('Intl objects count what ICU holds for them', () => {
  it('Intl.DateTimeFormat objects kept in an array (2 GB at a 32 MB limit before) fail the run with ERR_RULE_MEMORY_LIMIT', async () => {
    await using h = await harness(
      [
        hostileRule(
          `global.kept = [];
          for (var i = 0; i < 100000; i++) global.kept.push(new Intl.DateTimeFormat('en', { timeZone: 'UTC', dateStyle: 'full', timeStyle: 'full' }));
          callback(null, user, context);`,
          { modes: { warm: WARM_INTL } },
        ),
      ],
      OPTIONS,
    )
    const error = await attack(h, 'ERR_RULE_MEMORY_LIMIT', 'warm')
    expect(error.message).toMatch(/Intl\.DateTimeFormat/)
  })

  it('Intl.Segmenter segments of a 3 MB text, each holding its own copy, fail the run with ERR_RULE_MEMORY_LIMIT', async () => {
    await using h = await harness(
      [
        hostileRule(
          `var s = 'ab '.repeat(1000000); var seg = new Intl.Segmenter('en', { granularity: 'word' });
          global.kept = [];
          for (var i = 0; i < 200; i++) { var segments = seg.segment(s); global.kept.push(segments, segments[Symbol.iterator]()); }
          callback(null, user, context);`,
          { modes: { warm: WARM_INTL } },
        ),
      ],
      OPTIONS,
    )
    await attack(h, 'ERR_RULE_MEMORY_LIMIT', 'warm')
  })

  it('a few formatters, collators and segmenters, as rules use them, work and are given back when collected', async () => {
    await using h = await harness(
      [
        hostileRule('', {
          report: `(function () {
            var out = [];
            for (var i = 0; i < 500; i++) out.length = 0, out.push(new Intl.DateTimeFormat('en', { timeZone: 'UTC' }).format(0));
            var words = []; for (var s of new Intl.Segmenter('en', { granularity: 'word' }).segment('hello big world')) if (s.isWordLike) words.push(s.segment);
            return {
              date: out[0], legacy: Intl.DateTimeFormat('en', { timeZone: 'UTC' }).format(0),
              sorted: ['b', 'a', 'C'].sort(new Intl.Collator('en').compare), words: words,
              number: new Intl.NumberFormat('en').format(1234.5), proto: new Intl.Collator() instanceof Intl.Collator,
              locales: Intl.DateTimeFormat.supportedLocalesOf(['en']), breakIterator: typeof Intl.v8BreakIterator,
            };
          })()`,
        }),
      ],
      OPTIONS,
    )
    // 500 formatters of 32 KB each count 16 MB, half the budget: ten runs of them, 160 MB counted
    // in all, pass, because the host replaces an isolate that ends a run past half its budget
    // (garbage V8 has not collected yet counts until then).
    const recycled = h.engine.stats.recycled
    for (let run = 1; run < 10; run++) await h.report()
    expect(h.engine.stats.recycled).toBeGreaterThan(recycled)
    expect(await h.report()).toEqual({
      date: '1/1/1970',
      legacy: '1/1/1970',
      sorted: ['a', 'b', 'C'],
      words: ['hello', 'big', 'world'],
      number: '1,234.5',
      proto: true,
      locales: ['en'],
      breakIterator: 'undefined',
    })
  })
})

describe('WebAssembly: absent unless enabled; enabled, its memories count their maximum', () => {
  it('by default WebAssembly is not there, so no WebAssembly memory can be made', async () => {
    await using h = await harness([hostileRule(`new WebAssembly.Memory({ initial: 1, maximum: 16384 }).grow(8000); callback(null, user, context);`)], OPTIONS)
    const error = await attack(h, 'ERR_RULE_EXCEPTION')
    expect(error.message).toMatch(/WebAssembly is not defined/)
  })

  it('enabled: a WebAssembly.Memory of 1 GB maximum fails the run with ERR_RULE_MEMORY_LIMIT before it exists', async () => {
    await using h = await harness(
      [
        hostileRule(`
          try { var m = new WebAssembly.Memory({ initial: 1, maximum: 16384 }); m.grow(8000); new Uint8Array(m.buffer).fill(1); global.kept = m; }
          catch (e) { context.idToken['${FOUND}'] = 'caught'; }
          callback(null, user, context);`),
      ],
      { ...OPTIONS, webAssembly: true },
    )
    const error = await attack(h, 'ERR_RULE_MEMORY_LIMIT')
    expect(error.message).toMatch(/WebAssembly\.Memory/)
  })

  it('enabled: instances of a module whose own memory grows to 16 MB each fail the run once together they pass the budget', async () => {
    await using h = await harness(
      [
        hostileRule(`
          var module = new WebAssembly.Module(new Uint8Array(${memoryModule([128, 2])}));
          global.kept = [];
          for (var i = 0; i < 40; i++) {
            var m = new WebAssembly.Instance(module, {}).exports.m; m.grow(255); new Uint8Array(m.buffer).fill(1); global.kept.push(m);
          }
          callback(null, user, context);`),
      ],
      { ...OPTIONS, webAssembly: true },
    )
    await attack(h, 'ERR_RULE_MEMORY_LIMIT')
  })

  it('enabled: WebAssembly.instantiate of a module declaring a 1 GB memory fails the run with ERR_RULE_MEMORY_LIMIT', async () => {
    await using h = await harness(
      [
        hostileRule(
          `var r = await WebAssembly.instantiate(new Uint8Array(${memoryModule([128, 128, 1])}), {});
          r.instance.exports.m.grow(8000); new Uint8Array(r.instance.exports.m.buffer).fill(1); global.kept = r;
          callback(null, user, context);`,
          { async: true },
        ),
      ],
      { ...OPTIONS, webAssembly: true },
    )
    await attack(h, 'ERR_RULE_MEMORY_LIMIT')
  })

  it('enabled: a memory without a maximum is refused (in JavaScript and in a module), and ordinary WebAssembly still runs', async () => {
    await using h = await harness(
      [
        hostileRule(`new WebAssembly.Memory({ initial: 1 }).grow(16000); callback(null, user, context);`, {
          report: `(function () {
            var unbounded; try { new WebAssembly.Module(new Uint8Array([0,97,115,109,1,0,0,0,5,3,1,0,1])); unbounded = 'compiled'; } catch (e) { unbounded = e.name; }
            var small = new WebAssembly.Memory({ initial: 1, maximum: 2 }); small.grow(1);
            return { unbounded: unbounded, grown: small.buffer.byteLength, proto: small instanceof WebAssembly.Memory, valid: WebAssembly.validate(new Uint8Array([0,97,115,109,1,0,0,0])) };
          })()`,
        }),
      ],
      { ...OPTIONS, webAssembly: true },
    )
    expect(await h.report()).toEqual({ unbounded: 'RangeError', grown: 131072, proto: true, valid: true })
    const error = await attack(h, 'ERR_RULE_EXCEPTION')
    expect(error.message).toMatch(/needs a maximum/)
  })
})

describe('SharedArrayBuffer, growable or not, is out of reach', () => {
  it('a growable SharedArrayBuffer cannot be made: the global is gone', async () => {
    await using h = await harness(
      [
        hostileRule(
          `var b = new SharedArrayBuffer(1, { maxByteLength: 1024 * 1024 * 1024 }); b.grow(1024 * 1024 * 1024); global.kept = b; callback(null, user, context);`,
        ),
      ],
      { ...OPTIONS, webAssembly: true },
    )
    const error = await attack(h, 'ERR_RULE_EXCEPTION')
    expect(error.message).toMatch(/SharedArrayBuffer is not defined/)
  })

  it('nor through WebAssembly shared memory, made in JavaScript or declared by a module (enabled WebAssembly)', async () => {
    await using h = await harness(
      [
        hostileRule(`new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(${WASM_SHARED})), {}); callback(null, user, context);`, {
          report: `(function () {
              try { new WebAssembly.Memory({ initial: 1, maximum: 16384, shared: true }); return 'made'; } catch (e) { return e.message; }
            })()`,
        }),
      ],
      { ...OPTIONS, webAssembly: true },
    )
    expect(await h.report()).toBe('Shared WebAssembly memory is not available to rules.')
    const error = await attack(h, 'ERR_RULE_EXCEPTION')
    expect(error.message).toBe('Shared WebAssembly memory is not available to rules.')
  })

  it('a `shared` getter that answers false to the check and true afterwards is read once: no shared memory, no SharedArrayBuffer', async () => {
    await using h = await harness(
      [
        hostileRule(`
          var reads = 0;
          var descriptor = { initial: 1, maximum: 1, get shared() { reads++; return reads > 1; } };
          var memory = new WebAssembly.Memory(descriptor);
          var kind = Object.prototype.toString.call(memory.buffer);
          if (kind === '[object SharedArrayBuffer]') { context.idToken['${FOUND}'] = 'shared memory made'; return callback(null, user, context); }
          throw new Error('no shared memory: ' + kind + ', shared read ' + reads + ' time(s)');`),
      ],
      { ...OPTIONS, webAssembly: true },
    )
    const error = await attack(h, 'ERR_RULE_EXCEPTION')
    expect(error.message).toBe('no shared memory: [object ArrayBuffer], shared read 1 time(s)')
  })

  it('a `maximum` getter that answers 1 page to the count and 16384 afterwards is read once: the memory cannot grow past 1 page', async () => {
    await using h = await harness(
      [
        hostileRule(`
          var reads = 0;
          var m = new WebAssembly.Memory({ initial: 1, get maximum() { reads++; return reads === 1 ? 1 : 16384; } });
          m.grow(8000); new Uint8Array(m.buffer).fill(1); global.kept = m;
          callback(null, user, context);`),
      ],
      { ...OPTIONS, webAssembly: true },
    )
    const error = await attack(h, 'ERR_RULE_EXCEPTION')
    expect(error.message).toMatch(/Maximum memory size exceeded|grow/i)
  })
})

describe('what the host holds for a run has a budget (a quarter of memoryLimitMb)', () => {
  it('huge arguments of host calls left pending (1.5 MB each, the host holding them for seconds) fail the run with ERR_RULE_MEMORY_LIMIT', async () => {
    const held: unknown[] = []
    await using h = await harness(
      [
        hostileRule(`
          var body = 'x'.repeat(1500000);
          for (var i = 0; i < 1000; i++) { try { hold(body + i); } catch (e) { context.idToken['${FOUND}'] = 'caught'; } }
          callback(null, user, context);`),
      ],
      {
        ...OPTIONS,
        globals: {
          hold: (value: unknown) => {
            held.push(value)
            return new Promise(() => undefined)
          },
        },
      },
    )
    const error = await attack(h, 'ERR_RULE_MEMORY_LIMIT')
    expect(error.message).toMatch(/host call's arguments would make the host hold/)
    // The integrator's function got the calls the budget could hold, not a thousand.
    expect(held.length).toBeLessThanOrEqual(3)
    held.length = 0
  })

  it('huge metadata updates in flight at once (900 KB each, the hook slow) fail the run with ERR_RULE_MEMORY_LIMIT', async () => {
    let persisted = 0
    await using h = await harness(
      [
        hostileRule(
          `var blob = 'x'.repeat(900000); var all = [];
          for (var i = 0; i < 50; i++) all.push(auth0.users.updateAppMetadata(user.user_id, { blob: blob, i: i }).catch(function () {}));
          await Promise.all(all);
          callback(null, user, context);`,
          { async: true },
        ),
      ],
      {
        ...OPTIONS,
        hooks: {
          updateAppMetadata: async () => {
            await new Promise((resolve) => setTimeout(resolve, 200))
            persisted++
          },
        },
      },
    )
    await attack(h, 'ERR_RULE_MEMORY_LIMIT')
    expect(persisted).toBeLessThan(5)
  })

  it('many metadata updates one after another, each kept until the run is answered, fail the run with ERR_RULE_MEMORY_LIMIT', async () => {
    await using h = await harness(
      [
        hostileRule(
          `var blob = 'x'.repeat(900000);
          for (var i = 0; i < 50; i++) { try { await auth0.users.updateAppMetadata(user.user_id, { blob: blob, i: i }); } catch (e) {} }
          callback(null, user, context);`,
          { async: true },
        ),
      ],
      { ...OPTIONS, hooks: { updateAppMetadata: async () => undefined } },
    )
    await attack(h, 'ERR_RULE_MEMORY_LIMIT')
  })

  it('a run under the budget keeps its metadata updates, and the next run has the whole budget again', async () => {
    await using h = await harness(
      [
        hostileRule(
          `var blob = 'x'.repeat(300000);
          for (var i = 0; i < 3; i++) await auth0.users.updateAppMetadata(user.user_id, { blob: blob, i: i });
          callback(null, user, context);`,
          { async: true },
        ),
      ],
      { ...OPTIONS, hooks: { updateAppMetadata: async () => undefined } },
    )
    for (let run = 0; run < 4; run++) {
      const result = await h.expectSuccess()
      expect(result.metadataUpdates.map((update) => update.metadata.i)).toEqual([0, 1, 2])
    }
  })
})

describe('the bound over engines × concurrency', () => {
  it('two engines of two isolates each, all four under attack at once, grow the process by less than 2 × 2 × memoryLimitMb × RSS_FACTOR', async () => {
    const rules = [
      hostileRule(
        `global.kept = [];
        for (var i = 0; i < 100; i++) {
          var b = new ArrayBuffer(1, { maxByteLength: 8 * 1024 * 1024 }); b.resize(8 * 1024 * 1024); new Uint8Array(b).fill(1); global.kept.push(b);
          if (i % 2 === 1) hold('x'.repeat(1500000) + i);
        }
        callback(null, user, context);`,
      ),
    ]
    const options = { ...OPTIONS, concurrency: 2, globals: { hold: () => new Promise(() => undefined) } }
    await using a = await harness(rules, options)
    await using b = await harness(rules, options)
    for (const h of [a, b]) await Promise.all([h.expectServes(), h.expectServes()])
    const { value: outcomes, growthMb } = await measured(() =>
      Promise.all([
        a.expectFailure('ERR_RULE_MEMORY_LIMIT'),
        a.expectFailure('ERR_RULE_MEMORY_LIMIT'),
        b.expectFailure('ERR_RULE_MEMORY_LIMIT'),
        b.expectFailure('ERR_RULE_MEMORY_LIMIT'),
      ]),
    )
    expect(outcomes.map((error) => error.code)).toEqual(['ERR_RULE_MEMORY_LIMIT', 'ERR_RULE_MEMORY_LIMIT', 'ERR_RULE_MEMORY_LIMIT', 'ERR_RULE_MEMORY_LIMIT'])
    expect(growthMb, `RSS grew by ${growthMb.toFixed(0)} MB with four isolates under attack`).toBeLessThan(2 * 2 * BOUND_MB)
    await a.expectServes()
    await b.expectServes()
  })
})

describe("isolation: 'process' counts the same", () => {
  it('a resizable buffer grown past the budget and pending host calls past the host budget fail their runs with ERR_RULE_MEMORY_LIMIT in the child process too', async () => {
    await using h = await harness(
      [
        hostileRule(
          `var b = new ArrayBuffer(1, { maxByteLength: 1024 * 1024 * 1024 }); b.resize(1024 * 1024 * 1024); global.kept = b; callback(null, user, context);`,
          { modes: { host: `for (var i = 0; i < 100; i++) hold('x'.repeat(1500000) + i); callback(null, user, context);` } },
        ),
      ],
      { ...OPTIONS, isolation: 'process', globals: { hold: () => new Promise(() => undefined) } },
    )
    await attack(h, 'ERR_RULE_MEMORY_LIMIT')
    const error = await h.expectFailure('ERR_RULE_MEMORY_LIMIT', loginInput('host'))
    expect(error.message).toMatch(/host call's arguments would make the host hold/)
    await h.expectServes()
  })
})
