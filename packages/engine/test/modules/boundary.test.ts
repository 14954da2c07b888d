/**
 * A rule cannot use a capability to reach the host beyond its policy: not the network outside the
 * allow-list (metadata address, file:, other loopback ports, redirects), not host modules, not
 * the host's `process` through the functions and objects that cross the boundary, not another
 * run through a request it left pending.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { engineWith, passwordInput, rule } from '../helpers.js'
import { evaluate, json, later, RESOLVE_FROM, startServer, type TestServer } from './support.js'

const CANARY = `canary-${Math.random().toString(36).slice(2)}`

let allowed: TestServer
let other: TestServer
beforeAll(async () => {
  ;[allowed, other] = await Promise.all([startServer(), startServer()])
  process.env['TOKENRULES_BOUNDARY_CANARY'] = CANARY
})
afterAll(async () => {
  delete process.env['TOKENRULES_BOUNDARY_CANARY']
  await Promise.all([allowed.close(), other.close()])
})
beforeEach(() => {
  allowed.reset()
  other.reset()
  other.on('/', (_req, res) => json(res, 200, { reached: true }))
  allowed.on('/redirect', (req, res) => {
    res.writeHead(302, { location: decodeURIComponent(req.url.split('to=')[1] ?? '') })
    res.end()
  })
})

describe('the network beyond modules.http.allow', () => {
  const targets = () => [
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'file:///etc/passwd',
    `http://localhost:${other.port}/`,
    `http://127.0.0.1:${other.port}/`,
    `http://0.0.0.0:${other.port}/`,
    `${allowed.origin}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${other.port}/`)}`,
    `${allowed.origin}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`,
    `${allowed.origin}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`,
  ]

  it('every target is refused with ERR_HTTP_NOT_ALLOWED in every client style; the injected fetch only ever sees the allowed host', async () => {
    const realFetch = globalThis.fetch
    const hostFetch = vi.fn((input: string | URL | Request, init?: RequestInit) => realFetch(input, init))
    const result = await evaluate(
      `var targets = ${JSON.stringify(targets())}; var out = [];
       var axios = require('axios'), request = require('request'), nodeFetch = require('node-fetch');
       function viaRequest(url) { return new Promise(function (resolve) { request(url, function (err) { resolve(err ? err.code : 'reached'); }); }); }
       (async function () {
         for (var i = 0; i < targets.length; i++) {
           var row = [];
           try { await fetch(targets[i]); row.push('reached'); } catch (e) { row.push(e.code); }
           try { await nodeFetch(targets[i]); row.push('reached'); } catch (e) { row.push(e.code); }
           try { await axios.get(targets[i]); row.push('reached'); } catch (e) { row.push(e.code); }
           row.push(await viaRequest(targets[i]));
           out.push(row);
         }
         done(out);
       })().catch(function (e) { done(describeError(e)); });`,
      { modules: { http: { allow: [allowed.host], timeoutMs: 1_000, fetch: hostFetch as unknown as typeof fetch } }, limits: { timeoutMs: 10_000 } },
    )
    expect(result).toEqual(targets().map(() => ['ERR_HTTP_NOT_ALLOWED', 'ERR_HTTP_NOT_ALLOWED', 'ERR_HTTP_NOT_ALLOWED', 'ERR_HTTP_NOT_ALLOWED']))
    expect(other.requests).toEqual([])
    // The three redirects were asked for (4 styles each) and their targets refused.
    expect(allowed.requests.map((r) => r.url.split('?')[0])).toEqual(Array.from({ length: 12 }, () => '/redirect'))
    for (const [input] of hostFetch.mock.calls) expect(new URL(String(input)).host).toBe(allowed.host)
  })
})

describe('host modules', () => {
  it.each([
    'fs',
    'node:fs',
    'fs/promises',
    'child_process',
    'net',
    // Not 'http'/'https': with modules.http they are the sandbox's client over the same policy
    // (node-http.test.ts, including its hostile cases).
    'dns',
    'vm',
    'worker_threads',
    'module',
    'process',
    'os',
    'isolated-vm',
    '/etc/passwd',
    '../../../../package.json',
    'lodash/../../../../etc/passwd',
  ])("require('%s') is ERR_MODULE_NOT_ALLOWED, even with every capability granted", async (name) => {
    const result = await evaluate(`try { var m = require(${JSON.stringify(name)}); done(typeof m); } catch (e) { done(e.code); }`, {
      modules: { packages: ['lodash'], resolveFrom: RESOLVE_FROM, crypto: true, http: { allow: [allowed.host] }, host: { crm: { find: () => 1 } } },
    })
    expect(result).toBe('ERR_MODULE_NOT_ALLOWED')
  })

  it("no host loader: module and __dirname are absent, process, require.resolve and require.cache are the sandbox's own; dynamic import() does not load", async () => {
    const result = await evaluate(
      `var out = [typeof process.binding === 'function' && process.versions.v8 === undefined ? 'sandbox-process' : 'process?', typeof module, typeof __dirname, Object.keys(require.cache).length, globalThis.process === process, typeof Buffer.poolSize === 'number' ? 'buffer-ok' : 'buffer?'];
       try { require.resolve('fs'); out.push('resolved') } catch (e) { out.push(e.code) }
       var imported;
       try { imported = import('fs'); } catch (e) { imported = null; out.push('import threw'); }
       if (imported) imported.then(function () { out.push('import loaded'); done(out); }, function () { out.push('import rejected'); done(out); });
       else done(out);`,
    )
    expect((result as string[]).slice(0, 7)).toEqual(['sandbox-process', 'undefined', 'undefined', 0, true, 'buffer-ok', 'MODULE_NOT_FOUND'])
    expect(['import threw', 'import rejected']).toContain((result as string[])[7])
  })
})

describe('host process through what crosses the boundary', () => {
  const ESCAPES = `
    function probe(_name, value) {
      var out = {};
      try {
        var F = value.constructor.constructor;
        out.processType = F('return typeof process === "object" && process.versions.v8 === undefined ? "sandbox" : typeof process')();
        out.envRead = F('try { return process.env.TOKENRULES_BOUNDARY_CANARY } catch (e) { return "threw " + e.name }')();
        out.sameFunction = F === Function;
      } catch (e) { out.threw = e.name; }
      return out;
    }`

  it('the constructors of stubs, their results, their errors, callback arguments, modules and responses are the guest’s: no host process', async () => {
    const secretHolder = (() => {
      const secret = CANARY
      return {
        read: () => 'nothing here',
        fail: () => {
          throw Object.assign(new Error('x'), { detail: { a: 1 } })
        },
        hidden: () => secret.length,
      }
    })()
    allowed.on('/json', (_req, res) => json(res, 200, { a: 1 }))
    const result = await evaluate(
      `${ESCAPES}
       var results = {};
       results.stub = probe('stub', hostStub);
       results.objectOfStubs = probe('object', holder);
       results.result = probe('result', hostStub());
       try { holder.fail(); } catch (e) { results.error = probe('error', e); results.errorDetail = probe('detail', e.detail); }
       results.moduleFn = probe('module fn', require('crm').find);
       results.moduleData = probe('module data', require('plans'));
       results.authFn = probe('module fn', auth0.users.updateAppMetadata);
       cbStub(function (data) {
         results.callbackArg = probe('cb', data);
         fetch('${allowed.origin}/json').then(function (res) {
           results.response = probe('response', res);
           return res.json();
         }).then(function (body) {
           results.body = probe('body', body);
           done(results);
         }).catch(function (e) { done(describeError(e)); });
       });`,
      {
        globals: {
          hostStub: () => ({ nested: [1] }),
          holder: secretHolder,
          cbStub: (cb: (d: unknown) => void) => {
            setTimeout(() => cb({ k: 'v' }), 1)
          },
        },
        modules: { host: { crm: { find: () => null }, plans: { gold: 1 } }, http: { allow: [allowed.host], timeoutMs: 1_000 } },
      },
    )
    const names = ['stub', 'objectOfStubs', 'result', 'error', 'errorDetail', 'moduleFn', 'moduleData', 'authFn', 'callbackArg', 'response', 'body']
    expect(Object.keys(result).sort()).toEqual([...names].sort())
    for (const name of names) {
      expect(result[name], name).toMatchObject({ processType: 'sandbox', sameFunction: true })
      expect(result[name].envRead, name).toBeUndefined()
    }
    expect(JSON.stringify(result)).not.toContain(CANARY)
  })

  it('a stub’s closure stays on the host: its source, own keys, caller and arguments reveal nothing', async () => {
    const secret = CANARY
    const reveal = (
      () => () =>
        secret.length
    )()
    const result = await evaluate(
      `var seen = [];
       seen.push(String(reveal));
       seen.push(Function.prototype.toString.call(reveal));
       seen.push(JSON.stringify(Reflect.ownKeys(reveal).map(String)));
       try { seen.push(String(reveal.caller)); } catch (e) { seen.push(e.name); }
       try { seen.push(String(reveal.arguments)); } catch (e) { seen.push(e.name); }
       seen.push(String(reveal()));
       done(seen.join('\\n'));`,
      { globals: { reveal } },
    )
    expect(result).not.toContain(CANARY)
    expect(result).not.toContain('secret')
    expect(String(result).split('\n').pop()).toBe(String(CANARY.length))
  })

  it('this in a sloppy function and Function("return this")() are the sandbox global: no process, no host require', async () => {
    const result = await evaluate(
      `var g1 = (function () { return this; })(); var g2 = Function('return this')();
       done([g1 === g2, g1.process === process && process.versions.v8 === undefined, typeof g2.require === 'function' && g2.require === require, typeof g1.Buffer]);`,
    )
    expect(result).toEqual([true, true, true, 'function'])
  })
})

describe('another run through a pending request', () => {
  it('a request a run leaves behind finishes in that run’s background, never in the next run (docs/behaviour.md#work-after-the-callback)', async () => {
    // The server answers after 300 ms; the first run has called back by then, so the request goes
    // on in its background, which ends before the isolate takes the second run.
    const answered: string[] = []
    allowed.on(
      '/slow',
      later(300, (req, res) => {
        answered.push(req.url)
        json(res, 200, { late: true })
      }),
    )
    await using engine = await engineWith(
      [
        rule(
          'leaky',
          `if (!global.started) {
             global.started = true;
             global.running = 'the first run';
             fetch('${allowed.origin}/slow').then(function () { global.leak = 'settled during ' + global.running; }, function (e) { global.leak = 'rejected during ' + global.running + ': ' + e.code; });
             return callback(null, user, context);
           }
           global.running = 'the second run';
           setTimeout(function () { context.idToken['https://t.example/leak'] = String(global.leak); callback(null, user, context); }, 500);`,
        ),
      ],
      { modules: { http: { allow: [allowed.host], timeoutMs: 1_000 } } },
    )
    const first = await engine.run(passwordInput())
    const second = await engine.run(passwordInput())
    expect((await first.background)?.tasks).toEqual([{ rule: 'leaky', kind: 'http', outcome: 'completed', status: 200 }])
    expect(answered).toEqual(['/slow'])
    expect(second.idToken.claims).toEqual({ 'https://t.example/leak': 'settled during the first run' })
    expect(allowed.requests.filter((r) => r.url === '/slow')).toHaveLength(1)
  })
})
