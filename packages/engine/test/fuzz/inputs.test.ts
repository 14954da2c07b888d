/**
 * Property-based tests over `engine.run`'s input: random `user`/`context` shapes and values.
 * Invariant: the run resolves, or rejects with a typed `ERR_INPUT_INVALID`; never anything else,
 * never a hang, and the host's prototypes stay as they were. Valid JSON input always succeeds, and
 * the rule sees exactly the JSON copy of it.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isTokenRulesError, type Engine, type RunInput } from '@tokenrules/engine'
import { engineWith, passwordInput, rule } from '../helpers.js'
import { hostPrototypes, params, trickyJson, trickyKey } from './support.js'

const ECHO = rule(
  'echo',
  `context.accessToken['https://f.example/seen'] = JSON.stringify({ user: user, clientID: context.clientID, extra: context.extra === undefined ? null : context.extra });
   callback(null, user, context);`,
)

/**
 * Values a host might pass by mistake: not JSON, or JSON in disguise, or a getter that throws.
 * (Proxies whose traps throw cannot pass through fast-check, which probes every value it makes;
 * validation.test.ts has them.)
 */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  trickyJson,
  fc.constantFrom<unknown>(
    undefined,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    10n,
    Symbol('s'),
    () => 1,
    new Date(0),
    new Date(Number.NaN),
    new Map([['a', 1]]),
    new Set([1]),
    /re/g,
    new Uint8Array([1, 2]),
    Promise.resolve(1),
    new Error('boom'),
    Object.create(null),
    { toJSON: () => 'replaced' },
    { toJSON: () => ({ nested: 10n }) },
    Object.defineProperty({ a: 1 }, 'b', {
      enumerable: true,
      get() {
        throw new Error('getter of the host')
      },
    }),
  ),
  fc.constant(null).map(() => {
    const cycle: Record<string, unknown> = { a: 1 }
    cycle.self = cycle
    return cycle
  }),
  fc.constant(null).map(() => {
    const cycle: unknown[] = [1]
    cycle.push({ back: cycle })
    return cycle
  }),
  fc
    .constant(null)
    .map(() => new Proxy({ a: 1 }, { ownKeys: () => ['a', 'b'], getOwnPropertyDescriptor: () => ({ value: 2, enumerable: true, configurable: true }) })),
  fc.constant(null).map(() => Object.defineProperty({}, 'lazy', { enumerable: true, get: () => 'computed' })),
  fc.integer({ min: 0, max: 3 }).map((n) => 'x'.repeat([10, 70_000, 1_000_000, 5_100_000][n] as number)),
)

const userArb = fc.record(
  {
    user_id: fc.oneof(fc.string({ minLength: 0, maxLength: 30 }), hostileValue),
    email: fc.oneof(fc.emailAddress(), hostileValue),
    email_verified: fc.oneof(fc.boolean(), hostileValue),
    app_metadata: fc.oneof(fc.dictionary(trickyKey, trickyJson, { maxKeys: 4 }), hostileValue),
    user_metadata: hostileValue,
    identities: fc.oneof(
      fc.array(fc.record({ connection: fc.string(), provider: fc.string(), user_id: fc.oneof(fc.string(), fc.integer()) }), { maxLength: 2 }),
      hostileValue,
    ),
    logins_count: fc.oneof(fc.nat(), hostileValue),
    extraKey: hostileValue,
  },
  { requiredKeys: [] },
)

const contextArb = fc.record(
  {
    protocol: fc.oneof(fc.constantFrom('oauth2-password', 'oauth2-refresh-token', 'oidc-basic-profile', 'oauth2-client-credentials', ''), hostileValue),
    clientID: fc.oneof(fc.string({ maxLength: 30 }), hostileValue),
    clientName: hostileValue,
    clientMetadata: fc.oneof(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), hostileValue),
    accessToken: fc.oneof(fc.dictionary(trickyKey, trickyJson, { maxKeys: 3 }), hostileValue),
    idToken: hostileValue,
    extra: hostileValue,
  },
  { requiredKeys: [] },
)

/** Inputs that are valid by construction: JSON values, required fields present. */
const validInput: fc.Arbitrary<RunInput> = fc.record({
  user: fc
    .tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.array(fc.tuple(trickyKey, trickyJson), { maxLength: 5 }))
    .map(([id, entries]) => ({ ...Object.fromEntries(entries.filter(([k]) => !KNOWN_USER_KEYS.has(k))), user_id: id })),
  context: fc.tuple(fc.string({ minLength: 1, maxLength: 30 }), trickyJson).map(([clientID, extra]) => ({ protocol: 'oauth2-password', clientID, extra })),
})
const KNOWN_USER_KEYS = new Set(['user_id', 'email', 'email_verified', 'app_metadata', 'user_metadata', 'identities', 'logins_count', 'blocked', '__proto__'])

function safeLength(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0
  } catch {
    return 0
  }
}

describe('fuzz: engine inputs', () => {
  let engine: Engine
  beforeAll(async () => {
    engine = await engineWith([ECHO], { limits: { timeoutMs: 2_000 } })
  })
  afterAll(async () => {
    await engine.close()
  })

  it('any user/context: success or a typed ERR_INPUT_INVALID, promptly, host untouched', async () => {
    const before = hostPrototypes()
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ user: userArb, context: contextArb }), fc.anything(), hostileValue), async (input) => {
        const started = performance.now()
        let outcome: string
        try {
          // @ts-expect-error -- any value at all, on purpose: the engine validates what it is given
          const result = await engine.run(input)
          outcome = 'ok'
          expect(JSON.parse(JSON.stringify(result.accessToken.claims))).toEqual(result.accessToken.claims)
        } catch (error) {
          expect(isTokenRulesError(error), `untyped failure: ${String(error)}`).toBe(true)
          const typed = error as { code: string; toOAuthError(): { status: number } }
          // A valid input may still be too big for the echo rule to hand back (1 MB user, 100 KB claims).
          const big = typed.code !== 'ERR_INPUT_INVALID' && safeLength(input) > 100_000
          expect(big ? 'ERR_INPUT_INVALID' : typed.code, String((error as Error).message)).toBe('ERR_INPUT_INVALID')
          if (big) expect(['ERR_RULE_RESULT_INVALID', 'ERR_CLAIMS_TOO_LARGE']).toContain(typed.code)
          expect(typed.toOAuthError().status).toBe(500)
          outcome = typed.code
        }
        expect(performance.now() - started, outcome).toBeLessThan(5_000)
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      }),
      params(150),
    )
    expect(hostPrototypes()).toBe(before)
    // The engine still serves a normal login.
    const result = await engine.run(passwordInput())
    expect(JSON.parse(result.accessToken.claims['https://f.example/seen'] as string)).toMatchObject({ clientID: passwordInput().context.clientID })
  })

  it('valid JSON input always succeeds, and the rule sees exactly its JSON copy', async () => {
    await fc.assert(
      fc.asyncProperty(validInput, async (input) => {
        const result = await engine.run(input)
        const copy = JSON.parse(JSON.stringify(input)) as { user: unknown; context: { clientID: string; extra: unknown } }
        const seen = JSON.parse(result.accessToken.claims['https://f.example/seen'] as string) as unknown
        expect(seen).toEqual({ user: copy.user, clientID: copy.context.clientID, extra: copy.context.extra })
        expect(result.user).toEqual(copy.user)
      }),
      params(150),
    )
  })
})
