/**
 * Bundled packages as Node runs them (lib/packages.ts, guest/bridge.js's packageRequire): optional
 * requires that resolve to nothing fail at that require, when it runs; clients bundled inside a
 * package (axios inside auth0@2, node-fetch inside @octokit/rest) reach the same shims and HTTP
 * policy as a rule's own require; two versions of one package live side by side; a package that
 * requires fs loads and fails only when it calls fs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import jwt from 'jsonwebtoken'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, type EngineOptions } from '@tokenrules/engine'
import { rejection } from '../helpers.js'
import { evaluate, RESOLVE_FROM, runSnippet } from './support.js'

/** Packages written for these tests into a directory of their own (resolveFrom). */
let fixtures: string
function writePackage(dir: string, pkg: Record<string, unknown>, files: Record<string, string>) {
  const root = join(fixtures, 'node_modules', dir)
  mkdirSync(root, { recursive: true })
  writeFileSync(join(root, 'package.json'), JSON.stringify(pkg))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text)
}
beforeAll(() => {
  fixtures = mkdtempSync(join(tmpdir(), 'tokenrules-bundled-'))
  // Two versions of one package, installed under npm aliases (lib-0.1.0@npm:lib@0.1.0, …).
  for (const version of ['0.1.0', '0.2.0']) {
    writePackage(`lib-${version}`, { name: 'lib', version, main: 'index.js' }, { 'index.js': `exports.version = ${JSON.stringify(version)}; exports.id = {};` })
  }
  writePackage(
    'optional-deps',
    { name: 'optional-deps', version: '1.0.0', main: 'index.js' },
    {
      'index.js': `
        exports.common = function () { return 'common path' };
        exports.withProxy = function () { return require('not-installed-proxy') };
        exports.relative = function () { return require('./not-there.js') };
        var probed; try { probed = require('not-installed-either') } catch (e) { probed = e.code }
        exports.probed = probed;`,
    },
  )
  writePackage(
    'uses-host',
    { name: 'uses-host', version: '1.0.0', main: 'index.js' },
    {
      'index.js': `
        var fs = require('fs'), net = require('net'), cp = require('node:child_process'), util = require('util');
        function Agent() {} util.inherits(Agent, net.Socket);
        exports.loaded = [typeof fs.readFileSync, typeof fs.promises.readFile, typeof Agent.prototype, String(fs.__esModule), typeof fs.then];
        exports.read = function () { return fs.readFileSync('/etc/passwd', 'utf8') };
        exports.readAsync = function () { return fs.promises.readFile('/etc/passwd') };
        exports.connect = function () { return new net.Socket() };
        exports.spawn = function () { return cp.spawn('sh') };`,
    },
  )
  writePackage(
    'uses-clients',
    { name: 'uses-clients', version: '1.0.0', main: 'index.js' },
    {
      'index.js': `
        var axios = require('axios'), jwt = require('jsonwebtoken');
        exports.get = function (url) { return axios.get(url).then(function (r) { return r.data }) };
        exports.sign = function () { return jwt.sign({ sub: 'a' }, 'secret', { algorithm: 'HS256', noTimestamp: true }) };`,
    },
  )
})
afterAll(() => rmSync(fixtures, { recursive: true, force: true }))

const local = (
  packages: EngineOptions['modules'] extends infer M ? (M extends { packages?: infer P } ? P : never) : never,
  extra: Partial<EngineOptions['modules']> = {},
) => ({
  modules: { packages, resolveFrom: fixtures, ...extra },
})

describe('optional requires that do not resolve', () => {
  it('bundle fine; the common path works; the require fails when it runs, with MODULE_NOT_FOUND naming the module', async () => {
    const result = await evaluate(
      `var p = require('optional-deps'), out = [p.common(), p.probed];
       ['withProxy', 'relative'].forEach(function (m) { try { p[m](); out.push('loaded') } catch (e) { out.push([e.code, e.moduleName, e.message]) } });
       done(out);`,
      local(['optional-deps']),
    )
    expect(result).toEqual([
      'common path',
      'MODULE_NOT_FOUND',
      [
        'MODULE_NOT_FOUND',
        'not-installed-proxy',
        "Cannot find module 'not-installed-proxy': it was not installed where the package was bundled from (modules.resolveFrom).",
      ],
      [
        'MODULE_NOT_FOUND',
        './not-there.js',
        "Cannot find module './not-there.js': it was not installed where the package was bundled from (modules.resolveFrom).",
      ],
    ])
  })

  it("auth0@2 (rest-facade's require('superagent-proxy') is not installed) loads at createEngine and builds its clients", async () => {
    const result = await evaluate(
      `var auth0 = require('auth0');
       var m = new auth0.ManagementClient({ token: 't', domain: 'tenant.example.com' });
       var a = new auth0.AuthenticationClient({ domain: 'tenant.example.com', clientId: 'c' });
       done([typeof m.users.get, typeof m.getUser, typeof a.users.getInfo, typeof a.passwordGrant]);`,
      { modules: { packages: ['auth0'], resolveFrom: RESOLVE_FROM } },
    )
    expect(result).toEqual(['function', 'function', 'function', 'function'])
  })
})

describe('clients bundled inside packages reach the shims and the HTTP policy', () => {
  const seen: { url: string; method: string; headers: Record<string, string> }[] = []
  const fakeFetch = async (url: URL, init: RequestInit) => {
    seen.push({ url: String(url), method: String(init.method), headers: Object.fromEntries(new Headers(init.headers).entries()) })
    return Response.json({ sub: 'auth0|1', email: 'ada@example.com', login: 'octo', id: 7 })
  }

  it("auth0@2's axios: AuthenticationClient.users.getInfo goes through modules.http's fetch", async () => {
    seen.length = 0
    const result = await evaluate(
      `var auth0 = require('auth0');
       new auth0.AuthenticationClient({ domain: 'tenant.example.com', clientId: 'c' }).users.getInfo('user-token')
         .then(function (info) { done(info) }, function (e) { done(describeError(e)) });`,
      { modules: { packages: ['auth0'], resolveFrom: RESOLVE_FROM, http: { allow: ['tenant.example.com'], fetch: fakeFetch as never } } },
    )
    expect(result).toEqual({ sub: 'auth0|1', email: 'ada@example.com', login: 'octo', id: 7 })
    expect(seen).toMatchObject([{ url: 'https://tenant.example.com/userinfo', method: 'GET', headers: { authorization: 'Bearer user-token' } }])
  })

  it("@octokit/rest's node-fetch goes through the same policy; a host it does not allow is refused the same way", async () => {
    seen.length = 0
    const options = { modules: { packages: ['@octokit/rest'], resolveFrom: RESOLVE_FROM, http: { allow: ['api.github.com'], fetch: fakeFetch as never } } }
    const result = await evaluate(
      `var Octokit = require('@octokit/rest').Octokit;
       var ok = new Octokit({ auth: 'gh-token' });
       var other = new Octokit({ baseUrl: 'https://evil.example' });
       ok.users.getByUsername({ username: 'octo' }).then(function (r) {
         return other.users.getByUsername({ username: 'x' }).then(function () { done('evil reached') }, function (e) { done([r.status, r.data.login, e.status === undefined ? e.code : e.status, String(e.message).indexOf('modules.http.allow') !== -1]) });
       }, function (e) { done(describeError(e)) });`,
      options,
    )
    expect(result).toEqual([200, 'octo', 500, true])
    expect(seen).toMatchObject([{ url: 'https://api.github.com/users/octo', method: 'GET', headers: { authorization: 'token gh-token' } }])
  })

  it("slack-notify's own require('https') is the sandbox's Node client over the same bridge", async () => {
    seen.length = 0
    const bodies: string[] = []
    const slack = async (url: URL, init: RequestInit) => {
      seen.push({ url: String(url), method: String(init.method), headers: Object.fromEntries(new Headers(init.headers).entries()) })
      bodies.push(new TextDecoder().decode(init.body as Uint8Array))
      return new Response('ok')
    }
    const result = await evaluate(
      `require('slack-notify')('https://hooks.slack.example/services/T/B/x').send({ channel: '#ops', text: 'login by ' + user.email })
         .then(function () { done('sent') }, function (e) { done(describeError(e)) });`,
      { modules: { packages: ['slack-notify'], resolveFrom: RESOLVE_FROM, http: { allow: ['hooks.slack.example'], fetch: slack as never } } },
    )
    expect(result).toBe('sent')
    expect(seen).toMatchObject([{ url: 'https://hooks.slack.example/services/T/B/x', method: 'POST' }])
    expect(JSON.parse(bodies[0] ?? '')).toEqual({ channel: '#ops', text: 'login by ada@example.com' })
  })

  it("a rule's own require('https') is the same client, allowed with modules.http", async () => {
    seen.length = 0
    const result = await evaluate(
      `require('https').get('https://tenant.example.com/info', function (res) {
         var text = ''; res.setEncoding('utf8'); res.on('data', function (c) { text += c }); res.on('end', function () { done([res.statusCode, JSON.parse(text).sub, require('https') === require('node:https')]) });
       }).on('error', function (e) { done(describeError(e)) });`,
      { modules: { http: { allow: ['tenant.example.com'], fetch: fakeFetch as never } } },
    )
    expect(result).toEqual([200, 'auth0|1', true])
    expect(seen.map((s) => s.url)).toEqual(['https://tenant.example.com/info'])
    expect(await evaluate(`try { require('https'); done('loaded') } catch (e) { done(e.code) }`)).toBe('ERR_MODULE_NOT_ALLOWED')
  })

  it('a bundled axios and jsonwebtoken are the shims when granted, and refused when called when not', async () => {
    seen.length = 0
    const granted = await evaluate(
      `var c = require('uses-clients');
       c.get('https://tenant.example.com/x').then(function (data) { done([data.sub, c.sign()]) }, function (e) { done(describeError(e)) });`,
      local(['uses-clients'], { http: { allow: ['tenant.example.com'], fetch: fakeFetch as never }, crypto: true }),
    )
    expect(granted).toEqual(['auth0|1', jwt.sign({ sub: 'a' }, 'secret', { algorithm: 'HS256', noTimestamp: true })])
    expect(seen.map((s) => s.url)).toEqual(['https://tenant.example.com/x'])
    const refused = await evaluate(
      `var c = require('uses-clients'), out = [];
       try { c.get('https://tenant.example.com/x'); out.push('sent') } catch (e) { out.push([e.code, e.moduleName, e.member, e.message]) }
       try { c.sign(); out.push('signed') } catch (e) { out.push([e.code, e.moduleName, e.member]) }
       done(out);`,
      local(['uses-clients']),
    )
    expect(refused).toEqual([
      [
        'ERR_MODULE_NOT_ALLOWED',
        'axios',
        'get',
        'axios.get is not available in the sandbox: it is served by the engine only when the integrator grants modules.http.',
      ],
      ['ERR_MODULE_NOT_ALLOWED', 'jsonwebtoken', 'sign'],
    ])
  })
})

describe('modules a sandbox never has, inside a package', () => {
  it('a package requiring fs, net and child_process loads; each call throws ERR_MODULE_NOT_ALLOWED naming module and member', async () => {
    const result = await evaluate(
      `var p = require('uses-host'), out = { loaded: p.loaded };
       out.calls = ['read', 'readAsync', 'connect', 'spawn'].map(function (m) { try { p[m](); return 'ran' } catch (e) { return [e.code, e.moduleName, e.member, e instanceof Error] } });
       done(out);`,
      local(['uses-host']),
    )
    expect(result).toEqual({
      loaded: ['function', 'function', 'object', 'undefined', 'undefined'],
      calls: [
        ['ERR_MODULE_NOT_ALLOWED', 'fs', 'readFileSync', true],
        ['ERR_MODULE_NOT_ALLOWED', 'fs', 'promises.readFile', true],
        ['ERR_MODULE_NOT_ALLOWED', 'net', 'Socket', true],
        ['ERR_MODULE_NOT_ALLOWED', 'child_process', 'spawn', true],
      ],
    })
  })
})

describe('two versions of one package', () => {
  // A function: the fixtures' directory exists once beforeAll has run.
  const versions = () =>
    local([
      { name: 'lib', version: '0.1.0', from: 'lib-0.1.0' },
      { name: 'lib', version: '0.2.0', from: 'lib-0.2.0' },
    ])

  it('each rule gets the version it pins, one evaluation of each per isolate; a bare require gets the first listed', async () => {
    const result = await evaluate(
      `var a = require('lib@0.1.0'), b = require('lib@0.2.0'), c = require('lib'), d = require('lib@^0.2.0');
       done([a.version, b.version, c.version, d.version, a === require('lib@0.1.0'), a.id === c.id, b === d]);`,
      versions(),
    )
    expect(result).toEqual(['0.1.0', '0.2.0', '0.1.0', '0.2.0', true, true, true])
  })

  it('two rules of one set, each with its own version', async () => {
    await using engine = await createEngine({
      ...versions(),
      rules: [
        {
          name: 'old',
          script: `function (user, context, callback) { context.idToken['https://x/old'] = require('lib@0.1.0').version; callback(null, user, context) }`,
        },
        {
          name: 'new',
          script: `function (user, context, callback) { context.idToken['https://x/new'] = require('lib@0.2.0').version; callback(null, user, context) }`,
        },
      ],
    })
    const result = await engine.run({ user: { user_id: 'u' }, context: { clientID: 'c', protocol: 'oauth2-password' } })
    expect(result.idToken.claims).toMatchObject({ 'https://x/old': '0.1.0', 'https://x/new': '0.2.0' })
  })

  it('a version no entry has: another major is refused at createEngine, the same major loads the first listed with a warning', async () => {
    const error = await rejection(
      createEngine({
        ...versions(),
        rules: [{ name: 'r', script: `function (user, context, callback) { require('lib@1.0.0'); callback(null, user, context) }` }],
      }),
    )
    expect(error).toMatchObject({
      code: 'ERR_RULE_COMPILE',
      message: "Rule 'r' requires lib@1.0.0, but lib@0.1.0, lib@0.2.0 are installed (another major version).",
    })
    // The same major (0): the first listed, with a warning, as for a single installed version.
    const result = await runSnippet(`done(require('lib@0.3.0').version)`, versions())
    expect(result.idToken.claims['https://t.example/out']).toBe('0.1.0')
    expect(result.warnings).toMatchObject([
      { code: 'MODULE_VERSION_MISMATCH', message: "Rule 'snippet' asked for lib@0.3.0; it runs on the installed lib@0.1.0." },
    ])
  })

  it('bad entries are clear configuration errors', async () => {
    const cases: [unknown, string][] = [
      [[{ name: 'lib', from: 'lib-0.1.0' }], "modules.packages[0].version: is required with 'from'"],
      [[{ name: 'lib', version: '0.2.0', from: 'lib-0.1.0' }], "'lib-0.1.0' holds lib@0.1.0, which does not satisfy the version 0.2.0 asked for"],
      [[{ name: 'lib', version: '0.1.0', from: 'lib-9.9.9' }], "cannot resolve 'lib-9.9.9' (the installed directory of lib)"],
      [[{ name: 'lib', version: 'latest', from: 'lib-0.1.0' }], "must be a version such as '0.1.0'"],
      [[{ name: 'Not A Name' }], 'must be an npm package name'],
      [[{ name: 'lib', version: '0.1.0', from: 'lib-0.1.0', extra: 1 }], 'extra'],
      [
        [
          { name: 'lib', version: '0.1.0', from: 'lib-0.1.0' },
          { name: 'lib', version: '^0.1.0', from: 'lib-0.1.0' },
        ],
        'installs lib@0.1.0 again, as modules.packages[0] does',
      ],
      [[{ name: 'axios', version: '1.0.0' }], "'axios' is not bundled: it is served by modules.http"],
      [[{ name: 'events', version: '3.3.0' }], "'events' is the sandbox's built-in: it takes no version or 'from'"],
    ]
    for (const [packages, message] of cases) {
      const error = await rejection(createEngine({ rules: [], modules: { packages: packages as never, resolveFrom: fixtures } }))
      expect(error, JSON.stringify(packages)).toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringContaining(message) })
    }
  })
})
