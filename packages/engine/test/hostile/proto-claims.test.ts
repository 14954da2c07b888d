/**
 * Class 9 (docs/security.md#sandbox-attack-classes): `__proto__`, `constructor` and `prototype` as claim names (and keys
 * inside claim values and the user). The host parses the sandbox's JSON and merges claims: none of
 * that may set a prototype or pollute `Object.prototype`. Reserved names are dropped with a
 * `CLAIM_DROPPED` warning (`reason: 'reserved-name'`), even under the `optional` namespace policy
 * where plain names are otherwise allowed.
 */
import { describe, expect, it } from 'vitest'
import { FOUND, expectTypedFailure, guardHost, harness, hostileRule, loginInput } from './support.js'

guardHost()

const OPTIONAL = { claims: { namespace: 'optional' as const } }

/** No host object got a prototype or an inherited property from the rule. */
function expectNoPollution(value: unknown): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
  expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined()
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return
    const proto = Object.getPrototypeOf(v)
    expect(proto === Object.prototype || proto === Array.prototype || proto === null).toBe(true)
    for (const key of Object.keys(v)) walk((v as Record<string, unknown>)[key])
  }
  walk(value)
}

describe('reserved claim names (class 9)', () => {
  it.each(['__proto__', 'constructor', 'prototype'])("proto-claim: an own '%s' claim is dropped with reason reserved-name", async (name) => {
    await using h = await harness(
      [
        hostileRule(`
          Object.defineProperty(context.accessToken, ${JSON.stringify(name)}, { value: { polluted: true, isAdmin: true }, enumerable: true, writable: true, configurable: true });
          Object.defineProperty(context.idToken, ${JSON.stringify(name)}, { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
          context.accessToken.plain = 'kept';
          callback(null, user, context);`),
      ],
      OPTIONAL,
    )
    const result = await h.expectSuccess()
    expect(Object.prototype.hasOwnProperty.call(result.accessToken.claims, name)).toBe(false)
    expect(Object.prototype.hasOwnProperty.call(result.idToken.claims, name)).toBe(false)
    expect(result.accessToken.claims).toEqual({ plain: 'kept' })
    expect(result.warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'CLAIM_DROPPED', claim: name, token: 'accessToken', reason: 'reserved-name' }),
        expect.objectContaining({ code: 'CLAIM_DROPPED', claim: name, token: 'idToken', reason: 'reserved-name' }),
      ]),
    )
    expectNoPollution(result)
    await h.expectServes()
  })

  it("proto-claim: a JSON-parsed claims object with '__proto__', 'constructor', 'prototype' keys pollutes nothing", async () => {
    await using h = await harness(
      [
        hostileRule(`
          context.accessToken = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":{"polluted":true},"ok":1}');
          callback(null, user, context);`),
      ],
      OPTIONAL,
    )
    const result = await h.expectSuccess()
    expect(result.accessToken.claims).toEqual({ ok: 1 })
    expect(
      result.warnings
        .filter((w) => w.code === 'CLAIM_DROPPED')
        .map((w) => (w as { claim: string }).claim)
        .sort(),
    ).toEqual(['__proto__', 'constructor', 'prototype'])
    expectNoPollution(result)
    await h.expectServes()
  })

  it('proto-assign: context.accessToken.__proto__ = {...} only changes the sandbox object: inherited claims are not copied', async () => {
    await using h = await harness(
      [
        hostileRule(`
          context.accessToken.__proto__ = { polluted: true, 'https://hostile.example/inherited': 'x' };
          context.accessToken.own = 1;
          callback(null, user, context);`),
      ],
      OPTIONAL,
    )
    const result = await h.expectSuccess()
    expect(result.accessToken.claims).toEqual({ own: 1 })
    expectNoPollution(result)
    await h.expectServes()
  })

  it("proto-onviolation-error: with onViolation 'error', a '__proto__' claim is ERR_CLAIM_VIOLATION", async () => {
    await using h = await harness([hostileRule(`context.accessToken = JSON.parse('{"__proto__":{"polluted":true}}'); callback(null, user, context);`)], {
      claims: { namespace: 'optional', onViolation: 'error' },
    })
    const error = await h.expectFailure('ERR_CLAIM_VIOLATION')
    expect(error.claim).toBe('__proto__')
    expect(error.reason).toBe('reserved-name')
    expectNoPollution({})
    await h.expectServes()
  })
})

describe('prototype keys inside claim values and the user', () => {
  it("proto-nested: '__proto__' inside a claim value never sets a host prototype", async () => {
    await using h = await harness([
      hostileRule(`
        context.idToken['${FOUND}'] = JSON.parse('{"a":1,"__proto__":{"polluted":true,"isAdmin":true}}');
        callback(null, user, context);`),
    ])
    const outcome = await h.run(loginInput('attack'))
    expect(outcome.status).not.toBe('hung')
    if (outcome.status === 'resolved') {
      const claim = outcome.value.idToken.claims[FOUND] as Record<string, unknown>
      expect(Object.getPrototypeOf(claim)).toBe(Object.prototype)
      expect(claim.isAdmin).toBeUndefined()
      expectNoPollution(outcome.value)
    } else {
      expectTypedFailure(outcome, 'ERR_RULE_RESULT_INVALID')
    }
    expectNoPollution({})
    await h.expectServes()
  })

  it('proto-nested: constructor.prototype inside a claim value is plain data and pollutes nothing', async () => {
    await using h = await harness([
      hostileRule(`
        context.idToken['${FOUND}'] = { constructor: { prototype: { polluted: true } }, prototype: { polluted: true } };
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.idToken.claims[FOUND]).toEqual({ constructor: { prototype: { polluted: true } }, prototype: { polluted: true } })
    expectNoPollution(result)
    await h.expectServes()
  })

  it("proto-user: a '__proto__' key on the returned user never becomes the host user's prototype", async () => {
    await using h = await harness([
      hostileRule(`
        var u = JSON.parse('{"user_id":"auth0|x","__proto__":{"isAdmin":true,"email":"evil@example.com","polluted":true}}');
        callback(null, u, context);`),
    ])
    const result = await h.expectSuccess()
    expect(Object.getPrototypeOf(result.user)).toBe(Object.prototype)
    expect(result.user.isAdmin).toBeUndefined()
    expect(result.user.email).toBeUndefined()
    expect(result.user.user_id).toBe('auth0|x')
    expectNoPollution(result)
    await h.expectServes()
  })

  it('proto-user: constructor/prototype keys on the user stay plain data', async () => {
    await using h = await harness([
      hostileRule(`user.constructor = { prototype: { polluted: true } }; user.prototype = { polluted: true }; callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    expect(result.user.constructor).toEqual({ prototype: { polluted: true } })
    expectNoPollution(result)
    await h.expectServes()
  })

  it("proto-multifactor: '__proto__' in context.multifactor / redirect does not reach the host", async () => {
    await using h = await harness([
      hostileRule(`
        context.multifactor = JSON.parse('{"provider":"any","__proto__":{"polluted":true,"allowRememberBrowser":false}}');
        callback(null, user, context);`),
    ])
    const result = await h.expectSuccess()
    // Left out (the prototype's false is not the rule's own), so Auth0's default: true.
    expect(result.multifactor).toEqual({ provider: 'any', allowRememberBrowser: true })
    expectNoPollution(result)
    await h.expectServes()
  })
})
