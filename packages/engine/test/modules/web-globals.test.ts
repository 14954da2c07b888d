/**
 * The Node-compatible globals every rule has (no option needed): Buffer, TextEncoder, TextDecoder,
 * atob, btoa, URL, URLSearchParams, FormData, crypto.getRandomValues / randomUUID. Each case is one
 * expression, evaluated in the sandbox and by Node itself here; the results must be equal.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { evaluate } from './support.js'

/** Expressions whose value (as JSON) must be the same in the sandbox and in Node. */
const SAME: Record<string, string> = {
  // Buffer
  'Buffer.from(utf8).toString(base64)': `Buffer.from('héllo wörld €😀').toString('base64')`,
  'Buffer.from(base64).toString()': `Buffer.from('aMOpbGxvIHfDtnJsZCDigqzwn5iA', 'base64').toString()`,
  'Buffer base64 without padding': `Buffer.from('aGk', 'base64').toString()`,
  'Buffer.from(hex)': `Buffer.from('68656c6c6f', 'hex').toString('utf8')`,
  'Buffer.toString(hex) of bytes': `Buffer.from([0, 1, 127, 128, 255]).toString('hex')`,
  'Buffer base64url': `Buffer.from([251, 255, 191, 0]).toString('base64url')`,
  'Buffer.from(base64url)': `Array.from(Buffer.from('-_-_AA', 'base64url'))`,
  'Buffer latin1/binary': `[Buffer.from('ÿé', 'latin1').toString('hex'), Buffer.from([0xff, 0xe9]).toString('binary')]`,
  'Buffer.concat + byteLength': `[Buffer.concat([Buffer.from('a'), Buffer.from([0xe2, 0x82, 0xac])]).toString(), Buffer.byteLength('€uro'), Buffer.byteLength('aGk=', 'base64')]`,
  'Buffer equals/compare/indexOf/slice': `[Buffer.from('abc').equals(Buffer.from('abc')), Buffer.compare(Buffer.from('a'), Buffer.from('b')), Buffer.from('hello').indexOf('l'), Buffer.from('hello').slice(1, 3).toString(), Buffer.from('hello').subarray(-2).toString()]`,
  'Buffer numbers': `(function () { var b = Buffer.alloc(8); b.writeUInt32BE(0xdeadbeef, 0); b.writeInt16LE(-2, 4); return [b.toString('hex'), b.readUInt32BE(0), b.readInt16LE(4), Buffer.alloc(3, 'ab').toString()]; })()`,
  'Buffer JSON and identity': `[JSON.stringify(Buffer.from('hi')), Buffer.isBuffer(Buffer.from('x')), Buffer.from('x') instanceof Uint8Array, Buffer.isBuffer(new Uint8Array(1)), Buffer.isEncoding('utf8'), Buffer.isEncoding('nope')]`,
  'Buffer from Uint8Array / ArrayBuffer': `(function () { var u = new Uint8Array([104, 105]); return [Buffer.from(u).toString(), Buffer.from(u.buffer).toString()]; })()`,
  // TextEncoder / TextDecoder
  'TextEncoder.encode': `Array.from(new TextEncoder().encode('a€😀é'))`,
  'TextEncoder lone surrogate': `Array.from(new TextEncoder().encode('x\\ud800y'))`,
  'TextEncoder.encoding': `new TextEncoder().encoding`,
  'TextDecoder.decode': `new TextDecoder().decode(new Uint8Array([226, 130, 172, 240, 159, 152, 128, 195, 169]))`,
  'TextDecoder invalid bytes': `new TextDecoder().decode(new Uint8Array([0xff, 0x61, 0xc3, 0x28, 0xe2, 0x82]))`,
  'TextDecoder of a Buffer and an ArrayBuffer': `[new TextDecoder('utf-8').decode(Buffer.from('hé')), new TextDecoder().decode(new Uint8Array([104, 105]).buffer)]`,
  'TextDecoder skips a byte order mark': `new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))`,
  'TextEncoder.encodeInto': `(function () { var u = new Uint8Array(4); var r = new TextEncoder().encodeInto('h€x', u); return [r.read, r.written, Array.from(u)]; })()`,
  'TextDecoder.encoding': `[new TextDecoder().encoding, new TextDecoder('UTF8').encoding]`,
  // atob / btoa
  btoa: `[btoa('hello'), btoa(''), btoa(String.fromCharCode(0, 255, 128))]`,
  atob: `[atob('aGVsbG8='), atob('aGVsbG8'), atob(' aGVs bG8= '), atob('/w==').charCodeAt(0)]`,
  // URL
  'URL parts': `(function () { var u = new URL('https://user:pw@Example.COM:8443/a/../b/%7Efoo?x=1&y=two#frag'); return [u.href, u.origin, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash]; })()`,
  'URL with a base': `[new URL('/path?q=1', 'https://example.com/base/').href, new URL('../up', 'https://example.com/a/b/c').href, new URL('//cdn.example.net/x', 'https://example.com').href]`,
  'URL default port and IDN': `[new URL('https://example.com:443/').href, new URL('http://EXAMPLE.com:80').host, new URL('https://bücher.example/').hostname]`,
  'URL setters': `(function () { var u = new URL('https://example.com/a?x=1'); u.pathname = '/x y'; u.hash = 'h'; u.port = '8080'; u.hostname = 'api.example.com'; u.search = '?a=b c'; return u.href; })()`,
  'URL.searchParams reads and writes through': `(function () { var u = new URL('https://example.com/?a=1&b=2&a=3'); var before = u.searchParams.getAll('a'); u.searchParams.append('c', 'x y&z'); u.searchParams.delete('b'); u.searchParams.set('a', '9'); return [before, u.href, u.search, u.searchParams.toString()]; })()`,
  'URL toString/toJSON/String': `(function () { var u = new URL('https://example.com/p?q=1'); return [String(u), u.toString(), JSON.stringify({ u: u })]; })()`,
  'URL.canParse': `[URL.canParse('https://x.example'), URL.canParse('not a url'), URL.canParse('/rel', 'https://x.example')]`,
  'URL special schemes': `[new URL('mailto:ada@example.com').pathname, new URL('file:///etc/passwd').pathname, new URL('data:text/plain,hi').protocol]`,
  'URL href setter replaces everything, searchParams included': `(function () { var u = new URL('https://a.example/x?y=1'); var p = u.searchParams; u.href = 'http://b.example:81/z?k=v#f'; return [u.host, u.pathname, u.searchParams.get('k'), u.searchParams.get('y'), u.hash]; })()`,
  // URLSearchParams
  'URLSearchParams from a string': `(function () { var p = new URLSearchParams('?a=1&b=2&a=3&c=%20x+y&d'); return [p.getAll('a'), p.get('b'), p.get('c'), p.get('d'), p.get('missing'), p.has('d'), p.toString()]; })()`,
  'URLSearchParams from an object and from pairs': `[new URLSearchParams({ q: 'a b&c', n: 1, t: true }).toString(), new URLSearchParams([['x', '1'], ['y', '2'], ['x', '3']]).toString()]`,
  'URLSearchParams copies, Maps and values with =': `[new URLSearchParams(new URLSearchParams('a=1&b=2')).toString(), new URLSearchParams(new Map([['m', 'x y']])).toString(), new URLSearchParams('a=b=c&=v&k=').toString(), new URLSearchParams('a=b=c').get('a')]`,
  'URLSearchParams encoding of specials': `new URLSearchParams({ s: "!'()*~-._ /?#&=+%é" }).toString()`,
  'URLSearchParams decoding of bad escapes': `(function () { var p = new URLSearchParams('q=a+b%zz&r=%E2%82%AC+%&s=100%'); return [p.get('q'), p.get('r'), p.get('s')]; })()`,
  'URLSearchParams sort/delete/iterate/size': `(function () { var p = new URLSearchParams('b=2&a=1&c=3&a=0'); p.sort(); p.delete('c'); var seen = []; p.forEach(function (v, k) { seen.push(k + '=' + v); }); return [p.toString(), Array.from(p.keys()), Array.from(p.values()), Array.from(p.entries()), seen, p.size]; })()`,
  // FormData (text fields)
  'FormData append/set/get/getAll/has/delete': `(function () { var f = new FormData(); f.append('a', 1); f.append('b', 'x'); f.append('a', 'two'); f.set('b', 'y'); var before = [f.get('a'), f.getAll('a'), f.get('b'), f.has('c'), f.get('c')]; f.delete('a'); return [before, f.has('a'), f.getAll('a')]; })()`,
  'FormData set keeps the first position, drops the rest': `(function () { var f = new FormData(); f.append('k', '1'); f.append('x', '2'); f.append('k', '3'); f.set('k', 'z'); return Array.from(f.entries()); })()`,
  'FormData iterates and names itself': `(function () { var f = new FormData(); f.append('p', 'q'); f.append('r', 's'); var seen = []; f.forEach(function (v, k) { seen.push(k + '=' + v); }); return [Array.from(f), Array.from(f.keys()), Array.from(f.values()), seen, Object.prototype.toString.call(f), String(f)]; })()`,
  // crypto (web)
  'crypto.getRandomValues fills in place': `(function () { var a = new Uint8Array(32); var same = crypto.getRandomValues(a) === a; return [same, a.length, Array.from(a).some(function (x) { return x !== 0; })]; })()`,
  'crypto.randomUUID shape': `/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID())`,
}

/**
 * Expressions that must throw in both, with the same class (TypeError or not). `true` also
 * compares the error's name (Node's atob/btoa throw DOMExceptions, whose name a rule rarely reads).
 */
const THROWS: Record<string, [string, boolean]> = {
  'new URL of garbage': [`new URL('not a url')`, true],
  'new URL relative without base': [`new URL('/path')`, true],
  'URL() without new': [`URL('https://example.com')`, true],
  'TextDecoder of an unknown encoding': [`new TextDecoder('klingon')`, true],
  'TextDecoder fatal on invalid bytes': [`new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff]))`, true],
  'btoa of a character above 255': [`btoa('€')`, false],
  'atob of invalid base64': [`atob('@@@@')`, false],
  'atob of a wrong length': [`atob('abcde')`, false],
  'FormData() without new': [`FormData()`, true],
  'FormData.append with one argument': [`new FormData().append('a')`, true],
}

function nodeValue(expr: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return JSON.parse(JSON.stringify(new Function(`return (${expr})`)()) ?? 'null')
}

function nodeThrow(expr: string): { name: string; isTypeError: boolean } | null {
  try {
    new Function(`return (${expr})`)()
    return null
  } catch (e) {
    return { name: (e as Error).name, isTypeError: e instanceof TypeError }
  }
}

let guest: { same: Record<string, unknown>; throws: Record<string, unknown> }

beforeAll(async () => {
  const same = Object.entries(SAME)
    .map(
      ([k, v]) =>
        `try { same[${JSON.stringify(k)}] = JSON.parse(JSON.stringify(${v}) || 'null'); } catch (e) { same[${JSON.stringify(k)}] = { threw: describeError(e) }; }`,
    )
    .join('\n')
  const throws = Object.entries(THROWS)
    .map(
      ([k, [v]]) =>
        `try { ${v}; throws[${JSON.stringify(k)}] = null; } catch (e) { throws[${JSON.stringify(k)}] = { name: e.name, isTypeError: e instanceof TypeError }; }`,
    )
    .join('\n')
  guest = await evaluate(`var same = {}, throws = {};\n${same}\n${throws}\ndone({ same: same, throws: throws });`)
})

describe('globals behave as in Node', () => {
  it.each(Object.keys(SAME))('%s', (name) => {
    expect(guest.same[name]).toEqual(nodeValue(SAME[name] as string))
  })
})

describe('globals throw where Node throws', () => {
  it.each(Object.keys(THROWS))('%s', (name) => {
    const [expr, sameName] = THROWS[name] as [string, boolean]
    const expected = nodeThrow(expr)
    expect(expected).not.toBeNull()
    const got = guest.throws[name] as { name: string; isTypeError: boolean } | null
    expect(got, 'the sandbox did not throw').not.toBeNull()
    if (sameName) expect(got).toEqual(expected)
    else expect(got?.isTypeError).toBe(expected?.isTypeError)
  })
})

describe('globals are there without any option', () => {
  it('every one of them is defined, and fetch/Headers are not (no modules.http)', async () => {
    const result = await evaluate(
      `done([typeof Buffer, typeof TextEncoder, typeof TextDecoder, typeof atob, typeof btoa, typeof URL, typeof URLSearchParams, typeof FormData,
             typeof crypto.getRandomValues, typeof crypto.randomUUID, typeof fetch, typeof Headers, typeof process, typeof require('buffer')]);`,
      { modules: { packages: ['buffer'] } },
    )
    expect(result).toEqual([
      'function',
      'function',
      'function',
      'function',
      'function',
      'function',
      'function',
      'function',
      'function',
      'function',
      'undefined',
      'undefined',
      // The sandbox's own process (guest/node.js).
      'object',
      'object',
    ])
  })
})
