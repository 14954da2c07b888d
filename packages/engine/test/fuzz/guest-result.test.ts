/**
 * The hot path's reader of the guest's answer (src/lib/guest-result.ts) against the zod schema it
 * stands in for. Over generated answers (well-formed ones, each field possibly replaced by a value of
 * the wrong kind, extra keys, own `__proto__` keys, all through JSON text as the engine reads them):
 * whatever the reader accepts, the schema accepts, and the schema's parse equals the reader's; and
 * the answers the guest runtime writes are all read by the fast reader, not handed to the schema.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { guestResult, parseGuestResult, readGuestResult } from '../../src/lib/guest-result.js'
import { mutate, params, trickyJson } from './support.js'

const name = fc.string({ maxLength: 10 })
const jsonRecord = fc.dictionary(name, trickyJson, { maxKeys: 4 })
const logEntry = fc.record({
  level: fc.constantFrom('log', 'info', 'warn', 'error', 'debug'),
  rule: name,
  message: name,
  atMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
})
const warning = fc.oneof(
  fc.record({ code: fc.constantFrom('CALLBACK_CALLED_TWICE', 'RULE_THREW_AFTER_CALLBACK', 'MODULE_VERSION_MISMATCH'), rule: name, message: name }),
  fc.record({ code: fc.constantFrom('LOGS_TRUNCATED', 'WARNINGS_TRUNCATED'), message: name }),
)
const timing = fc.record({ name, durationMs: fc.double({ noNaN: true, noDefaultInfinity: true }) })
const trailer = {
  logs: fc.array(logEntry, { maxLength: 3 }),
  warnings: fc.array(warning, { maxLength: 3 }),
  rules: fc.array(timing, { maxLength: 3 }),
}
const success = fc.record(
  {
    ok: fc.constant(true),
    user: jsonRecord,
    context: jsonRecord,
    accessToken: jsonRecord,
    scope: fc.oneof(name, fc.array(name, { maxLength: 3 })),
    idToken: jsonRecord,
    multifactor: fc.record({ provider: name, allowRememberBrowser: fc.boolean() }),
    redirect: fc.record({ url: name }),
    primaryUser: name,
    ...trailer,
    actions: fc.array(timing, { maxLength: 3 }),
  },
  { requiredKeys: ['ok', 'user', 'accessToken', 'idToken', 'logs', 'warnings', 'rules'] },
)
const failure = fc.record(
  {
    ok: fc.constant(false),
    error: fc.record(
      {
        code: name,
        message: name,
        rule: fc.option(name),
        path: name,
        keys: fc.array(fc.oneof(name, fc.integer()), { maxLength: 3 }),
        stack: name,
        module: name,
      },
      { requiredKeys: ['code', 'message'] },
    ),
    ...trailer,
    actions: fc.array(timing, { maxLength: 3 }),
  },
  { requiredKeys: ['ok', 'error', 'logs', 'warnings', 'rules'] },
)
const wellFormed = fc.oneof(success, failure)

const mutated = fc
  .tuple(
    wellFormed,
    fc.array(fc.nat(20), { maxLength: 4 }),
    fc.oneof(trickyJson, fc.constantFrom(null, 0, '', true, [], {}, 'CALLBACK_CALLED_TWICE', 'log', ['x'], { url: 'u' })),
    fc.option(fc.constantFrom('extra', '__proto__', 'ok', 'rule', 'level', 'provider')),
  )
  .map(([value, path, replacement, addKey]) => mutate(value, path, replacement, addKey ?? undefined))

/** Through JSON text, as the engine reads the guest's answer; own `__proto__` keys survive (Object.fromEntries made them). */
const asRead = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null')

/**
 * The token claims are compared apart: the reader hands on the parsed text's own (the claims policy
 * reads those, and reports a nested own `__proto__` claim key as dropped), where the schema's deep
 * copy drops such a key silently.
 */
function withSpecTokens(fast: unknown, spec: unknown): unknown {
  const s = spec as Record<string, unknown>
  return s['ok'] === true ? { ...(fast as object), accessToken: s['accessToken'], idToken: s['idToken'] } : fast
}
function tokensOf(value: unknown): unknown {
  const v = value as Record<string, unknown>
  return v['ok'] === true ? [v['accessToken'], v['idToken']] : undefined
}

describe('the fast reader of the guest answer', () => {
  it('accepts only what the zod schema accepts, and returns what its parse returns', () => {
    let accepted = 0
    let declined = 0
    fc.assert(
      fc.property(fc.oneof(wellFormed, mutated, trickyJson), (value) => {
        const raw = asRead(value)
        const fast = readGuestResult(raw)
        const spec = guestResult.safeParse(raw)
        if (fast === undefined) {
          declined++
          const both = parseGuestResult(raw)
          expect(both.success).toBe(spec.success)
          if (both.success && spec.success) expect(both.data).toEqual(spec.data)
          return
        }
        accepted++
        expect(spec.success).toBe(true)
        expect(withSpecTokens(fast, spec.data)).toEqual(spec.data)
        expect(tokensOf(fast)).toEqual(tokensOf(raw))
      }),
      params(3000),
    )
    // Both sides of the property were exercised.
    expect(accepted).toBeGreaterThan(300)
    expect(declined).toBeGreaterThan(300)
  })

  it('reads every well-formed answer itself (the schema is not on the hot path for them)', () => {
    fc.assert(
      fc.property(wellFormed, (value) => {
        const raw = asRead(value)
        const hasProtoKey = JSON.stringify(value).includes('"__proto__"')
        if (hasProtoKey) return
        const spec = guestResult.parse(raw)
        const fast = readGuestResult(raw)
        expect(fast).toBeDefined()
        expect(withSpecTokens(fast, spec)).toEqual(spec)
      }),
      params(1000),
    )
  })

  it('declines an own __proto__ key of the user or a token, which the schema drops from its copy', () => {
    for (const field of ['user', 'accessToken', 'idToken', 'context']) {
      const raw = JSON.parse(
        `{"ok":true,"user":{},"accessToken":{},"idToken":{},"${field}":{"__proto__":{"x":1},"a":1},"logs":[],"warnings":[],"rules":[]}`,
      ) as unknown
      expect(readGuestResult(raw)).toBeUndefined()
      const parsed = parseGuestResult(raw)
      expect(parsed.success).toBe(true)
      if (parsed.success) expect((parsed.data as Record<string, unknown>)[field]).toEqual({ a: 1 })
    }
  })
})
