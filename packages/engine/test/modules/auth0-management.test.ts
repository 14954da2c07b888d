/**
 * `auth0.accessToken` and the in-process Management API (engine options `auth0.accessToken` and
 * `auth0.managementApi`), in both isolation modes: the token is minted once per run for the run's
 * own user and client, never reaches logs, errors, warnings, stats or the result unless a rule puts
 * it there; requests below https://<domain>/api/v2 go to the handler with no network and no
 * allow-list entry, under the HTTP limits; the rest of that host follows `modules.http`; a handler
 * that rejects fails the run.
 */
import { describe, expect, it, vi } from 'vitest'
import type { EngineOptions } from '@tokenrules/engine'
import { engineWith, passwordInput, rejection, rule } from '../helpers.js'

const DOMAIN = 'tenant.example'
const USER_ID = 'auth0|5f7c8ec7c33c6c004bbafe82'
const SECRET = 'tok_' + 'x'.repeat(40)
const CLIENT_ID = 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6'

/** A handler that answers what it was asked, for tests to look at. */
function echoApi(seen: Request[] = []) {
  return vi.fn(async (request: Request) => {
    seen.push(request)
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text()
    return Response.json({ method: request.method, url: request.url, authorization: request.headers.get('authorization'), body })
  })
}

function options(extra: Partial<EngineOptions['auth0'] & object> = {}, rest: Partial<EngineOptions> = {}): Partial<EngineOptions> {
  return { auth0: { domain: DOMAIN, ...extra }, ...rest }
}

describe.each(['thread', 'process'] as const)('isolation: %s', (isolation) => {
  it('auth0.accessToken is minted once per run, for the input user and client, even when a rule changed user.user_id', async () => {
    const accessToken = vi.fn(({ userId, clientId }: { userId: string; clientId: string | undefined }) => `${SECRET}:${userId}:${clientId}`)
    await using engine = await engineWith(
      [
        rule(
          'read',
          `user.user_id = 'someone-else';
           var a = auth0.accessToken; var b = auth0.accessToken;
           context.idToken['https://t.example/same'] = a === b;
           context.idToken['https://t.example/token'] = a;
           callback(null, user, context);`,
        ),
        rule(
          'again',
          `context.idToken['https://t.example/again'] = auth0.accessToken === context.idToken['https://t.example/token']; callback(null, user, context);`,
        ),
      ],
      { ...options({ accessToken }), isolation },
    )
    const first = await engine.run(passwordInput())
    expect(first.idToken.claims['https://t.example/same']).toBe(true)
    expect(first.idToken.claims['https://t.example/again']).toBe(true)
    expect(first.idToken.claims['https://t.example/token']).toBe(`${SECRET}:${USER_ID}:${CLIENT_ID}`)
    expect(accessToken).toHaveBeenCalledTimes(1)
    expect(accessToken).toHaveBeenCalledWith({ userId: USER_ID, clientId: CLIENT_ID })
    await engine.run(passwordInput())
    expect(accessToken).toHaveBeenCalledTimes(2)
  })

  it('auth0.accessToken is not enumerable (logging auth0 neither mints nor prints it), and undefined without the option', async () => {
    const accessToken = vi.fn(() => SECRET)
    await using engine = await engineWith(
      [rule('log', `console.log(JSON.stringify(auth0)); console.log(Object.keys(auth0).join(',')); callback(null, user, context);`)],
      { ...options({ accessToken }), isolation },
    )
    const result = await engine.run(passwordInput())
    expect(accessToken).not.toHaveBeenCalled()
    expect(JSON.stringify(result)).not.toContain(SECRET)
    expect(result.logs.map((entry) => entry.message).join('\n')).toContain('tenant.example')

    await using plain = await engineWith([rule('read', `context.idToken['https://t.example/t'] = typeof auth0.accessToken; callback(null, user, context);`)], {
      isolation,
    })
    expect((await plain.run(passwordInput())).idToken.claims['https://t.example/t']).toBe('undefined')
  })

  it("a rule's own value for auth0.accessToken lasts for its run only: the next run reads a minted token", async () => {
    const accessToken = vi.fn(() => SECRET)
    await using engine = await engineWith(
      [
        rule(
          'assign',
          `var before = auth0.accessToken;
           auth0.accessToken = 'mine';
           context.idToken['https://t.example/t'] = [before === '${SECRET}', auth0.accessToken];
           callback(null, user, context);`,
        ),
      ],
      { ...options({ accessToken }), isolation },
    )
    expect((await engine.run(passwordInput())).idToken.claims['https://t.example/t']).toEqual([true, 'mine'])
    expect((await engine.run(passwordInput())).idToken.claims['https://t.example/t']).toEqual([true, 'mine'])
    expect(accessToken).toHaveBeenCalledTimes(2)
  })

  it('a hook that fails or returns a non-string makes the read throw, naming the hook, never a value', async () => {
    for (const hook of [() => Promise.reject(new Error('store down')), () => 42 as unknown as string, () => '', () => 'y'.repeat(20_000)]) {
      await using engine = await engineWith(
        [
          rule(
            'read',
            `try { auth0.accessToken; context.idToken['https://t.example/e'] = 'no error'; } catch (e) { context.idToken['https://t.example/e'] = e.message; }
             callback(null, user, context);`,
          ),
        ],
        { ...options({ accessToken: hook }), isolation },
      )
      const message = (await engine.run(passwordInput())).idToken.claims['https://t.example/e'] as string
      expect(message).toMatch(/^auth0\.accessToken could not be minted: /)
      expect(message).not.toContain('yyyy')
    }
  })

  it('fetch, request and axios to auth0.baseUrl reach the handler in-process, with no modules.http and no DNS', async () => {
    const seen: Request[] = []
    const managementApi = echoApi(seen)
    await using engine = await engineWith(
      [
        rule(
          'call',
          `var token = auth0.accessToken;
           fetch(auth0.baseUrl + '/users/' + encodeURIComponent(user.user_id), { headers: { Authorization: 'Bearer ' + token } })
             .then(function (res) { return res.json(); })
             .then(function (a) {
               context.idToken['https://t.example/fetch'] = a;
               require('request').patch({ url: auth0.baseUrl + '/users/' + encodeURIComponent(user.user_id), json: { app_metadata: { a: 1 } }, headers: { Authorization: 'Bearer ' + token } }, function (err, res, body) {
                 if (err) return callback(err);
                 context.idToken['https://t.example/request'] = [res.statusCode, body.method, JSON.parse(body.body)];
                 require('axios').get(auth0.baseUrl + '/users-by-email', { params: { email: 'a@b.example' }, headers: { Authorization: 'Bearer ' + token } })
                   .then(function (r) { context.idToken['https://t.example/axios'] = r.data.url; callback(null, user, context); })
                   .catch(callback);
               });
             })
             .catch(callback);`,
        ),
      ],
      { ...options({ accessToken: () => SECRET, managementApi }), isolation },
    )
    const result = await engine.run(passwordInput())
    expect(result.idToken.claims['https://t.example/fetch']).toMatchObject({
      method: 'GET',
      url: `https://${DOMAIN}/api/v2/users/auth0%7C5f7c8ec7c33c6c004bbafe82`,
      authorization: `Bearer ${SECRET}`,
    })
    expect(result.idToken.claims['https://t.example/request']).toEqual([200, 'PATCH', { app_metadata: { a: 1 } }])
    expect(result.idToken.claims['https://t.example/axios']).toBe(`https://${DOMAIN}/api/v2/users-by-email?email=a%40b.example`)
    expect(managementApi).toHaveBeenCalledTimes(3)
    const text = JSON.stringify({ ...result, idToken: undefined })
    expect(text).not.toContain(SECRET)
  })

  it('only https://<domain>/api/v2 and below is in-process: the rest of the host, http:, other paths and dot segments follow modules.http', async () => {
    const managementApi = echoApi()
    await using engine = await engineWith(
      [
        rule(
          'probe',
          `var urls = ['https://${DOMAIN}/api/v2', 'https://${DOMAIN}/api/v2x', 'https://${DOMAIN}/oauth/token', 'http://${DOMAIN}/api/v2/users', 'https://${DOMAIN}/api/v2/../secret', 'https://${DOMAIN}:8443/api/v2/users', 'https://other.example/api/v2/users'];
           Promise.all(urls.map(function (u) { return fetch(u).then(function (r) { return 'ok ' + r.status; }, function (e) { return e.code; }); }))
             .then(function (out) { context.idToken['https://t.example/out'] = out; callback(null, user, context); });`,
        ),
      ],
      { ...options({ managementApi }), isolation },
    )
    const result = await engine.run(passwordInput())
    expect(result.idToken.claims['https://t.example/out']).toEqual([
      'ok 200',
      'ERR_HTTP_NOT_ALLOWED',
      'ERR_HTTP_NOT_ALLOWED',
      'ERR_HTTP_NOT_ALLOWED',
      'ERR_HTTP_NOT_ALLOWED',
      'ERR_HTTP_NOT_ALLOWED',
      'ERR_HTTP_NOT_ALLOWED',
    ])
    expect(managementApi).toHaveBeenCalledTimes(1)
  })

  it('POST https://<domain>/oauth/token is in-process too (node-auth0 client credentials); any other method, path or origin of it follows modules.http', async () => {
    const seen: Request[] = []
    const managementApi = echoApi(seen)
    await using engine = await engineWith(
      [
        rule(
          'probe',
          `var calls = [
             ['POST', 'https://${DOMAIN}/oauth/token'],
             ['GET', 'https://${DOMAIN}/oauth/token'],
             ['PUT', 'https://${DOMAIN}/oauth/token'],
             ['POST', 'https://${DOMAIN}/oauth/token/x'],
             ['POST', 'https://${DOMAIN}/oauth/revoke'],
             ['POST', 'https://${DOMAIN}/oauth/../oauth/token'],
             ['POST', 'http://${DOMAIN}/oauth/token'],
             ['POST', 'https://${DOMAIN}:8443/oauth/token'],
             ['POST', 'https://other.example/oauth/token'],
           ];
           Promise.all(calls.map(function (c) {
             return fetch(c[1], { method: c[0], headers: { 'content-type': 'application/json' }, body: c[0] === 'GET' ? undefined : JSON.stringify({ grant_type: 'client_credentials' }) })
               .then(function (r) { return r.json().then(function (b) { return 'ok ' + b.method + ' ' + b.url; }); }, function (e) { return e.code; });
           })).then(function (out) { context.idToken['https://t.example/out'] = out; callback(null, user, context); });`,
        ),
      ],
      { ...options({ managementApi }), isolation, modules: { http: { allow: [], methods: ['GET', 'POST', 'PUT'] } } },
    )
    const result = await engine.run(passwordInput())
    expect(result.idToken.claims['https://t.example/out']).toEqual([
      `ok POST https://${DOMAIN}/oauth/token`,
      'ERR_HTTP_NOT_ALLOWED',
      'ERR_HTTP_NOT_ALLOWED',
      'ERR_HTTP_NOT_ALLOWED',
      'ERR_HTTP_NOT_ALLOWED',
      // Dot segments are resolved first: this is /oauth/token, the same endpoint.
      `ok POST https://${DOMAIN}/oauth/token`,
      'ERR_HTTP_NOT_ALLOWED',
      'ERR_HTTP_NOT_ALLOWED',
      'ERR_HTTP_NOT_ALLOWED',
    ])
    expect(managementApi).toHaveBeenCalledTimes(2)
    expect(seen.map((request) => [request.method, request.headers.get('content-type')])).toEqual([
      ['POST', 'application/json'],
      ['POST', 'application/json'],
    ])
  })

  it('an allowed host that redirects a POST to https://<domain>/oauth/token with 302 turns it into a GET, which is not served in-process', async () => {
    const managementApi = echoApi()
    const redirecting = vi.fn(async () => new Response(null, { status: 302, headers: { location: `https://${DOMAIN}/oauth/token` } }))
    await using engine = await engineWith(
      [
        rule(
          'probe',
          `fetch('https://hop.example/start', { method: 'POST', body: 'x' }).then(function (r) { return 'ok ' + r.status; }, function (e) { return e.code; })
             .then(function (out) { context.idToken['https://t.example/out'] = out; callback(null, user, context); });`,
        ),
      ],
      { ...options({ managementApi }), isolation, modules: { http: { allow: ['hop.example'], fetch: redirecting as unknown as typeof fetch } } },
    )
    expect((await engine.run(passwordInput())).idToken.claims['https://t.example/out']).toBe('ERR_HTTP_NOT_ALLOWED')
    expect(managementApi).not.toHaveBeenCalled()
  })

  it('the HTTP limits apply: methods, response size, requests per run, and a handler that never answers times out', async () => {
    const big = vi.fn(async () => new Response('z'.repeat(5_000)))
    const never = vi.fn(() => new Promise<Response>(() => undefined))
    const cases: [EngineOptions['auth0'] & object, string, unknown][] = [
      [{ domain: DOMAIN, managementApi: big }, `fetch(auth0.baseUrl + '/users/x')`, 'ERR_RESPONSE_TOO_LARGE'],
      [{ domain: DOMAIN, managementApi: never }, `fetch(auth0.baseUrl + '/users/x')`, 'ETIMEDOUT'],
      [{ domain: DOMAIN, managementApi: echoApi() }, `fetch(auth0.baseUrl + '/users/x', { method: 'DELETE' })`, 'ERR_HTTP_NOT_ALLOWED'],
    ]
    for (const [auth0, call, code] of cases) {
      await using engine = await engineWith(
        [
          rule(
            'probe',
            `${call}.then(function (r) { return r.text(); }).then(function () { return 'ok'; }, function (e) { return e.code; }).then(function (out) { context.idToken['https://t.example/out'] = out; callback(null, user, context); });`,
          ),
        ],
        { auth0, isolation, modules: { http: { allow: [], maxResponseBytes: 1_000, timeoutMs: 200, methods: ['GET', 'PATCH'] } } },
      )
      expect((await engine.run(passwordInput())).idToken.claims['https://t.example/out']).toBe(code)
    }
  })

  it('a handler that rejects fails the run with ERR_METADATA_UPDATE_FAILED, whatever the rule does with the error', async () => {
    const managementApi = vi.fn(async () => {
      throw new Error('SQLITE_BUSY')
    })
    await using engine = await engineWith(
      [
        rule(
          'swallow',
          `fetch(auth0.baseUrl + '/users/x', { method: 'PATCH', body: '{}' }).catch(function () { return null; }).then(function () { callback(null, user, context); });`,
        ),
      ],
      { ...options({ managementApi }), isolation },
    )
    const error = await rejection(engine.run(passwordInput()))
    expect(error.code).toBe('ERR_METADATA_UPDATE_FAILED')
    expect(error.message).toContain('auth0.managementApi failed for PATCH /api/v2/users/x: SQLITE_BUSY')
    expect(error.toOAuthError().status).toBe(500)
  })
})

describe('options', () => {
  it('auth0.managementApi needs auth0.domain, and auth0.domain must be a host', async () => {
    await expect(engineWith([], { auth0: { managementApi: async () => new Response() } })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      issues: [expect.objectContaining({ path: ['auth0', 'managementApi'] })],
    })
    for (const domain of ['https://tenant.example', 'tenant.example/path', 'user@tenant.example', 'a b']) {
      await expect(engineWith([], { auth0: { domain } })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    }
    await using ok = await engineWith([], { auth0: { domain: 'tenant.example:8443', accessToken: () => 't' } })
    expect(ok).toBeDefined()
  })
})
