/**
 * Issue 14, class 5 — "Metadata hooks" (docs/security.md#sandbox-attack-classes, row 17): the
 * integrator's `hooks.updateAppMetadata` / `updateUserMetadata` received `__proto__`, `constructor`
 * and dotted keys below the old depth limit, keys a Proxy changed between the check and the copy,
 * live functions, Dates and typed arrays; and the run then failed with a raw ZodError after the hook
 * had persisted. Now the guest copies first and checks the copy, the host parses and checks what
 * crossed again, only JSON reaches the hook, and every refusal is ERR_RULE_RESULT_INVALID with the
 * path as keys, before the hook is called.
 */
import { describe, expect, it } from 'vitest'
import { HostRegistry, type CallContext } from '../../src/lib/host-bridge.js'
import { registerAuth0 } from '../../src/lib/capabilities/auth0.js'
import { RunFailure } from '../../src/lib/capabilities/run-failure.js'
import { engineWith, passwordInput, rejection, rule } from '../helpers.js'
import { expectCleanOAuth, guardHost } from './support.js'

guardHost()

const USER_ID = 'auth0|5f7c8ec7c33c6c004bbafe82'

/** Every value the hook saw is JSON: plain objects and arrays, strings, finite numbers, booleans, null. */
function expectJson(value: unknown, depth = 0): void {
  expect(depth).toBeLessThanOrEqual(65)
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return
  if (typeof value === 'number') return void expect(Number.isFinite(value)).toBe(true)
  expect(typeof value).toBe('object')
  if (Array.isArray(value)) return value.forEach((item) => expectJson(item, depth + 1))
  expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
  for (const key of Reflect.ownKeys(value as object)) {
    expect(typeof key).toBe('string')
    expect(['__proto__', 'constructor', 'prototype']).not.toContain(key)
    expect(String(key)).not.toContain('.')
    const d = Object.getOwnPropertyDescriptor(value, key)
    expect(d && 'value' in d).toBe(true)
    expectJson(d?.value, depth + 1)
  }
}

/** An engine whose one rule runs `body` (with `user`, `context`, `callback`) and records every hook call. */
async function metadataRun(body: string, options: { maxUserBytes?: number } = {}) {
  const calls: { userId: string; metadata: unknown }[] = []
  const hook = (userId: string, metadata: Record<string, unknown>) => void calls.push({ userId, metadata })
  const engine = await engineWith([rule('persist', body)], {
    hooks: { updateAppMetadata: hook, updateUserMetadata: hook },
    ...(options.maxUserBytes === undefined ? {} : { limits: { maxUserBytes: options.maxUserBytes } }),
  })
  try {
    const outcome = await engine.run(passwordInput()).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error: error as any }),
    )
    for (const call of calls) expectJson(call.metadata)
    return { ...outcome, calls }
  } finally {
    await engine.close()
  }
}

/** The run failed with ERR_RULE_RESULT_INVALID at `keys`, and the hook was never called. */
async function expectRefused(body: string, keys: readonly (string | number)[], options: { maxUserBytes?: number } = {}) {
  const outcome = await metadataRun(body, options)
  expect(outcome.calls, 'the hook was called').toEqual([])
  if (outcome.ok) expect.fail(`expected ERR_RULE_RESULT_INVALID, but the run succeeded: ${JSON.stringify(outcome.result.metadataUpdates)}`)
  const error = outcome.error
  expect(error.name).not.toBe('ZodError')
  expect(error.code, error.message).toBe('ERR_RULE_RESULT_INVALID')
  expect(error.keys).toEqual(keys)
  expect(error.rule).toBe('persist')
  expect(error.message.startsWith('auth0.users.update')).toBe(true)
  expectCleanOAuth(error)
  return error
}

const nest = (levels: number, inner: string) => `(function () { var o = ${inner}; for (var i = 0; i < ${levels}; i++) o = { d: o }; return o; })()`
const persist = (metadata: string, method = 'updateAppMetadata') =>
  `auth0.users.${method}(user.user_id, ${metadata}).then(function () { callback(null, user, context); }, function () { callback(null, user, context); });`

describe('prototype keys and dotted keys, at any depth', () => {
  it('proto-key-deep: an own __proto__ key 40 levels down (JSON.parse) fails the run at its path', async () => {
    await expectRefused(persist(nest(40, `JSON.parse('{"__proto__": {"polluted": true}}')`)), ['app_metadata', ...Array(40).fill('d'), '__proto__'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('constructor-key-past-old-limit: a constructor key 33 levels down (the old check stopped at 32)', async () => {
    await expectRefused(persist(nest(33, `{ constructor: { prototype: { polluted: true } } }`)), ['app_metadata', ...Array(33).fill('d'), 'constructor'])
  })

  it('dotted-key-in-array: a dotted key inside an array inside updateUserMetadata', async () => {
    const error = await expectRefused(persist(`{ prefs: [{ ok: 1 }, { 'ui.theme': 'dark' }] }`, 'updateUserMetadata'), [
      'user_metadata',
      'prefs',
      1,
      'ui.theme',
    ])
    expect(error.path).toBe('user_metadata.prefs[1]["ui.theme"]')
  })

  it('too-deep: 100 levels of nesting are refused at the level past the limit, not persisted partly', async () => {
    await expectRefused(persist(nest(100, '{}')), ['app_metadata', ...Array(65).fill('d')])
  })
})

describe('values that changed between the check and the copy', () => {
  it('toctou-ownkeys: a Proxy whose ownKeys answers a safe key first and a dotted / __proto__ key later persists what it said once', async () => {
    const outcome = await metadataRun(`
      var reads = 0;
      var md = new Proxy({ safe: 1, 'a.b': 2, __proto__x: 3 }, {
        ownKeys: function () { reads++; return reads === 1 ? ['safe'] : ['a.b', 'safe']; },
      });
      ${persist('md')}`)
    expect(outcome.ok).toBe(true)
    expect(outcome.calls).toEqual([{ userId: USER_ID, metadata: { safe: 1 } }])
    if (outcome.ok) expect(outcome.result.metadataUpdates).toEqual([{ userId: USER_ID, kind: 'app_metadata', metadata: { safe: 1 } }])
  })

  it('toctou-descriptor: a Proxy whose property is JSON on one read and a function on the next never hands the hook a function', async () => {
    for (const live of [1, 2, 3]) {
      const outcome = await metadataRun(`
        var reads = 0;
        var md = new Proxy({ plan: 'gold' }, {
          getOwnPropertyDescriptor: function (t, k) {
            reads++;
            return { value: reads === ${live} ? function () { return 'live'; } : 'gold', writable: true, enumerable: true, configurable: true };
          },
          get: function () { return function () { return 'live'; }; },
        });
        ${persist('md')}`)
      // What the copy read once decides: refused at plan (hook never called), or persisted as the
      // JSON it read, the same in the hook and in the result.
      if (outcome.ok) {
        expect(outcome.calls).toEqual([{ userId: USER_ID, metadata: { plan: 'gold' } }])
        expect(outcome.result.metadataUpdates).toEqual([{ userId: USER_ID, kind: 'app_metadata', metadata: { plan: 'gold' } }])
      } else {
        expect(outcome.calls).toEqual([])
        expect(outcome.error.code).toBe('ERR_RULE_RESULT_INVALID')
        expect(outcome.error.keys).toEqual(['app_metadata', 'plan'])
      }
    }
  })

  it('getter-then-throw: a getter, or a Proxy trap that throws, is ERR_RULE_RESULT_INVALID, never a raw error', async () => {
    await expectRefused(persist(`{ a: { get live() { return 1; } } }`), ['app_metadata', 'a', 'live'])
    await expectRefused(persist(`new Proxy({}, { ownKeys: function () { throw new Error('trap'); } })`), ['app_metadata'])
  })
})

describe('only JSON reaches the hook', () => {
  it.each([
    ['live-function', `{ plan: 'gold', audit: { onSave: function () { return 'host, call me'; } } }`, ['app_metadata', 'audit', 'onSave']],
    ['typed-array', `{ key: new Uint8Array([1, 2, 3]) }`, ['app_metadata', 'key']],
    ['map', `{ roles: new Map([['admin', true]]) }`, ['app_metadata', 'roles']],
    ['class-instance', `{ who: new (function Person() { this.name = 'Ada'; })() }`, ['app_metadata', 'who']],
    ['non-finite', `{ score: [1, Infinity] }`, ['app_metadata', 'score', 1]],
    ['bigint', `{ n: BigInt(1) }`, ['app_metadata', 'n']],
    ['symbol', `{ s: [Symbol('x')] }`, ['app_metadata', 's', 0]],
  ])('%s is refused at its path, and the hook is not called', async (_name, metadata, keys) => {
    await expectRefused(persist(metadata), keys)
  })

  it('date: a Date reaches the hook as its ISO string (JSON), never as a Date', async () => {
    const outcome = await metadataRun(persist(`{ last_login: new Date(0), nested: [new Date(86400000)] }`))
    expect(outcome.calls).toEqual([{ userId: USER_ID, metadata: { last_login: '1970-01-01T00:00:00.000Z', nested: ['1970-01-02T00:00:00.000Z'] } }])
  })

  it('too-large: metadata over limits.maxUserBytes is refused before the hook', async () => {
    await expectRefused(persist(`{ blob: 'x'.repeat(5000) }`), ['app_metadata'], { maxUserBytes: 4096 })
  })

  it('hook-copy: the hook gets its own copy; what it changes is not what the result reports', async () => {
    const seen: Record<string, unknown>[] = []
    await using engine = await engineWith([rule('persist', persist(`{ tags: ['a'] }`))], {
      hooks: {
        updateAppMetadata: (_id, metadata) => {
          seen.push(metadata)
          ;(metadata['tags'] as string[]).push('changed by the store')
        },
      },
    })
    const result = await engine.run(passwordInput())
    expect(seen).toHaveLength(1)
    expect(result.metadataUpdates).toEqual([{ userId: USER_ID, kind: 'app_metadata', metadata: { tags: ['a'] } }])
  })
})

describe("the host's own check of what crossed (the guest bypassed)", () => {
  const context = (): CallContext => ({ remainingMs: () => 1_000, signal: new AbortController().signal, record: () => undefined })
  function capability() {
    const calls: unknown[] = []
    const registry = new HostRegistry()
    registerAuth0(registry, { app: (_id, metadata) => void calls.push(metadata) }, { maxBytes: 1_000, maxUpdates: 3 })
    const entry = registry.get('$auth0.updateAppMetadata')
    if (entry === undefined) throw new Error('no capability')
    return { calls, call: (args: unknown[], ctx = context()) => entry(args, ctx) as Promise<unknown> }
  }

  it.each([
    ['an own __proto__ key', '{"a":{"__proto__":{"polluted":true}}}', ['app_metadata', 'a', '__proto__']],
    ['a dotted key', '{"a.b":1}', ['app_metadata', 'a.b']],
    ['a number JSON.parse reads as Infinity', '{"n":1e400}', ['app_metadata', 'n']],
    ['an array at the top', '[1,2]', ['app_metadata']],
    ['70 levels', `${'{"d":'.repeat(70)}1${'}'.repeat(70)}`, ['app_metadata', ...Array(65).fill('d')]],
    ['more than maxBytes', JSON.stringify({ blob: 'x'.repeat(2_000) }), ['app_metadata']],
    ['text that is not JSON', '{"a":', ['app_metadata']],
  ])('%s: RunFailure ERR_RULE_RESULT_INVALID at its keys, hook not called', async (_what, text, keys) => {
    const { calls, call } = capability()
    const error = await rejection(call([USER_ID, text]))
    expect(error).toBeInstanceOf(RunFailure)
    expect(error.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(error.keys).toEqual(keys)
    expect(calls).toEqual([])
  })

  it('metadata that is not text (an object the decoder revived, a function) is refused', async () => {
    const { calls, call } = capability()
    expect((await rejection(call([USER_ID, { a: 1 }]))).code).toBe('ERR_RULE_RESULT_INVALID')
    expect(() => call([USER_ID, () => 1])).toThrow(/function cannot be passed to the engine's auth0.updateAppMetadata/)
    expect(calls).toEqual([])
  })

  it('past maxUpdates in one run the host refuses the update, whatever the guest counted', async () => {
    const { calls, call } = capability()
    // A fresh context object per call (as a per-call wrapper would be), the same run's signal.
    const run = context()
    const perCall = (): CallContext => ({ ...run, signal: run.signal })
    for (let i = 0; i < 3; i++) await call([USER_ID, `{"n":${i}}`], perCall())
    const error = await rejection(call([USER_ID, '{"n":3}'], perCall()))
    expect(error.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(calls).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }])
    await call([USER_ID, '{"n":4}'], context())
    expect(calls).toHaveLength(4)
  })
})
