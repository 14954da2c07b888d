/**
 * Issue 14, class 1 (docs/security.md#sandbox-attack-classes, class 13): native code V8 cannot
 * interrupt. Some built-ins loop in C++ without a termination check; neither isolated-vm's
 * `timeout` nor `isolate.dispose()` stops them. Whatever the guest thread does, the run settles by
 * its deadline (plus the engine's 250 ms grace), the slot is replaced at once so the next login
 * gets its token, the parked thread is counted (`stats.parked`, `hooks.onCatastrophicError`), and
 * past `limits.maxParkedThreads` the engine refuses new isolates with a typed error instead of
 * leaking threads. The common forms (array-likes with a huge `length`) are refused by a guard
 * before V8's loop starts, and cost no thread at all.
 *
 * Each engine runs in a child process (fixtures/native-loop-child.ts): a parked thread keeps a core
 * busy until its process ends.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createEngine } from '@tokenrules/engine'
import { passwordInput } from '../helpers.js'
import type { NativeLoopConfig, NativeLoopReport } from './fixtures/native-loop-protocol.js'

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
const child = fileURLToPath(new URL('./fixtures/native-loop-child.ts', import.meta.url))

function runInChild(config: NativeLoopConfig): Promise<NativeLoopReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--no-node-snapshot', '--conditions=@tokenrules/source', '--import', 'tsx', child, JSON.stringify(config)],
      { cwd: repoRoot, timeout: 90_000, maxBuffer: 1 << 20 },
      (_error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? ''
        try {
          resolve(JSON.parse(line) as NativeLoopReport)
        } catch {
          reject(new Error(`the child printed no report: ${stdout}\n${stderr}`))
        }
      },
    )
  })
}

const TIMEOUT_MS = 600
// The run's deadline plus the engine's grace (250 ms), plus generous slack for a loaded 2-core machine.
const SETTLED_BY_MS = TIMEOUT_MS + 250 + 1_500

/** Native loops no guard catches: the host answers at the deadline and the thread parks. */
const UNGUARDED = {
  'a global replace with a callback on a 16 MB string': `'x'.repeat(2 ** 24).replace(/x/g, () => 'y'.repeat(31))`,
  'a global replace building a result past the string limit': `'x'.repeat(2 ** 24).replace(/x/g, 'y'.repeat(31))`,
}

describe('native code that ignores the timeout and the kill', () => {
  it.each(Object.entries(UNGUARDED))(
    '%s: the run settles by its deadline, typed; the next login gets its token; the thread is counted',
    async (_name, attack) => {
      const report = await runInChild({ attacks: [attack], timeoutMs: TIMEOUT_MS, maxParkedThreads: 4 })
      const [result] = report.results
      expect(result?.code).toBe('ERR_RULE_TIMEOUT')
      expect(result?.settledMs).toBeLessThan(SETTLED_BY_MS)
      expect(result?.benign).toBe('gold')
      expect(report.stats.recycled).toBeGreaterThanOrEqual(1)
      // Parked or back already: these loops end after some seconds; a thread is counted only while it is out.
      expect(report.stats.parked).toBeLessThanOrEqual(Math.max(1, report.onCatastrophe.length))
    },
  )

  it('a thread still out 3 s after its disposal is reported to hooks.onCatastrophicError; a parked thread never holds a slot', async () => {
    // Two attacks, and a benign login after each. These loops end some seconds after the kill, so
    // whether a thread is still out at 3 s depends on the machine: what holds is that every report
    // names a parked thread, that no more are counted than were reported, and that logins go on.
    const attack = UNGUARDED['a global replace building a result past the string limit']
    const report = await runInChild({ attacks: [attack, attack], timeoutMs: TIMEOUT_MS, maxParkedThreads: 4 })
    expect(report.results.map((r) => [r.code, r.benign])).toEqual([
      ['ERR_RULE_TIMEOUT', 'gold'],
      ['ERR_RULE_TIMEOUT', 'gold'],
    ])
    // isolated-vm itself may report such a thread as a catastrophe ("Script failed to terminate").
    for (const message of report.onCatastrophe) expect(message).toMatch(/parked in native code|failed to terminate/)
    expect(report.stats.parked).toBeLessThanOrEqual(report.onCatastrophe.length)
  })

  it('a thread V8 gave up on (a fatal out-of-memory error) counts against limits.maxParkedThreads too', async () => {
    const keyBomb = `var k = 'n'.repeat(40 * 1024 * 1024); var o = {}; o[k] = 1`
    const report = await runInChild({ attacks: [keyBomb, keyBomb, keyBomb], timeoutMs: 5_000, maxParkedThreads: 1, concurrency: 1, memoryLimitMb: 64 })
    // The key bomb is a fatal out-of-memory error in V8 (usually; when V8 copes, the run just succeeds).
    const catastrophes = report.onCatastrophe.length
    expect(catastrophes).toBeGreaterThan(0)
    const first = report.results.findIndex((r) => r.code === 'ERR_RULE_MEMORY_LIMIT')
    expect(first).toBeGreaterThanOrEqual(0)
    // One lost thread reaches the limit of 1: the lone slot is not refilled, and runs are refused, typed.
    expect(report.results[first]?.benign).toBe('ERR_ENGINE_INTERNAL')
  })

  it('a rule that calls back, then starts native code: timed out by the deadline (its answer is taken once the rule returns), the slot replaced', async () => {
    const attack = `callback(null, user, context); 'x'.repeat(2 ** 24).replace(/x/g, () => 'y')`
    const report = await runInChild({ attacks: [attack], timeoutMs: TIMEOUT_MS, maxParkedThreads: 4 })
    const [result] = report.results
    expect(result?.code).toBe('ERR_RULE_TIMEOUT')
    expect(result?.settledMs).toBeLessThan(SETTLED_BY_MS)
    expect(result?.benign).toBe('gold')
  })
})

/** Array-likes and holey arrays whose native loops V8 never interrupts: refused before they start. */
const GUARDED = {
  'includes on { length: 2^53-1 }': `Array.prototype.includes.call({ length: 2 ** 53 - 1 }, 1)`,
  'indexOf on { length: 2^53-1 }': `Array.prototype.indexOf.call({ length: 2 ** 53 - 1 }, 1)`,
  'lastIndexOf on { length: 2^53-1 }': `Array.prototype.lastIndexOf.call({ length: 2 ** 53 - 1 }, 1)`,
  'lastIndexOf on a holey array of length 2^32-1': `new Array(2 ** 32 - 1).lastIndexOf(1)`,
  'fill on { length: 2^53-1 }': `Array.prototype.fill.call({ length: 2 ** 53 - 1 }, 1)`,
  'join on { length: 2^30 }': `Array.prototype.join.call({ length: 2 ** 30 })`,
  'reverse on { length: 2^53-1 }': `Array.prototype.reverse.call({ length: 2 ** 53 - 1 })`,
  'copyWithin on { length: 2^53-1 }': `Array.prototype.copyWithin.call({ length: 2 ** 53 - 1 }, 1)`,
  'sort on { length: 2^32-1 }': `Array.prototype.sort.call({ length: 2 ** 32 - 1 })`,
  'includes on { length: "9007199254740991" } (a string length)': `Array.prototype.includes.call({ length: '9007199254740991' }, 1)`,
  'sort on a Proxy of a holey array of length 2^32-1': `Array.prototype.sort.call(new Proxy(new Array(2 ** 32 - 1), {}))`,
  'splice on { length: 2^53-1 }': `Array.prototype.splice.call({ length: 2 ** 53 - 1 }, 0, 1)`,
  'shift on { length: 2^53-1 }': `Array.prototype.shift.call({ length: 2 ** 53 - 1 })`,
  'unshift on { length: 2^53-2 }': `Array.prototype.unshift.call({ length: 2 ** 53 - 2 }, 1)`,
  'forEach on { length: 2^53-1 } (holes: no callback ever runs)': `Array.prototype.forEach.call({ length: 2 ** 53 - 1 }, function () {})`,
  'reduce on a holey array of length 2^32-1': `new Array(2 ** 32 - 1).reduce(function (a, b) { return b }, 0)`,
  'flat of a holey array of length 2^32-1 inside a small one': `[new Array(2 ** 32 - 1)].flat()`,
  'flatMap returning a holey array of length 2^32-1': `[1].flatMap(function () { return new Array(2 ** 32 - 1) })`,
  'Array.from of { length: 2^32-1 }': `Array.from({ length: 2 ** 32 - 1 })`,
  'a length getter that answers huge': `Array.prototype.includes.call({ get length() { return 2 ** 53 - 1 } }, 1)`,
}

describe('guarded built-ins: refused with a RangeError before V8 loops, no thread lost', () => {
  it.each(Object.entries(GUARDED))('%s', async (_name, attack) => {
    await using engine = await createEngine({
      rules: [{ name: 'attack', script: `function (user, context, callback) { ${attack}; callback(null, user, context) }` }],
      concurrency: 1,
      limits: { timeoutMs: 2_000 },
      errors: { exposeExceptionMessages: true },
    })
    const error = await engine.run(passwordInput()).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    )
    expect(error?.code).toBe('ERR_RULE_EXCEPTION')
    expect(error?.message).toMatch(/refuses (a receiver|an array-like) longer than 33554432 elements/)
    expect(engine.stats).toMatchObject({ parked: 0, recycled: 0 })
  })

  it('ordinary use of the guarded methods is unchanged (arguments, strings, arrays, array-likes)', async () => {
    await using engine = await createEngine({
      rules: [
        {
          name: 'ordinary',
          script: `function (user, context, callback) {
            const args = (function () { return Array.prototype.slice.call(arguments) })(3, 1, 2)
            context.idToken['https://example.com/r'] = [
              [1, 2, 3].includes(2), ['a', 'b'].indexOf('b'), [1, 2, 1].lastIndexOf(1),
              Array.prototype.join.call('abc', '-'), Array.prototype.includes.call({ length: 2, 1: 'x' }, 'x'),
              args.sort().join(''), [3, 1, 2].toSorted().join(''), new Array(3).fill(0).join(','), [1, 2, 3].reverse().join(''),
              Array.prototype.includes.length, Array.prototype.includes.name,
              // length read once: a getter that answers 2, then 2^53-1, is a 2-element array-like
              (function () { let n = 0; return Array.prototype.indexOf.call({ get length() { return n++ === 0 ? 2 : 2 ** 53 - 1 }, 1: 'b' }, 'b') })(),
              // a method that changes an array-like changes the array-like
              (function () { const o = { length: 3, 0: 'c', 2: 'a' }; Array.prototype.sort.call(o); return [o[0], o[1], 1 in o, o[2] === undefined, 2 in o] })(),
              (function () { const o = { length: 3 }; Array.prototype.fill.call(o, 7, 1); return [0 in o, o[1], o[2]] })(),
              // splice, shift and unshift change an array-like's length as on an array
              (function () { const o = { length: 3, 0: 'a', 1: 'b', 2: 'c' }; const removed = Array.prototype.splice.call(o, 1, 1, 'x', 'y'); return [removed, o.length, o[1], o[2], o[3]] })(),
              (function () { const o = { length: 2, 0: 'a', 1: 'b' }; return [Array.prototype.shift.call(o), o.length, o[0], 1 in o, Array.prototype.unshift.call(o, 'z'), o[0], o[1]] })(),
              [[1, [2, [3]]].flat(Infinity), [1, 2].flatMap(function (n) { return [n, n * 10] }), Array.from({ length: 2, 0: 'p' }).map(String), Array.from('ab'), Array.prototype.map.call('ab', function (c) { return c + c })],
              [[1, 2, 3].reduce(function (a, b) { return a + b }), Array.prototype.filter.call({ length: 3, 0: 1, 2: 3 }, function () { return true }), [1, 2].some(function (n) { return n > 1 })],
            ]
            callback(null, user, context)
          }`,
        },
      ],
      concurrency: 1,
    })
    const result = await engine.run(passwordInput())
    expect(result.idToken.claims['https://example.com/r']).toEqual([
      true,
      1,
      2,
      'a-b-c',
      true,
      '123',
      '123',
      '0,0,0',
      '321',
      1,
      'includes',
      1,
      ['a', 'c', true, true, false],
      [false, 7, 7],
      [['b'], 4, 'x', 'y', 'c'],
      ['a', 1, 'b', false, 2, 'z', 'b'],
      [
        [1, 2, 3],
        [1, 10, 2, 20],
        ['p', 'undefined'],
        ['a', 'b'],
        ['aa', 'bb'],
      ],
      [6, [1, 3], true],
    ])
  })
})
