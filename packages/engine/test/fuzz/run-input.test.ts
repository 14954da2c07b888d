/**
 * The hot path's reader of a run's input (`readRunInput`, src/input.ts) against the zod schema it
 * stands in for. Over generated inputs (well-formed ones, each value possibly replaced by one of
 * the wrong kind or by something a host might pass by mistake, extra keys, own `__proto__` and
 * `constructor` keys, null-prototype objects): whatever the reader accepts, the schema accepts, and
 * the reader's copy is the schema's parse, down to the order of the keys in its JSON text. Inputs
 * as a host builds them are all read by the fast reader, not handed to the schema.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readRunInput, runInputSchema } from '../../src/input.js'
import { mutate, params, trickyJson, trickyKey } from './support.js'

const name = fc.string({ maxLength: 8 })
const filled = fc.string({ minLength: 1, maxLength: 8 })

/** Objects built from entries, so a `__proto__` key is an own key as `JSON.parse` makes it. */
const recordFrom = <T>(key: fc.Arbitrary<string>, value: fc.Arbitrary<T>) =>
  fc.array(fc.tuple(key, value), { maxLength: 4 }).map((entries) => Object.fromEntries(entries) as Record<string, T>)

const identity = fc.record(
  {
    connection: name,
    provider: name,
    user_id: fc.oneof(name, fc.integer()),
    isSocial: fc.boolean(),
    profileData: trickyJson,
  },
  { requiredKeys: [] },
)

const wellFormedWith = (key: fc.Arbitrary<string>) =>
  fc.record({
    user: fc.record(
      {
        user_id: filled,
        email: name,
        email_verified: fc.boolean(),
        app_metadata: recordFrom(key, trickyJson),
        user_metadata: recordFrom(key, trickyJson),
        identities: fc.array(identity, { maxLength: 3 }),
        logins_count: fc.integer(),
        blocked: fc.boolean(),
        department: trickyJson,
      },
      { requiredKeys: ['user_id'] },
    ),
    context: fc.record(
      {
        protocol: fc.constantFrom('oauth2-password', 'oauth2-resource-owner', 'oauth2-refresh-token', 'oidc-basic-profile'),
        clientID: filled,
        clientName: name,
        clientMetadata: recordFrom(key, name),
        connection: name,
        accessToken: recordFrom(key, trickyJson),
        idToken: recordFrom(key, trickyJson),
        primaryUser: name,
        request: trickyJson,
      },
      { requiredKeys: ['protocol', 'clientID'] },
    ),
  })

/** Values of the wrong kind, or not JSON, that a host might pass by mistake. */
const mistakes: readonly unknown[] = [
  undefined,
  '',
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -0,
  'oauth2-client-credentials',
  new Date(0),
  new Map([['a', 1]]),
  [],
  [undefined],
  // eslint-disable-next-line no-sparse-arrays
  [, {}],
  {},
  { [Symbol('s')]: 1 },
  Object.defineProperty({}, 'hidden', { value: 'x', enumerable: false }),
  Object.assign(Object.create(null) as object, { a: 'b' }),
  Object.assign(Object.create({ inherited: 'x' }) as object, { a: 'b' }),
  new (class Profile {
    user_id = 'auth0|1'
  })(),
  { constructor: 'x' },
  { constructor: () => 1 },
]
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: trickyJson },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(...mistakes),
  },
)

/** The same input with every plain object given a null prototype. */
function nullProto(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nullProto)
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value
  const copy = Object.create(null) as Record<string, unknown>
  for (const [key, item] of Object.entries(value)) copy[key] = nullProto(item)
  return copy
}

const wellFormed = wellFormedWith(trickyKey)
const mutated = fc
  .tuple(wellFormed, fc.array(fc.nat(20), { maxLength: 4 }), wrongValue, fc.option(fc.constantFrom('extra', '__proto__', 'constructor', 'user_id', 'toJSON')))
  .map(([value, path, replacement, addKey]) => mutate(value, path, replacement, addKey ?? undefined))
/** A declared field of the user or the context (or the identity of the first login) set to a wrong value. */
const declared = {
  user: ['user_id', 'email', 'email_verified', 'app_metadata', 'user_metadata', 'identities', 'logins_count', 'blocked'],
  context: ['protocol', 'clientID', 'clientName', 'clientMetadata', 'connection', 'accessToken', 'idToken', 'primaryUser'],
  identity: ['connection', 'provider', 'user_id', 'isSocial'],
}
const fieldReplaced = fc
  .tuple(wellFormed, fc.constantFrom('user', 'context', 'identity'), fc.nat(7), wrongValue)
  .map(([input, section, index, replacement]) => {
    const fields = declared[section as keyof typeof declared]
    const key = fields[index % fields.length] as string
    if (section === 'identity') return { ...input, user: { ...input.user, identities: [{ ...input.user.identities?.[0], [key]: replacement }] } }
    return { ...input, [section]: { ...input[section as 'user' | 'context'], [key]: replacement } }
  })
const anyInput = fc.oneof(wellFormed, mutated, fieldReplaced, wellFormed.map(nullProto), fieldReplaced.map(nullProto), wrongValue)

describe('the fast reader of a run input', () => {
  it('accepts only what the zod schema accepts, and returns what its parse returns, keys in the same order', () => {
    let accepted = 0
    let declined = 0
    fc.assert(
      fc.property(anyInput, (input) => {
        const fast = readRunInput(input)
        if (fast === undefined) {
          declined++
          return
        }
        accepted++
        const spec = runInputSchema.safeParse(input)
        expect(spec.success).toBe(true)
        expect(fast).toEqual(spec.data)
        expect(JSON.stringify(fast)).toBe(JSON.stringify(spec.data))
      }),
      params(5000),
    )
    // Both sides of the property were exercised.
    expect(accepted).toBeGreaterThan(800)
    expect(declined).toBeGreaterThan(800)
  })

  it('agrees with the schema on every declared field set to each of the mistakes', () => {
    const base = { user: { user_id: 'auth0|1', identities: [{ provider: 'auth0' }] }, context: { protocol: 'oauth2-password', clientID: 'app' } }
    let accepted = 0
    for (const [section, fields] of Object.entries(declared)) {
      for (const key of fields) {
        for (const [index, mistake] of mistakes.entries()) {
          const input =
            section === 'identity'
              ? { ...base, user: { ...base.user, identities: [{ provider: 'auth0', [key]: mistake }] } }
              : { ...base, [section]: { ...base[section as 'user' | 'context'], [key]: mistake } }
          const fast = readRunInput(input)
          const spec = runInputSchema.safeParse(input)
          if (fast === undefined) continue
          accepted++
          expect(spec.success, `${section}.${key} = mistakes[${index}]`).toBe(true)
          expect(JSON.stringify(fast)).toBe(JSON.stringify(spec.data))
        }
      }
    }
    expect(accepted).toBeGreaterThan(20)
  })

  it('reads every input a host builds itself (literals or JSON, no own constructor key), so the schema is off the hot path', () => {
    const plainKey = trickyKey.filter((key) => key !== 'constructor')
    fc.assert(
      fc.property(wellFormedWith(plainKey), fc.boolean(), (input, viaJson) => {
        const value: unknown = viaJson ? JSON.parse(JSON.stringify(input)) : input
        const fast = readRunInput(value)
        expect(fast).toBeDefined()
        expect(JSON.stringify(fast)).toBe(JSON.stringify(runInputSchema.parse(value)))
      }),
      params(1000),
    )
  })

  it('reads each value of the host once, so a getter cannot pass the check and then answer something else', () => {
    let reads = 0
    const user = {
      user_id: 'auth0|1',
      get email() {
        reads++
        return reads === 1 ? 'ada@example.com' : 42
      },
    }
    const fast = readRunInput({ user, context: { protocol: 'oauth2-password', clientID: 'app' } })
    expect(reads).toBe(1)
    expect(JSON.stringify(fast)).toBe('{"user":{"user_id":"auth0|1","email":"ada@example.com"},"context":{"protocol":"oauth2-password","clientID":"app"}}')
  })

  it('declines, and so leaves to the schema, a getter that throws and the client credentials grant', () => {
    const throwing = {
      user: {
        user_id: 'auth0|1',
        get email(): string {
          throw new Error('no')
        },
      },
      context: { protocol: 'oauth2-password', clientID: 'app' },
    }
    expect(readRunInput(throwing)).toBeUndefined()
    expect(readRunInput({ user: { user_id: 'auth0|1' }, context: { protocol: 'oauth2-client-credentials', clientID: 'app' } })).toBeUndefined()
    expect(runInputSchema.safeParse({ user: { user_id: 'auth0|1' }, context: { protocol: 'oauth2-client-credentials', clientID: 'app' } }).success).toBe(false)
  })
})
