/**
 * Node's `http`/`https` client in the sandbox (guest/node-http.js) and the legacy global `request`:
 * side by side with Node's own http against one local server (what the caller saw, what the server
 * received), the package that matters most (superagent's Node path, under node-auth0 2.x), and the
 * hostile view: a host the policy refuses receives nothing, sizes are bounded, nothing of the host
 * is reachable, and without modules.http nothing is sent at all.
 *
 * Bundled packages reach `http` through their own `require('http')` (a fixture package re-exports
 * it here, as superagent's own require does).
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EngineOptions } from '@tokenrules/engine'
import { closedPort, evaluate, RESOLVE_FROM, startServer, type TestServer } from './support.js'
import { comparable, runReal, startParityServer, type ParityServer } from './parity-support.js'

let server: ParityServer
let forbidden: TestServer
let O: string
let closed: number
let probeDir: string
let superagentDir: string
beforeAll(async () => {
  ;[server, forbidden] = await Promise.all([startParityServer(), startServer()])
  O = server.origin
  closed = await closedPort()
  // A package whose own require('http') and require('https') are what a bundled client gets.
  probeDir = mkdtempSync(join(tmpdir(), 'node-http-probe-'))
  mkdirSync(join(probeDir, 'node_modules', 'node-http-probe'), { recursive: true })
  writeFileSync(
    join(probeDir, 'node_modules', 'node-http-probe', 'package.json'),
    JSON.stringify({ name: 'node-http-probe', version: '1.0.0', main: 'index.js' }),
  )
  writeFileSync(join(probeDir, 'node_modules', 'node-http-probe', 'index.js'), "module.exports = { http: require('http'), https: require('https') };\n")
  // superagent as node-auth0 2.44.1 has it (auth0 → rest-facade → superagent).
  const fromAuth0 = createRequire(createRequire(`${RESOLVE_FROM}/package.json`).resolve('auth0'))
  const fromFacade = createRequire(fromAuth0.resolve('rest-facade'))
  superagentDir = dirname(dirname(dirname(fromFacade.resolve('superagent/package.json'))))
})
afterAll(async () => {
  await Promise.all([server.close(), forbidden.close()])
})

const PROBE = "require('node-http-probe').http"
const withHttp = (allow: string[] = [], patch: Record<string, unknown> = {}): Partial<EngineOptions> => ({
  modules: { http: { allow: [server.host, ...allow], timeoutMs: 3_000, ...patch }, packages: ['node-http-probe'], resolveFrom: probeDir },
})

/** `code` with `HTTP` for the module: Node's own http on one side, the sandbox's (through a package) on the other. */
async function same(code: string, allow: string[] = []): Promise<unknown> {
  server.received.length = 0
  const real = await runReal(code.replaceAll('HTTP', "require('http')"))
  const theirs = server.received.splice(0)
  const engine = await evaluate(code.replaceAll('HTTP', PROBE), withHttp(allow))
  const ours = server.received.splice(0)
  const cmp = comparable(ours, theirs)
  expect(engine).toEqual(real)
  expect(cmp.ours).toEqual(cmp.real)
  return engine
}

describe('http side by side with Node', () => {
  it('get(url, cb): statusCode, statusMessage, lower-case headers, Set-Cookie as an array, rawHeaders, setEncoding, data/end', async () => {
    await same(`var http = HTTP;
      http.get('${O}/text', function (res) {
        var text = ''; res.setEncoding('utf8');
        res.on('data', function (c) { text += c; });
        res.on('end', function () {
          var h = res.headers; delete h.date;
          done({ status: res.statusCode, message: res.statusMessage, headers: h, cookies: res.rawHeaders.filter(function (x, i) { return i % 2 === 0 && x.toLowerCase() === 'set-cookie'; }).length,
                 version: res.httpVersion, text: text, complete: res.complete });
        });
      });`)
  })

  it('request(options) with write and end: the body (string and Buffer chunks), headers, finish; sent whole, with a length (Node would chunk it)', async () => {
    const code = `var http = HTTP; var events = [];
      var req = http.request({ hostname: '127.0.0.1', port: ${server.port}, path: '/echo?x=1', method: 'POST', headers: { 'Content-Type': 'application/octet-stream', 'X-Trace': 't' } }, function (res) {
        var chunks = []; res.on('data', function (c) { chunks.push(c); });
        res.on('end', function () { events.push('end'); done({ status: res.statusCode, echo: JSON.parse(Buffer.concat(chunks).toString()), events: events }); });
      });
      req.on('finish', function () { events.push('finish'); });
      req.setHeader('X-Late', 'l'); req.write('abc'); req.write(Buffer.from([0, 255])); req.end('def');`
    server.received.length = 0
    const real = await runReal(code.replaceAll('HTTP', "require('http')"))
    const theirs = server.received.splice(0)
    const engine = await evaluate(code.replaceAll('HTTP', PROBE), withHttp())
    const cmp = comparable(server.received.splice(0), theirs)
    expect(engine).toEqual(real)
    const { 'transfer-encoding': chunked, ...theirHeaders } = cmp.real[0]?.headers ?? {}
    const { 'content-length': length, ...ourHeaders } = cmp.ours[0]?.headers ?? {}
    expect([chunked, length]).toEqual(['chunked', '8'])
    expect({ ...cmp.ours[0], headers: ourHeaders }).toEqual({ ...cmp.real[0], headers: theirHeaders })
  })

  it('a URL object with options merged; auth and user:password in the URL become Basic authentication', async () => {
    await same(`var http = HTTP;
      http.get(new URL('${O}/echo?a=1'), { headers: { 'X-From': 'url' }, auth: 'ada:p:w' }, function (res) {
        res.resume();
        res.on('end', function () {
          http.get('http://u%40x:s%3Acret@${server.host}/echo', function (res2) { var t = ''; res2.on('data', function (c) { t += c; }); res2.on('end', function () { done(JSON.parse(t).url); }); });
        });
      });`)
  })

  it('binary answers arrive byte for byte; pipe into a Writable', async () => {
    await same(`var http = HTTP;
      http.get('${O}/bin', function (res) {
        var got = [];
        var sink = { write: function (c) { got.push(c); return true; }, end: function () { done(Buffer.concat(got).toString('hex')); }, on: function () { return this; }, once: function () { return this; }, emit: function () { return true; }, removeListener: function () { return this; } };
        res.pipe(sink);
      });`)
  })

  it('a redirect is not followed (Node never does)', async () => {
    await same(`var http = HTTP;
      http.get('${O}/redirect', function (res) { res.resume(); done([res.statusCode, res.headers.location]); });`)
  })

  it("a refused connection is an 'error' with the system code", async () => {
    await same(
      `var http = HTTP;
      var req = http.get('http://127.0.0.1:${closed}/x', function () { done('answered'); });
      req.on('error', function (e) { done({ code: e.code, isError: e instanceof Error }); });`,
      [`127.0.0.1:${closed}`],
    )
  })

  it('setHeader/getHeader/hasHeader/removeHeader/getHeaders/getHeaderNames; an invalid header name throws ERR_INVALID_HTTP_TOKEN', async () => {
    await same(`var http = HTTP;
      var req = http.request('${O}/echo', { method: 'PUT' });
      req.setHeader('X-A', 'a'); req.setHeader('X-List', ['1', '2']); req.setHeader('X-Gone', 'g'); req.removeHeader('x-gone');
      var bad; try { req.setHeader('bad name', 'x'); } catch (e) { bad = [e.code, e.constructor.name]; }
      var view = { a: req.getHeader('x-a'), list: req.getHeader('X-List'), has: req.hasHeader('X-A'), gone: req.getHeader('x-gone'), names: req.getHeaderNames().filter(function (n) { return n[0] === 'x'; }), bad: bad };
      req.on('response', function (res) { res.resume(); res.on('end', function () { done(view); }); });
      req.end();`)
  })

  it('STATUS_CODES, METHODS, Agent with keepAlive, globalAgent', async () => {
    await same(`var http = HTTP; var agent = new http.Agent({ keepAlive: true, maxSockets: 5 });
      http.get({ host: '127.0.0.1', port: ${server.port}, path: '/json', agent: agent }, function (res) {
        res.resume();
        done({ s404: http.STATUS_CODES[404], s418: http.STATUS_CODES[418], patch: http.METHODS.indexOf('PATCH') !== -1, keepAlive: agent.keepAlive, maxSockets: agent.maxSockets,
               global: typeof http.globalAgent, isAgent: http.globalAgent instanceof http.Agent, status: res.statusCode });
        agent.destroy();
      });`)
  })

  it("setTimeout emits 'timeout' while no answer came; destroy() then fails the request with 'socket hang up'", async () => {
    await same(`var http = HTTP; var events = [];
      var req = http.get('${O}/slow', function () { events.push('response'); });
      req.setTimeout(150, function () { events.push('timeout'); req.destroy(); });
      req.on('error', function (e) { events.push(e.code + ' ' + e.message); });
      req.on('close', function () { events.push('close'); done(events); });`)
  })

  it("abort() before the answer: 'abort' and 'close', no 'response'", async () => {
    await same(`var http = HTTP; var events = [];
      var req = http.get('${O}/slow', function () { events.push('response'); });
      req.on('abort', function () { events.push('abort'); });
      req.on('error', function (e) { events.push('error ' + e.code); });
      req.on('close', function () { events.push('close'); setTimeout(function () { done(events); }, 50); });
      setTimeout(function () { req.abort(); }, 50);`)
  })
})

describe('superagent (node-auth0 2.x, via rest-facade) on the sandbox http', () => {
  it('sends JSON with a query and headers, parses the JSON answer, and goes through the policy', async () => {
    server.received.length = 0
    const result = await evaluate(
      `var sa = require('superagent');
       sa.post('${O}/echo').query({ q: 'a b' }).set('X-A', 'b').send({ a: [1, 2] })
         .then(function (res) {
           return sa.get('http://${forbidden.host}/x').then(function () { return 'sent'; }, function (e) { return e.code; })
             .then(function (refused) { done({ status: res.status, body: res.body, type: res.type, refused: refused }); });
         }, function (e) { done(describeError(e)); });`,
      { modules: { http: { allow: [server.host] }, packages: ['superagent'], resolveFrom: superagentDir } },
    )
    expect(result).toEqual({
      status: 200,
      body: { method: 'POST', url: '/echo?q=a%20b', body: Buffer.from('{"a":[1,2]}').toString('base64') },
      type: 'application/json',
      refused: 'ERR_HTTP_NOT_ALLOWED',
    })
    expect(server.received[0]?.headers).toMatchObject({ 'x-a': 'b', 'content-type': 'application/json', 'accept-encoding': 'gzip, deflate' })
    expect(forbidden.requests).toEqual([])
  }, 60_000)
})

describe('node-auth0 2.x (ManagementClient → rest-facade → superagent → https)', () => {
  it('reads, updates and fails as the SDK does, through https to the in-process Management API', async () => {
    const seen: string[] = []
    const result = await evaluate(
      `var ManagementClient = require('auth0').ManagementClient;
       var m = new ManagementClient({ token: 'tok', domain: 'tenant.example' });
       m.users.update({ id: 'auth0|1' }, { app_metadata: { a: 1 } }).then(function (u) {
         return m.users.get({ id: 'missing' }).then(function () { done('found'); }, function (e) {
           done({ updated: u, error: { name: e.name, statusCode: e.statusCode, message: e.message } });
         });
       }, function (e) { done(describeError(e)); });`,
      {
        auth0: {
          domain: 'tenant.example',
          managementApi: async (req: Request) => {
            seen.push(`${req.method} ${req.url} ${req.headers.get('authorization')} ${await req.text()}`)
            return req.url.endsWith('/missing')
              ? Response.json({ statusCode: 404, error: 'Not Found', message: 'The user does not exist.', errorCode: 'inexistent_user' }, { status: 404 })
              : Response.json({ user_id: 'auth0|1', app_metadata: { a: 1 } })
          },
        },
        modules: { http: { allow: ['tenant.example'] }, packages: ['auth0'], resolveFrom: RESOLVE_FROM },
        limits: { timeoutMs: 20_000 },
      },
    )
    expect(result).toEqual({
      updated: { user_id: 'auth0|1', app_metadata: { a: 1 } },
      error: { name: 'Not Found', statusCode: 404, message: 'The user does not exist.' },
    })
    expect(seen).toEqual([
      'PATCH https://tenant.example/api/v2/users/auth0%7C1 Bearer tok {"app_metadata":{"a":1}}',
      'GET https://tenant.example/api/v2/users/missing Bearer tok ',
    ])
  }, 120_000)
})

describe('hostile: http/https', () => {
  it("a host the policy does not allow: 'error' ERR_HTTP_NOT_ALLOWED, and nothing reaches it", async () => {
    const result = await evaluate(
      `var https = require('node-http-probe').https, http = require('node-http-probe').http; var out = [];
       var a = http.request({ host: '127.0.0.1', port: ${forbidden.port}, path: '/x', method: 'POST' });
       a.on('error', function (e) { out.push(e.code);
         var b = https.get('https://${forbidden.host}/y');
         b.on('error', function (e2) { out.push(e2.code); done(out); });
       });
       a.end('secret');`,
      withHttp(),
    )
    expect(result).toEqual(['ERR_HTTP_NOT_ALLOWED', 'ERR_HTTP_NOT_ALLOWED'])
    expect(forbidden.requests).toEqual([])
  })

  it('without modules.http a package’s http sends nothing (ERR_HTTP_NOT_ALLOWED) and there is no global request', async () => {
    const result = await evaluate(
      `var http = require('node-http-probe').http;
       var req = http.get('http://${forbidden.host}/x');
       req.on('error', function (e) { done({ code: e.code, request: typeof request }); });`,
      { modules: { packages: ['node-http-probe'], resolveFrom: probeDir } },
    )
    expect(result).toEqual({ code: 'ERR_HTTP_NOT_ALLOWED', request: 'undefined' })
    expect(forbidden.requests).toEqual([])
  })

  it('a request body past what one host call carries fails with ERR_HTTP_BODY_TOO_LARGE before anything is sent', async () => {
    server.received.length = 0
    const result = await evaluate(
      `var http = ${PROBE};
       var req = http.request('${O}/echo', { method: 'POST' });
       req.on('error', function (e) { done([e.code, e.constructor.name]); });
       var chunk = Buffer.alloc(512 * 1024, 97);
       for (var i = 0; i < 4; i++) req.write(chunk);
       req.end();`,
      withHttp(),
    )
    expect(result).toEqual(['ERR_HTTP_BODY_TOO_LARGE', 'RangeError'])
    expect(server.received).toEqual([])
  })

  it('a body past what one host call carries is an error of each client (never an uncaught one), and nothing is sent', async () => {
    server.received.length = 0
    const result = await evaluate(
      `var big = Buffer.alloc(1600 * 1024, 97); var out = {};
       require('axios').post('${O}/echo', big).then(function () { out.axios = 'sent'; }, function (e) { out.axios = e.code; })
         .then(function () { return require('node-fetch')('${O}/echo', { method: 'POST', body: big }); }).then(function () { out.nodeFetch = 'sent'; }, function (e) { out.nodeFetch = e.code; })
         .then(function () { require('request').post({ url: '${O}/echo', body: big }, function (err) { out.request = err ? err.code : 'sent'; done(out); }); });`,
      { ...withHttp(), limits: { timeoutMs: 15_000 } },
    )
    expect(result).toEqual({ axios: 'ERR_HOST_ARGUMENT_TOO_LARGE', nodeFetch: 'ERR_HOST_ARGUMENT_TOO_LARGE', request: 'ERR_HOST_ARGUMENT_TOO_LARGE' })
    expect(server.received).toEqual([])
  })

  it('an answer larger than modules.http.maxResponseBytes is an error, not a partial body', async () => {
    const result = await evaluate(
      `var http = ${PROBE};
       var req = http.get('${O}/text', function () { done('answered'); });
       req.on('error', function (e) { done(e.code); });`,
      withHttp([], { maxResponseBytes: 4 }),
    )
    expect(result).toBe('ERR_RESPONSE_TOO_LARGE')
  })

  it('sockets, servers and agents give nothing of the host: socketPath, createServer and createConnection refused; every object is of the sandbox', async () => {
    const result = await evaluate(
      `var http = ${PROBE}; var out = {};
       try { http.request({ socketPath: '/var/run/docker.sock', path: '/' }); } catch (e) { out.socketPath = e.code; }
       try { http.createServer(function () {}); } catch (e) { out.server = e.code; }
       try { new http.Agent().createConnection({}); } catch (e) { out.connection = e.code; }
       http.get('${O}/json', function (res) {
         res.resume();
         var objects = [http, http.request, res, res.socket, res.headers, res.rawHeaders, res.req, http.globalAgent, res.on, res.socket.setNoDelay];
         out.sandboxOnly = objects.every(function (o) {
           var p = o; for (var i = 0; i < 20 && Object.getPrototypeOf(p) !== null; i++) p = Object.getPrototypeOf(p);
           return p === Object.prototype && o.constructor.constructor === Function;
         });
         out.remote = [typeof res.socket.remoteAddress, typeof res.socket.remotePort];
         done(out);
       });`,
      withHttp(),
    )
    expect(result).toEqual({
      socketPath: 'ERR_HTTP_NOT_ALLOWED',
      server: 'ERR_HTTP_NOT_ALLOWED',
      connection: 'ERR_HTTP_NOT_ALLOWED',
      sandboxOnly: true,
      remote: ['undefined', 'undefined'],
    })
  })

  it("another scheme than the module's is refused as Node refuses it (ERR_INVALID_PROTOCOL)", async () => {
    const result = await evaluate(
      `var http = ${PROBE};
       try { http.get('https://${server.host}/json'); done('sent'); } catch (e) { done([e.code, e.message]); }`,
      withHttp(),
    )
    expect(result).toEqual(['ERR_INVALID_PROTOCOL', 'Protocol "https:" not supported. Expected "http:"'])
  })
})

describe("a rule's own require('http') / require('https')", () => {
  it('is the same client as a package gets, over the same policy', async () => {
    server.received.length = 0
    const result = await evaluate(
      `var http = require('http'), https = require('https');
       var out = { same: http === require('node-http-probe').http, sameS: https === require('node-http-probe').https, nodeHttp: http === require('node:http') };
       http.get('${O}/json', function (res) {
         var t = ''; res.on('data', function (c) { t += c; });
         res.on('end', function () {
           out.body = JSON.parse(t).ok;
           var r = http.get('http://${forbidden.host}/x');
           r.on('error', function (e) { out.refused = e.code; done(out); });
         });
       });`,
      withHttp(),
    )
    expect(result).toEqual({ same: true, sameS: true, nodeHttp: true, body: true, refused: 'ERR_HTTP_NOT_ALLOWED' })
    expect(forbidden.requests).toEqual([])
  })
})

describe('hostile: the clients’ objects', () => {
  it('every object the clients hand a rule (modules, instances, responses, errors) is of the sandbox', async () => {
    const result = await evaluate(
      `var axios = require('axios'), rq = require('request'), rp = require('request-promise'), nf = require('node-fetch');
       var seen = [axios, axios.create(), axios.defaults, axios.interceptors.request, rq, rq.Request, rp, nf, nf.Headers, new nf.Headers({ a: 'b' }), request];
       function sandboxOnly(o) {
         var p = o; for (var i = 0; i < 20 && Object.getPrototypeOf(p) !== null; i++) p = Object.getPrototypeOf(p);
         return p === Object.prototype && o.constructor.constructor === Function;
       }
       axios.get('${O}/500').catch(function (e) {
         seen.push(e, e.response, e.response.headers, e.config);
         return nf('${O}/json');
       }).then(function (r) {
         seen.push(r, r.headers);
         var req = rq('${O}/json', function (err, res, body) {
           seen.push(req, res, res.headers);
           rp('http://127.0.0.1:${closed}/').catch(function (e) { seen.push(e, e.cause); done({ all: seen.every(sandboxOnly), count: seen.length }); });
         });
       });`,
      withHttp([`127.0.0.1:${closed}`]),
    )
    expect(result).toEqual({ all: true, count: 22 })
  })
})

describe('the legacy global request', () => {
  it('is require("request") itself, behind the same policy', async () => {
    server.received.length = 0
    const result = await evaluate(
      `var out = { same: request === require('request'), enumerable: Object.keys(globalThis).indexOf('request') !== -1 };
       request.post({ url: '${O}/echo', json: { a: 1 } }, function (err, res, body) {
         out.echo = err ? err.code : body.method;
         request('http://${forbidden.host}/x', function (err2) { out.refused = err2 && err2.code; done(out); });
       });`,
      { modules: { http: { allow: [server.host] } } },
    )
    expect(result).toEqual({ same: true, enumerable: false, echo: 'POST', refused: 'ERR_HTTP_NOT_ALLOWED' })
    expect(forbidden.requests).toEqual([])
  })

  it('is absent when modules.http is not granted', async () => {
    expect(await evaluate(`done(typeof request);`)).toBe('undefined')
  })
})
