/**
 * The shims of axios 1.21.1, request 2.88.2, request-promise 4.2.6 and node-fetch 2.7.0 against
 * the real libraries (engine dev dependencies): the same code, one local server, one case per
 * behaviour. Each compares what the caller saw and what the server received (setting aside the
 * headers only the transport adds, see parity-support.ts). Where the sandbox refuses what the real
 * client does (streams, sockets), the case asserts the typed error that docs/writing-rules.md names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closedPort } from './support.js'
import { runEngine, sideBySide, startParityServer, type ParityServer } from './parity-support.js'

let server: ParityServer
let O: string
let closed: number
beforeAll(async () => {
  server = await startParityServer()
  O = server.origin
  closed = await closedPort()
})
afterAll(async () => {
  await server.close()
})

/** Both sides saw the same thing and sent the same requests. */
async function same(code: string, extra = {}, allow: string[] = []): Promise<unknown> {
  const r = await sideBySide(server, code, extra, allow)
  expect(r.engine).toEqual(r.real)
  expect(r.ours).toEqual(r.theirs)
  return r.engine
}

describe('axios', () => {
  it('defaults.headers.common and defaults.headers.<method> are sent', async () => {
    const seen = await same(`var axios = require('axios');
      var a = axios.create();
      a.defaults.headers.common.Authorization = 'Bearer t1';
      a.defaults.headers.post['X-Post'] = 'p';
      a.get('${O}/json').then(function (r) { return a.post('${O}/echo', { x: 1 }); })
        .then(function (r) { done({ status: r.status, data: r.data, common: a.defaults.headers.common.Authorization }); }, function (e) { done(describeError(e)); });`)
    expect(seen).toMatchObject({ status: 200, common: 'Bearer t1' })
  })

  it('create merges baseURL, headers, params and timeout with the call config', async () => {
    await same(`var axios = require('axios');
      var c = axios.create({ baseURL: '${O}/', headers: { 'X-Client': 'c1', common: { 'X-Common': 'k' } }, params: { a: 1 }, timeout: 2000 });
      c.get('echo', { params: { b: 'x y' }, headers: { 'X-Call': 'z' } })
        .then(function (r) { done({ data: r.data, timeout: r.config.timeout, base: c.defaults.baseURL, method: r.config.method, sent: JSON.parse(JSON.stringify(r.config.headers)) }); }, function (e) { done(describeError(e)); });`)
  })

  it('request interceptors run last-added first, an ejected one not at all; response interceptors in order', async () => {
    await same(`var axios = require('axios'); var c = axios.create(); var order = [];
      c.interceptors.request.use(function (cfg) { order.push('req1'); cfg.headers['X-One'] = '1'; return cfg; });
      var id = c.interceptors.request.use(function (cfg) { order.push('ejected'); return cfg; });
      c.interceptors.request.use(function (cfg) { order.push('req3'); cfg.headers['X-Three'] = '3'; return cfg; });
      c.interceptors.request.eject(id);
      c.interceptors.response.use(function (r) { order.push('res1'); r.data.tag = 'one'; return r; });
      c.interceptors.response.use(function (r) { order.push('res2'); return r.data; });
      c.get('${O}/json').then(function (data) { done({ data: data, order: order }); }, function (e) { done(describeError(e)); });`)
  })

  it('a response interceptor can recover from an error', async () => {
    await same(`var axios = require('axios'); var c = axios.create();
      c.interceptors.response.use(null, function (e) { return { recovered: e.response.status, code: e.code }; });
      c.get('${O}/500').then(function (r) { done(r); }, function (e) { done(describeError(e)); });`)
  })

  it("a 500 is an AxiosError: 'Request failed with status code 500', ERR_BAD_RESPONSE, response, toJSON", async () => {
    await same(`var axios = require('axios');
      axios.get('${O}/500').then(function () { done('resolved'); }, function (e) {
        var j = e.toJSON();
        done({ message: e.message, name: e.name, code: e.code, status: e.status, isAxiosError: e.isAxiosError, axiosErr: axios.isAxiosError(e),
               isError: e instanceof Error, isAxiosErrorClass: e instanceof axios.AxiosError,
               response: { status: e.response.status, statusText: e.response.statusText, data: e.response.data, type: e.response.headers['content-type'], url: e.response.config.url },
               json: { message: j.message, name: j.name, code: j.code, status: j.status } });
      });`)
  })

  it('a 404 is ERR_BAD_REQUEST; validateStatus decides what resolves', async () => {
    await same(`var axios = require('axios'); var out = {};
      axios.get('${O}/404').catch(function (e) { out.code = e.code; out.data = e.response.data; })
        .then(function () { return axios.get('${O}/404', { validateStatus: function (s) { return s < 500; } }); })
        .then(function (r) { out.status = r.status; out.text = r.data; done(out); }, function (e) { done(describeError(e)); });`)
  })

  it('a refused connection is an AxiosError with the system code and no response', async () => {
    const seen = (await same(
      `var axios = require('axios');
      axios.get('http://127.0.0.1:${closed}/x').then(function () { done('resolved'); }, function (e) {
        done({ code: e.code, isAxiosError: e.isAxiosError, response: e.response === undefined, name: e.name });
      });`,
      {},
      [`127.0.0.1:${closed}`],
    )) as Record<string, unknown>
    expect(seen.code).toBe('ECONNREFUSED')
  })

  it("timeout ends a slow request: ECONNABORTED 'timeout of 200ms exceeded'", async () => {
    await same(`var axios = require('axios');
      axios.get('${O}/slow', { timeout: 200 }).then(function () { done('resolved'); }, function (e) { done({ code: e.code, message: e.message, isAxiosError: e.isAxiosError }); });`)
  })

  it('params: arrays as a[], objects as a[b], dates as ISO, null and undefined left out, spaces as +; paramsSerializer', async () => {
    await same(`var axios = require('axios');
      axios.get('${O}/echo?z=0', { params: { a: [1, 2], o: { k: 'v' }, d: new Date(0), n: null, u: undefined, s: 'x y', c: 'a:b,c$' } })
        .then(function (r) { return axios.get('${O}/echo', { params: { q: 1 }, paramsSerializer: function (p) { return 'custom=' + p.q; } }).then(function (r2) { done([r.data.url, r2.data.url]); }); })
        .catch(function (e) { done(describeError(e)); });`)
  })

  it('auth, and user:password in the URL, become Basic authentication (not sent in the URL)', async () => {
    await same(`var axios = require('axios');
      axios.get('${O}/echo', { auth: { username: 'ada', password: 'p:w' } })
        .then(function () { return axios.get('http://u%40x:s%3Acret@${server.host}/echo'); })
        .then(function (r) { done(r.data.url); }, function (e) { done(describeError(e)); });`)
  })

  it('responseType text and arraybuffer, and JSON parsed by default', async () => {
    await same(`var axios = require('axios'); var out = {};
      axios.get('${O}/json', { responseType: 'text' }).then(function (r) { out.text = typeof r.data + ':' + r.data; })
        .then(function () { return axios.get('${O}/bin', { responseType: 'arraybuffer' }); }).then(function (r) { out.bin = Buffer.isBuffer(r.data) + ':' + r.data.toString('hex'); })
        .then(function () { return axios.get('${O}/text'); }).then(function (r) { out.plain = r.data; out.cookies = r.headers['set-cookie']; })
        .then(function () { return axios.get('${O}/badjson'); }).then(function (r) { out.bad = r.data; done(out); })
        .catch(function (e) { done(describeError(e)); });`)
  })

  it('bodies: an object as JSON, a string as form-urlencoded, URLSearchParams, a Buffer', async () => {
    await same(`var axios = require('axios'); var out = [];
      axios.post('${O}/echo', { a: [1, { b: 2 }] }).then(function (r) { out.push(r.data.body); return axios.post('${O}/echo', 'a=1&b=2'); })
        .then(function (r) { out.push(r.data.body); return axios.put('${O}/echo', new URLSearchParams({ x: '1 2' })); })
        .then(function (r) { out.push(r.data.body); return axios.patch('${O}/echo', Buffer.from([1, 2, 255])); })
        .then(function (r) { out.push(r.data.body); done(out); }, function (e) { done(describeError(e)); });`)
  })

  it('transformRequest and transformResponse replace the defaults', async () => {
    await same(`var axios = require('axios');
      axios.post('${O}/echo', { a: 1 }, {
        transformRequest: [function (data, headers) { headers['X-Transformed'] = 'yes'; return 'payload=' + data.a; }],
        transformResponse: [function (data) { return { raw: data.length > 0, parsed: JSON.parse(data).method }; }],
      }).then(function (r) { done(r.data); }, function (e) { done(describeError(e)); });`)
  })

  it('the request(config) and (url, config) forms, and getUri', async () => {
    await same(`var axios = require('axios');
      axios({ url: '${O}/echo', method: 'delete', params: { id: 7 } })
        .then(function (r) { return axios('${O}/echo', { method: 'post', data: { x: 1 } }).then(function (r2) { done([r.data, r2.data, axios.getUri({ url: '${O}/p', params: { a: 1 } })]); }); })
        .catch(function (e) { done(describeError(e)); });`)
  })

  it('all, spread, isCancel and a cancelled request (nothing sent)', async () => {
    await same(`var axios = require('axios'); var source = axios.CancelToken.source(); source.cancel('stop');
      axios.all([axios.get('${O}/json'), axios.get('${O}/echo')]).then(axios.spread(function (a, b) { return [a.data.ok, b.data.method]; }))
        .then(function (pair) {
          return axios.get('${O}/json', { cancelToken: source.token }).then(function () { done('sent'); }, function (e) {
            done({ pair: pair, cancel: axios.isCancel(e), message: e.message, code: e.code, notCancel: axios.isCancel(new Error('x')) });
          });
        }).catch(function (e) { done(describeError(e)); });`)
  })

  it('a redirect is followed; maxRedirects: 0 returns the 3xx as an error', async () => {
    await same(`var axios = require('axios');
      axios.get('${O}/redirect').then(function (r) { return axios.get('${O}/redirect', { maxRedirects: 0 }).then(function () { done('resolved'); }, function (e) { done([r.data, e.response.status, e.code]); }); })
        .catch(function (e) { done(describeError(e)); });`)
  })
})

describe('request', () => {
  it('(options, callback): json, qs, headers; callback (err, response, body) with statusCode, headers, body', async () => {
    await same(`var request = require('request');
      request({ url: '${O}/echo', qs: { a: [1, 2], o: { k: 'v' }, s: 'x y' }, headers: { 'X-Trace': 't1' }, json: true }, function (err, response, body) {
        done(err ? describeError(err) : { status: response.statusCode, message: response.statusMessage, type: response.headers['content-type'], body: body, same: body === response.body, href: response.request.uri.href, method: response.request.method });
      });`)
  })

  it('(url, options, callback) and the verbs get/post/put/patch/del/delete/head', async () => {
    await same(`var request = require('request'); var out = [];
      request('${O}/echo', { method: 'OPTIONS' }, function (e0, r0, b0) { out.push(JSON.parse(b0).method);
      request.post('${O}/echo', { body: 'raw' }, function (e1, r1, b1) { out.push(JSON.parse(b1));
      request.put({ url: '${O}/echo', json: { x: 1 } }, function (e2, r2, b2) { out.push(b2);
      request.patch('${O}/echo', function (e3, r3, b3) { out.push(JSON.parse(b3).method);
      request.del('${O}/echo', function (e4, r4, b4) { out.push(JSON.parse(b4).method);
      request.delete('${O}/echo', function (e5, r5, b5) { out.push(JSON.parse(b5).method);
      request.head('${O}/json', function (e6, r6, b6) { out.push([r6.statusCode, b6]); done(out); });
      }); }); }); }); }); });`)
  })

  it('form (object and string) as application/x-www-form-urlencoded, with qs encoding', async () => {
    await same(`var request = require('request');
      request.post({ url: '${O}/echo', form: { grant_type: 'client_credentials', scope: 'a b', list: [1, 2], o: { k: 'v' } } }, function (e, r, b) {
        request.post({ url: '${O}/echo', form: 'x=1&y=2' }, function (e2, r2, b2) { done([JSON.parse(b).body, JSON.parse(b2).body]); });
      });`)
  })

  it('null and undefined fields in form and qs: null sent as key= (qs.stringify), undefined left out', async () => {
    await same(`var request = require('request');
      request.post({ url: '${O}/echo', qs: { a: null, b: undefined, c: 1 }, form: { usernameMD5: null, skipped: undefined, list: [null, 2], o: { k: null } } }, function (e, r, b) {
        var echo = JSON.parse(b); done([echo.url, echo.body]);
      });`)
  })

  it('auth user/pass, username/password, bearer; user:password in the URL', async () => {
    await same(`var request = require('request'); var n = 0; function next() { if (++n === 4) done('sent'); }
      request({ url: '${O}/echo', auth: { user: 'ada', pass: 'pw' } }, next);
      request({ url: '${O}/echo', auth: { username: 'bob', password: 'x:y' } }, next);
      request({ url: '${O}/echo', auth: { bearer: 'tok' } }, next);
      request('http://u:p%40ss@${server.host}/echo', next);`)
  })

  it('body strings and Buffers; json: true stringifies an object body; encoding: null gives a Buffer', async () => {
    await same(`var request = require('request'); var out = [];
      request.post({ url: '${O}/echo', body: Buffer.from([0, 255, 1]) }, function (e, r, b) { out.push(JSON.parse(b).body);
      request.post({ url: '${O}/echo', body: { a: 1 }, json: true }, function (e2, r2, b2) { out.push(b2.body);
      request.post({ url: '${O}/echo', body: 'text', json: true }, function (e3, r3, b3) { out.push(b3.body);
      request({ url: '${O}/bin', encoding: null }, function (e4, r4, b4) { out.push([Buffer.isBuffer(b4), b4.toString('hex')]); done(out); });
      }); }); });`)
  })

  it('baseUrl joins one slash; an absolute uri with baseUrl is an error', async () => {
    await same(`var request = require('request');
      request({ baseUrl: '${O}/', uri: '/echo' }, function (e, r, b) {
        request({ baseUrl: '${O}', uri: '${O}/echo' }, function (e2) { done([JSON.parse(b).url, e2 && e2.message]); });
      });`)
  })

  it('request.defaults merges headers and options; a 500 is not an error', async () => {
    await same(`var request = require('request');
      var api = request.defaults({ baseUrl: '${O}', headers: { 'X-Api': 'k' }, json: true });
      api.get({ uri: '/500', headers: { 'X-Call': 'c' } }, function (err, response, body) { done({ err: err, status: response.statusCode, body: body }); });`)
  })

  it('a POST redirect is not followed; a GET redirect is (without the Referer request adds: the host follows it)', async () => {
    const r = await sideBySide(
      server,
      `var request = require('request');
      request.post('${O}/redirect', function (e, r) { request.get('${O}/redirect', function (e2, r2, b2) { done([r.statusCode, r.headers.location, r2.statusCode, JSON.parse(b2).url]); }); });`,
    )
    expect(r.engine).toEqual(r.real)
    expect(r.theirs[2]?.headers.referer).toBe(`${O}/redirect`)
    const { referer: _referer, ...rest } = r.theirs[2]?.headers ?? {}
    expect(r.ours).toEqual([r.theirs[0], r.theirs[1], { ...r.theirs[2], headers: rest }])
  })

  it('a refused connection calls back with the system code; the BOM of a JSON answer is dropped', async () => {
    await same(
      `var request = require('request');
      request('http://127.0.0.1:${closed}/', function (err) {
        request({ url: '${O}/bom', json: true }, function (e2, r2, b2) { done([err.code, b2]); });
      });`,
      {},
      [`127.0.0.1:${closed}`],
    )
  })

  it('a timeout calls back with ETIMEDOUT', async () => {
    await same(`var request = require('request');
      request({ url: '${O}/slow', timeout: 200 }, function (err) { done([err.code, err.message]); });`)
  })

  it("a Request emits 'response' before the callback", async () => {
    await same(`var request = require('request'); var events = [];
      var r = request('${O}/json', function (err, res, body) { events.push(['callback', JSON.parse(body).ok]); done(events); });
      r.on('response', function (res) { events.push(['response', res.statusCode]); });`)
  })
})

describe('request-promise', () => {
  it('resolves with the body; json; resolveWithFullResponse; simple: false', async () => {
    await same(`var rp = require('request-promise'); var out = [];
      rp('${O}/json').then(function (b) { out.push(b); return rp({ uri: '${O}/json', json: true }); })
        .then(function (b) { out.push(b); return rp({ uri: '${O}/json', resolveWithFullResponse: true }); })
        .then(function (r) { out.push([r.statusCode, r.body]); return rp({ uri: '${O}/500', simple: false }); })
        .then(function (b) { out.push(b); done(out); }, function (e) { done(describeError(e)); });`)
  })

  it('a 500 rejects with a StatusCodeError (name, statusCode, message, error)', async () => {
    await same(`var rp = require('request-promise');
      rp({ uri: '${O}/500', json: true }).then(function () { done('resolved'); }, function (e) {
        done({ name: e.name, statusCode: e.statusCode, message: e.message, error: e.error, isError: e instanceof Error, status: e.response.statusCode });
      });`)
  })

  it('a refused connection rejects with a RequestError whose cause has the system code', async () => {
    await same(
      `var rp = require('request-promise');
      rp('http://127.0.0.1:${closed}/').catch(function (e) { done({ name: e.name, code: e.cause.code, same: e.error === e.cause, hasResponse: e.response !== undefined }); });`,
      {},
      [`127.0.0.1:${closed}`],
    )
  })

  it('.promise(), .catch, .finally, transform, and HEAD resolving with the headers', async () => {
    await same(`var rp = require('request-promise'); var out = [];
      rp.get({ uri: '${O}/json', transform: function (body, response) { return [response.statusCode, JSON.parse(body).ok]; } }).promise()
        .then(function (t) { out.push(t); return rp.head('${O}/json'); })
        .then(function (h) { out.push(h['content-type']); return rp.post({ uri: '${O}/404' }).catch(function (e) { out.push(e.statusCode); }); })
        .finally(function () { done(out); });`)
  })
})

describe('node-fetch', () => {
  it('Headers: get joins values, raw() keeps them, forEach/entries/keys in order, append/set/delete', async () => {
    await same(`var fetch = require('node-fetch');
      var h = new fetch.Headers({ 'X-B': '2', 'x-a': ['1', 'one'] }); h.append('X-C', '3'); h.set('x-b', 'two'); h.delete('x-c');
      var each = []; h.forEach(function (v, k) { each.push(k + '=' + v); });
      var bad; try { new fetch.Headers({ 'bad name': 'x' }); } catch (e) { bad = e.constructor.name + ': ' + e.message; }
      done({ a: h.get('X-A'), none: h.get('nope'), has: h.has('x-b'), raw: h.raw(), each: each, entries: Array.from(h.entries()), keys: Array.from(h.keys()), bad: bad });`)
  })

  it('Response: status, ok, statusText, headers (Set-Cookie kept apart in raw()), url, redirected, text()', async () => {
    await same(`var fetch = require('node-fetch');
      fetch('${O}/text').then(function (r) { return r.text().then(function (t) {
        done({ status: r.status, ok: r.ok, statusText: r.statusText, url: r.url, redirected: r.redirected, text: t, cookie: r.headers.get('set-cookie'), raw: r.headers.raw()['set-cookie'], used: r.bodyUsed });
      }); }).catch(function (e) { done(describeError(e)); });`)
  })

  it('json(), buffer(), arrayBuffer(), clone(), and a body read twice', async () => {
    await same(`var fetch = require('node-fetch'); var out = {};
      fetch('${O}/json').then(function (r) { var c = r.clone(); return r.json().then(function (j) { out.json = j; return c.text(); }).then(function (t) { out.clone = t; return r.text().catch(function (e) { out.twice = e.constructor.name; }); }); })
        .then(function () { return fetch('${O}/bin'); }).then(function (r) { return r.buffer(); }).then(function (b) { out.buffer = [Buffer.isBuffer(b), b.toString('hex')]; return fetch('${O}/bin'); })
        .then(function (r) { return r.arrayBuffer(); }).then(function (ab) { out.ab = [ab instanceof ArrayBuffer, ab.byteLength]; done(out); })
        .catch(function (e) { done(describeError(e)); });`)
  })

  it('bodies: string (text/plain), URLSearchParams, Buffer; a Request object; default headers', async () => {
    await same(`var fetch = require('node-fetch'); var out = [];
      fetch('${O}/echo', { method: 'POST', body: 'hi' }).then(function (r) { return r.json(); }).then(function (j) { out.push(j.body);
        return fetch('${O}/echo', { method: 'POST', body: new URLSearchParams({ a: '1 2' }) }); }).then(function (r) { return r.json(); }).then(function (j) { out.push(j.body);
        return fetch(new fetch.Request('${O}/echo', { method: 'PUT', body: Buffer.from([9, 8]), headers: { 'X-Req': 'r' } })); }).then(function (r) { return r.json(); })
        .then(function (j) { out.push(j); done(out); }).catch(function (e) { done(describeError(e)); });`)
  })

  it("a refused connection is a FetchError of type 'system' with the code; invalid JSON a FetchError 'invalid-json'", async () => {
    const seen = await same(
      `var fetch = require('node-fetch'); var out = {};
      fetch('http://127.0.0.1:${closed}/').catch(function (e) { out.net = { name: e.name, type: e.type, code: e.code, errno: e.errno, cls: e instanceof fetch.FetchError }; })
        .then(function () { return fetch('${O}/badjson'); }).then(function (r) { return r.json(); }).catch(function (e) { out.json = { name: e.name, type: e.type }; done(out); });`,
      {},
      [`127.0.0.1:${closed}`],
    )
    expect(seen).toMatchObject({ net: { type: 'system', code: 'ECONNREFUSED' } })
  })

  it("redirect: follow (redirected, url), manual (the 3xx), error (FetchError 'no-redirect')", async () => {
    await same(`var fetch = require('node-fetch'); var out = {};
      fetch('${O}/redirect').then(function (r) { out.follow = [r.status, r.redirected, r.url.replace(/^.*\\/\\/[^/]+/, '')]; return fetch('${O}/redirect', { redirect: 'manual' }); })
        .then(function (r) { out.manual = r.status; return fetch('${O}/redirect', { redirect: 'error' }); })
        .then(function () { done('resolved'); }, function (e) { out.error = [e.name, e.type]; done(out); });`)
  })

  it('user:password in the URL becomes Basic authentication', async () => {
    await same(`var fetch = require('node-fetch');
      fetch('http://ada:pw@${server.host}/echo').then(function (r) { return r.json(); }).then(function (j) { done(j.url); }, function (e) { done(describeError(e)); });`)
  })
})

describe('documented refusals (docs/writing-rules.md, HTTP clients)', () => {
  it('a stream as a request body: ERR_HTTP_BODY_UNSUPPORTED in node-fetch, axios and request, and nothing is sent', async () => {
    server.received.length = 0
    const result = await runEngine(
      `var stream = { pipe: function () {}, on: function () { return this; }, once: function () { return this; } }; var out = {};
       require('node-fetch')('${O}/echo', { method: 'POST', body: stream }).then(function () { out.nodeFetch = 'sent'; }, function (e) { out.nodeFetch = [e.code, e.constructor.name]; })
         .then(function () { return require('axios').post('${O}/echo', stream); }).then(function () { out.axios = 'sent'; }, function (e) { out.axios = [e.code, e.constructor.name]; })
         .then(function () { require('request').post({ url: '${O}/echo', body: stream }, function (err) { out.request = err ? [err.code, err.constructor.name] : 'sent'; done(out); }); });`,
      server,
    )
    expect(result).toEqual({
      nodeFetch: ['ERR_HTTP_BODY_UNSUPPORTED', 'TypeError'],
      axios: ['ERR_HTTP_BODY_UNSUPPORTED', 'TypeError'],
      request: ['ERR_HTTP_BODY_UNSUPPORTED', 'TypeError'],
    })
    expect(server.received).toEqual([])
  })

  it('the global fetch refuses a URL with credentials (as Node does); the policy still applies to the others', async () => {
    const r = await runEngine(
      `fetch('http://ada:pw@${server.host}/echo').then(function () { done('sent'); }, function (e) { done([e.constructor.name, e.message]); });`,
      server,
    )
    expect(r).toEqual(['TypeError', `Request cannot be constructed from a URL that includes credentials: http://ada:pw@${server.host}/echo`])
  })
})
