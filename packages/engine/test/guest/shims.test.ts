/**
 * The shims (globals.js, jwt.js, after the files they build on) in a bare isolate: the UTF-8 codec, form encoding and
 * jsonwebtoken's timespans, compared with Node's own answers, without an engine.
 */
import { describe, expect, it } from 'vitest'
import { loadGuest } from './load.js'

const piece = () =>
  loadGuest(['runtime.js', 'bridge.js', 'globals.js', 'crypto.js', 'jwt.js'], ['utf8Encode', 'utf8Decode', 'formEncode', 'formDecode', 'timespan'])

describe('utf8Encode / utf8Decode', () => {
  it.each(['', 'ascii', 'é', '€ and 𝄞', '\ud800 lone surrogate', 'a\u0000b'])('%j: the bytes and text of TextEncoder/TextDecoder', async (text) => {
    await using guest = await piece()
    const bytes = [...new TextEncoder().encode(text)]
    expect(guest.call('utf8Encode', text)).toEqual({ value: bytes })
    expect(guest.callWith('utf8Decode', `new Uint8Array(${JSON.stringify(bytes)})`)).toEqual({ value: new TextDecoder().decode(new Uint8Array(bytes)) })
  })

  it.each([[[0xff]], [[0xe2, 0x82]], [[0xf0, 0x9f, 0x98]], [[0xc0, 0x80]], [[0xed, 0xa0, 0x80]], [[0x61, 0xe2, 0x28, 0x62]]])(
    'invalid %j: one U+FFFD per maximal invalid subpart, as TextDecoder',
    async (bytes) => {
      await using guest = await piece()
      expect(guest.callWith('utf8Decode', `new Uint8Array(${JSON.stringify(bytes)})`)).toEqual({ value: new TextDecoder().decode(new Uint8Array(bytes)) })
    },
  )
})

describe('formEncode / formDecode (application/x-www-form-urlencoded)', () => {
  it.each(['a b', "!'()~*", 'é&=+%', '100% sure'])('%j as URLSearchParams writes and reads it', async (text) => {
    await using guest = await piece()
    const encoded = new URLSearchParams({ k: text }).toString().slice(2)
    expect(guest.call('formEncode', text)).toEqual({ value: encoded })
    expect(guest.call('formDecode', encoded)).toEqual({ value: text })
  })

  it('a malformed %XX stays as it is', async () => {
    await using guest = await piece()
    expect(guest.call('formDecode', '%zz+%4')).toEqual({ value: new URLSearchParams('k=%zz+%4').get('k') })
  })
})

describe("timespan (jsonwebtoken's expiresIn / notBefore)", () => {
  it.each([
    [60, 1060],
    ['2h', 1000 + 7200],
    ['1 day', 1000 + 86400],
    ['10s', 1010],
    ['1500ms', 1001],
    ['-1m', 940],
  ])('%j after iat 1000 is %d', async (value, expected) => {
    await using guest = await piece()
    expect(guest.call('timespan', value, 1000)).toEqual({ value: expected })
  })

  it('an unreadable timespan is undefined, as in jsonwebtoken (whose sign then throws; see jsonwebtoken-parity.test.ts)', async () => {
    await using guest = await piece()
    expect(guest.call('timespan', 'soon', 1000)).toEqual({ value: '<undefined>' })
    expect(guest.call('timespan', '1 fortnight', 1000)).toEqual({ value: '<undefined>' })
  })
})
