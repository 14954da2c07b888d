/**
 * Issue 15, classes 1 and 9 — Node's built-ins and `process` in the sandbox (guest/node.js), seen
 * by a hostile rule: none of them reaches the host. `process` is the sandbox's own object (no
 * binding, dlopen, host environment or main module), util.inspect of everything a rule can reach
 * shows no host value, an EventEmitter's rejected async listener never becomes the host's unhandled
 * rejection, the modules a sandbox never has lead back only to the sandbox's own realm, and what
 * zlib and stream allocate is bounded by the sandbox's memory limit like any other allocation.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EngineOptions } from '@tokenrules/engine'
import { engineWith, passwordInput, rejection, rule } from '../helpers.js'
import { CANARY, canaryFile, expectNoCanary, guardHost, HANG_BUDGET, HANG_DEADLINE, settle } from './support.js'

guardHost()

const OUT = 'https://t.example/out'
const PORTS = ['events', 'stream', 'util', 'path', 'string_decoder', 'assert', 'os', 'zlib', 'punycode', 'timers', 'tty']

/** Run `body` in a rule and return what it passed to `done(value)`, checking that no canary came back. */
async function observe(body: string, options: Partial<EngineOptions> = {}) {
  await using engine = await engineWith(
    [
      rule(
        'hostile',
        `function done(v) { context.idToken['${OUT}'] = v; callback(null, user, context); }
         function report(e) { return { name: e && e.name, message: e && String(e.message), code: e && e.code === undefined ? null : e && e.code }; }
         ${body}`,
      ),
    ],
    { modules: { packages: PORTS }, ...options },
  )
  const result = await engine.run(passwordInput())
  expectNoCanary(result)
  // A normal login on the same engine still gets its answer.
  expectNoCanary(await engine.run(passwordInput()))
  return result.idToken.claims[OUT] as any
}

describe('process has no host powers', () => {
  it('no binding, dlopen, linked bindings, main module or host environment, whatever the path to it', async () => {
    const value = await observe(`
      var out = {};
      out.env = [process.env.TOKENRULES_CANARY === undefined, Object.keys(process.env).length, JSON.stringify(process).indexOf('${CANARY.slice(0, 10)}')];
      out.calls = ['binding', '_linkedBinding', 'dlopen', 'reallyExit', 'kill', 'abort'].map(function (m) {
        try { var r = process[m]('fs', {}, '/tmp/x.node'); return m + ' returned ' + typeof r } catch (e) { return e.code }
      });
      out.missing = [typeof process.mainModule, typeof process.openStdin, typeof process.report, typeof process.channel, typeof process.send, typeof process.getBuiltinModule];
      // The constructor chain ends in the sandbox's realm: its Function, its globalThis, its process.
      var F = process.constructor.constructor, g = F('return this')();
      out.realm = [g === globalThis, g.process === process, process.nextTick.constructor === Function, Object.getPrototypeOf(process) === Object.prototype];
      out.emitter = [process.on('uncaughtException', function () {}) === process, process.emit('uncaughtException', new Error('x')), process.listeners('uncaughtException').length];
      done(out);`)
    expect(value).toEqual({
      env: [true, 0, -1],
      calls: [
        'ERR_MODULE_NOT_ALLOWED',
        'ERR_MODULE_NOT_ALLOWED',
        'ERR_MODULE_NOT_ALLOWED',
        'ERR_MODULE_NOT_ALLOWED',
        'ERR_MODULE_NOT_ALLOWED',
        'ERR_MODULE_NOT_ALLOWED',
      ],
      missing: ['undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined'],
      realm: [true, true, true, true],
      emitter: [true, false, 0],
    })
  })

  it("process.env holds the integrator's values only, and a rule's writes stay in its sandbox", async () => {
    const value = await observe(
      `process.env.PATH = 'x'; process.env.TOKENRULES_CANARY = 'mine'; done([process.env.TENANT, process.env.PATH, Object.keys(process.env)]);`,
      {
        process: { env: { TENANT: 'acme' } },
      },
    )
    expect(value).toEqual(['acme', 'x', ['TENANT', 'PATH', 'TOKENRULES_CANARY']])
    expect(process.env.TOKENRULES_CANARY).toBe(CANARY)
    expect(process.env.PATH).not.toBe('x')
  })

  it('a nextTick that schedules itself for ever is stopped by the run timeout, and the engine serves the next login', async () => {
    await using engine = await engineWith([rule('ticks', `function again() { process.nextTick(again) } again();`)], HANG_BUDGET)
    const settled = await settle(engine.run(passwordInput()), HANG_DEADLINE)
    expect(settled.status).toBe('rejected')
    expect(settled.status === 'rejected' && settled.error.code).toBe('ERR_RULE_TIMEOUT')
  })
})

describe('util.inspect of everything a rule can reach shows nothing of the host', () => {
  it.each([['thread' as const], ['process' as const]])('isolation %s', async (isolation) => {
    const value = await observe(
      `var util = require('util');
       var seen = [util.inspect(globalThis, { showHidden: true, depth: 4, getters: true }), util.inspect(process, { showHidden: true, depth: 6 }),
                   util.inspect(require, { showHidden: true, depth: 3 }), util.inspect(require('events'), { showHidden: true, depth: 3 }),
                   util.inspect(require('stream').Readable.prototype, { showHidden: true, depth: 3 }), util.format('%o', process)].join('\\n');
       done({ length: seen.length > 1000, host: /applySyncPromise|hostInvoke|hostAwait|isolated-vm|Reference \\{|\\/work\\/|node_modules|TOKENRULES_CANARY/.exec(seen) });`,
      { isolation },
    )
    expect(value).toEqual({ length: true, host: null })
  })
})

describe('events', () => {
  it("captureRejections or not, an async listener's rejection stays in the sandbox", async () => {
    const value = await rejection(
      observe(`
      var events = require('events');
      events.captureRejections = true;
      var e = new events.EventEmitter({ captureRejections: true });
      e.on('x', async function () { throw new Error('listener rejected') });
      e.on('error', function (err) { e.caught = err.message });
      e.emit('x');
      setTimeout(function () { done({ caught: e.caught === undefined ? null : e.caught }) }, 5);`),
    )
    expectNoCanary(value)
    // events@3 has no captureRejections: the rejection is the rule's own, unhandled in the sandbox,
    // which fails the run as any unhandled rejection of a rule does (guardHost: none on the host).
    expect(value).toMatchObject({ code: 'ERR_RULE_EXCEPTION', message: 'listener rejected' })
  })
})

describe('the modules a sandbox never has', () => {
  // A package that hands a rule what its own require('fs'), require('child_process') … gave it.
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokenrules-hostile-pkg-'))
    const root = join(dir, 'node_modules', 'leaky')
    mkdirSync(root, { recursive: true })
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'leaky', version: '1.0.0', main: 'index.js' }))
    writeFileSync(
      join(root, 'index.js'),
      `module.exports = { fs: require('fs'), cp: require('child_process'), vm: require('vm'), wt: require('worker_threads'), v8: require('v8'), inspector: require('inspector'), module: require('module') }`,
    )
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("lead back only to the sandbox's realm; every member is a function that throws, whatever the path to it", async () => {
    const value = await observe(
      `var m = require('leaky'), out = {};
       var g = m.fs.readFileSync.constructor('return this')();
       out.realm = [g === globalThis, m.fs.readFileSync.constructor === Function, Object.getPrototypeOf(m.fs) === Object.prototype, Object.getPrototypeOf(m.fs.promises) === Function.prototype];
       out.calls = [
         function () { return m.fs.readFileSync(${JSON.stringify(canaryFile())}, 'utf8') },
         function () { return m.cp.execSync('cat /etc/passwd') },
         function () { return new m.vm.Script('this').runInThisContext() },
         function () { return m.vm.runInNewContext('process') },
         function () { return new m.wt.Worker('x') },
         function () { return m.v8.getHeapSnapshot() },
         function () { return new m.inspector.Session().connect() },
         function () { return m.module.createRequire('/')('fs') },
         function () { return m.fs.readFileSync.call(null, '/etc/passwd') },
         function () { return Reflect.apply(m.fs.promises.readFile, null, ['/etc/passwd']) },
         function () { return m.fs.constants.O_RDONLY() },
       ].map(function (f) { try { var r = f(); return 'returned ' + typeof r } catch (e) { return [e.code, e.moduleName, e.member] } });
       // What Function.prototype and Object.prototype give any function, nothing more: valueOf is the member itself.
       out.keys = [Object.keys(m.cp).length, m.fs.constants.valueOf() === m.fs.constants];
       done(out);`,
      { modules: { packages: ['leaky'], resolveFrom: dir } },
    )
    expect(value.realm).toEqual([true, true, true, true])
    expect(value.calls).toEqual([
      ['ERR_MODULE_NOT_ALLOWED', 'fs', 'readFileSync'],
      ['ERR_MODULE_NOT_ALLOWED', 'child_process', 'execSync'],
      ['ERR_MODULE_NOT_ALLOWED', 'vm', 'Script'],
      ['ERR_MODULE_NOT_ALLOWED', 'vm', 'runInNewContext'],
      ['ERR_MODULE_NOT_ALLOWED', 'worker_threads', 'Worker'],
      ['ERR_MODULE_NOT_ALLOWED', 'v8', 'getHeapSnapshot'],
      ['ERR_MODULE_NOT_ALLOWED', 'inspector', 'Session'],
      ['ERR_MODULE_NOT_ALLOWED', 'module', 'createRequire'],
      ['ERR_MODULE_NOT_ALLOWED', 'fs', 'readFileSync'],
      ['ERR_MODULE_NOT_ALLOWED', 'fs', 'promises.readFile'],
      ['ERR_MODULE_NOT_ALLOWED', 'fs', 'constants.O_RDONLY'],
    ])
    expect(value.keys).toEqual([1, true])
  })

  it("a rule's own require of them fails at the require", async () => {
    const value = await observe(
      `done(['fs', 'child_process', 'vm', 'node:net'].map(function (n) { try { require(n); return 'loaded' } catch (e) { return e.code } }))`,
    )
    expect(value).toEqual(['ERR_MODULE_NOT_ALLOWED', 'ERR_MODULE_NOT_ALLOWED', 'ERR_MODULE_NOT_ALLOWED', 'ERR_MODULE_NOT_ALLOWED'])
  })
})

describe('zlib and stream memory is the sandbox budget', () => {
  it('a deflate bomb (96 MB of zeros) inflated by zlib fails the run on the memory limit; the engine serves the next login', async () => {
    const bomb = deflateSync(Buffer.alloc(96 * 1024 * 1024)).toString('base64')
    await using engine = await engineWith(
      [
        rule(
          'bomb',
          `if (user.app_metadata && user.app_metadata.attack) { var out = require('zlib').inflateSync(Buffer.from(configuration.BOMB, 'base64')); context.idToken['${OUT}'] = out.length } callback(null, user, context);`,
        ),
      ],
      { modules: { packages: ['zlib'] }, configuration: { BOMB: bomb }, limits: { memoryLimitMb: 32, timeoutMs: 10_000 } },
    )
    const error = await rejection(engine.run(passwordInput({ user: { app_metadata: { attack: true } } })))
    // The isolate's limit refuses the allocation: a RangeError in the rule, never memory of the host's.
    expect([error.code, error.message]).toEqual(['ERR_RULE_EXCEPTION', 'Array buffer allocation failed'])
    expectNoCanary(error)
    const next = await engine.run(passwordInput())
    expect(next.idToken.claims[OUT]).toBeUndefined()
  })

  it('a Readable pushed without a consumer grows until the memory limit stops the run', async () => {
    await using engine = await engineWith(
      [
        rule(
          'flood',
          `if (user.app_metadata && user.app_metadata.attack) { var s = new (require('stream').Readable)({ read: function () {} }); for (;;) s.push(Buffer.alloc(1024 * 1024)) } callback(null, user, context);`,
        ),
      ],
      { modules: { packages: ['stream'] }, limits: { memoryLimitMb: 32, timeoutMs: 10_000 } },
    )
    const error = await rejection(engine.run(passwordInput({ user: { app_metadata: { attack: true } } })))
    // The isolate's limit refuses the allocation: a RangeError in the rule, never memory of the host's.
    expect([error.code, error.message]).toEqual(['ERR_RULE_EXCEPTION', 'Array buffer allocation failed'])
    expect((await engine.run(passwordInput())).idToken).toBeDefined()
  })
})
