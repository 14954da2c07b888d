/**
 * The warm path does the least it can (issue 19): once an engine has served a login, further runs
 * create no isolate and compile nothing (no script, no module, no eval), in the isolates of
 * `isolation: 'thread'`. Counts, not times: the bench measures the speed.
 */
import type IvmModule from 'isolated-vm'
import { describe, expect, it, vi } from 'vitest'
import { passwordInput, rule, engineWith } from './helpers.js'

/** Calls to isolated-vm's compilers and context factories, by name, made by any isolate of the engine. */
const calls = vi.hoisted(() => new Map<string, number>())

// isolated-vm's methods cannot be spied on (they are not configurable), so the engine gets an
// Isolate class that counts what it is asked to create and compile.
vi.mock('isolated-vm', async (importOriginal) => {
  const actual = ((await importOriginal()) as { default: typeof IvmModule }).default
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1)
  class CountingIsolate extends actual.Isolate {
    constructor(...args: ConstructorParameters<typeof actual.Isolate>) {
      super(...args)
      count('new Isolate')
    }
  }
  for (const name of ['compileScript', 'compileScriptSync', 'compileModule', 'compileModuleSync', 'createContext', 'createContextSync'] as const) {
    const original = actual.Isolate.prototype[name] as (...args: unknown[]) => unknown
    Object.defineProperty(CountingIsolate.prototype, name, {
      value(this: IvmModule.Isolate, ...args: unknown[]) {
        count(name)
        return Reflect.apply(original, this, args)
      },
    })
  }
  // isolated-vm's own exports are not enumerable: read through to them.
  const mocked = new Proxy(actual, { get: (target, key) => (key === 'Isolate' ? CountingIsolate : Reflect.get(target, key)) })
  return { ...mocked, default: mocked }
})

describe('the warm path', () => {
  it('creates no isolate and compiles nothing once the engine has served a run', async () => {
    await using engine = await engineWith(
      [
        rule('roles', `context.accessToken['https://example.com/roles'] = user.app_metadata.roles; callback(null, user, context);`),
        rule('email', `context.idToken['https://example.com/email'] = user.email; callback(null, user, context);`),
        rule('deny-blocked', `if (user.blocked) return callback(new UnauthorizedError('blocked')); callback(null, user, context);`),
      ],
      { concurrency: 2 },
    )
    // Both isolates serve a run first, so each has done whatever it does once.
    await Promise.all([engine.run(passwordInput()), engine.run(passwordInput())])
    // The engine compiled its rules in isolates of the counting class.
    expect(calls.get('new Isolate')).toBe(2)
    expect(calls.get('compileScript')).toBeGreaterThanOrEqual(6)
    const isolatesBefore = engine.stats.isolatesCreated
    const before = new Map(calls)

    for (let i = 0; i < 20; i++) {
      const [one, two] = await Promise.all([engine.run(passwordInput()), engine.run(passwordInput({ user: { blocked: false } }))])
      expect(one.accessToken.claims).toEqual({ 'https://example.com/roles': ['admin'] })
      expect(two.idToken.claims).toEqual({ 'https://example.com/email': 'ada@example.com' })
    }
    await expect(engine.run(passwordInput({ user: { blocked: true } }))).rejects.toMatchObject({ code: 'ERR_RULE_UNAUTHORIZED' })

    expect(engine.stats.isolatesCreated).toBe(isolatesBefore)
    expect(engine.stats.runs).toBeGreaterThanOrEqual(43)
    expect(Object.fromEntries(calls)).toEqual(Object.fromEntries(before))
  })
})
