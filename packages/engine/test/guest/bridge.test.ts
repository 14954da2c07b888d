/**
 * bridge.js (after primordials.js and runtime.js, whose helpers it uses) in a bare isolate: the
 * metadata key check, require's version ranges and the base64 codec, without an engine.
 */
import { describe, expect, it } from 'vitest'
import { loadGuest } from './load.js'

const piece = () => loadGuest(['runtime.js', 'bridge.js'], ['metadataDotKey', 'satisfies', 'bytesToBase64', 'base64ToBytes'])

describe('metadataDotKey (the metadata key check)', () => {
  it.each([
    [{ plan: 'gold', quota: { seats: 5 }, tags: ['a.b'] }, '<undefined>'],
    [{ 'prefs.theme': 'dark' }, 'prefs.theme'],
    [{ prefs: { 'ui.theme': 'dark' } }, 'ui.theme'],
    [{ list: [{ ok: 1 }, { 'a.b': 2 }] }, 'a.b'],
    [{ constructor: { x: 1 } }, 'constructor'],
    [{ nested: { prototype: 1 } }, 'prototype'],
  ])('%j → %s', async (metadata, key) => {
    await using guest = await piece()
    expect(guest.call('metadataDotKey', metadata, 0)).toEqual({ value: key })
  })

  it('an own __proto__ key is refused', async () => {
    await using guest = await piece()
    expect(guest.callWith('metadataDotKey', `JSON.parse('{"__proto__": {"polluted": 1}}'), 0`)).toEqual({ value: '__proto__' })
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
