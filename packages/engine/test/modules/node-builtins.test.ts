/**
 * Node's built-ins inside the sandbox (guest/node.js): the ports behave as Node's modules do for
 * what packages use of them, `process` has no host powers, `require.cache` is empty, and the
 * modules a sandbox never has load but throw ERR_MODULE_NOT_ALLOWED when anything on them is called.
 */
import nodeAssert from 'node:assert'
import { EventEmitter } from 'node:events'
import * as nodePath from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import * as nodeUtil from 'node:util'
import * as nodeZlib from 'node:zlib'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { createEngine } from '@tokenrules/engine'
import { rejection, rule } from '../helpers.js'
import { evaluate } from './support.js'

const nodePunycode = createRequire(import.meta.url)('punycode/') as unknown

const PORTS = { modules: { packages: ['events', 'stream', 'util', 'path', 'string_decoder', 'assert', 'os', 'zlib', 'punycode', 'timers', 'tty'] } }

/** Expressions over the modules, evaluated in the sandbox (through require) and on the host (Node's own). */
const CASES: Record<string, string> = {
  'util.format': `[util.format('%s is %d years and %i days, %j', 'Ada', 36.5, 12.9, { a: [1] }), util.format('%%', 1, 'x'), util.format('a', 'b', 3)]`,
  'util.inspect of plain data': `[util.inspect({ a: [1, { b: 'two' }], c: null, d: undefined }), util.inspect('q'), util.inspect([1, 2, 3])]`,
  'util.inherits, promisify, types, deprecate': `(function () {
      function A() {} function B() {} util.inherits(B, A);
      var p = util.promisify(function (x, cb) { cb(null, x * 2) });
      return [new B() instanceof A, B.super_ === A, typeof p, util.types.isDate(new Date()), util.types.isRegExp(/x/), util.isArray([]), typeof util.deprecate(function () {}, 'm'), typeof util.TextEncoder, typeof util.inspect.custom];
    })()`,
  'events: on/once/emit/listenerCount/errors': `(function () {
      var e = new events.EventEmitter(), seen = [];
      e.on('x', function (v) { seen.push('on:' + v) }); e.once('x', function (v) { seen.push('once:' + v) });
      e.emit('x', 1); e.emit('x', 2);
      var threw; try { e.emit('error', new Error('boom')) } catch (err) { threw = err.message }
      return [seen, e.listenerCount('x'), threw, typeof events.once, events.defaultMaxListeners];
    })()`,
  'path: join/resolve/relative/parse/extname': `[path.join('/a/b', '../c', './d'), path.resolve('/x', 'y', '..', 'z'), path.relative('/a/b/c', '/a/d'), path.parse('/home/u/file.tar.gz'), path.extname('x.json'), path.basename('/a/b.txt', '.txt'), path.sep, path.isAbsolute('a/b'), path.normalize('/a//b/../c/.')]`,
  'string_decoder: split multi-byte characters': `(function () {
      var d = new string_decoder.StringDecoder('utf8'), euro = Buffer.from('€ü');
      return [d.write(euro.slice(0, 1)), d.write(euro.slice(1, 4)), d.end(euro.slice(4))];
    })()`,
  'assert: deepStrictEqual, throws, AssertionError': `(function () {
      var out = [];
      assert.deepStrictEqual({ a: [1, 2] }, { a: [1, 2] });
      try { assert.strictEqual(1, 2) } catch (e) { out.push(e.name, e.code, e instanceof assert.AssertionError) }
      try { assert.deepStrictEqual({ a: 1 }, { a: '1' }) } catch (e) { out.push(e.code) }
      assert.throws(function () { throw new TypeError('t') }, TypeError);
      try { assert(false, 'custom message') } catch (e) { out.push(e.message) }
      return out;
    })()`,
  'punycode: toASCII/toUnicode': `[punycode.toASCII('mañana.com'), punycode.toUnicode('xn--maana-pta.com'), punycode.encode('bücher'), punycode.ucs2.decode('a€')]`,
  'zlib: deflate/inflate/gzip/gunzip round trips': `(function () {
      var text = 'hello hello hello hello tokenrules';
      return [zlib.inflateSync(zlib.deflateSync(Buffer.from(text))).toString(), zlib.gunzipSync(zlib.gzipSync(text)).toString(),
        zlib.inflateRawSync(zlib.deflateRawSync(Buffer.from(text))).toString(), zlib.unzipSync(zlib.deflateSync(text)).toString('hex') === Buffer.from(text).toString('hex'),
        typeof zlib.constants.Z_BEST_COMPRESSION];
    })()`,
}

describe("the ports of Node's built-ins behave as Node's modules", () => {
  const host = new Function(
    'util',
    'events',
    'path',
    'string_decoder',
    'assert',
    'punycode',
    'zlib',
    'Buffer',
    `return { ${Object.entries(CASES)
      .map(([k, v]) => `${JSON.stringify(k)}: ${v}`)
      .join(',\n')} }`,
  )(
    nodeUtil,
    { EventEmitter, once: EventEmitter.once, defaultMaxListeners: EventEmitter.defaultMaxListeners },
    nodePath,
    { StringDecoder },
    nodeAssert,
    nodePunycode,
    nodeZlib,
    Buffer,
  ) as Record<string, unknown>
  let guest: Record<string, unknown> | undefined
  const guestResults = async () => {
    guest ??= (await evaluate(
      `var util = require('util'), events = require('events'), path = require('path'), string_decoder = require('string_decoder'),
           assert = require('assert'), punycode = require('punycode'), zlib = require('zlib');
       var out = {};
       ${Object.entries(CASES)
         .map(
           ([k, v]) =>
             `try { out[${JSON.stringify(k)}] = ${v}; } catch (e) { out[${JSON.stringify(k)}] = { threw: describeError(e), stack: String(e.stack) }; }`,
         )
         .join('\n')}
       done(JSON.parse(JSON.stringify(out)));`,
      PORTS,
    )) as Record<string, unknown>
    return guest
  }

  it.each(Object.keys(CASES))('%s', async (name) => {
    const results = await guestResults()
    expect(results[name]).toEqual(JSON.parse(JSON.stringify(host[name])))
  })

  it('stream: Readable → Transform → Writable with backpressure, pipeline and errors', async () => {
    const result = await evaluate(
      `var stream = require('stream');
       var chunks = [];
       var src = new stream.Readable({ read: function () {} });
       var upper = new stream.Transform({ transform: function (c, enc, cb) { cb(null, String(c).toUpperCase()) } });
       var sink = new stream.Writable({ highWaterMark: 2, write: function (c, enc, cb) { chunks.push(String(c)); setTimeout(cb, 1) } });
       stream.pipeline(src, upper, sink, function (err) {
         var broken = new stream.PassThrough();
         broken.on('error', function (e) { done({ chunks: chunks, err: err || null, error: e.message, classes: [typeof stream.Duplex, typeof stream.finished] }) });
         broken.destroy(new Error('broken'));
       });
       src.push('a'); src.push('b'); src.push('c'); src.push(null);`,
      PORTS,
    )
    expect(result).toEqual({ chunks: ['A', 'B', 'C'], err: null, error: 'broken', classes: ['function', 'function'] })
  })

  it('os says nothing of the host; tty is no terminal; timers are the sandbox timers', async () => {
    const result = await evaluate(
      `var os = require('os'), tty = require('tty'), timers = require('timers');
       timers.setTimeout(function (v) {
         done({ hostname: os.hostname(), platform: os.platform(), type: os.type(), EOL: os.EOL, cpus: os.cpus(), interfaces: os.networkInterfaces(),
                homedir: typeof os.homedir === 'function' ? os.homedir() : null, isatty: tty.isatty(1), v: v, same: timers.setTimeout === setTimeout });
       }, 5, 'later');`,
      PORTS,
    )
    expect(result).toEqual({
      hostname: 'localhost',
      platform: 'linux',
      type: 'Linux',
      EOL: '\n',
      cpus: [],
      interfaces: {},
      homedir: '/',
      isatty: false,
      v: 'later',
      same: true,
    })
  })

  it('a rule requires a port only when modules.packages lists it', async () => {
    const result = await evaluate(`try { require('events'); done('loaded') } catch (e) { done(describeError(e)) }`)
    expect(result).toMatchObject({ code: 'ERR_MODULE_NOT_ALLOWED' })
  })
})

describe('process', () => {
  it('has no host powers: env from the option only, fixed facts, refused members throw typed', async () => {
    const result = await evaluate(
      `var p = process, out = {};
       out.env = p.env; out.version = p.version; out.versions = p.versions; out.platform = p.platform; out.cwd = p.cwd(); out.argv = p.argv; out.pid = p.pid;
       out.emitter = [p.on('exit', function () {}) === p, p.emit('exit'), p.listeners('exit'), p.listenerCount('exit')];
       out.refused = ['binding', 'dlopen', 'exit', 'kill', 'chdir', 'memoryUsage', '_linkedBinding', 'abort'].map(function (m) {
         try { p[m]('fs'); return m + ': returned' } catch (e) { return [e.code, e.moduleName, e.member] }
       });
       out.same = require === globalThis.require && typeof process.hrtime.bigint() === 'bigint' && process.hrtime().length === 2;
       done(out);`,
      { process: { env: { TENANT: 'acme', REGION: 'eu' } } },
    )
    expect(result).toEqual({
      env: { TENANT: 'acme', REGION: 'eu' },
      version: 'v16.20.2',
      versions: { node: '16.20.2' },
      platform: 'linux',
      cwd: '/',
      argv: ['node'],
      pid: 1,
      emitter: [true, false, [], 0],
      refused: ['binding', 'dlopen', 'exit', 'kill', 'chdir', 'memoryUsage', '_linkedBinding', 'abort'].map((m) => ['ERR_MODULE_NOT_ALLOWED', 'process', m]),
      same: true,
    })
    expect(await evaluate(`done(process.env)`)).toEqual({})
    expect(await evaluate(`done(Object.keys(process.env).length)`)).toBe(0)
  })

  it('nextTick runs before timers, after the current code, with its arguments, and is bounded per run', async () => {
    expect(
      await evaluate(
        `var seen = []; setTimeout(function () { seen.push('timer'); done(seen) }, 0); process.nextTick(function (a, b) { seen.push('tick:' + a + b) }, 1, 2); seen.push('sync');`,
      ),
    ).toEqual(['sync', 'tick:12', 'timer'])
    const result = await evaluate(
      `try { for (var i = 0; i < 20000; i++) process.nextTick(function () {}); done('unbounded') } catch (e) { done([describeError(e), e.limit]) }`,
    )
    expect(result).toEqual([
      {
        name: 'RangeError',
        message: 'Too many process.nextTick callbacks waiting in one run (limit 10000).',
        code: 'ERR_RUN_LIMIT',
        ctor: 'RangeError',
        isError: true,
      },
      'maxPendingTicks',
    ])
  })

  it('an exception thrown in a nextTick callback fails the rule as one thrown in a timer does', async () => {
    const error = await rejection(
      (async () => {
        await using engine = await createEngine({ rules: [rule('ticks', `process.nextTick(function () { throw new Error('from a tick') })`)] })
        return engine.run({ user: { user_id: 'u' }, context: { clientID: 'c', protocol: 'oauth2-password' } })
      })(),
    )
    expect(error).toMatchObject({ rule: 'ticks' })
  })

  it('process.stdout/stderr writes and emitWarning go to the run logs', async () => {
    await using engine = await createEngine({
      rules: [
        rule(
          'writes',
          `process.stdout.write('out line\\n'); process.stderr.write('err line'); process.emitWarning('careful', 'DeprecationWarning', 'DEP0001'); callback(null, user, context)`,
        ),
      ],
    })
    const result = await engine.run({ user: { user_id: 'u' }, context: { clientID: 'c', protocol: 'oauth2-password' } })
    expect(result.logs.map((l) => [l.level, l.message])).toEqual([
      ['log', 'out line'],
      ['error', 'err line'],
      ['warn', '(node) [DEP0001] DeprecationWarning: careful'],
    ])
  })

  it('the process option is validated', async () => {
    for (const bad of [{ env: { A: 1 } }, { env: { 'A=B': 'x' } }, { other: true }]) {
      const error = await rejection(createEngine({ rules: [], process: bad as never }))
      expect(error).toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    }
    const error = await rejection(createEngine({ rules: [], globals: { process: {} } }))
    expect(error).toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringContaining("'process' is defined by the engine") })
  })
})

describe('require.cache, require.resolve and the modules a sandbox never has', () => {
  it('require.cache is an empty object and require.resolve throws typed', async () => {
    expect(
      await evaluate(
        `try { require.resolve('lodash'); done('resolved') } catch (e) { done([require.cache, Object.keys(require.cache).length, describeError(e)]) }`,
      ),
    ).toEqual([
      {},
      0,
      { name: 'Error', message: "require.resolve('lodash'): modules have no paths in the sandbox.", code: 'MODULE_NOT_FOUND', ctor: 'Error', isError: true },
    ])
  })

  it("a rule's own require of fs, net, child_process … keeps failing at the require", async () => {
    for (const name of ['fs', 'net', 'child_process', 'node:fs', 'vm', 'worker_threads']) {
      const result = await evaluate(`try { require(${JSON.stringify(name)}); done('loaded') } catch (e) { done(describeError(e)) }`, PORTS)
      expect(result).toMatchObject({ code: 'ERR_MODULE_NOT_ALLOWED' })
    }
  })
})
