/**
 * `modules.crypto: true` → `require('crypto')`: hashes, HMAC, random bytes, UUIDs, timingSafeEqual,
 * computed by the host's crypto. Each deterministic case is evaluated in the sandbox and by Node's
 * own `crypto` here; the results must be equal.
 */
import * as nodeCrypto from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { engineWith, passwordInput, rejection, rule } from '../helpers.js'
import { evaluate } from './support.js'

const CRYPTO = { modules: { crypto: true } }
const TEXT = `'The quick brown fox jumps over the lazy dog é€😀'`

/** Deterministic expressions over `crypto` and `Buffer`; same JSON in the sandbox and in Node. */
const SAME: Record<string, string> = {
  'md5 hex': `crypto.createHash('md5').update(${TEXT}).digest('hex')`,
  'sha1 hex': `crypto.createHash('sha1').update(${TEXT}).digest('hex')`,
  'sha256 hex': `crypto.createHash('sha256').update(${TEXT}).digest('hex')`,
  'sha384 base64': `crypto.createHash('sha384').update(${TEXT}).digest('base64')`,
  'sha512 base64': `crypto.createHash('sha512').update(${TEXT}).digest('base64')`,
  'sha256 buffer': `(function () { var d = crypto.createHash('sha256').update(${TEXT}).digest(); return [Buffer.isBuffer(d), d.length, d.toString('hex')]; })()`,
  'sha256 latin1': `crypto.createHash('sha256').update('abc').digest('latin1')`,
  'sha256 base64url': `crypto.createHash('sha256').update('pkce verifier').digest('base64url')`,
  'sha256 of the empty string': `crypto.createHash('sha256').update('').digest('hex')`,
  'update in chunks with input encodings': `crypto.createHash('sha256').update('68656c6c6f', 'hex').update('IHdvcmxk', 'base64').update(Buffer.from(' !')).update(new Uint8Array([1, 2, 255])).update('ÿ', 'latin1').digest('hex')`,
  'hmac sha256 hex (string key)': `crypto.createHmac('sha256', 'secret key').update(${TEXT}).digest('hex')`,
  'hmac sha256 base64 (Buffer key)': `crypto.createHmac('sha256', Buffer.from('00ff10', 'hex')).update('data').digest('base64')`,
  'hmac sha512 buffer': `crypto.createHmac('sha512', 'k').update('a').update('b').digest().toString('hex')`,
  'hmac sha1 with an empty key': `crypto.createHmac('sha1', '').update('x').digest('hex')`,
  'hmac with a long key (hashed first)': `crypto.createHmac('sha256', 'k'.repeat(200)).update('x').digest('hex')`,
  timingSafeEqual: `[crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abc')), crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abd'))]`,
  'getHashes has the usual ones': `['md5', 'sha1', 'sha256', 'sha512'].every(function (h) { return crypto.getHashes().indexOf(h) !== -1; })`,
}

let guest: Record<string, unknown>
beforeAll(async () => {
  const cases = Object.entries(SAME)
    .map(
      ([k, v]) =>
        `try { out[${JSON.stringify(k)}] = JSON.parse(JSON.stringify(${v})); } catch (e) { out[${JSON.stringify(k)}] = { threw: describeError(e) }; }`,
    )
    .join('\n')
  guest = await evaluate(`var crypto = require('crypto'); var out = {};\n${cases}\ndone(out);`, CRYPTO)
})

describe('crypto digests equal Node’s', () => {
  it.each(Object.keys(SAME))('%s', (name) => {
    const expected = JSON.parse(JSON.stringify(new Function('crypto', 'Buffer', `return (${SAME[name]})`)(nodeCrypto, Buffer)))
    expect(guest[name]).toEqual(expected)
  })
})

describe('crypto randomness and errors', () => {
  it('randomBytes gives Buffers of the asked length, different each time; also with a callback', async () => {
    const result = await evaluate(
      `var crypto = require('crypto');
       var a = crypto.randomBytes(32), b = crypto.randomBytes(32);
       crypto.randomBytes(16, function (err, c) {
         done([Buffer.isBuffer(a), a.length, a.toString('hex').length, a.equals(b), err, c.length, crypto.randomBytes(0).length]);
       });`,
      CRYPTO,
    )
    expect(result).toEqual([true, 32, 64, false, null, 16, 0])
  })

  it('randomUUID is a v4 UUID, different each time; randomInt stays in range', async () => {
    const result = await evaluate(
      `var crypto = require('crypto');
       var ints = []; for (var i = 0; i < 50; i++) ints.push(crypto.randomInt(5, 8));
       done([crypto.randomUUID(), crypto.randomUUID(), ints.every(function (n) { return n >= 5 && n < 8 && n === Math.floor(n); }), crypto.randomInt(1)]);`,
      CRYPTO,
    )
    const [a, b, inRange, zero] = result as [string, string, boolean, number]
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(b).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a).not.toBe(b)
    expect(inRange).toBe(true)
    expect(zero).toBe(0)
  })

  it('timingSafeEqual of different lengths throws a RangeError, as in Node', async () => {
    const result = await evaluate(
      `var crypto = require('crypto');
       try { crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab')); done('no throw'); } catch (e) { done([e.name, e.message]); }`,
      CRYPTO,
    )
    expect(result).toEqual(['RangeError', 'Input buffers must have the same byte length'])
  })

  it('an unknown digest algorithm throws; a second digest() throws', async () => {
    const result = await evaluate(
      `var crypto = require('crypto'); var out = [];
       try { crypto.createHash('nope').update('x').digest('hex'); out.push('no throw'); } catch (e) { out.push(e instanceof Error); }
       var h = crypto.createHash('sha256').update('x'); h.digest();
       try { h.digest(); out.push('no throw'); } catch (e) { out.push(e instanceof Error); }
       done(out);`,
      CRYPTO,
    )
    expect(result).toEqual([true, true])
  })

  it("require('node:crypto') is the same module", async () => {
    const result = await evaluate(
      `try { var c = require('node:crypto'); done([c === require('crypto'), c.createHash('sha256').update('a').digest('hex')]); } catch (e) { done(describeError(e)); }`,
      CRYPTO,
    )
    expect(result).toEqual([true, nodeCrypto.createHash('sha256').update('a').digest('hex')])
  })
})

describe('without modules.crypto', () => {
  it.each(['crypto', 'jsonwebtoken'])("require('%s') fails the run with ERR_MODULE_NOT_ALLOWED naming the module", async (name) => {
    await using engine = await engineWith([rule('needs-crypto', `var m = require('${name}'); callback(null, user, context);`)])
    const err = await rejection(engine.run(passwordInput()))
    expect(err.code).toBe('ERR_MODULE_NOT_ALLOWED')
    expect(err.module).toBe(name)
    expect(err.rule).toBe('needs-crypto')
    expect(err.message).toBe(
      `Cannot require '${name}': the integrator has not allowed this module in rules (allow it with the engine option modules.packages, modules.http, modules.crypto or modules.host).`,
    )
    expect(err.toOAuthError()).toEqual({ status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' } })
  })

  it('the web crypto globals stay available (random values, UUIDs)', async () => {
    const result = await evaluate(`done([crypto.getRandomValues(new Uint32Array(4)).length, typeof crypto.randomUUID(), typeof crypto.createHash]);`)
    expect(result).toEqual([4, 'string', 'undefined'])
  })
})
