/**
 * GHSA-864f-rcv7-6rh4 (isolated-vm) needs guest code that holds an isolated-vm object (a
 * `Reference`, an `ExternalCopy`, a `Callback` function, the classes behind them) or an object of
 * another realm. This file proves a rule never holds one: the walker of reachability-walker.ts,
 * started first thing in the rule, walks everything reachable from the global object (own and
 * inherited keys, descriptors, getters called, Map and Set entries, prototypes) before any host
 * call, and again after every kind of host call the engine makes, with what each call returned or
 * threw and the arguments of every callback the host made the guest run. Every walk must flag
 * nothing, visit far more objects than a floor measured here, and stay under its bound.
 *
 * The detector is proven first, in bare isolated-vm contexts: a clean context reports nothing; a
 * context where the host planted a Reference, an ExternalCopy, Callbacks and objects of a second
 * context (behind data properties, a getter, a Map, a symbol key, a prototype) reports each. A
 * Callback is the hard one: inside the isolate it is a native function of the guest realm, named
 * and sized like the host function it wraps, so the walker counts native functions by signature
 * against a census of a fresh context (one named `push` shows up as a second `push`). Inside the
 * rule, impostors the rule makes itself are flagged too, so a walker that runs but reports nothing
 * fails.
 */
import ivm from 'isolated-vm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { EngineOptions } from '@tokenrules/engine'
import { RESOLVE_FROM, closedPort, json, startServer, type TestServer } from '../modules/support.js'
import { WALKER } from './reachability-walker.js'
import { FOUND, asRecord, guardHost, harness, hostileRule } from './support.js'

guardHost()

interface Walk {
  visited: number
  hitBound: boolean
  errors: number
  findings: string[]
  findingCount?: number
  error?: string
}

/**
 * Objects a walk from a bare context's global reaches (≈780 on Node 24 / isolated-vm 7.0.1); a walk
 * from a rule's global reaches more (the engine's shims and Buffer: ≈1,370, up to ≈1,450 with what a
 * host call returned). A walker that stops early fails.
 */
const CONTEXT_FLOOR = 600
const RULE_FLOOR = 1_200

/** Native functions of a fresh context, by signature: what a Callback is told apart from. */
let census = ''
beforeAll(() => {
  const isolate = new ivm.Isolate({ memoryLimit: 32 })
  try {
    census = isolate.createContextSync().evalSync(`JSON.stringify((${WALKER})().census())`) as string
  } finally {
    isolate.dispose()
  }
  expect(Object.keys(JSON.parse(census) as object).length).toBeGreaterThan(300)
})

function walkContext(context: ivm.Context, limit?: number): Walk {
  const code = `JSON.stringify((${WALKER})(${JSON.stringify(census)}).walk([['globalThis', globalThis]]${limit === undefined ? '' : `, ${limit}`}))`
  return JSON.parse(context.evalSync(code) as string) as Walk
}

/** The findings about one path, as `path: reasons` (the path without its reasons). */
function reasonsAt(walk: Walk, path: string): string | undefined {
  return walk.findings.find((f) => f.startsWith(`${path}: `))?.slice(path.length + 2)
}

describe('the walker, proven on bare isolated-vm contexts', () => {
  it('a clean context: nothing flagged, hundreds of objects visited, bound not hit', () => {
    const isolate = new ivm.Isolate({ memoryLimit: 32 })
    try {
      const walk = walkContext(isolate.createContextSync())
      expect(walk.findings).toEqual([])
      expect(walk.errors).toBe(0)
      expect(walk.hitBound).toBe(false)
      expect(walk.visited).toBeGreaterThan(CONTEXT_FLOOR)
    } finally {
      isolate.dispose()
    }
  })

  it('the bound is reported when it is hit', () => {
    const isolate = new ivm.Isolate({ memoryLimit: 32 })
    try {
      const walk = walkContext(isolate.createContextSync(), 50)
      expect(walk).toMatchObject({ visited: 50, hitBound: true })
    } finally {
      isolate.dispose()
    }
  })

  it('plants: a Reference, an ExternalCopy, Callbacks and objects of another context are each flagged where they are', () => {
    const isolate = new ivm.Isolate({ memoryLimit: 32 })
    try {
      const context = isolate.createContextSync()
      const other = isolate.createContextSync()
      const g = context.global
      g.setSync('plantedReference', new ivm.Reference({ secret: 1 }))
      g.setSync('plantedExternalCopy', new ivm.ExternalCopy({ secret: 2 }))
      // A Callback is a native function of the guest realm with the wrapped function's name and
      // length: one named like an intrinsic, one anonymous.
      g.setSync(
        'plantedCallback',
        new ivm.Callback(function push(x: unknown) {
          return x
        }),
      )
      g.setSync('plantedArrow', new ivm.Callback((a: unknown, _b: unknown, _c: unknown) => a))
      g.setSync('plantedForeignObject', (other.evalSync('({ x: 1 })', { reference: true }) as ivm.Reference).derefInto())
      g.setSync('plantedForeignPrototype', (other.evalSync('Object.prototype', { reference: true }) as ivm.Reference).derefInto())
      g.setSync('plantedForeignFunction', (other.evalSync('(function foreign() {})', { reference: true }) as ivm.Reference).derefInto())
      // Deeper: behind a getter and a Map, under a symbol key, as a prototype.
      context.evalClosureSync(
        `const ref = $0, copy = $1, foreign = $2;
         Object.defineProperty(globalThis, 'viaGetter', { get() { return { deep: new Map([['k', [ref]]]) }; } });
         globalThis.holder = { [Symbol('hidden')]: ref };
         globalThis.inheritsCopy = Object.create(copy);
         globalThis.inheritsForeign = Object.create(foreign);`,
        [new ivm.Reference({}), new ivm.ExternalCopy([1]), (other.evalSync('({ y: 2 })', { reference: true }) as ivm.Reference).derefInto()],
      )
      const walk = walkContext(context)
      expect(walk.errors).toBe(0)
      expect(walk.hitBound).toBe(false)
      const REFERENCE = /an instance of Reference; inherits the isolated-vm methods derefInto,.*applySync,applySyncPromise,copy\+release/
      const EXTERNAL_COPY = /an instance of ExternalCopy; inherits the isolated-vm methods copyInto,copy\+release/
      const FOREIGN = /prototype chain ends outside the guest realm/
      const expected: Record<string, RegExp> = {
        'globalThis.plantedReference': REFERENCE,
        'globalThis.plantedReference.[[Prototype]]': /has the isolated-vm method derefInto\(\)/,
        'globalThis.plantedReference.[[Prototype]].constructor': /a function named Reference/,
        'globalThis.plantedExternalCopy': EXTERNAL_COPY,
        'globalThis.plantedExternalCopy.[[Prototype]].constructor': /a function named ExternalCopy/,
        'globalThis.plantedCallback': /a native function \(push\/1\/length,name\) reachable 2 times, 1 in a fresh context/,
        'globalThis.plantedArrow': /a native function \(\/3\/length,name\) reachable 1 times, 0 in a fresh context/,
        'globalThis.plantedForeignObject': FOREIGN,
        'globalThis.plantedForeignPrototype.constructor': /a function without the guest realm's Function.prototype in its chain/,
        'globalThis.plantedForeignFunction': /ends outside the guest realm.*a function without the guest realm's Function.prototype/,
        'globalThis.viaGetter.deep.[[MapValue]][0]': REFERENCE,
        'globalThis.holder[Symbol(hidden)]': REFERENCE,
        'globalThis.inheritsCopy': EXTERNAL_COPY,
        'globalThis.inheritsForeign': FOREIGN,
      }
      for (const [path, reason] of Object.entries(expected))
        expect(reasonsAt(walk, path) ?? `nothing flagged; findings: ${walk.findings.join('\n')}`, path).toMatch(reason)
      // The intrinsic whose name the Callback took is reported too: either may be the impostor.
      expect(reasonsAt(walk, 'globalThis.Array.prototype.push')).toMatch(/reachable 2 times, 1 in a fresh context/)
      // Nothing else: every other finding is inside a plant (an object of the other context, the
      // isolated-vm classes' own members) or an intrinsic a plant duplicates.
      const planted = /^globalThis\.(planted|viaGetter|holder|inherits)/
      const duplicated = /reachable \d+ times, \d+ in a fresh context$/
      expect(walk.findings.filter((f) => !planted.test(f) && !duplicated.test(f))).toEqual([])
    } finally {
      isolate.dispose()
    }
  })
})

// ---- the engine: a rule walks after every kind of host call ----------------------------------------

let server: TestServer
let refused = 0
beforeAll(async () => {
  server = await startServer()
  refused = await closedPort()
  server.on('/json', (req, res) => json(res, 200, { method: req.method, url: req.url, nested: { list: [1, { deep: true }] } }, { 'x-server': 'loopback' }))
  server.on('/redirect', (_req, res) => {
    res.writeHead(302, { location: '/json' })
    res.end()
  })
  server.on('/bytes', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    res.end(Buffer.from([0, 1, 2, 255]))
  })
  server.on('/missing', (_req, res) => json(res, 404, { error: 'not_found' }))
})
afterAll(async () => {
  await server.close()
})

class Directory {
  readonly base = 'ldap://dir'
  lookup(id: string) {
    return { dn: `${this.base}/${id}`, groups: ['eng'] }
  }
}

/** The integrator's host functions: results, throws, rejections, callbacks. */
function hostFunctions() {
  return {
    lookup: vi.fn((id: string) => ({
      id,
      tags: ['a', 'b'],
      at: new Date(0),
      bytes: Buffer.from('hi'),
      view: new Uint8Array([1, 2]),
      map: new Map([['k', { v: 1 }]]),
      big: 10n,
      missing: undefined,
      nested: { deep: [1, { x: null }] },
    })),
    lookupAsync: vi.fn(async (id: string) => ({ id, plan: 'gold', at: new Date(0) })),
    boom: vi.fn(() => {
      throw Object.assign(new TypeError('host said no'), { status: 404, detail: { path: '/srv/secret', list: [1] } })
    }),
    boomAsync: vi.fn(async () => {
      throw Object.assign(new Error('host rejected'), { code: 'E_HOST' })
    }),
    throwsString: vi.fn(() => {
      throw 'a string'
    }),
    legacy: vi.fn((id: string, cb: (err: unknown, data?: unknown) => void) => {
      setTimeout(() => cb(null, { id, groups: ['eng'], at: new Date(0), bytes: Buffer.from('x') }), 1)
    }),
    legacyError: vi.fn((cb: (err: unknown) => void) => {
      setTimeout(() => cb(Object.assign(new Error('not found'), { status: 404 })), 1)
    }),
    directory: new Directory(),
    crm: { prefix: 'cus_', settings: { region: 'eu' }, find: vi.fn((id: string) => `cus_${id}`) },
  }
}

/**
 * One step of the rule: statements in an async function of `walk`, which walks the global object
 * plus the `[name, value]` roots it is given (and may be called from a callback, once). Steps run
 * in order; a step that throws is reported as its error.
 */
const STEPS: [label: string, body: string][] = [
  [
    'rule start: global, user, context, callback (before any host call)',
    `walk([['user', user], ['context', context], ['callback', callback], ['arguments', ruleArguments]]);`,
  ],
  ['configuration', `walk([['configuration', configuration], ['value', configuration.SECRET]]);`],
  [
    'lazy Buffer global, require("buffer")',
    `walk([['Buffer', Buffer], ['from', Buffer.from('hello')], ['alloc', Buffer.alloc(4)], ['module', require('buffer')], ['hex', Buffer.from('abc').toString('base64url')]]);`,
  ],
  [
    'console.log / console.error',
    `walk([['log', console.log('walk %s %d %j', 'x', 1, { a: [1] }, new Error('logged'))], ['error', console.error(new TypeError('t'))], ['console', console]]);`,
  ],
  // crypto (modules.crypto)
  [
    'crypto.createHash().digest()',
    `var nodeCrypto = require('crypto'); var h = nodeCrypto.createHash('sha256').update('abc');
    walk([['module', nodeCrypto], ['hash', h], ['hex', h.digest('hex')], ['buffer', nodeCrypto.createHash('sha512').update(Buffer.from('abc')).digest()]]);`,
  ],
  [
    'crypto.createHmac().digest()',
    `var c = require('crypto'); var m = c.createHmac('sha256', 'key').update('abc').update(new Uint8Array([1]));
    walk([['hmac', m], ['digest', m.digest()], ['base64', c.createHmac('sha1', Buffer.from('k')).update('x').digest('base64')]]);`,
  ],
  [
    'crypto.createHash with an unknown algorithm (host throws)',
    `var e; try { require('crypto').createHash('no-such-hash').update('x').digest(); } catch (x) { e = x; } walk([['error', e]]);`,
  ],
  ['crypto.randomBytes (sync)', `walk([['bytes', require('crypto').randomBytes(16)]]);`],
  [
    'crypto.randomBytes (callback arguments)',
    `await new Promise(function (resolve) { require('crypto').randomBytes(8, function () { walk([['arguments', arguments]]); resolve(); }); });`,
  ],
  [
    'crypto.randomUUID / randomInt / getRandomValues / global crypto',
    `var c = require('crypto');
    walk([['uuid', c.randomUUID()], ['int', c.randomInt(10)], ['range', c.randomInt(1, 7)], ['values', c.getRandomValues(new Uint8Array(8))],
      ['webcrypto', c.webcrypto.randomUUID()], ['global', crypto.getRandomValues(new Uint32Array(2))], ['globalUuid', crypto.randomUUID()]]);`,
  ],
  [
    'crypto.timingSafeEqual (equal, and lengths that differ: host throws)',
    `var c = require('crypto'); var e; try { c.timingSafeEqual(Buffer.from('ab'), Buffer.from('abc')); } catch (x) { e = x; }
    walk([['equal', c.timingSafeEqual(Buffer.from('ab'), Buffer.from('ab'))], ['error', e]]);`,
  ],
  ['crypto.getHashes', `walk([['hashes', require('crypto').getHashes()]]);`],
  // url and querystring (modules.packages)
  [
    'url.parse / format / resolve',
    `var url = require('url');
    walk([['module', url], ['parse', url.parse('https://u:p@a.example:8443/p/a?q=1&r=2#h', true)], ['format', url.format({ protocol: 'https', host: 'a.example', pathname: '/x' })],
      ['resolve', url.resolve('https://a.example/b/c', '../d')]]);`,
  ],
  [
    'new URL (host parse and set), URLSearchParams, invalid URL (host throws)',
    `var u = new URL('https://a.example/x?y=1'); u.search = '?z=2'; u.searchParams.append('w', '3'); u.pathname = '/p';
    var e; try { new URL('not a url'); } catch (x) { e = x; }
    walk([['url', u], ['params', u.searchParams], ['href', u.href], ['canParse', URL.canParse('nope')], ['error', e], ['usp', new URLSearchParams('a=1&b=2')]]);`,
  ],
  [
    'querystring parse / stringify / escape / unescape',
    `var qs = require('querystring');
    walk([['module', qs], ['parse', qs.parse('a=1&b=2&b=3&c=%20')], ['stringify', qs.stringify({ a: [1, 2], b: 'x y' })], ['escape', qs.escape('a b&c')], ['unescape', qs.unescape('a%20b')],
      ['decode', qs.decode('x=1;y=2', ';')], ['encode', qs.encode({ x: 1 }, ';', ':')]]);`,
  ],
  // jsonwebtoken (modules.crypto)
  [
    'jsonwebtoken sign / verify / decode',
    `var jwt = require('jsonwebtoken'); var t = jwt.sign({ sub: user.user_id, nested: { a: [1] } }, configuration.SECRET, { expiresIn: '1h', audience: 'api' });
    walk([['module', jwt], ['token', t], ['verified', jwt.verify(t, configuration.SECRET, { audience: 'api' })], ['complete', jwt.verify(t, configuration.SECRET, { complete: true })], ['decoded', jwt.decode(t, { complete: true })]]);`,
  ],
  [
    'jsonwebtoken verify with a wrong secret, sign with an unsupported algorithm (host throws)',
    `var jwt = require('jsonwebtoken'); var t = jwt.sign({ a: 1 }, configuration.SECRET); var e1, e2;
    try { jwt.verify(t, 'another-secret'); } catch (x) { e1 = x; }
    try { jwt.sign({ a: 1 }, configuration.SECRET, { algorithm: 'ES256' }); } catch (x) { e2 = x; }
    walk([['invalidSignature', e1], ['unsupported', e2]]);`,
  ],
  [
    'jsonwebtoken sign and verify with callbacks (callback arguments)',
    `var jwt = require('jsonwebtoken');
    var t = await new Promise(function (resolve) { jwt.sign({ a: 1 }, configuration.SECRET, { algorithm: 'HS512' }, function (err, token) { walk([['signArguments', arguments]]); resolve(token); }); });
    await new Promise(function (resolve) { jwt.verify(t, 'wrong', function () { walk([['verifyArguments', arguments]]); resolve(); }); });`,
  ],
  // HTTP (modules.http) against the loopback server
  [
    'fetch: Response, headers, json()',
    `var res = await fetch(ORIGIN + '/json?x=1', { headers: { 'x-trace': 't' } }); var headers = res.headers;
    var body = await res.json(); walk([['response', res], ['headers', headers], ['entries', Array.from(headers.entries())], ['json', body]]);`,
  ],
  [
    'fetch: a redirect followed, text(), arrayBuffer()',
    `var res = await fetch(ORIGIN + '/redirect', { method: 'POST', body: JSON.stringify({ a: 1 }) });
    var copy = res.clone(); var text = await res.text(); var bytes = await (await fetch(ORIGIN + '/bytes')).arrayBuffer();
    walk([['response', res], ['text', text], ['bytes', bytes], ['view', new Uint8Array(bytes)], ['clone', copy]]);`,
  ],
  [
    'fetch: host not allowed, connection refused (host rejects)',
    `var e1, e2; try { await fetch('http://forbidden.example/'); } catch (x) { e1 = x; }
    try { await fetch(REFUSED + '/'); } catch (x) { e2 = x; } walk([['notAllowed', e1], ['refused', e2]]);`,
  ],
  [
    'node-fetch: Response, buffer()',
    `var nf = require('node-fetch'); var res = await nf(ORIGIN + '/bytes'); var b = await res.buffer();
    walk([['module', nf], ['response', res], ['buffer', b], ['Headers', new nf.Headers({ a: '1' })]]);`,
  ],
  [
    'axios: get, post, a 404 (rejects with an AxiosError)',
    `var axios = require('axios'); var r1 = await axios.get(ORIGIN + '/json', { params: { a: [1, 2] } });
    var r2 = await axios.post(ORIGIN + '/json', { x: 1 }); var e; try { await axios.get(ORIGIN + '/missing'); } catch (x) { e = x; }
    walk([['module', axios], ['get', r1], ['post', r2], ['error', e], ['instance', axios.create({ baseURL: ORIGIN })]]);`,
  ],
  [
    'request: callback arguments (response and error)',
    `var request = require('request');
    await new Promise(function (resolve) { request({ url: ORIGIN + '/json', json: true }, function () { walk([['arguments', arguments]]); resolve(); }); });
    await new Promise(function (resolve) { request.post(REFUSED + '/', { form: { a: 1 } }, function () { walk([['errorArguments', arguments], ['module', request]]); resolve(); }); });`,
  ],
  // auth0 (hooks)
  [
    'auth0.users.updateAppMetadata / updateUserMetadata',
    `var p1 = auth0.users.updateAppMetadata(user.user_id, { plan: 'gold', quota: { seats: 5 } }); var v1 = await p1;
    var p2 = auth0.users.updateUserMetadata(user.user_id, { theme: 'light' }); var v2 = await p2;
    walk([['auth0', auth0], ['promise', p1], ['value', v1], ['userPromise', p2], ['userValue', v2]]);`,
  ],
  // the integrator's clock and randomness
  [
    'Date and Math.random (the integrator clock and random, when set)',
    `walk([['now', Date.now()], ['date', new Date()], ['string', Date()], ['Date', Date], ['random', Math.random()], ['Math', Math]]);`,
  ],
  // the integrator's globals and modules.host
  ['host function returning objects (sync)', `walk([['function', lookup], ['result', lookup('u1')]]);`],
  ['host function returning a promise (async)', `var p = lookupAsync('u2'); var v = await p; walk([['promise', p], ['value', v]]);`],
  [
    'host function that throws (caught error)',
    `var e1, e2; try { boom(); } catch (x) { e1 = x; } try { throwsString(); } catch (x) { e2 = x; } walk([['error', e1], ['nonError', e2]]);`,
  ],
  ['host function that rejects (caught error)', `var e; try { await boomAsync(); } catch (x) { e = x; } walk([['error', e]]);`],
  [
    'host function calling a guest callback (callback arguments)',
    `await new Promise(function (resolve) { legacy('u3', function () { walk([['arguments', arguments]]); resolve(); }); });
    await new Promise(function (resolve) { legacyError(function () { walk([['errorArguments', arguments]]); resolve(); }); });`,
  ],
  [
    'host objects of functions: a class instance and an object with data members',
    `walk([['directory', directory], ['lookup', directory.lookup('u4')], ['crm', crm], ['find', crm.find('42')]]);`,
  ],
  [
    'host module (modules.host): functions and data',
    `var geo = require('geo'); var plans = require('plans');
    walk([['geo', geo], ['country', geo.country('203.0.113.7')], ['async', await geo.countryAsync('198.51.100.1')], ['plans', plans]]);`,
  ],
  [
    'bundled package (its source from the host), using crypto inside',
    `var uuid = require('uuid'); walk([['module', uuid], ['v4', uuid.v4()], ['v5', uuid.v5('x', uuid.v5.URL)]]);`,
  ],
  ['require refused', `var e; try { require('fs'); } catch (x) { e = x; } walk([['error', e]]);`],
  // timers and promise jobs
  [
    'setTimeout callback arguments',
    `await new Promise(function (resolve) { setTimeout(function () { walk([['arguments', arguments]]); resolve(); }, 1, { a: 1 }, 'b'); });`,
  ],
  [
    'setImmediate callback arguments',
    `await new Promise(function (resolve) { setImmediate(function () { walk([['arguments', arguments]]); resolve(); }, [1, { b: 2 }]); });`,
  ],
  [
    'setInterval callback arguments',
    `await new Promise(function (resolve) { var id = setInterval(function () { clearInterval(id); walk([['arguments', arguments], ['id', id]]); resolve(); }, 1, 'x'); });`,
  ],
  [
    'queueMicrotask and Promise callbacks (arguments)',
    `await new Promise(function (resolve) { queueMicrotask(function () { walk([['microtaskArguments', arguments]]); resolve(); }); });
    await lookupAsync('u5').then(function () { walk([['thenArguments', arguments]]); });
    await boomAsync().then(null, function () { walk([['catchArguments', arguments]]); });`,
  ],
  ['end of the rule', `walk([]);`],
]

/** The attack: the walker made first, then every step, the walks' reports as the FOUND claim. */
function walkingRule(origin: string, refusedOrigin: string): string {
  const steps = STEPS.map(
    ([label, body]) => `
    try {
      await (async function (walk) {
${body}
      })(walker(${JSON.stringify(label)}));
    } catch (e) {
      walks[${JSON.stringify(label)}] = { error: String(e && e.stack || e) };
    }`,
  ).join('')
  return `
    var W = (${WALKER})(${JSON.stringify(census)});
    var ruleArguments = arguments;
    var ORIGIN = ${JSON.stringify(origin)}, REFUSED = ${JSON.stringify(refusedOrigin)};
    var walks = {};
    var walker = function (label) {
      return function (roots) {
        var all = [['globalThis', globalThis]];
        for (var i = 0; i < roots.length; i++) all.push(roots[i]);
        var r = W.walk(all);
        walks[label] = { visited: r.visited, hitBound: r.hitBound, errors: r.errors, findings: r.findings.slice(0, 20), findingCount: r.findings.length };
      };
    };
    ${steps}
    // The same walker, in this rule, on impostors the rule makes itself: its findings reach the claim.
    var Impostor = function Callback() {};
    var impostors = {
      api: { derefInto: function () {}, applySync: function () {} },
      named: function Reference() {},
      instance: new Impostor(),
      tagged: { [Symbol.toStringTag]: 'ExternalCopy' },
      bound: Array.prototype.push.bind([]),
      nullPrototype: Object.create(null),
    };
    context.idToken['${FOUND}'] = { walks: walks, control: W.walk([['impostors', impostors]]).findings };
    callback(null, user, context);`
}

describe('the engine: nothing of isolated-vm and no other realm is reachable from a rule', () => {
  const variants: [string, Partial<EngineOptions>][] = [
    ['with the integrator clock and random', { clock: () => 1_700_000_000_000, random: () => 0.25 }],
    ['with the real clock and randomness', {}],
  ]

  it.each(variants)('walked before any host call and after every kind of host call (%s)', async (_name, extra) => {
    const requestsBefore = server.requests.length
    const host = hostFunctions()
    const hooks = { updateAppMetadata: vi.fn(async () => undefined), updateUserMetadata: vi.fn(async () => undefined) }
    const geo = { country: vi.fn((ip: string) => (ip.startsWith('203.') ? 'NZ' : 'US')), countryAsync: vi.fn(async () => 'US') }
    await using h = await harness([hostileRule(walkingRule(server.origin, `http://127.0.0.1:${refused}`), { async: true })], {
      ...extra,
      limits: { timeoutMs: 30_000 },
      configuration: { SECRET: 'a-shared-secret-of-reasonable-length-0123' },
      modules: {
        crypto: true,
        packages: ['url', 'querystring', 'buffer', 'uuid'],
        resolveFrom: RESOLVE_FROM,
        http: { allow: [server.host, `127.0.0.1:${refused}`], timeoutMs: 2_000 },
        host: { geo, plans: { gold: { seats: 50 } } },
      },
      globals: host,
      hooks,
    })
    const result = await h.expectSuccess()
    const found = asRecord(result.idToken.claims[FOUND]) as { walks: Record<string, Walk>; control: string[] }
    // The walker works inside the rule: what it flags there reaches the claim.
    expect(found.control).toEqual([
      'impostors.api: has the isolated-vm method derefInto(); has the isolated-vm method applySync()',
      'impostors.named: a function named Reference',
      'impostors.instance: an instance of Callback',
      'impostors.tagged: has the Symbol.toStringTag ExternalCopy',
      'impostors.instance.[[Prototype]].constructor: a function named Callback',
      'impostors.bound: a native function (bound push/1/length,name) reachable 1 times, 0 in a fresh context',
    ])
    const report = found.walks

    // Every step walked, in order, and none threw.
    expect(Object.keys(report)).toEqual(STEPS.map(([label]) => label))
    const problems = Object.entries(report).flatMap(([label, walk]) => {
      if (walk.error !== undefined) return [`${label}: the step threw ${walk.error}`]
      const out: string[] = []
      if (walk.findingCount !== 0) out.push(`${label}: ${walk.findingCount} finding(s): ${walk.findings.join(' | ')}`)
      if (walk.hitBound) out.push(`${label}: the walk hit its bound`)
      if (walk.errors !== 0) out.push(`${label}: ${walk.errors} property reads threw`)
      if (!(walk.visited > RULE_FLOOR)) out.push(`${label}: only ${walk.visited} objects visited`)
      return out
    })
    expect(problems).toEqual([])

    // The host calls really happened.
    for (const fn of [
      host.lookup,
      host.lookupAsync,
      host.boom,
      host.boomAsync,
      host.throwsString,
      host.legacy,
      host.legacyError,
      host.crm.find,
      geo.country,
      geo.countryAsync,
    ]) {
      expect(fn).toHaveBeenCalled()
    }
    expect(hooks.updateAppMetadata).toHaveBeenCalledTimes(1)
    expect(hooks.updateUserMetadata).toHaveBeenCalledTimes(1)
    // fetch ×3 (one redirected: 2 requests), node-fetch, axios ×3, request (the refused ones never arrive).
    expect(server.requests.length - requestsBefore).toBe(9)
    expect(result.logs.map((l) => l.level)).toEqual(['log', 'error'])
    await h.expectServes()
  })
})
