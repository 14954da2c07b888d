/**
 * bridge.js (after primordials.js and runtime.js, whose helpers it uses) in a bare isolate: the
 * metadata copy and its check, require's version ranges and the base64 codec, without an engine.
 */
import { describe, expect, it } from 'vitest'
import { loadGuest } from './load.js'

const piece = () => loadGuest(['runtime.js', 'bridge.js'], ['metadataCopy', 'satisfies', 'bytesToBase64', 'base64ToBytes'])

describe('metadataCopy (the metadata copy, then the check of the copy)', () => {
  it('plain JSON is copied as JSON text (a Date as its ISO string, undefined members left out)', async () => {
    await using guest = await piece()
    const copied = guest.callWith('metadataCopy', `{ plan: 'gold', quota: { seats: 5 }, tags: ['a.b'], at: new Date(0), gone: undefined }, 'app_metadata'`)
    expect(copied).toEqual({ value: '{"plan":"gold","quota":{"seats":5},"tags":["a.b"],"at":"1970-01-01T00:00:00.000Z"}' })
  })

  it.each([
    [{ 'prefs.theme': 'dark' }, ['app_metadata', 'prefs.theme']],
    [{ prefs: { 'ui.theme': 'dark' } }, ['app_metadata', 'prefs', 'ui.theme']],
    [{ list: [{ ok: 1 }, { 'a.b': 2 }] }, ['app_metadata', 'list', 1, 'a.b']],
    [{ constructor: { x: 1 } }, ['app_metadata', 'constructor']],
    [{ nested: { prototype: 1 } }, ['app_metadata', 'nested', 'prototype']],
  ])('%j is refused at %j', async (metadata, keys) => {
    await using guest = await piece()
    const outcome = guest.call('metadataCopy', metadata, 'app_metadata') as { value: { keys: unknown; message: string } }
    expect(outcome.value.keys).toEqual(keys)
  })

  it.each([
    ['an own __proto__ key', `JSON.parse('{"a": {"__proto__": {"polluted": 1}}}')`, ['app_metadata', 'a', '__proto__']],
    ['a function', `{ a: { f: function () {} } }`, ['app_metadata', 'a', 'f']],
    ['a typed array', `{ bytes: new Uint8Array(2) }`, ['app_metadata', 'bytes']],
    ['NaN', `{ n: [1, NaN] }`, ['app_metadata', 'n', 1]],
    ['a getter', `{ get g() { return 1 } }`, ['app_metadata', 'g']],
    [
      'a dotted key 40 levels down',
      `(function () { var o = { 'a.b': 1 }; for (var i = 0; i < 40; i++) o = { d: o }; return o; })()`,
      ['app_metadata', ...Array(40).fill('d'), 'a.b'],
    ],
    ['70 levels', `(function () { var o = {}; for (var i = 0; i < 70; i++) o = { d: o }; return o; })()`, ['app_metadata', ...Array(65).fill('d')]],
    ['over maxUserBytes', `{ big: 'x'.repeat(20000) }`, ['app_metadata']],
  ])('%s is refused at its path', async (_what, source, keys) => {
    await using guest = await piece()
    const outcome = guest.callWith('metadataCopy', `${source}, 'app_metadata'`) as { value: { keys: unknown; message: string } }
    expect(outcome.value.keys).toEqual(keys)
  })
})

describe("satisfies (require('name@range') against the installed version)", () => {
  it.each([
    ['4.17.21', '4', true],
    ['4.17.21', '4.17', true],
    ['4.17.21', '^4.0.0', true],
    ['4.17.21', '^4.18.0', false],
    ['4.17.21', '~4.17.1', true],
    ['4.17.21', '~4.16.0', false],
    ['4.17.21', '4.17.21', true],
    ['4.17.21', '=v4.17.21', true],
    ['4.17.21', '4.17.19', false],
    ['4.17.21', '3', false],
  ])('%s satisfies %s: %s', async (installed, wanted, expected) => {
    await using guest = await piece()
    expect(guest.call('satisfies', installed, wanted)).toEqual({ value: expected })
  })
})

describe('bytesToBase64 / base64ToBytes', () => {
  it.each(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar', '\u00ff\u00fe\u0000'])('%j round-trips as Node encodes it', async (text) => {
    await using guest = await piece()
    const bytes = [...Buffer.from(text, 'latin1')]
    const b64 = Buffer.from(text, 'latin1').toString('base64')
    expect(guest.callWith('bytesToBase64', `new Uint8Array(${JSON.stringify(bytes)})`)).toEqual({ value: b64 })
    expect(guest.call('base64ToBytes', b64)).toEqual({ value: bytes })
    // base64url and missing padding decode the same.
    expect(guest.call('base64ToBytes', Buffer.from(text, 'latin1').toString('base64url'))).toEqual({ value: bytes })
  })
})
