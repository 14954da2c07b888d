/**
 * Property-based tests over what rules leave behind: random claim, scope and user values, including
 * hostile ones (getters, throwing getters, Proxies, cycles, huge strings, Symbols, BigInt, Dates,
 * functions, thenables, `toJSON`, nested `__proto__` keys, sparse and typed arrays).
 *
 * One engine evaluates each generated expression in the rule (`new Function`), so the same isolate
 * keeps serving after every hostile value. Invariants: every run settles within its budget with a
 * result or a typed TokenRulesError whose OAuth answer is clean; a result's claims are plain JSON
 * that round-trips; the host's prototypes are unchanged; a normal login still works at the end.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isTokenRulesError, type Engine } from '@tokenrules/engine'
import { engineWith, passwordInput, rule } from '../helpers.js'
import { hostPrototypes, params, trickyJson, trickyKey } from './support.js'

const TIMEOUT_MS = 400

/** JavaScript source of one value. */
const leaf = fc.oneof(
  trickyJson.map((v) => JSON.stringify(v)),
  trickyJson.map((v) => `JSON.parse(${JSON.stringify(JSON.stringify(v))})`),
  fc.constantFrom(
    'undefined',
    'NaN',
    'Infinity',
    '-0',
    '10n',
    'Symbol("s")',
    'Symbol.for("nodejs.util.inspect.custom")',
    'function () { return 1 }',
    'new Date(0)',
    'new Date(NaN)',
    '/x/g',
    'new Map([["a", 1]])',
    'new Set([1])',
    'new Uint8Array([1, 2, 3])',
    'new ArrayBuffer(8)',
    'Promise.resolve(1)',
    'new Promise(function () {})',
    'new Error("boom")',
    '[, 1, , 2]',
    'Object.create(null)',
    'JSON.parse(\'{"__proto__": {"polluted": true}}\')',
    'JSON.parse(\'{"a": {"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}}\')',
    '(function () { var o = { a: 1 }; o.self = o; return o })()',
    '(function () { var a = [1]; a.push([a]); return a })()',
    '{ toJSON: function () { return "replaced" } }',
    '{ toJSON: function () { throw new Error("toJSON") } }',
    '{ then: function (resolve) { resolve({ polluted: true }) } }',
    '{ get g() { return "from getter" } }',
    '{ get g() { throw new Error("getter") } }',
    'Object.defineProperty({}, "hidden", { value: 1, enumerable: false })',
    '(function () { var o = {}; o[Symbol("k")] = 1; return o })()',
    'new Proxy({}, { ownKeys: function () { throw new Error("ownKeys") } })',
    'new Proxy({ a: 1 }, { get: function () { return { polluted: true } } })',
    'new Proxy([], { get: function (t, k) { if (k === "length") throw new Error("length"); return t[k] } })',
    '(function () { var p = Proxy.revocable({}, {}); p.revoke(); return p.proxy })()',
    'Object.assign(Object.create({ inherited: 1 }), { own: 2 })',
    '"x".repeat(70000)',
    '"x".repeat(2000000)',
    '"\\ud800"',
    '"\\u0000"',
    'Array(100000).fill(1)',
  ),
)

const expr: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
    fc.array(fc.tuple(trickyKey, tie('value')), { maxLength: 3 }).map((entries) => `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')} }`),
    fc
      .tuple(trickyKey, tie('value'))
      .map(([k, v]) => `Object.defineProperty({}, ${JSON.stringify(k)}, { enumerable: true, get: function () { return ${v} } })`),
  ),
})).value

const claimKey = fc.oneof(
  fc.constantFrom('https://f.example/a', 'https://f.example/b', 'http://f.example/c'),
  trickyKey,
  fc.constantFrom('https://auth0.com/x', 'iss', 'sub', 'scope', 'https://f.example/__proto__'),
)

/** Where a generated value goes. */
const placement = fc.record({
  access: fc.array(fc.tuple(claimKey, expr), { maxLength: 3 }),
  id: fc.array(fc.tuple(claimKey, expr), { maxLength: 2 }),
  scope: fc.option(fc.oneof(expr, fc.constant('"read:a write:b"'), fc.constant('["read:a"]')), { nil: undefined }),
  user: fc.option(fc.tuple(trickyKey, expr), { nil: undefined }),
  callbackUser: fc.option(expr, { nil: undefined }),
})

type Placement = typeof placement extends fc.Arbitrary<infer T> ? T : never

/** The rule's source, evaluated in the sandbox by the rule (the engine allows `new Function`). */
function program(p: Placement): string {
  const lines = [
    ...p.access.map(([k, v]) => `context.accessToken[${JSON.stringify(k)}] = (${v});`),
    ...p.id.map(([k, v]) => `context.idToken[${JSON.stringify(k)}] = (${v});`),
    ...(p.scope === undefined ? [] : [`context.accessToken.scope = (${p.scope});`]),
    ...(p.user === undefined ? [] : [`user[${JSON.stringify(p.user[0])}] = (${p.user[1]});`]),
    p.callbackUser === undefined ? 'callback(null, user, context);' : `callback(null, (${p.callbackUser}), context);`,
  ]
  return lines.join('\n')
}

const EVAL_RULE = rule(
  'generated',
  `if (user.app_metadata && typeof user.app_metadata.program === 'string') {
     return new Function('user', 'context', 'callback', user.app_metadata.program)(user, context, callback);
   }
   context.accessToken['https://f.example/plan'] = 'gold';
   callback(null, user, context);`,
)

const ALLOWED = new Set([
  'ERR_RULE_RESULT_INVALID',
  'ERR_RULE_EXCEPTION',
  'ERR_CLAIMS_TOO_LARGE',
  'ERR_CLAIM_VIOLATION',
  'ERR_RULE_TIMEOUT',
  'ERR_RULE_MEMORY_LIMIT',
])

describe('fuzz: rule results', () => {
  let engine: Engine
  const rejections: unknown[] = []
  const onRejection = (reason: unknown) => void rejections.push(reason)
  beforeAll(async () => {
    process.on('unhandledRejection', onRejection)
    engine = await engineWith([EVAL_RULE], { limits: { timeoutMs: TIMEOUT_MS, memoryLimitMb: 64 } })
  })
  afterAll(async () => {
    process.off('unhandledRejection', onRejection)
    await engine.close()
  })

  it('any claim value: a JSON result or a typed failure, in budget; the host stays clean', async () => {
    const before = hostPrototypes()
    const codes: Record<string, number> = {}
    await fc.assert(
      fc.asyncProperty(placement, async (p) => {
        const input = passwordInput({ user: { app_metadata: { program: program(p) } } })
        const started = performance.now()
        try {
          const result = await engine.run(input)
          codes.ok = (codes.ok ?? 0) + 1
          for (const claims of [result.accessToken.claims, result.idToken.claims, result.user]) {
            expect(JSON.parse(JSON.stringify(claims))).toEqual(claims)
            expect(Object.getPrototypeOf(claims)).toBe(Object.prototype)
          }
          if (result.accessToken.scope !== undefined) {
            expect(Array.isArray(result.accessToken.scope)).toBe(true)
            for (const s of result.accessToken.scope) expect(typeof s).toBe('string')
          }
        } catch (error) {
          expect(isTokenRulesError(error), `untyped failure: ${String(error)}`).toBe(true)
          const typed = error as { code: string; toOAuthError(): { status: number; body: { error_description: string } } }
          codes[typed.code] = (codes[typed.code] ?? 0) + 1
          expect(ALLOWED.has(typed.code), `${typed.code}: ${(error as Error).message}`).toBe(true)
          const answer = JSON.stringify(typed.toOAuthError())
          expect(answer).not.toMatch(/\n\s*at |node_modules|\/work\/|<isolated-vm>/)
        }
        // The budget, the 100 ms kill grace, and room for a loaded CI machine.
        expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 1_500)
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
        expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined()
      }),
      params(250),
    )
    expect(hostPrototypes()).toBe(before)
    expect(rejections).toEqual([])
    if (process.env.FUZZ_REPORT !== undefined) (await import('node:fs')).writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(codes))
    expect(codes.ok ?? 0).toBeGreaterThan(20)
    const result = await engine.run(passwordInput())
    expect(result.accessToken.claims).toEqual({ 'https://f.example/plan': 'gold' })
  })
})
