/**
 * Class 11 (docs/security.md#sandbox-attack-classes), built-in methods replaced: the engine's own checks call only the
 * intrinsics it captured before any rule ran, so a rule that replaces `String.prototype.indexOf`,
 * `String.prototype.replace` (or any other built-in) changes none of their answers.
 */
import { describe, expect, it, vi } from 'vitest'
import { engineWith, passwordInput, rejection, rule } from '../helpers.js'
import { OUT, RESOLVE_FROM, snippet } from '../modules/support.js'

const USER_ID = 'auth0|5f7c8ec7c33c6c004bbafe82'

function hooks() {
  return { updateAppMetadata: vi.fn(async (_id: string, _m: Record<string, unknown>) => undefined) }
}

async function observe(body: string, options: Parameters<typeof engineWith>[1]) {
  await using engine = await engineWith([rule('snippet', snippet(body))], options)
  return await engine.run(passwordInput())
}

describe('the metadata key check with String.prototype.indexOf replaced', () => {
  const update = (metadata: string) =>
    `auth0.users.updateAppMetadata(user.user_id, ${metadata}).then(function () { done('persisted'); }, function (e) { done(e.message); });`

  it("an indexOf that never finds '.' does not let a dotted key through", async () => {
    const h = hooks()
    const error = await rejection(observe(`String.prototype.indexOf = function () { return -1; }; ${update(`{ 'prefs.theme': 'dark' }`)}`, { hooks: h }))
    expect(error.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(error.keys).toEqual(['app_metadata', 'prefs.theme'])
    expect(error.message).toBe(`auth0.users.updateAppMetadata: app_metadata["prefs.theme"] is a key containing '.', which Auth0 refuses in metadata.`)
    expect(h.updateAppMetadata).not.toHaveBeenCalled()
  })

  it("an indexOf that always finds '.' does not refuse a plain key", async () => {
    const h = hooks()
    const result = await observe(`String.prototype.indexOf = function () { return 0; }; ${update(`{ plan: 'gold' }`)}`, { hooks: h })
    expect(result.idToken.claims[OUT]).toBe('persisted')
    expect(h.updateAppMetadata).toHaveBeenCalledWith(USER_ID, { plan: 'gold' })
  })
})

describe("require's version check with String.prototype.replace, lastIndexOf and RegExp.prototype.exec replaced", () => {
  const modules = { packages: ['lodash'], resolveFrom: RESOLVE_FROM }

  it.each([
    ['String.prototype.replace', `String.prototype.replace = function () { throw new Error('replaced replace'); };`],
    ['String.prototype.lastIndexOf', `String.prototype.lastIndexOf = function () { return -1; };`],
    ['RegExp.prototype.exec', `RegExp.prototype.exec = function () { return null; };`],
  ])('%s: a range of the installed major is satisfied (no mismatch warning), another major still refused', async (_name, replace) => {
    // lodash itself calls String.prototype.replace as it loads: load it first, then replace.
    const result = await observe(
      `var loaded = require('lodash'); ${replace}
       var again = require('lodash@^4.0.0');
       var old = '3.10.1'; var refused; try { require('lodash@' + old); refused = false; } catch (e) { refused = e.code; }
       done([again === loaded, refused]);`,
      { modules },
    )
    expect(result.idToken.claims[OUT]).toEqual([true, 'ERR_MODULE_NOT_ALLOWED'])
    expect(result.warnings).toEqual([])
  })
})

/**
 * Every built-in a rule can replace (the methods and accessors of the prototypes, the statics of
 * the constructors, the functions of globalThis: String, Array, Object, JSON, Map, Set, WeakSet,
 * Promise, Reflect, Function.prototype.call/apply/bind, Date, RegExp, Error, Math, typed arrays…),
 * replaced once by the first run with throwing or lying versions. Every later run on that isolate
 * must come out exactly as on an engine nobody poisoned: the same claims, the same claims
 * dropped, the same typed errors and messages, the same metadata checks, logs and warnings.
 */
const POISON = `
  if (!global.poisoned) {
    global.poisoned = true;
    var ownKeys = Reflect.ownKeys, describe = Object.getOwnPropertyDescriptor, defineOwn = Object.defineProperty, apply = Reflect.apply, E = Error;
    var lying = user.app_metadata.poison === 'lie';
    var poisoned = function (original, name) {
      if (!lying) return function () { throw new E('poisoned ' + name); };
      return function () {
        var r = apply(original, this, arguments);
        return typeof r === 'number' ? r + 1 : typeof r === 'boolean' ? !r : typeof r === 'string' ? r + '!' : r;
      };
    };
    var targets = [
      globalThis, String, String.prototype, Array, Array.prototype, Object, Object.prototype, JSON, Map, Map.prototype,
      Set, Set.prototype, WeakMap.prototype, WeakSet.prototype, Promise, Promise.prototype, Reflect, Function.prototype,
      Number, Number.prototype, Boolean.prototype, Symbol, Symbol.prototype, Date, Date.prototype, RegExp, RegExp.prototype,
      Error, Error.prototype, Math, ArrayBuffer, ArrayBuffer.prototype, Object.getPrototypeOf(Uint8Array),
      Object.getPrototypeOf(Uint8Array.prototype), Uint8Array.prototype, Int32Array.prototype,
    ];
    var replaced = 0;
    for (var t = 0; t < targets.length; t++) {
      var target = targets[t];
      var keys = ownKeys(target);
      for (var k = 0; k < keys.length; k++) {
        var key = keys[k];
        var name = typeof key === 'symbol' ? 'a symbol-keyed member' : key;
        if (key === 'constructor' || key === 'prototype' || (target === globalThis && (key === 'callback' || key === 'global'))) continue;
        var d = describe(target, key);
        if (!d.configurable) continue;
        if (typeof d.value === 'function') { defineOwn(target, key, { value: poisoned(d.value, name), writable: true, configurable: true, enumerable: d.enumerable }); replaced++; }
        else if (typeof d.get === 'function') { defineOwn(target, key, { get: poisoned(d.get, name), set: d.set, configurable: true, enumerable: d.enumerable }); replaced++; }
      }
    }
    global.replaced = replaced;
  }`

/** What each mode does after the poison, with syntax only (no built-in call of the rule's own). */
const MODES = `
  var ns = 'https://t.example/';
  var mode = user.app_metadata.mode;
  if (mode === 'normal') {
    context.accessToken[ns + 'plan'] = user.app_metadata.plan;
    context.accessToken[ns + 'roles'] = user.app_metadata.roles;
    context.accessToken.scope = ['openid', 'profile'];
    context.accessToken.unnamespaced = 'dropped';
    context.idToken[ns + 'when'] = new DateCtor(0);
    context.idToken[ns + 'nested'] = { a: [1, 'two', null, { b: true }], 'x.y': -0.5 };
    console.log('hello %s', 'there', 42, { a: [1] });
    callback(null, user, context);
  } else if (mode === 'claim-function') {
    context.idToken[ns + 'fn'] = function () {};
    callback(null, user, context);
  } else if (mode === 'claim-map') {
    context.accessToken[ns + 'map'] = new MapCtor();
    callback(null, user, context);
  } else if (mode === 'claim-nan') {
    context.accessToken[ns + 'n'] = { deep: [0 / 0] };
    callback(null, user, context);
  } else if (mode === 'claim-cycle') {
    var loop = { name: 'loop' }; loop.self = loop;
    context.idToken[ns + 'loop'] = loop;
    callback(null, user, context);
  } else if (mode === 'scope-bad') {
    context.accessToken.scope = ['openid', 7];
    callback(null, user, context);
  } else if (mode === 'metadata-dotted') {
    try { await auth0.users.updateAppMetadata(user.user_id, { prefs: { 'ui.theme': 'dark' } }); context.idToken[ns + 'md'] = 'persisted'; }
    catch (e) { context.idToken[ns + 'md'] = e.message; }
    callback(null, user, context);
  } else if (mode === 'metadata-proto') {
    try { await auth0.users.updateUserMetadata(user.user_id, { constructor: { x: 1 } }); context.idToken[ns + 'md'] = 'persisted'; }
    catch (e) { context.idToken[ns + 'md'] = e.message; }
    callback(null, user, context);
  } else if (mode === 'metadata-plain') {
    await auth0.users.updateAppMetadata(user.user_id, { plan: 'platinum', seats: [1, 2] });
    context.idToken[ns + 'md'] = 'persisted';
    callback(null, user, context);
  } else if (mode === 'callback-twice') {
    callback(null, user, context);
    callback(null, user, context);
  } else if (mode === 'callback-bad-user') {
    callback(null, 'not an object', context);
  } else if (mode === 'callback-array-context') {
    callback(null, user, [context]);
  } else if (mode === 'unauthorized') {
    callback(new UnauthorizedError('blocked user'));
  } else if (mode === 'denied') {
    callback('denied by rule');
  } else if (mode === 'spoofed-unauthorized') {
    var spoof = new Err('looks unauthorized'); spoof.name = 'UnauthorizedError'; spoof.code = 'unauthorized';
    callback(spoof);
  } else if (mode === 'throws') {
    throw new Err('boom');
  } else if (mode === 'redirect') {
    context.redirect = { url: 'https://mfa.example/' };
    callback(null, user, context);
  } else if (mode === 'multifactor-bad') {
    context.multifactor = { provider: '' };
    callback(null, user, context);
  } else if (mode === 'probe') {
    var probe;
    try { probe = 'abc'.indexOf('b'); } catch (e) { probe = e.message; }
    context.idToken[ns + 'probe'] = [global.replaced, probe];
    callback(null, user, context);
  } else {
    callback(null, user, context);
  }`

const MODE_NAMES = [
  'normal',
  'claim-function',
  'claim-map',
  'claim-nan',
  'claim-cycle',
  'scope-bad',
  'metadata-dotted',
  'metadata-proto',
  'metadata-plain',
  'callback-twice',
  'callback-bad-user',
  'callback-array-context',
  'unauthorized',
  'denied',
  'spoofed-unauthorized',
  'throws',
  'redirect',
  'multifactor-bad',
]

/** The constructors the rule itself uses after the poison, kept before it. */
const KEEP = `
  var kept = global.kept || (global.kept = { Err: Error, MapCtor: Map, DateCtor: Date });
  var Err = kept.Err, MapCtor = kept.MapCtor, DateCtor = kept.DateCtor;`

const poisonRule = {
  name: 'poisoned',
  script: `async function (user, context, callback) {${KEEP}\n  if (user.app_metadata.poison) {${POISON}\n  }\n${MODES}\n}`,
}

function modeInput(mode: string, poison?: 'throw' | 'lie') {
  const input = passwordInput()
  const user = input.user as Record<string, unknown>
  user['app_metadata'] = { roles: ['admin'], plan: 'gold', mode, ...(poison === undefined ? {} : { poison }) }
  return input
}

/** A run's outcome as data: what a poisoned engine must reproduce exactly. */
async function outcomeOf(engine: Awaited<ReturnType<typeof engineWith>>, mode: string, poison?: 'throw' | 'lie') {
  try {
    const result = await engine.run(modeInput(mode, poison))
    return {
      ok: true,
      accessToken: result.accessToken,
      idToken: result.idToken,
      logs: result.logs.map((l) => [l.level, l.rule, l.message]),
      warnings: result.warnings,
      metadataUpdates: result.metadataUpdates,
      rules: result.rules.map((r) => r.name),
    }
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; path?: unknown; toOAuthError?: () => unknown }
    return { ok: false, code: e.code, message: e.message, path: e.path, keys: (e as { keys?: unknown }).keys, oauth: e.toOAuthError?.() }
  }
}

describe('every built-in replaced with a throwing or lying version', () => {
  it.each(['throw', 'lie'] as const)('%s: claims, metadata, serializer, result and callback checks answer as on an unpoisoned engine', async (poison) => {
    const updateAppMetadata = vi.fn(async () => undefined)
    const updateUserMetadata = vi.fn(async () => undefined)
    const options = { hooks: { updateAppMetadata, updateUserMetadata } }
    await using clean = await engineWith([poisonRule], options)
    await using poisoned = await engineWith([poisonRule], options)

    const expected: Record<string, unknown> = {}
    for (const mode of MODE_NAMES) expected[mode] = await outcomeOf(clean, mode)
    // The control: the clean engine says what the engine's checks say.
    expect(expected['normal']).toMatchObject({
      ok: true,
      accessToken: { claims: { 'https://t.example/plan': 'gold', 'https://t.example/roles': ['admin'] }, scope: ['openid', 'profile'] },
      idToken: {
        claims: { 'https://t.example/when': '1970-01-01T00:00:00.000Z', 'https://t.example/nested': { a: [1, 'two', null, { b: true }], 'x.y': -0.5 } },
      },
      logs: [['log', 'poisoned', 'hello there 42 {"a":[1]}']],
    })
    expect((expected['normal'] as { warnings: { code: string }[] }).warnings.map((w) => w.code)).toEqual(['CLAIM_DROPPED'])
    expect(expected['metadata-dotted']).toMatchObject({ ok: false, code: 'ERR_RULE_RESULT_INVALID', keys: ['app_metadata', 'prefs', 'ui.theme'] })
    expect(expected['metadata-proto']).toMatchObject({ ok: false, code: 'ERR_RULE_RESULT_INVALID', keys: ['user_metadata', 'constructor'] })
    expect(expected['claim-function']).toMatchObject({ ok: false, code: 'ERR_RULE_RESULT_INVALID' })
    expect(expected['unauthorized']).toMatchObject({ ok: false, code: 'ERR_RULE_UNAUTHORIZED' })
    expect(expected['spoofed-unauthorized']).toMatchObject({ ok: false, code: 'ERR_RULE_DENIED' })

    // The first run on the poisoned engine replaces the built-ins, then serves its login.
    const first = await outcomeOf(poisoned, 'normal', poison)
    expect(first).toEqual(expected['normal'])
    // The poison bites: hundreds of built-ins replaced, and the rule's own calls get their lies.
    const probe = (await poisoned.run(modeInput('probe'))).idToken.claims['https://t.example/probe'] as [number, unknown]
    expect(probe[0]).toBeGreaterThan(300)
    expect(probe[1]).toBe(poison === 'throw' ? 'poisoned indexOf' : 2)
    for (const mode of MODE_NAMES) {
      expect(await outcomeOf(poisoned, mode), mode).toEqual(expected[mode])
    }
    // Still poisoned, still right.
    expect(await outcomeOf(poisoned, 'normal')).toEqual(expected['normal'])
    expect(poisoned.stats.recycled).toBe(0)
  })
})
