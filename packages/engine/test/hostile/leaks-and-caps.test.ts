/**
 * Issue 14, class 6 — "Leaks and caps" (docs/security.md#sandbox-attack-classes, row 18): a host
 * capability handed the rule the source of the host's own functions (`querystring.stringify` with a
 * function as separator, `url.format` with a function as host, a stub that put its argument into an
 * error message), and per-run lists had no cap (150,000 duplicate callbacks made 150,000 warnings).
 * Now engine capabilities refuse functions before they run, the host functions standing for a
 * rule's callbacks have no source to show, the encoder turns no key or message into text by calling
 * it, warnings are deduplicated and capped, and every per-run list has a typed cap.
 */
import querystring from 'node:querystring'
import { describe, expect, it } from 'vitest'
import { encodeError, encodeForGuest, HostRegistry } from '../../src/lib/host-bridge.js'
import { RUN_CAPS } from '../../src/lib/run-caps.js'
import type { EngineOptions } from '@tokenrules/engine'
import { engineWith, passwordInput, rule } from '../helpers.js'
import { expectNoCanary, guardHost } from './support.js'

guardHost()

const OUT = 'https://t.example/out'

/** Text of the host's own functions that must never reach a rule (host-bridge.ts's callback, Node's sources). */
const HOST_SOURCE = /callGuest|fnId|=>|stringifyPrimitive|encodeStr|this\.host|urlObject/

/** Run `body` in a rule and return what it put in `done(value)` (as JSON text), plus the whole result. */
async function observe(body: string, options: Partial<EngineOptions> = {}) {
  await using engine = await engineWith(
    [
      rule(
        'leak',
        `function done(v) { context.idToken['${OUT}'] = v; callback(null, user, context); }
         function report(e) { var d = { name: e.name, message: e.message, code: null, limit: null }; if (e.code !== undefined) d.code = e.code; if (e.limit !== undefined) d.limit = e.limit; return d; }
         ${body}`,
      ),
    ],
    { modules: { packages: ['querystring', 'url'] }, ...options },
  )
  const result = await engine.run(passwordInput())
  const text = JSON.stringify(result)
  expectNoCanary(result)
  return { value: result.idToken.claims[OUT] as any, text, result }
}

/** Nothing the rule got back holds the source of a host function. */
function expectNoHostSource(text: string): void {
  expect(text).not.toMatch(HOST_SOURCE)
}

describe('engine capabilities refuse functions before they run', () => {
  it.each([
    ['url-format-host', `require('url').format({ protocol: 'http', host: function () {}, pathname: '/x' })`, 'url.format'],
    ['url-format-query', `require('url').format({ protocol: 'http', host: 'a.example', query: { q: function () {} } })`, 'url.format'],
    ['url-format-valueof', `require('url').format({ protocol: 'http', host: 'a.example', hash: { valueOf: function () { return 1; } } })`, 'url.format'],
  ])('%s: a TypeError naming the capability, no host source', async (_name, call, capability) => {
    const { value, text } = await observe(`try { done({ value: ${call} }); } catch (e) { done(report(e)); }`)
    expect(value).toEqual({ name: 'TypeError', message: `A function cannot be passed to the engine's ${capability}; pass data.`, code: null, limit: null })
    expectNoHostSource(text)
  })

  // querystring runs in the isolate (guest/modules.js, issue 14 class 2): a function there is the
  // rule's own value, which Node's algorithm turns into the rule's own text; no host function is near.
  // A stand-in for the rule's `function () {}` on the host (whose own source this file's compiler rewrites).
  const fn = { toString: () => 'function () {}' } as unknown as string
  it.each([
    ['querystring-sep', `require('querystring').stringify({ a: 1, b: 2 }, function () {})`, querystring.stringify({ a: 1, b: 2 }, fn)],
    ['querystring-eq', `require('querystring').stringify({ a: 1 }, '&', function () {})`, querystring.stringify({ a: 1 }, '&', fn)],
    ['querystring-value', `require('querystring').stringify({ a: function () {} })`, querystring.stringify({ a: fn })],
    [
      'querystring-tostring',
      `require('querystring').stringify({ a: { toString: function () { return 'x'; } } })`,
      querystring.stringify({ a: { toString: () => 'x' } } as never),
    ],
    ['querystring-parse-sep', `Object.entries(require('querystring').parse('a=1&b=2', function () {}))`, Object.entries(querystring.parse('a=1&b=2', fn))],
  ])("%s: querystring, in the isolate, answers as Node with the rule's own values, no host source", async (_name, call, expected) => {
    const { value, text } = await observe(`done({ value: ${call} });`)
    expect(value).toEqual({ value: expected })
    expectNoHostSource(text)
  })

  it('every engine capability id refuses a function anywhere in its arguments, before it runs', () => {
    const registry = new HostRegistry()
    let ran = 0
    registry.register('$url.format', () => {
      ran++
      return ''
    })
    const entry = registry.get('$url.format')
    const context = { remainingMs: () => 1_000, signal: new AbortController().signal, record: () => undefined }
    for (const args of [[() => 1], [{ a: [{ b: () => 1 }] }], ['x', () => 1], [[1, [2, [() => 1]]]]]) {
      expect(() => entry?.(args, context)).toThrow(TypeError)
    }
    expect(ran).toBe(0)
    expect(entry?.([{ a: [1, 'x', null, Buffer.from('b')] }], context)).toBe('')
    expect(ran).toBe(1)
  })
})

describe("the host's stand-ins for a rule's callbacks have no source", () => {
  it('stub-stringifies-argument: a stub that puts its argument into an error message shows no host source', async () => {
    const { value, text } = await observe(`try { lookup(function () {}); } catch (e) { done(report(e)); }`, {
      globals: {
        lookup: (id: unknown) => {
          throw new Error(`unknown id ${String(id)} (${Function.prototype.toString.call(id)})`)
        },
      },
    })
    expect(value.message).toBe('unknown id function () { [native code] } (function () { [native code] })')
    expect(text).not.toContain('callGuest')
    expect(text).not.toContain('=>')
  })

  it('stub-echoes-argument: a stub returning the text of its callback returns no host source', async () => {
    const { value, text } = await observe(`done(echo(function () { return 'rule'; }, { nested: function () {} }));`, {
      globals: { echo: (fn: unknown, o: { nested: unknown }) => `${String(fn)} ${String(o.nested)}` },
    })
    expect(value).toBe('function () { [native code] } function () { [native code] }')
    expectNoHostSource(text)
  })
})

describe('what host functions return carries no function and no function source', () => {
  it('stub-map-function-keys: a Map with function or object keys crosses without those keys', async () => {
    const { value, text } = await observe(`done(table());`, {
      globals: {
        table: () =>
          new Map<unknown, unknown>([
            [function secretHostFunction() {}, 1],
            [{ toString: () => 'host toString ran' }, 2],
            ['plain', 3],
            [7, 4],
          ]),
      },
    })
    expect(value).toEqual({ plain: 3, '7': 4 })
    expect(text).not.toContain('secretHostFunction')
    expect(text).not.toContain('host toString ran')
  })

  it('stub-error-props: an error whose props hold functions, and whose message and name are not strings, shows none of them', async () => {
    const { value, text } = await observe(
      `try { fail(); } catch (e) { done({ r: report(e), keys: Object.keys(e), helper: typeof e.helper, nested: e.nested }); }`,
      {
        globals: {
          fail: () => {
            const error = new Error('x') as Error & Record<string, unknown>
            Object.defineProperty(error, 'message', { value: { toJSON: () => String(function hostMessage() {}) }, enumerable: false })
            Object.defineProperty(error, 'name', { value: function hostName() {}, enumerable: false })
            error['helper'] = function hostHelper() {}
            error['nested'] = { fn: function hostNested() {}, list: [function hostInList() {}], ok: 1 }
            throw error
          },
        },
      },
    )
    expect(value.r).toEqual({ name: 'Error', message: '', code: null, limit: null })
    expect(value.helper).toBe('undefined')
    expect(text).not.toMatch(/hostMessage|hostName|hostHelper|hostNested|hostInList/)
  })

  it('stub-class-instance: a class instance crosses as its own data, without methods or bound functions', async () => {
    class Session {
      readonly id = 's-1'
      readonly handler = () => 'bound host arrow'
      describe(): string {
        return 'host method'
      }
    }
    const { value, text } = await observe(`done(session());`, { globals: { session: () => new Session() } })
    expect(value).toEqual({ id: 's-1' })
    expect(text).not.toContain('bound host arrow')
    expect(text).not.toContain('host method')
  })

  it('encoder: no toString, toJSON or Map key of a host value is called to make text', () => {
    let called = 0
    const hostile = {
      toJSON: () => {
        called++
        return 'toJSON ran'
      },
      inner: new Map<unknown, unknown>([[{ toString: () => (called++, 'k') }, 1]]),
    }
    expect(JSON.parse(encodeForGuest(hostile))).toEqual({ inner: {} })
    const error = Object.assign(new Error('m'), { extra: { toString: () => (called++, 's') } })
    Object.defineProperty(error, 'message', { value: { toString: () => (called++, 'm') } })
    expect(encodeError(error)).toEqual({ name: 'Error', message: '', props: { extra: {} } })
    expect(called).toBe(0)
  })
})

describe('warnings: deduplicated and capped', () => {
  it('duplicate-callbacks: 150,000 extra calls of callback are one CALLBACK_CALLED_TWICE warning', async () => {
    await using engine = await engineWith([rule('twice', `callback(null, user, context); for (var i = 0; i < 150000; i++) callback(null, user, context);`)], {
      limits: { timeoutMs: 10_000 },
    })
    const result = await engine.run(passwordInput())
    expect(result.warnings).toEqual([
      { code: 'CALLBACK_CALLED_TWICE', rule: 'twice', message: "Rule 'twice' called its callback more than once; later calls were ignored." },
    ])
  })

  it('distinct-warnings: 150 distinct late throws are 100 warnings and one WARNINGS_TRUNCATED', async () => {
    await using engine = await engineWith(
      [
        rule(
          'late',
          `for (var i = 0; i < 150; i++) (function (n) { setTimeout(function () { throw new Error('late ' + n); }, 1); })(i);
           for (var j = 0; j < 50; j++) setTimeout(function () { throw new Error('same'); }, 1);
           callback(null, user, context);`,
        ),
        // Waits until the first rule's timers (due much earlier) have all fired.
        rule('waits', `setTimeout(function () { callback(null, user, context); }, 400);`),
      ],
      { limits: { timeoutMs: 10_000 } },
    )
    const result = await engine.run(passwordInput())
    expect(result.warnings).toHaveLength(RUN_CAPS.maxWarnings + 1)
    const codes = result.warnings.map((w) => w.code)
    expect(codes.filter((c) => c === 'RULE_THREW_AFTER_CALLBACK')).toHaveLength(RUN_CAPS.maxWarnings)
    expect(result.warnings.at(-1)).toEqual({
      code: 'WARNINGS_TRUNCATED',
      message: `More than ${RUN_CAPS.maxWarnings} distinct warnings; the rest were dropped.`,
    })
    const messages = result.warnings.map((w) => w.message)
    expect(new Set(messages).size).toBe(messages.length)
  })
})

describe('every per-run list has a typed cap', () => {
  it('callbacks: more than maxCallbacks functions passed to host functions throw ERR_RUN_LIMIT (maxCallbacks)', async () => {
    let received = 0
    const { value } = await observe(
      `var n = 0; try { for (; n < ${RUN_CAPS.maxCallbacks + 10}; n++) take(function () {}); done({ n: n }); } catch (e) { done({ n: n, e: report(e) }); }`,
      { globals: { take: () => void received++ } },
    )
    expect(value).toEqual({
      n: RUN_CAPS.maxCallbacks,
      e: {
        name: 'RangeError',
        message: `Too many functions passed to host functions in one run (limit ${RUN_CAPS.maxCallbacks}).`,
        code: 'ERR_RUN_LIMIT',
        limit: 'maxCallbacks',
      },
    })
    expect(received).toBe(RUN_CAPS.maxCallbacks)
  })

  it('pending host operations: past maxPendingHostOperations a host call throws ERR_RUN_LIMIT, the host never sees it', async () => {
    let started = 0
    const { value } = await observe(
      `var n = 0; try { for (; n < ${RUN_CAPS.maxPendingHostOperations + 10}; n++) never(); done({ n: n }); } catch (e) { done({ n: n, e: report(e) }); }`,
      { globals: { never: () => (started++, new Promise(() => undefined)) } },
    )
    expect(value.n).toBe(RUN_CAPS.maxPendingHostOperations)
    expect(value.e).toMatchObject({ code: 'ERR_RUN_LIMIT', limit: 'maxPendingHostOperations' })
    expect(started).toBe(RUN_CAPS.maxPendingHostOperations)
  })

  it('metadata updates: past maxMetadataUpdates the update rejects with ERR_RUN_LIMIT and the hook is not called again', async () => {
    const calls: unknown[] = []
    const { value, result } = await observe(
      `var n = 0;
       (function next() {
         auth0.users.updateAppMetadata(user.user_id, { n: n }).then(function () { n++; next(); }, function (e) { done({ n: n, e: report(e) }); });
       })();`,
      { hooks: { updateAppMetadata: (_id, metadata) => void calls.push(metadata) } },
    )
    expect(value).toEqual({
      n: RUN_CAPS.maxMetadataUpdates,
      e: {
        name: 'RangeError',
        message: `auth0.users.updateAppMetadata: more than ${RUN_CAPS.maxMetadataUpdates} metadata updates in one run.`,
        code: 'ERR_RUN_LIMIT',
        limit: 'maxMetadataUpdates',
      },
    })
    expect(calls).toHaveLength(RUN_CAPS.maxMetadataUpdates)
    expect(result.metadataUpdates).toHaveLength(RUN_CAPS.maxMetadataUpdates)
  })

  it('timers: the 1,001st pending timer throws ERR_RUN_LIMIT (maxTimers)', async () => {
    const { value } = await observe(
      `var n = 0; try { for (; n < 1010; n++) setTimeout(function () {}, 100000); done({ n: n }); } catch (e) { done({ n: n, e: report(e) }); }`,
    )
    expect(value).toEqual({
      n: 1000,
      e: { name: 'RangeError', message: 'Too many timers in one run (limit 1000).', code: 'ERR_RUN_LIMIT', limit: 'maxTimers' },
    })
  })

  it('logs stay capped by limits.maxLogEntries with one LOGS_TRUNCATED, counted once among the warnings', async () => {
    const { result } = await observe(`for (var i = 0; i < 5000; i++) console.log('line ' + i); done('ok');`)
    expect(result.logs).toHaveLength(100)
    expect(result.warnings.filter((w) => w.code === 'LOGS_TRUNCATED')).toHaveLength(1)
  })
})
