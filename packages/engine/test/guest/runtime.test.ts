/**
 * runtime.js on its own (with primordials.js), in a bare isolate: the serializer of results and
 * the claims pre-check, without an engine.
 */
import { describe, expect, it } from 'vitest'
import { loadGuest } from './load.js'

const piece = () => loadGuest(['runtime.js'], ['serialize', 'serializeClaims'], { maxClaimsBytes: 100 })

describe('serialize (the result serializer: own data only, JSON text)', () => {
  it('writes JSON text as JSON.stringify would for plain data, a Date as its ISO string', async () => {
    await using guest = await piece()
    const value = { a: [1, 'two', null, true, { b: -0.5 }], 'x.y': 'z', e: '\u2028"' }
    expect(guest.call('serialize', value, 'user', true, 1e6)).toEqual({ value: JSON.stringify(value) })
    expect(guest.callWith('serialize', `{ at: new Date(0), bad: new Date(NaN) }, 'user', true, 1e6`)).toEqual({
      value: '{"at":"1970-01-01T00:00:00.000Z","bad":null}',
    })
  })

  it.each([
    ['a non-finite number', `{ a: { b: [1, NaN] } }`, 'context.idToken["a"]["b"][1]', 'is a non-finite number (NaN), which JSON cannot represent'],
    ['a function', `{ f: function () {} }`, 'context.idToken["f"]', 'is a function, which is not JSON'],
    [
      'a getter',
      `Object.defineProperty({}, 'g', { get: function () { return 1; }, enumerable: true })`,
      'context.idToken["g"]',
      'is a getter, which is not JSON',
    ],
    ['a class instance', `{ m: new Map() }`, 'context.idToken["m"]', 'is an object that is not plain JSON (a class instance, Map, RegExp, boxed value…)'],
    ['a cycle', `(function () { var o = {}; o.self = o; return o; })()`, 'context.idToken["self"]', 'is a circular reference'],
  ])('strict: refuses %s, naming its path', async (_what, source, path, message) => {
    await using guest = await piece()
    expect(guest.callWith('serialize', `${source}, 'context.idToken', true, 1e6`)).toEqual({ thrown: { message, path } })
  })

  it('lenient: leaves out (or nulls) what is not JSON, as JSON.stringify does; never runs a getter or toJSON', async () => {
    await using guest = await piece()
    const source = `{ f: function () {}, n: NaN, list: [undefined, Infinity], t: { toJSON: function () { throw new Error('ran'); } },
      g: Object.defineProperty({}, 'x', { get: function () { throw new Error('ran'); }, enumerable: true }) }, 'user', false, 1e6`
    expect(guest.callWith('serialize', source)).toEqual({ value: '{"n":null,"list":[null,null],"t":{},"g":{}}' })
  })

  it('stops at the budget (a SizeError, before copying more)', async () => {
    await using guest = await piece()
    expect(guest.call('serialize', { a: 'x'.repeat(50) }, 'user', false, 20)).toEqual({ thrown: { message: undefined, path: undefined } })
    expect(guest.call('serialize', { a: 'x'.repeat(5) }, 'user', false, 20)).toEqual({ value: '{"a":"xxxxx"}' })
  })
})

describe('serializeClaims (the claims pre-check: each claim validated, one budget per token)', () => {
  it('writes each claim, leaves out undefined ones and, for the access token, scope', async () => {
    await using guest = await piece()
    expect(
      guest.callWith(
        'serializeClaims',
        `{ 'https://t.example/a': [1], scope: 'openid', 'https://t.example/u': undefined, 'https://t.example/b': 'x' }, 'context.accessToken', null`,
      ),
    ).toEqual({
      value: '{"https://t.example/a":[1],"https://t.example/b":"x"}',
    })
    expect(guest.call('serializeClaims', null, 'context.idToken', null)).toEqual({ value: '{}' })
  })

  it('refuses a token that is not an object, and a claim that is not JSON, with its path', async () => {
    await using guest = await piece()
    expect(guest.call('serializeClaims', ['a'], 'context.idToken', null)).toEqual({ thrown: { message: 'must be an object', path: 'context.idToken' } })
    expect(guest.callWith('serializeClaims', `{ 'https://t.example/a': { deep: [function () {}] } }, 'context.idToken', null`)).toEqual({
      thrown: { message: 'is a function, which is not JSON', path: 'context.idToken["https://t.example/a"]["deep"][0]' },
    })
    // As JSON.stringify: an undefined element or a hole is null (what Auth0 issued).
    expect(guest.callWith('serializeClaims', `{ 'https://t.example/a': { deep: [undefined, , 2] } }, 'context.idToken', null`)).toEqual({
      value: '{"https://t.example/a":{"deep":[null,null,2]}}',
    })
  })

  it('claims far over the limit (four times maxClaimsBytes, names included) are too large, naming the token', async () => {
    await using guest = await piece()
    expect(guest.call('serializeClaims', { 'https://t.example/big': 'x'.repeat(400) }, 'context.accessToken', null)).toEqual({
      thrown: { message: undefined, path: 'context.accessToken' },
    })
    expect(guest.call('serializeClaims', { 'https://t.example/big': 'x'.repeat(300) }, 'context.accessToken', null)).toEqual({
      value: `{"https://t.example/big":"${'x'.repeat(300)}"}`,
    })
  })
})
