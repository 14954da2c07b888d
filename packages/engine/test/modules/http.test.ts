/**
 * `modules.http`: the four client styles (request, axios, node-fetch, global fetch) over one host
 * bridge, and its policy: allowed hosts, methods, redirects re-checked, per-request timeout, the
 * run's budget, response size cap, the integrator's injected `fetch`. Two loopback servers: one
 * allowed, one that must never receive anything.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { EngineOptions } from '@tokenrules/engine'
import { engineWith, passwordInput, rejection, rule } from '../helpers.js'
import { closedPort, evaluate, failSnippet, json, later, startServer, type TestServer } from './support.js'

let allowed: TestServer
let forbidden: TestServer
beforeAll(async () => {
  ;[allowed, forbidden] = await Promise.all([startServer(), startServer()])
})
afterAll(async () => {
  await Promise.all([allowed.close(), forbidden.close()])
})
beforeEach(() => {
  allowed.reset()
  forbidden.reset()
  allowed.on('/echo', (req, res) => json(res, 200, { method: req.method, url: req.url, body: req.body }, { 'x-server': 'allowed' }))
})

const http = (patch: Record<string, unknown> = {}): Partial<EngineOptions> => ({
  modules: { http: { allow: [allowed.host], timeoutMs: 1_000, ...patch } },
})
const NOT_ALLOWED = (host: string) => ({
  name: 'Error',
  message: `HTTP requests to ${host} are not allowed for rules (modules.http.allow).`,
  code: 'ERR_HTTP_NOT_ALLOWED',
  ctor: 'Error',
  isError: true,
})

describe('request (callback style)', () => {
  it('GET with qs, headers, basic auth and json: true calls back (err, response, body) with parsed JSON', async () => {
    const result = await evaluate(
      `var request = require('request');
       request({ url: '${allowed.origin}/echo', qs: { q: 'a b', n: 1 }, headers: { 'X-Trace': 't1' }, auth: { user: 'ada', pass: 'pw' }, json: true },
         function (err, response, body) {
           done(err ? describeError(err) : { status: response.statusCode, type: response.headers['content-type'], server: response.headers['x-server'], body: body, same: body === response.body });
         });`,
      http(),
    )
    expect(result).toEqual({
      status: 200,
      type: 'application/json',
      server: 'allowed',
      body: { method: 'GET', url: '/echo?q=a%20b&n=1', body: '' },
      same: true,
    })
    expect(allowed.requests[0]?.headers).toMatchObject({
      'x-trace': 't1',
      authorization: `Basic ${Buffer.from('ada:pw').toString('base64')}`,
      accept: 'application/json',
    })
  })

  it('request.post with form sends a urlencoded body; with json sends JSON', async () => {
    const result = await evaluate(
      `var request = require('request'); var out = [];
       request.post({ url: '${allowed.origin}/echo', form: { grant_type: 'client_credentials', scope: 'a b' } }, function (err, res, body) {
         out.push(err ? describeError(err) : JSON.parse(body).body);
         request.post('${allowed.origin}/echo', { json: { x: [1, 'y'] } }, function (err2, res2, body2) {
           out.push(err2 ? describeError(err2) : body2.body);
           done(out);
         });
       });`,
      http(),
    )
    expect(result).toEqual(['grant_type=client_credentials&scope=a%20b', '{"x":[1,"y"]}'])
    expect(allowed.requests.map((r) => [r.method, r.headers['content-type']])).toEqual([
      ['POST', 'application/x-www-form-urlencoded'],
      ['POST', 'application/json'],
    ])
  })

  it('a 500 is not an error: the callback gets the response', async () => {
    allowed.on('/fail', (_req, res) => json(res, 500, { error: 'boom' }))
    const result = await evaluate(`require('request').get('${allowed.origin}/fail', function (err, res, body) { done([err, res.statusCode, body]); });`, http())
    expect(result).toEqual([null, 500, '{"error":"boom"}'])
  })
})

describe('axios (promise style)', () => {
  it('get with params and headers resolves with data, status, headers', async () => {
    const result = await evaluate(
      `require('axios').get('${allowed.origin}/echo', { params: { q: 'x' }, headers: { 'x-api-key': 'k' } })
         .then(function (r) { done({ data: r.data, status: r.status, type: r.headers['content-type'] }); }, function (e) { done(describeError(e)); });`,
      http(),
    )
    expect(result).toEqual({ data: { method: 'GET', url: '/echo?q=x', body: '' }, status: 200, type: 'application/json' })
    expect(allowed.requests[0]?.headers['x-api-key']).toBe('k')
  })

  it('post of an object sends JSON; create() applies baseURL, headers and auth', async () => {
    const result = await evaluate(
      `var axios = require('axios');
       var client = axios.create({ baseURL: '${allowed.origin}/', headers: { 'x-client': 'c1' }, auth: { username: 'u', password: 'p' } });
       client.post('echo', { a: 1 }).then(function (r) { done(r.data); }, function (e) { done(describeError(e)); });`,
      http(),
    )
    expect(result).toEqual({ method: 'POST', url: '/echo', body: '{"a":1}' })
    expect(allowed.requests[0]?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-client': 'c1',
      authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
    })
  })

  it('a 404 rejects with an axios error carrying the response', async () => {
    const result = await evaluate(
      `var axios = require('axios');
       axios.get('${allowed.origin}/missing').then(function () { done('resolved'); }, function (e) {
         done({ message: e.message, isAxiosError: axios.isAxiosError(e), status: e.response.status, data: e.response.data, isError: e instanceof Error });
       });`,
      http(),
    )
    expect(result).toEqual({ message: 'Request failed with status code 404', isAxiosError: true, status: 404, data: { error: 'not_found' }, isError: true })
  })

  it('validateStatus decides what resolves', async () => {
    const result = await evaluate(
      `require('axios').get('${allowed.origin}/missing', { validateStatus: function () { return true; } }).then(function (r) { done(r.status); }, function (e) { done(describeError(e)); });`,
      http(),
    )
    expect(result).toBe(404)
  })
})

describe('node-fetch and the global fetch', () => {
  it('node-fetch: Response.ok/status/headers/json(), and the body can be read once', async () => {
    const result = await evaluate(
      `var fetch = require('node-fetch');
       fetch('${allowed.origin}/echo').then(function (res) {
         return res.json().then(function (body) {
           return res.text().then(function () { return 'read twice'; }, function (e) { return e instanceof TypeError; }).then(function (second) {
             done({ ok: res.ok, status: res.status, type: res.headers.get('Content-Type'), body: body, secondRead: second });
           });
         });
       }).catch(function (e) { done(describeError(e)); });`,
      http(),
    )
    expect(result).toEqual({ ok: true, status: 200, type: 'application/json', body: { method: 'GET', url: '/echo', body: '' }, secondRead: true })
  })

  it('global fetch: POST with a URLSearchParams body, text() of the answer, ok false on a 404', async () => {
    const result = await evaluate(
      `(async function () {
         var res = await fetch('${allowed.origin}/echo', { method: 'POST', body: new URLSearchParams({ a: '1', b: 'x y' }), headers: { 'x-h': 'v' } });
         var text = await res.text();
         var missing = await fetch('${allowed.origin}/missing');
         done({ text: text, ok: missing.ok, status: missing.status });
       })().catch(function (e) { done(describeError(e)); });`,
      http(),
    )
    expect(result).toEqual({ text: JSON.stringify({ method: 'POST', url: '/echo', body: 'a=1&b=x+y' }), ok: false, status: 404 })
    expect(allowed.requests[0]?.headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', 'x-h': 'v' })
  })

  it("global fetch: a FormData body is sent as multipart/form-data byte for byte as Node's fetch sends it (boundary aside)", async () => {
    const fields = `var f = new FormData(); f.append('grant_type', 'client_credentials'); f.append('na"me\\r\\n', 'line one\\nline two\\r'); f.set('client_id', 'c-1');`
    const result = await evaluate(
      `(async function () { ${fields}
         var res = await fetch('${allowed.origin}/echo', { method: 'POST', body: f });
         done(res.status);
       })().catch(function (e) { done(describeError(e)); });`,
      http(),
    )
    expect(result).toBe(200)
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const f = new Function(`${fields} return f`)() as FormData
    await fetch(`${allowed.origin}/echo`, { method: 'POST', body: f })
    const [ours, theirs] = allowed.requests.map((request) => {
      const boundary = /boundary=(.+)$/.exec(String(request.headers['content-type']))?.[1] ?? ''
      expect(boundary).toMatch(/^----formdata-undici-0\d{11}$/)
      return { type: String(request.headers['content-type']).replace(boundary, 'B'), body: String(request.body).replaceAll(boundary, 'B') }
    })
    expect(ours).toEqual(theirs)
    expect(ours?.type).toBe('multipart/form-data; boundary=B')
  })
})

describe('compatibility of the client shims', () => {
  beforeEach(() => {
    allowed.on('/bin', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      res.end(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))
    })
  })

  it('binary answers arrive intact in every style (axios arraybuffer, request encoding null, fetch arrayBuffer/buffer)', async () => {
    const result = await evaluate(
      `(async function () {
         var sum = function (bytes) { var s = 0; for (var i = 0; i < bytes.length; i++) s = (s * 31 + bytes[i]) % 1000003; return [bytes.length, s]; };
         var out = {};
         out.axios = sum((await require('axios').get('${allowed.origin}/bin', { responseType: 'arraybuffer' })).data);
         out.fetch = sum(new Uint8Array(await (await fetch('${allowed.origin}/bin')).arrayBuffer()));
         out.nodeFetch = sum(await (await require('node-fetch')('${allowed.origin}/bin')).buffer());
         out.request = await new Promise(function (resolve) { require('request')({ url: '${allowed.origin}/bin', encoding: null }, function (err, res, body) { resolve(err ? describeError(err) : [Buffer.isBuffer(body)].concat(sum(body))); }); });
         done(out);
       })().catch(function (e) { done(describeError(e)); });`,
      http(),
    )
    const bytes = Array.from({ length: 256 }, (_, i) => i)
    const expected = [256, bytes.reduce((s, b) => (s * 31 + b) % 1000003, 0)]
    expect(result).toEqual({ axios: expected, fetch: expected, nodeFetch: expected, request: [true, ...expected] })
  })

  it('a binary request body (a Buffer) is sent byte for byte', async () => {
    allowed.on('/upload', (req, res) => json(res, 200, { length: Number(req.headers['content-length']) }))
    const result = await evaluate(
      `fetch('${allowed.origin}/upload', { method: 'POST', body: Buffer.from([0xe2, 0x82, 0xac, 0x00, 0x41]) }).then(function (r) { return r.json(); })
       .then(function (j) { done(j); }, function (e) { done(describeError(e)); });`,
      http(),
    )
    expect(result).toEqual({ length: 5 })
    expect(Buffer.from(allowed.requests[0]?.body ?? '', 'utf8')).toEqual(Buffer.from([0xe2, 0x82, 0xac, 0x00, 0x41]))
  })

  it('request.defaults and the axios(config) call form work', async () => {
    const result = await evaluate(
      `var r = require('request').defaults({ baseUrl: '${allowed.origin}', headers: { 'x-d': '1' }, json: true });
       r.get('/echo', function (err, res, body) {
         require('axios')({ method: 'post', url: '${allowed.origin}/echo', data: { a: 1 } }).then(function (ax) { done([err, body.url, ax.data.body]); }, function (e) { done(describeError(e)); });
       });`,
      http(),
    )
    expect(result).toEqual([null, '/echo', '{"a":1}'])
    expect(allowed.requests[0]?.headers['x-d']).toBe('1')
  })

  it('an exception thrown in an HTTP callback fails the run as a rule exception (not a timeout)', async () => {
    const err = await failSnippet(`require('request')('${allowed.origin}/echo', function () { throw new Error('bug in the callback'); });`, http())
    expect(err.code).toBe('ERR_RULE_EXCEPTION')
    expect(err.message).toBe('bug in the callback')
  })

  it('credentials in the URL become a Basic authorization header for request and axios, as those libraries do', async () => {
    const url = `http://ada:s3cret@${allowed.host}/echo`
    const result = await evaluate(
      `var out = [];
       require('request')('${url}', function (err, res) {
         out.push(err ? err.code : res.statusCode);
         require('axios').get('${url}').then(function (r) { out.push(r.status); }, function (e) { out.push(e.code); }).then(function () { done(out); });
       });`,
      http(),
    )
    expect(result).toEqual([200, 200])
    expect(allowed.requests.map((r) => r.headers.authorization)).toEqual([
      `Basic ${Buffer.from('ada:s3cret').toString('base64')}`,
      `Basic ${Buffer.from('ada:s3cret').toString('base64')}`,
    ])
  })

  it('array query parameters are serialized as request (a[0]=1&a[1]=2) and axios (a[]=1&a[]=2) serialize them', async () => {
    const result = await evaluate(
      `var out = [];
       require('request')({ url: '${allowed.origin}/echo', qs: { a: [1, 2], b: 'x' }, json: true }, function (err, res, body) {
         out.push(err ? err.code : decodeURIComponent(body.url));
         require('axios').get('${allowed.origin}/echo', { params: { a: [1, 2] } }).then(function (r) { out.push(decodeURIComponent(r.data.url)); }, function (e) { out.push(e.code); }).then(function () { done(out); });
       });`,
      http(),
    )
    expect(result).toEqual(['/echo?a[0]=1&a[1]=2&b=x', '/echo?a[]=1&a[]=2'])
  })

  it('form bodies with arrays and objects are encoded as request encodes them (qs: a[0]=1&a[1]=2&o[k]=v)', async () => {
    const result = await evaluate(
      `require('request').post({ url: '${allowed.origin}/echo', form: { a: [1, 2], o: { k: 'v' }, s: 'x y' } }, function (err, res, body) {
         done(err ? err.code : decodeURIComponent(JSON.parse(body).body.replace(/\\+/g, ' ')));
       });`,
      http(),
    )
    expect(result).toBe('a[0]=1&a[1]=2&o[k]=v&s=x y')
  })

  it('a request the host cannot even build (a header value outside Latin-1) fails with its own reason, not as ECONNREFUSED', async () => {
    const result = await evaluate(
      `fetch('${allowed.origin}/echo', { headers: { 'x-name': 'smile 😀' } }).then(function () { done('sent'); }, function (e) { done([e.code, e.message]); });`,
      http(),
    )
    const [code, message] = result as [string, string]
    expect(code).not.toBe('ECONNREFUSED')
    expect(message).toContain('ByteString')
    expect(allowed.requests).toEqual([])
  })
})

describe('allowed hosts', () => {
  const attempt = (url: string) => `
    var out = {};
    fetch(${JSON.stringify(url)}).then(function () { out.fetch = 'sent'; }, function (e) { out.fetch = describeError(e); })
    .then(function () { return require('axios').get(${JSON.stringify(url)}).then(function () { out.axios = 'sent'; }, function (e) { out.axios = { code: e.code, message: e.message }; }); })
    .then(function () { require('request')(${JSON.stringify(url)}, function (err) { out.request = err ? { code: err.code, message: err.message } : 'sent'; done(out); }); });`

  it('a host that is not allowed fails in every client style with ERR_HTTP_NOT_ALLOWED, and no request reaches any server', async () => {
    const result = await evaluate(attempt(`${forbidden.origin}/echo`), http())
    const message = `HTTP requests to ${forbidden.host} are not allowed for rules (modules.http.allow).`
    expect(result).toEqual({
      fetch: NOT_ALLOWED(forbidden.host),
      axios: { code: 'ERR_HTTP_NOT_ALLOWED', message },
      request: { code: 'ERR_HTTP_NOT_ALLOWED', message },
    })
    expect(forbidden.requests).toEqual([])
    expect(allowed.requests).toEqual([])
  })

  it('credentials that look like the allowed host are refused: by the policy (node-fetch, axios, request), by fetch itself (as Node refuses them)', async () => {
    const url = `http://${allowed.host}@${forbidden.host}/echo`
    const result = await evaluate(
      `var out = {};
       fetch(${JSON.stringify(url)}).then(function () { out.fetch = 'sent'; }, function (e) { out.fetch = describeError(e); })
       .then(function () { return require('node-fetch')(${JSON.stringify(url)}); }).then(function () { out.nodeFetch = 'sent'; }, function (e) { out.nodeFetch = e.code; })
       .then(function () { return require('axios').get(${JSON.stringify(url)}); }).then(function () { out.axios = 'sent'; }, function (e) { out.axios = e.code; })
       .then(function () { require('request')(${JSON.stringify(url)}, function (err) { out.request = err ? err.code : 'sent'; done(out); }); });`,
      http(),
    )
    expect(result).toEqual({
      fetch: {
        name: 'TypeError',
        message: `Request cannot be constructed from a URL that includes credentials: ${url}`,
        code: null,
        ctor: 'TypeError',
        isError: true,
      },
      nodeFetch: 'ERR_HTTP_NOT_ALLOWED',
      axios: 'ERR_HTTP_NOT_ALLOWED',
      request: 'ERR_HTTP_NOT_ALLOWED',
    })
    expect(forbidden.requests).toEqual([])
    expect(allowed.requests).toEqual([])
  })

  it.each([
    ['a fragment that looks like the allowed host', () => `http://${forbidden.host}/echo#@${allowed.host}`, () => forbidden.host],
    ['localhost instead of 127.0.0.1', () => `http://localhost:${allowed.port}/echo`, () => `localhost:${allowed.port}`],
    ['IPv6 loopback', () => `http://[::1]:${allowed.port}/echo`, () => `[::1]:${allowed.port}`],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/', () => '169.254.169.254'],
  ])('%s is refused', async (_what, url, host) => {
    const result = await evaluate(`fetch(${JSON.stringify(url())}).then(function () { done('sent'); }, function (e) { done(describeError(e)); });`, http())
    expect(result).toEqual(NOT_ALLOWED(host()))
    expect(forbidden.requests).toEqual([])
  })

  it.each(['file:///etc/passwd', 'ftp://files.example.com/x', 'data:text/plain,hi', 'javascript:alert(1)'])(
    '%s is refused (http and https only)',
    async (url) => {
      const result = await evaluate(`fetch(${JSON.stringify(url)}).then(function () { done('sent'); }, function (e) { done([e.code, e.message]); });`, http())
      expect(result).toEqual(['ERR_HTTP_NOT_ALLOWED', `Only http and https URLs are allowed, not ${new URL(url).protocol}`])
    },
  )

  it('exact names, *.wildcards (subdomains only) and host:port entries, checked before the injected fetch is called', async () => {
    const hostFetch = vi.fn(async () => new Response('{}', { headers: { 'content-type': 'application/json' } }))
    const urls = [
      'https://a.corp.example/x',
      'https://deep.a.corp.example/x',
      'https://corp.example/x',
      'https://evilcorp.example/x',
      'https://a.corp.example.evil.com/x',
      'https://api.example.com:8443/x',
      'https://api.example.com/x',
      'https://API.EXAMPLE.COM:8443/x',
    ]
    const result = await evaluate(
      `var urls = ${JSON.stringify(urls)}; var out = [];
       (async function () {
         for (var i = 0; i < urls.length; i++) {
           try { await fetch(urls[i]); out.push('sent'); } catch (e) { out.push(e.code); }
         }
         done(out);
       })();`,
      { modules: { http: { allow: ['*.corp.example', 'api.example.com:8443'], timeoutMs: 1_000, fetch: hostFetch } } },
    )
    expect(result).toEqual(['sent', 'sent', 'ERR_HTTP_NOT_ALLOWED', 'ERR_HTTP_NOT_ALLOWED', 'ERR_HTTP_NOT_ALLOWED', 'sent', 'ERR_HTTP_NOT_ALLOWED', 'sent'])
    expect(hostFetch.mock.calls.map((c) => String((c as unknown[])[0]))).toEqual([
      'https://a.corp.example/x',
      'https://deep.a.corp.example/x',
      'https://api.example.com:8443/x',
      'https://api.example.com:8443/x',
    ])
  })
})

describe('the allow-list itself', () => {
  const hostFetch = async () => new Response('{}', { headers: { 'content-type': 'application/json' } })

  it.each([
    ['a URL', 'https://api.example.com/', 'https://api.example.com/x'],
    ["'*'", '*', 'https://api.example.com/x'],
  ])('%s as an entry is not silently ignored: ERR_CONFIG_INVALID at createEngine, or it allows what it says', async (_what, entry, url) => {
    let created: Awaited<ReturnType<typeof engineWith>> | undefined
    try {
      created = await engineWith(
        [
          rule(
            'r',
            `fetch(${JSON.stringify(url)}).then(function (r) { context.idToken['https://t.example/out'] = r.status; callback(null, user, context); }, callback);`,
          ),
        ],
        {
          modules: { http: { allow: [entry], timeoutMs: 1_000, fetch: hostFetch as unknown as typeof fetch } },
        },
      )
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_CONFIG_INVALID')
      return
    }
    await using engine = created
    const result = await engine.run(passwordInput())
    expect(result.idToken.claims['https://t.example/out']).toBe(200)
  })
})

describe('allowed methods', () => {
  it('a method outside modules.http.methods is refused before anything is sent', async () => {
    const result = await evaluate(
      `fetch('${allowed.origin}/echo', { method: 'POST', body: 'x' }).then(function () { done('sent'); }, function (e) { done([e.code, e.message]); });`,
      http({ methods: ['GET', 'HEAD'] }),
    )
    expect(result).toEqual(['ERR_HTTP_NOT_ALLOWED', 'HTTP method POST is not allowed for rules.'])
    expect(allowed.requests).toEqual([])
  })

  it('methods outside the default list (GET HEAD POST PUT PATCH DELETE OPTIONS) are refused; lower case is accepted', async () => {
    const result = await evaluate(
      `var out = [];
       fetch('${allowed.origin}/echo', { method: 'PROPFIND' }).then(function () { out.push('sent'); }, function (e) { out.push(e.code); })
       .then(function () { return fetch('${allowed.origin}/echo', { method: 'delete' }); }).then(function (r) { out.push(r.status); }, function (e) { out.push(e.code); })
       .then(function () { done(out); });`,
      http(),
    )
    expect(result).toEqual(['ERR_HTTP_NOT_ALLOWED', 200])
    expect(allowed.requests.map((r) => r.method)).toEqual(['DELETE'])
  })
})

describe('redirects', () => {
  beforeEach(() => {
    allowed.on('/to-forbidden', (_req, res) => {
      res.writeHead(302, { location: `${forbidden.origin}/echo` })
      res.end()
    })
    allowed.on('/to-metadata', (_req, res) => {
      res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/iam' })
      res.end()
    })
    allowed.on('/to-echo', (_req, res) => {
      res.writeHead(302, { location: '/echo?from=redirect' })
      res.end()
    })
    allowed.on('/307', (_req, res) => {
      res.writeHead(307, { location: '/echo' })
      res.end()
    })
    allowed.on('/303', (_req, res) => {
      res.writeHead(303, { location: '/echo' })
      res.end()
    })
    allowed.on('/loop', (_req, res) => {
      res.writeHead(302, { location: '/loop' })
      res.end()
    })
  })

  it.each([
    ['another server', '/to-forbidden', () => forbidden.host],
    ['the metadata address', '/to-metadata', () => '169.254.169.254'],
  ])('a redirect to %s (not allowed) is refused, and nothing reaches it', async (_what, path, host) => {
    const result = await evaluate(
      `fetch('${allowed.origin}${path}').then(function () { done('followed'); }, function (e) { done(describeError(e)); });`,
      http(),
    )
    expect(result).toEqual(NOT_ALLOWED(host()))
    expect(forbidden.requests).toEqual([])
  })

  it('a redirect to an allowed URL is followed (redirected, final url); 307 keeps POST and its body; 303 turns into GET', async () => {
    const result = await evaluate(
      `(async function () {
         var a = await fetch('${allowed.origin}/to-echo');
         var b = await (await fetch('${allowed.origin}/307', { method: 'POST', body: 'kept' })).json();
         var c = await (await fetch('${allowed.origin}/303', { method: 'POST', body: 'dropped' })).json();
         done({ redirected: a.redirected, url: a.url, body: await a.json(), b: b, c: c });
       })().catch(function (e) { done(describeError(e)); });`,
      http(),
    )
    expect(result).toEqual({
      redirected: true,
      url: `${allowed.origin}/echo?from=redirect`,
      body: { method: 'GET', url: '/echo?from=redirect', body: '' },
      b: { method: 'POST', url: '/echo', body: 'kept' },
      c: { method: 'GET', url: '/echo', body: '' },
    })
  })

  it('redirect: manual returns the 3xx itself; a loop ends with ERR_TOO_MANY_REDIRECTS', async () => {
    const result = await evaluate(
      `(async function () {
         var manual = await fetch('${allowed.origin}/to-forbidden', { redirect: 'manual' });
         var loop; try { await fetch('${allowed.origin}/loop'); loop = 'followed'; } catch (e) { loop = e.code; }
         done({ status: manual.status, location: manual.headers.get('location'), loop: loop });
       })().catch(function (e) { done(describeError(e)); });`,
      http(),
    )
    expect(result).toEqual({ status: 302, location: `${forbidden.origin}/echo`, loop: 'ERR_TOO_MANY_REDIRECTS' })
    expect(forbidden.requests).toEqual([])
  })
})

describe('time limits', () => {
  beforeEach(() => {
    allowed.on(
      '/slow',
      later(3_000, (_req, res) => json(res, 200, { late: true })),
    )
  })

  it('modules.http.timeoutMs ends a slow request with ETIMEDOUT, and the upstream connection is closed', async () => {
    const started = Date.now()
    const result = await evaluate(
      `fetch('${allowed.origin}/slow').then(function () { done('answered'); }, function (e) { done([e.code, e.message]); });`,
      http({ timeoutMs: 200 }),
    )
    expect(Date.now() - started).toBeLessThan(2_500)
    expect(result).toEqual(['ETIMEDOUT', `HTTP request to ${allowed.host} timed out after 200 ms.`])
    await vi.waitFor(() => expect(allowed.aborted).toEqual(['/slow']), { timeout: 1_000 })
  })

  it("a client's own shorter timeout (axios timeout, request timeout) applies", async () => {
    const result = await evaluate(
      `var out = [];
       require('axios').get('${allowed.origin}/slow', { timeout: 100 }).catch(function (e) { out.push(e.code + ' ' + e.message); })
       .then(function () { require('request')({ url: '${allowed.origin}/slow', timeout: 120 }, function (err) { out.push(err.code + ' ' + err.message); done(out); }); });`,
      http({ timeoutMs: 1_000 }),
    )
    // As the real clients say it: axios's ECONNABORTED 'timeout of 100ms exceeded', request's (read timeout) ESOCKETTIMEDOUT.
    expect(result).toEqual(['ECONNABORTED timeout of 100ms exceeded', 'ESOCKETTIMEDOUT ESOCKETTIMEDOUT'])
  })

  it('a request goes through when the run’s budget left is below modules.http.timeoutMs', async () => {
    // The default modules.http.timeoutMs (5 s) is longer than the run's budget (2 s): the request's
    // deadline is then what is left of the budget, and a fast answer must still arrive.
    const result = await evaluate(
      `fetch('${allowed.origin}/echo').then(function (r) { return r.json(); }).then(function (b) { done(b.method); }, function (e) { done(describeError(e)); });`,
      { modules: { http: { allow: [allowed.host] } }, limits: { timeoutMs: 2_000 } },
    )
    expect(result).toBe('GET')
  })

  it('the run’s budget bounds a slow request: ERR_RULE_TIMEOUT, and the upstream connection is closed', async () => {
    const started = Date.now()
    const err = await failSnippet(`fetch('${allowed.origin}/slow').then(function () { done('answered'); }, function (e) { callback(e); });`, {
      modules: { http: { allow: [allowed.host], timeoutMs: 5_000 } },
      limits: { timeoutMs: 400 },
    })
    expect(err.code).toBe('ERR_RULE_TIMEOUT')
    expect(Date.now() - started).toBeLessThan(2_500)
    await vi.waitFor(() => expect(allowed.aborted).toEqual(['/slow']), { timeout: 1_000 })
  })
})

describe('response size cap', () => {
  beforeEach(() => {
    allowed.on('/declared', (_req, res) => json(res, 200, { pad: 'x'.repeat(2_000) }))
    allowed.on('/chunked', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      for (let i = 0; i < 10; i++) res.write('y'.repeat(1_000))
      res.end()
    })
    allowed.on('/exact', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' })
      res.end('z'.repeat(1_000))
    })
  })

  it.each(['/declared', '/chunked'])('an answer larger than maxResponseBytes (%s) is ERR_RESPONSE_TOO_LARGE', async (path) => {
    const result = await evaluate(
      `fetch('${allowed.origin}${path}').then(function () { done('read'); }, function (e) { done([e.code, e.message]); });`,
      http({ maxResponseBytes: 1_000 }),
    )
    expect(result).toEqual(['ERR_RESPONSE_TOO_LARGE', `The response from ${allowed.host} is larger than 1000 bytes.`])
  })

  it('an answer of exactly maxResponseBytes is read', async () => {
    const result = await evaluate(
      `fetch('${allowed.origin}/exact').then(function (r) { return r.text(); }).then(function (t) { done(t.length); }, function (e) { done(describeError(e)); });`,
      http({ maxResponseBytes: 1_000 }),
    )
    expect(result).toBe(1_000)
  })
})

describe('the injected fetch', () => {
  it('receives every call of every client style, with method, headers and body; its answer reaches the rule', async () => {
    const hostFetch = vi.fn(
      async (input: string | URL | Request, init?: RequestInit) =>
        new Response(JSON.stringify({ seen: String(input), method: init?.method }), { status: 201, headers: { 'content-type': 'application/json' } }),
    )
    const result = await evaluate(
      `(async function () {
         var out = [];
         out.push(await (await fetch('https://api.example.com/v1/users?id=1', { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json', authorization: 'Bearer t' } })).json());
         out.push(await (await require('node-fetch')('https://api.example.com/nf')).json());
         out.push((await require('axios').put('https://api.example.com/ax', { b: 2 })).data);
         out.push(await new Promise(function (resolve) { require('request')({ url: 'https://api.example.com/rq', method: 'DELETE', json: true }, function (err, res, body) { resolve(err ? describeError(err) : body); }); }));
         done(out);
       })().catch(function (e) { done(describeError(e)); });`,
      { modules: { http: { allow: ['api.example.com'], timeoutMs: 1_000, fetch: hostFetch as unknown as typeof fetch } } },
    )
    expect(result).toEqual([
      { seen: 'https://api.example.com/v1/users?id=1', method: 'POST' },
      { seen: 'https://api.example.com/nf', method: 'GET' },
      { seen: 'https://api.example.com/ax', method: 'PUT' },
      { seen: 'https://api.example.com/rq', method: 'DELETE' },
    ])
    expect(hostFetch).toHaveBeenCalledTimes(4)
    const [url, init] = hostFetch.mock.calls[0] as [URL, RequestInit]
    expect(String(url)).toBe('https://api.example.com/v1/users?id=1')
    expect(init).toMatchObject({
      method: 'POST',
      body: '{"a":1}',
      redirect: 'manual',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
    })
    expect(init.signal).toBeInstanceOf(AbortSignal)
    expect(hostFetch.mock.calls[2]?.[1]).toMatchObject({ method: 'PUT', body: '{"b":2}' })
  })

  it('an injected fetch that fails reaches the rule as an Error with a code', async () => {
    const hostFetch = vi.fn(async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND api.example.com'), { code: 'ENOTFOUND' }) })
    })
    const result = await evaluate(`fetch('https://api.example.com/x').then(function () { done('ok'); }, function (e) { done([e.code, e.message]); });`, {
      modules: { http: { allow: ['api.example.com'], timeoutMs: 1_000, fetch: hostFetch as unknown as typeof fetch } },
    })
    expect(result).toEqual(['ENOTFOUND', 'HTTP request to api.example.com failed: ENOTFOUND'])
  })

  it('nobody listening on an allowed port is ECONNREFUSED', async () => {
    const port = await closedPort()
    const result = await evaluate(`fetch('http://127.0.0.1:${port}/').then(function () { done('ok'); }, function (e) { done(e.code); });`, {
      modules: { http: { allow: [`127.0.0.1:${port}`] } },
      limits: { timeoutMs: 10_000 },
    })
    expect(result).toBe('ECONNREFUSED')
  })
})

describe('without modules.http', () => {
  it('there is no fetch, no Headers, and request/axios/node-fetch are not allowed', async () => {
    const result = await evaluate(
      `var out = [typeof fetch, typeof Headers];
       ['request', 'axios', 'node-fetch'].forEach(function (name) { try { require(name); out.push('loaded'); } catch (e) { out.push(e.code); } });
       done(out);`,
    )
    expect(result).toEqual(['undefined', 'undefined', 'ERR_MODULE_NOT_ALLOWED', 'ERR_MODULE_NOT_ALLOWED', 'ERR_MODULE_NOT_ALLOWED'])
  })

  it("an uncaught require('axios') fails the run with ERR_MODULE_NOT_ALLOWED", async () => {
    await using engine = await engineWith([rule('calls-out', `var axios = require('axios'); callback(null, user, context);`)])
    const err = await rejection(engine.run(passwordInput()))
    expect(err.code).toBe('ERR_MODULE_NOT_ALLOWED')
    expect(err.module).toBe('axios')
  })
})
