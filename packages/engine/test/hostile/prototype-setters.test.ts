/**
 * Class 11 (docs/security.md#sandbox-attack-classes): a reused context keeps everything a rule changed. Setters planted on
 * `Object.prototype` / `Array.prototype` and monkey-patched intrinsics (JSON, Object, Array, Map,
 * WeakSet, Function.prototype.call/apply, …) must change neither the engine's wrapper in the run
 * that plants them nor any later run on the same isolate: later runs still get the right claims,
 * logs and warnings, and the planted setters never receive engine objects.
 */
import { describe, expect, it } from 'vitest'
import { FOUND, HANG_BUDGET, HANG_DEADLINE, SPIN, guardHost, harness, hostileRule, loginInput } from './support.js'

guardHost()

/**
 * The normal path that uses the most engine machinery: a timer, a log line, claims, a callback.
 * The hostile rule runs it as mode 'rich' (and at the end of every attack).
 */
const RICH = `
  setTimeout(function () {
    console.log('rich', user.app_metadata.plan);
    context.accessToken['https://t.example/plan'] = user.app_metadata.plan;
    context.idToken['${FOUND}'] = ['ok', { n: 1 }];
    callback(null, user, context);
  }, 1);`

/** Records what a planted setter receives, without itself going through planted setters. */
const RECORDER = `
  global.leaks = global.leaks || [];
  var record = function (what) {
    Object.defineProperty(global.leaks, global.leaks.length, { value: String(what), writable: true, enumerable: true, configurable: true });
  };`

async function expectRichRun(h: Awaited<ReturnType<typeof harness>>, mode: string): Promise<void> {
  const result = await h.expectSuccess(loginInput(mode))
  expect(result.accessToken.claims).toEqual({ 'https://t.example/plan': 'gold' })
  expect(result.idToken.claims).toEqual({ [FOUND]: ['ok', { n: 1 }] })
  expect(result.logs.map((l) => [l.level, l.rule, l.message])).toEqual([['log', 'hostile', 'rich gold']])
  expect(result.warnings).toEqual([])
  expect(result.rules.map((r) => r.name)).toEqual(['hostile'])
}

const OBJECT_PROTOTYPE_NAMES = [
  'rule',
  '0',
  '1',
  'accessToken',
  'idToken',
  'message',
  'value',
  'writable',
  'enumerable',
  'configurable',
  'code',
  'path',
  'name',
  'logs',
  'warnings',
  'user',
  'context',
  'ok',
  'error',
  'timers',
  'fn',
  'args',
  'durationMs',
  'scope',
  'multifactor',
  'redirect',
  'primaryUser',
  'stack',
  'level',
  'atMs',
  'length',
  'then',
  'toJSON',
  'id',
  'finished',
  'index',
]

describe('setters planted on prototypes (class 11)', () => {
  it.each(OBJECT_PROTOTYPE_NAMES)("setter Object.prototype['%s']: this run and the next keep their claims; the setter never sees engine data", async (name) => {
    const key = JSON.stringify(name)
    await using h = await harness([
      hostileRule(
        `${RECORDER}
        Object.defineProperty(Object.prototype, ${key}, {
          configurable: true,
          get: function () { return 'pwned-' + ${key}; },
          set: function (v) { record(${key} + ' <- ' + Object.prototype.toString.call(v)); },
        });
        ${RICH}`,
        { modes: { rich: RICH }, report: 'global.leaks' },
      ),
    ])
    await expectRichRun(h, 'attack')
    await h.expectServes()
    await expectRichRun(h, 'rich')
    expect(await h.report()).toEqual([])
  })

  it.each(['0', '1', '2', '3'])("setter Array.prototype['%s']: this run and the next keep their claims; the setter never sees engine data", async (name) => {
    const key = JSON.stringify(name)
    await using h = await harness([
      hostileRule(
        `${RECORDER}
        Object.defineProperty(Array.prototype, ${key}, {
          configurable: true,
          get: function () { return 'pwned'; },
          set: function (v) { record('[' + ${key} + '] <- ' + Object.prototype.toString.call(v)); },
        });
        ${RICH}`,
        { modes: { rich: RICH }, report: 'global.leaks' },
      ),
    ])
    await expectRichRun(h, 'attack')
    await h.expectServes()
    await expectRichRun(h, 'rich')
    expect(await h.report()).toEqual([])
  })

  it("setter Object.prototype[rule name]: a setter named like a claim only affects the rule's own assignments", async () => {
    // The planting run is the only one to see it: its own assignment goes to the setter.
    await using h = await harness([
      hostileRule(
        `${RECORDER}
        Object.defineProperty(Object.prototype, 'https://t.example/other', { configurable: true, set: function (v) { record('claim'); } });
        ${RICH}`,
        { modes: { rich: RICH }, report: 'global.leaks' },
      ),
    ])
    await expectRichRun(h, 'attack')
    await h.expectServes()
    expect(await h.report()).toEqual([])
  })
})

describe("descriptor fields inherited from Object.prototype ('get', 'set')", () => {
  it.each(['get', 'set'])('descriptor-field Object.prototype.%s planted before calling back: the run still succeeds with its claims', async (name) => {
    await using h = await harness([
      hostileRule(`Object.defineProperty(Object.prototype, '${name}', { configurable: true, writable: true, value: undefined }); ${RICH}`, {
        modes: { rich: RICH },
      }),
    ])
    await expectRichRun(h, 'attack')
    await h.expectServes()
  })

  it.each(['get', 'set'])('descriptor-field Object.prototype.%s planted after the run finished does not fail the next (innocent) run', async (name) => {
    await using h = await harness([
      hostileRule(
        `callback(null, user, context);
         Promise.resolve().then(function () { Promise.resolve().then(function () {
           Object.defineProperty(Object.prototype, '${name}', { configurable: true, writable: true, value: undefined });
         }); });`,
        { modes: { rich: RICH } },
      ),
    ])
    await h.expectSuccess()
    await h.expectServes()
    await expectRichRun(h, 'rich')
  })

  it('descriptor-field Object.prototype.get with a looping prepareStackTrace does not hang the host', async () => {
    // Real attack: `Object.prototype.get = undefined; Error.prepareStackTrace = function () { for (;;) {} }`
    // and no callback. The engine's own descriptor objects then throw inside the guest runtime after
    // the timeout, and isolated-vm formats that error's stack (running the rule's prepareStackTrace)
    // outside any time limit: engine.run never settles.
    await using h = await harness([hostileRule(`Object.prototype.get = undefined; Error.prepareStackTrace = function () { ${SPIN} return ''; };`)], HANG_BUDGET)
    await h.expectFailure(['ERR_RULE_TIMEOUT', 'ERR_RULE_EXCEPTION'], loginInput('attack'), HANG_DEADLINE)
    await h.expectServes()
  })
})

/** Intrinsics the guest runtime uses, each replaced by something hostile. */
const PATCHES: [label: string, statements: string][] = [
  ['JSON.stringify', `JSON.stringify = function () { return '"pwned"'; };`],
  ['JSON.parse', `JSON.parse = function () { return { user: { user_id: 'pwned' }, context: {} }; };`],
  ['Object.keys', `Object.keys = function () { return ['pwned']; };`],
  ['Object.getOwnPropertyDescriptor', `Object.getOwnPropertyDescriptor = function () { return { value: 'pwned', enumerable: true }; };`],
  ['Object.defineProperty', `Object.defineProperty = function () { throw new Error('pwned'); };`],
  ['Object.getPrototypeOf', `Object.getPrototypeOf = function () { return null; };`],
  ['Object.hasOwn', `Object.hasOwn = function () { return true; };`],
  ['Object.freeze', `Object.freeze = function (o) { return o; };`],
  ['Array.isArray', `Array.isArray = function () { return true; };`],
  ['Array.prototype.push', `Array.prototype.push = function () { return 0; };`],
  ['Array.prototype.slice/join/map', `Array.prototype.slice = Array.prototype.join = Array.prototype.map = function () { throw new Error('pwned'); };`],
  ['Map.prototype.get', `Map.prototype.get = function () { return { fn: function () {}, args: [], ms: 1, repeat: true }; };`],
  ['Map.prototype.set', `Map.prototype.set = function () { return this; };`],
  ['Map.prototype.has/delete', `Map.prototype.has = function () { return false; }; Map.prototype.delete = function () { return false; };`],
  ['Map.prototype.size getter', `Object.defineProperty(Map.prototype, 'size', { configurable: true, get: function () { return 1e9; } });`],
  ['WeakSet.prototype.has', `WeakSet.prototype.has = function () { return true; };`],
  ['WeakSet.prototype.add', `WeakSet.prototype.add = function () { return this; };`],
  ['Function.prototype.call', `Function.prototype.call = function () { return 'pwned'; };`],
  ['Function.prototype.apply', `Function.prototype.apply = function () { return 'pwned'; };`],
  ['Function.prototype.bind', `Function.prototype.bind = function () { return function () {}; };`],
  ['Reflect.apply', `Reflect.apply = function () { return 'pwned'; };`],
  ['String', `String = function () { return 'pwned'; };`],
  ['String.prototype.slice/charCodeAt', `String.prototype.slice = function () { return 'pwned'; }; String.prototype.charCodeAt = function () { return 0; };`],
  ['Date.now / Date.prototype.getTime', `Date.now = function () { return 0; }; Date.prototype.getTime = function () { return NaN; };`],
  ['Number.isFinite', `Number.isFinite = function () { return false; };`],
  ['Math.floor / Math.max', `Math.floor = Math.max = function () { return NaN; };`],
  ['Error.captureStackTrace', `Error.captureStackTrace = function () { throw new Error('pwned'); };`],
  ['Promise.prototype.then', `Promise.prototype.then = function () { return this; };`],
  ['Promise', `Promise = function () { throw new Error('pwned'); };`],
  ['Symbol.iterator of arrays and arguments', `Array.prototype[Symbol.iterator] = function () { throw new Error('pwned'); };`],
  ['console and timers replaced on globalThis', `console = { log: function () {} }; global.setTimeout = function () {};`],
]

describe('monkey-patched intrinsics (class 11)', () => {
  it.each(PATCHES)('patched %s: the run that patches it and the next run still give the right claims', async (label, patch) => {
    // The patch stays in the isolate: the attack patches, then takes the rich path with the
    // engine's timer and console captured before the patch (the patch may replace the globals).
    const setTimeoutOf = label.startsWith('console') ? 'var st = setTimeout, log = console.log;' : ''
    const rich = label.startsWith('console') ? RICH.replace('setTimeout(', 'st(').replace('console.log(', 'log(') : RICH
    await using h = await harness([hostileRule(`${setTimeoutOf} ${patch} ${rich}`, { modes: { rich: RICH }, report: 'null' })])
    await expectRichRun(h, 'attack')
    await h.expectServes()
    if (!label.startsWith('console')) await expectRichRun(h, 'rich')
  })
})
