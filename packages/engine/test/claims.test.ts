/**
 * docs/behaviour.md#custom-claims (custom claims) and the docs/behaviour.md#callback-outcomes rows about claims (`ERR_RULE_RESULT_INVALID`,
 * `ERR_CLAIMS_TOO_LARGE`): what reaches `result.accessToken.claims` / `result.idToken.claims`,
 * what is dropped and reported, and what fails the run.
 */
import { MAX_CUSTOM_CLAIMS_BYTES, type EngineOptions, type RunInput, type RunResult, type Warning } from '@tokenrules/engine'
import { describe, expect, it } from 'vitest'
import { engineWith, passwordInput, rejection, rule } from './helpers.js'

/** docs/behaviour.md#custom-claims, copied from the document (not from the engine) so that the test checks the engine against it. */
const DOCUMENTED_RESTRICTED =
  'acr act active amr at_hash ath attest aud auth_time authorization_details azp c_hash client_id cnf cty dest ' +
  'entitlements events exp groups gty htm htu iat internalService iss jcard jku jti jwe jwk kid may_act mky nbf ' +
  'nonce object_id org_id org_name orig origid permissions roles rph s_hash sid sip_callid sip_cseq_num sip_date ' +
  'sip_from_tag sip_via_branch sub sub_jwk toe txn typ uuid vot vtm x5t#S256'
const RESTRICTED = DOCUMENTED_RESTRICTED.split(' ')
const REGISTERED = ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'azp', 'scope', 'gty']
const REGISTERED_ID_ONLY = ['nonce', 'at_hash', 'auth_time']

/** Run `rules` once in a fresh engine and return the result. */
async function runRules(rules: EngineOptions['rules'], options: Partial<EngineOptions> = {}, input: RunInput = passwordInput()): Promise<RunResult> {
  await using engine = await engineWith(rules, options)
  return await engine.run(input)
}

/** Run one rule with `body`, which must call back itself. */
function runBody(body: string, options: Partial<EngineOptions> = {}, input?: RunInput): Promise<RunResult> {
  return runRules([rule('claims', body)], options, input)
}

/** A rule that sets each of `names` to `value` on `token`, then calls back. */
function setting(token: 'accessToken' | 'idToken', names: readonly string[], value: unknown = 'v'): string {
  return `var names = ${JSON.stringify(names)};
for (var i = 0; i < names.length; i++) context.${token}[names[i]] = ${JSON.stringify(value)};
callback(null, user, context);`
}

function dropped(claim: string, token: 'accessToken' | 'idToken', reason: string, message: string): Warning {
  return { code: 'CLAIM_DROPPED', claim, token, reason, message } as Warning
}

const notNamespaced = (name: string) => `'${name}' is not namespaced: custom claims must be http:// or https:// URLs with a host`

describe('claims under the default `required` namespace policy', () => {
  it('puts namespaced http(s) URL claims into the access token and the ID token', async () => {
    const result = await runBody(`
      context.accessToken['https://example.com/roles'] = user.app_metadata.roles;
      context.accessToken['http://example.com/plan'] = user.app_metadata.plan;
      context.idToken['https://example.com/email'] = user.email;
      context.idToken['https://example.com/meta'] = { theme: user.user_metadata.theme, n: 1, ok: true, none: null };
      callback(null, user, context);`)
    expect(result.accessToken.claims).toEqual({
      'https://example.com/roles': ['admin'],
      'http://example.com/plan': 'gold',
    })
    expect(result.idToken.claims).toEqual({
      'https://example.com/email': 'ada@example.com',
      'https://example.com/meta': { theme: 'dark', n: 1, ok: true, none: null },
    })
    expect(result.warnings).toEqual([])
  })

  it('drops a claim without namespace from both tokens and warns CLAIM_DROPPED not-namespaced', async () => {
    const result = await runBody(`
      context.accessToken.roles = ['admin'];
      context.accessToken['https://example.com/ok'] = 1;
      context.idToken.favourite_color = 'blue';
      callback(null, user, context);`)
    expect(result.accessToken.claims).toEqual({ 'https://example.com/ok': 1 })
    expect(result.idToken.claims).toEqual({})
    expect(result.warnings).toEqual([
      dropped('roles', 'accessToken', 'not-namespaced', notNamespaced('roles')),
      dropped('favourite_color', 'idToken', 'not-namespaced', notNamespaced('favourite_color')),
    ])
  })

  it('treats names that are not http(s) URLs with a host (urn:, ftp://, bare hosts) as not namespaced', async () => {
    const names = ['urn:example:claim', 'ftp://example.com/x', 'example.com/x', 'https://']
    const result = await runBody(setting('accessToken', names))
    expect(result.accessToken.claims).toEqual({})
    expect(result.warnings).toEqual(names.map((n) => dropped(n, 'accessToken', 'not-namespaced', notNamespaced(n))))
  })

  it('drops claims under auth0.com, webtask.io, webtask.run and their subdomains with reason forbidden-namespace', async () => {
    const forbidden: [string, string][] = [
      ['https://auth0.com/x', 'auth0.com'],
      ['https://foo.auth0.com/x', 'foo.auth0.com'],
      ['https://FOO.Auth0.COM/x', 'foo.auth0.com'],
      ['http://webtask.io/x', 'webtask.io'],
      ['https://a.webtask.io/x', 'a.webtask.io'],
      ['https://webtask.run/x', 'webtask.run'],
      ['https://a.b.webtask.run/x', 'a.b.webtask.run'],
    ]
    const allowed = ['https://notauth0.com/x', 'https://auth0.com.example.org/x']
    const result = await runBody(setting('idToken', [...forbidden.map(([n]) => n), ...allowed]))
    expect(result.idToken.claims).toEqual({ 'https://notauth0.com/x': 'v', 'https://auth0.com.example.org/x': 'v' })
    expect(result.warnings).toEqual(
      forbidden.map(([name, host]) => dropped(name, 'idToken', 'forbidden-namespace', `'${name}' uses the forbidden namespace ${host}`)),
    )
  })

  it('drops claims under the integrator’s claims.forbiddenNamespaces, given as host names or URLs, and their subdomains', async () => {
    const forbidden: [string, string][] = [
      ['https://issuer.example/roles', 'issuer.example'],
      ['https://eu.issuer.example/roles', 'eu.issuer.example'],
      ['https://login.acme.test/x', 'login.acme.test'],
    ]
    const result = await runBody(setting('accessToken', [...forbidden.map(([n]) => n), 'https://acme.test/x']), {
      claims: { forbiddenNamespaces: ['issuer.example', 'https://login.acme.test/'] },
    })
    expect(result.accessToken.claims).toEqual({ 'https://acme.test/x': 'v' })
    expect(result.warnings).toEqual(
      forbidden.map(([name, host]) => dropped(name, 'accessToken', 'forbidden-namespace', `'${name}' uses the forbidden namespace ${host}`)),
    )
  })
})

describe('claims under the `optional` namespace policy', () => {
  const optional: Partial<EngineOptions> = { claims: { namespace: 'optional' } }

  it('allows claim names without namespace', async () => {
    const result = await runBody(
      `context.accessToken.plan = 'gold';
       context.idToken.favourite_color = 'blue';
       context.idToken['https://example.com/x'] = 1;
       callback(null, user, context);`,
      optional,
    )
    expect(result.accessToken.claims).toEqual({ plan: 'gold' })
    expect(result.idToken.claims).toEqual({ favourite_color: 'blue', 'https://example.com/x': 1 })
    expect(result.warnings).toEqual([])
  })

  it('drops every restricted claim of the documented list (reason restricted; registered where the server sets it)', async () => {
    expect(RESTRICTED).toHaveLength(60)
    const result = await runBody(setting('accessToken', [...RESTRICTED, 'plan']), optional)
    expect(result.accessToken.claims).toEqual({ plan: 'v' })
    expect(result.warnings).toHaveLength(RESTRICTED.length)
    for (const [i, name] of RESTRICTED.entries()) {
      const warning = result.warnings[i] as Extract<Warning, { code: 'CLAIM_DROPPED' }>
      expect(warning.code, name).toBe('CLAIM_DROPPED')
      expect(warning.claim, name).toBe(name)
      expect(warning.token, name).toBe('accessToken')
      // A restricted name the server also sets itself (iss, aud, …) is reported as registered.
      expect(warning.reason, name).toBe(REGISTERED.includes(name) ? 'registered' : 'restricted')
      if (!REGISTERED.includes(name)) expect(warning.message, name).toBe(`'${name}' is a restricted claim`)
    }
  })

  it('drops the restricted claims from the ID token too', async () => {
    const result = await runBody(setting('idToken', RESTRICTED), optional)
    expect(result.idToken.claims).toEqual({})
    expect(result.warnings.map((w) => (w as { claim: string }).claim)).toEqual(RESTRICTED)
  })

  it('allows urn: names and drops urn:auth0 names with reason restricted', async () => {
    const reserved = ['urn:auth0:roles', 'urn:auth0', 'URN:Auth0:x']
    const result = await runBody(setting('accessToken', ['urn:example:roles', 'urn:auth0example:x', ...reserved]), optional)
    expect(result.accessToken.claims).toEqual({ 'urn:example:roles': 'v', 'urn:auth0example:x': 'v' })
    expect(result.warnings).toEqual(reserved.map((n) => dropped(n, 'accessToken', 'restricted', `'${n}' uses the reserved urn:auth0 namespace`)))
  })

  it('keeps the forbidden namespaces forbidden', async () => {
    const names = ['https://auth0.com/x', 'https://tenant.webtask.run/x', 'https://issuer.example/x']
    const result = await runBody(setting('idToken', names), {
      claims: { namespace: 'optional', forbiddenNamespaces: ['issuer.example'] },
    })
    expect(result.idToken.claims).toEqual({})
    expect(result.warnings.map((w) => [(w as { claim: string }).claim, (w as { reason: string }).reason])).toEqual(names.map((n) => [n, 'forbidden-namespace']))
  })
})

describe('registered and reserved names', () => {
  for (const namespace of ['required', 'optional'] as const) {
    it(`never lets a rule overwrite the access token's registered claims (${namespace} policy)`, async () => {
      const names = REGISTERED.filter((n) => n !== 'scope') // `scope` of the access token replaces the scopes (below)
      const result = await runBody(setting('accessToken', names, 'evil'), { claims: { namespace } })
      expect(result.accessToken.claims).toEqual({})
      expect(result.accessToken.scope).toBeUndefined()
      expect(result.warnings).toEqual(
        names.map((n) => dropped(n, 'accessToken', 'registered', `'${n}' is set by the server and cannot be overwritten by a rule`)),
      )
    })

    it(`never lets a rule overwrite the ID token's registered claims, nonce at_hash auth_time included (${namespace} policy)`, async () => {
      const names = [...REGISTERED, ...REGISTERED_ID_ONLY]
      const result = await runBody(setting('idToken', names, 'evil'), { claims: { namespace } })
      expect(result.idToken.claims).toEqual({})
      expect(result.warnings).toEqual(names.map((n) => dropped(n, 'idToken', 'registered', `'${n}' is set by the server and cannot be overwritten by a rule`)))
    })
  }

  it('drops `constructor` and `prototype` claim names with reason reserved-name', async () => {
    const result = await runBody(
      `context.accessToken.constructor = 'x';
       context.idToken.prototype = { polluted: true };
       callback(null, user, context);`,
      { claims: { namespace: 'optional' } },
    )
    expect(Object.getOwnPropertyNames(result.accessToken.claims)).toEqual([])
    expect(Object.getOwnPropertyNames(result.idToken.claims)).toEqual([])
    expect(result.warnings).toEqual([
      dropped('constructor', 'accessToken', 'reserved-name', `'constructor' is never accepted as a claim name`),
      dropped('prototype', 'idToken', 'reserved-name', `'prototype' is never accepted as a claim name`),
    ])
  })

  it('drops an own `__proto__` claim name with reason reserved-name', async () => {
    const result = await runBody(
      `Object.defineProperty(context.accessToken, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
       callback(null, user, context);`,
      { claims: { namespace: 'optional' } },
    )
    expect(Object.getOwnPropertyNames(result.accessToken.claims)).toEqual([])
    expect(result.warnings).toEqual([dropped('__proto__', 'accessToken', 'reserved-name', `'__proto__' is never accepted as a claim name`)])
  })

  it('leaves the host’s Object.prototype and the claims objects’ prototypes unchanged', async () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort()
    const result = await runBody(
      `var nested = JSON.parse('{"constructor": {"prototype": {"polluted": true}}}');
       Object.defineProperty(context.accessToken, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
       context.accessToken.constructor = { prototype: { polluted: true } };
       context.idToken['https://example.com/nested'] = nested;
       callback(null, user, context);`,
      { claims: { namespace: 'optional' } },
    )
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before)
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.getPrototypeOf(result.accessToken.claims)).toBe(Object.prototype)
    expect(Object.getPrototypeOf(result.idToken.claims)).toBe(Object.prototype)
    expect((result.accessToken.claims as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(result.idToken.claims['https://example.com/nested']).toEqual({ constructor: { prototype: { polluted: true } } })
    expect(Object.getPrototypeOf(result.idToken.claims['https://example.com/nested'])).toBe(Object.prototype)
  })

  it('refuses a __proto__ key inside a claim value with ERR_RULE_RESULT_INVALID naming the path', async () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort()
    const err = await rejection(
      runBody(
        `context.idToken['https://example.com/nested'] = JSON.parse('{"a": {"__proto__": {"polluted": true}}}');
         callback(null, user, context);`,
      ),
    )
    expect(err.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(err.path).toBe('context.idToken["https://example.com/nested"]["a"]["__proto__"]')
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before)
  })
})

describe("onViolation: 'error'", () => {
  it('fails the run with ERR_CLAIM_VIOLATION (500 server_error) instead of dropping', async () => {
    const err = await rejection(
      runBody(`context.accessToken['https://example.com/ok'] = 1; context.accessToken.roles = ['admin']; callback(null, user, context);`, {
        claims: { onViolation: 'error' },
      }),
    )
    expect(err.code).toBe('ERR_CLAIM_VIOLATION')
    expect(err.message).toBe(notNamespaced('roles'))
    expect(err.claim).toBe('roles')
    expect(err.token).toBe('accessToken')
    expect(err.reason).toBe('not-namespaced')
    expect(err.toOAuthError()).toEqual({
      status: 500,
      body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' },
    })
  })

  it('turns a forbidden namespace in the ID token into ERR_CLAIM_VIOLATION too', async () => {
    const err = await rejection(runBody(`context.idToken['https://foo.auth0.com/x'] = 1; callback(null, user, context);`, { claims: { onViolation: 'error' } }))
    expect(err.code).toBe('ERR_CLAIM_VIOLATION')
    expect(err.message).toBe(`'https://foo.auth0.com/x' uses the forbidden namespace foo.auth0.com`)
    expect([err.claim, err.token, err.reason]).toEqual(['https://foo.auth0.com/x', 'idToken', 'forbidden-namespace'])
  })
})

describe('context.accessToken.scope', () => {
  it('replaces the scopes with a de-duplicated array when set to an array', async () => {
    const result = await runBody(`context.accessToken.scope = ['openid', 'read:a', 'openid', 'write:a', 'read:a']; callback(null, user, context);`)
    expect(result.accessToken.scope).toEqual(['openid', 'read:a', 'write:a'])
    expect(result.accessToken.claims).toEqual({})
    expect(result.warnings).toEqual([])
  })

  it('replaces the scopes with a de-duplicated array when set to a space-separated string', async () => {
    const result = await runBody(`context.accessToken.scope = '  openid profile   openid read:a '; callback(null, user, context);`)
    expect(result.accessToken.scope).toEqual(['openid', 'profile', 'read:a'])
    expect(result.accessToken.claims).toEqual({})
  })

  it('is undefined when no rule touched it', async () => {
    const result = await runBody(`context.accessToken['https://example.com/x'] = 1; callback(null, user, context);`)
    expect(result.accessToken.scope).toBeUndefined()
  })

  it.each([
    ['a number', '42'],
    ['an object', '{ openid: true }'],
    ['an array with a number', "['openid', 1]"],
    ['an array with an object', "['openid', { a: 1 }]"],
  ])('rejects %s with ERR_RULE_RESULT_INVALID naming context.accessToken.scope', async (_what, value) => {
    const err = await rejection(runBody(`context.accessToken.scope = ${value}; callback(null, user, context);`))
    expect(err.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(err.path).toMatch(/^context\.accessToken\.scope/)
    expect(err.message).toMatch(/^context\.accessToken\.scope/)
    expect(err.toOAuthError()).toEqual({
      status: 500,
      body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' },
    })
  })
})

describe('claim arrays as JSON.stringify writes them (and Auth0 issued them)', () => {
  it('writes an undefined element and a hole as null, as a .map that returns nothing for some items leaves them', async () => {
    const result = await runBody(
      `context.accessToken['https://example.com/teams'] = ['a', 'b', 'c'].map(function (t) { if (t !== 'b') return 'team:' + t; });
       context.idToken['https://example.com/x'] = [1, , 3];
       callback(null, user, context);`,
    )
    expect(result.accessToken.claims['https://example.com/teams']).toEqual(['team:a', null, 'team:c'])
    expect(result.idToken.claims['https://example.com/x']).toEqual([1, null, 3])
  })
})

describe('claim values must be JSON', () => {
  const A = 'context.accessToken["https://example.com/x"]'
  it.each([
    ['a function', `context.accessToken['https://example.com/x'] = function () {};`, A, 'is a function, which is not JSON'],
    ['a symbol', `context.accessToken['https://example.com/x'] = Symbol('s');`, A, 'is a symbol, which is not JSON'],
    ['a BigInt', `context.accessToken['https://example.com/x'] = { n: 10n };`, `${A}["n"]`, 'is a BigInt, which is not JSON'],
    ['a cycle', `var o = { a: 1 }; o.self = o; context.accessToken['https://example.com/x'] = o;`, `${A}["self"]`, 'is a circular reference'],
    ['NaN', `context.accessToken['https://example.com/x'] = [NaN];`, `${A}[0]`, 'is a non-finite number (NaN), which JSON cannot represent'],
    [
      'Infinity',
      `context.accessToken['https://example.com/x'] = { v: Infinity };`,
      `${A}["v"]`,
      'is a non-finite number (Infinity), which JSON cannot represent',
    ],
    [
      'a Map',
      `context.accessToken['https://example.com/x'] = new Map([['a', 1]]);`,
      A,
      'is an object that is not plain JSON (a class instance, Map, RegExp, boxed value…)',
    ],
    [
      'a class instance',
      `class Role { constructor() { this.name = 'admin'; } } context.accessToken['https://example.com/x'] = [new Role()];`,
      `${A}[0]`,
      'is an object that is not plain JSON (a class instance, Map, RegExp, boxed value…)',
    ],
    [
      'a getter on the token',
      `Object.defineProperty(context.accessToken, 'https://example.com/x', { get: function () { return 1; }, enumerable: true });`,
      A,
      'is a getter, which is not JSON',
    ],
    ['a getter inside a value', `context.accessToken['https://example.com/x'] = { get v() { return 1; } };`, `${A}["v"]`, 'is a getter, which is not JSON'],
  ])('rejects %s with ERR_RULE_RESULT_INVALID and its path', async (_what, body, path, reason) => {
    const err = await rejection(runBody(`${body} callback(null, user, context);`))
    expect(err.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(err.path).toBe(path)
    expect(err.message).toBe(`${path} ${reason}.`)
    expect(err.toOAuthError()).toEqual({
      status: 500,
      body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' },
    })
  })

  it('names the ID token in the path of a non-JSON ID token claim', async () => {
    const err = await rejection(runBody(`context.idToken['https://example.com/f'] = { cb: function () {} }; callback(null, user, context);`))
    expect(err.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(err.path).toBe('context.idToken["https://example.com/f"]["cb"]')
  })

  it('turns Date values into ISO strings', async () => {
    const result = await runBody(`
      var d = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
      context.accessToken['https://example.com/at'] = d;
      context.idToken['https://example.com/dates'] = { first: d, list: [d] };
      callback(null, user, context);`)
    expect(result.accessToken.claims).toEqual({ 'https://example.com/at': '2024-01-02T03:04:05.006Z' })
    expect(result.idToken.claims).toEqual({
      'https://example.com/dates': { first: '2024-01-02T03:04:05.006Z', list: ['2024-01-02T03:04:05.006Z'] },
    })
  })

  it('omits properties whose value is undefined', async () => {
    const result = await runBody(`
      context.accessToken['https://example.com/gone'] = undefined;
      context.accessToken['https://example.com/obj'] = { kept: 1, gone: undefined };
      callback(null, user, context);`)
    expect(result.accessToken.claims).toEqual({ 'https://example.com/obj': { kept: 1 } })
    expect(Object.keys(result.accessToken.claims)).toEqual(['https://example.com/obj'])
    expect(Object.keys(result.accessToken.claims['https://example.com/obj'] as object)).toEqual(['kept'])
    expect(result.warnings).toEqual([])
  })
})

describe('the 100 KB limit of custom claims per token', () => {
  const NAME = 'https://example.com/big'
  /** Characters of value that make `{"<NAME>":"<value>"}` exactly `bytes` long. */
  const valueFor = (bytes: number) => bytes - JSON.stringify({ [NAME]: '' }).length

  it('is 100 KB (102400 bytes)', () => {
    expect(MAX_CUSTOM_CLAIMS_BYTES).toBe(100 * 1024)
  })

  for (const token of ['accessToken', 'idToken'] as const) {
    it(`accepts custom claims of exactly the limit in the ${token}`, async () => {
      const n = valueFor(MAX_CUSTOM_CLAIMS_BYTES)
      const result = await runBody(`context.${token}[${JSON.stringify(NAME)}] = 'x'.repeat(${n}); callback(null, user, context);`)
      const claims = result[token].claims
      expect(Buffer.byteLength(JSON.stringify(claims))).toBe(MAX_CUSTOM_CLAIMS_BYTES)
      expect((claims[NAME] as string).length).toBe(n)
    })

    it(`rejects one byte over the limit in the ${token} with ERR_CLAIMS_TOO_LARGE`, async () => {
      const n = valueFor(MAX_CUSTOM_CLAIMS_BYTES + 1)
      const err = await rejection(runBody(`context.${token}[${JSON.stringify(NAME)}] = 'x'.repeat(${n}); callback(null, user, context);`))
      expect(err.code).toBe('ERR_CLAIMS_TOO_LARGE')
      expect(err.message).toBe(`Custom claims of the ${token} take ${MAX_CUSTOM_CLAIMS_BYTES + 1} bytes; the limit is ${MAX_CUSTOM_CLAIMS_BYTES}.`)
      expect(err.token).toBe(token)
      expect(err.bytes).toBe(MAX_CUSTOM_CLAIMS_BYTES + 1)
      expect(err.toOAuthError()).toEqual({
        status: 500,
        body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' },
      })
    })
  }

  it('counts all custom claims of a token together (UTF-8 bytes)', async () => {
    // Two claims of 60 000 characters: each under the limit, together over it.
    const err = await rejection(
      runBody(`
        context.idToken['https://example.com/a'] = 'x'.repeat(60000);
        context.idToken['https://example.com/b'] = 'é'.repeat(30000);
        callback(null, user, context);`),
    )
    expect(err.code).toBe('ERR_CLAIMS_TOO_LARGE')
    expect(err.token).toBe('idToken')
    const bytes = JSON.stringify({ 'https://example.com/a': '', 'https://example.com/b': '' }).length + 60000 + 60000
    expect(err.bytes).toBe(bytes)
  })

  for (const token of ['accessToken', 'idToken'] as const) {
    it(`fails with ERR_CLAIMS_TOO_LARGE for a 10 MB claim in the ${token}`, async () => {
      await using engine = await engineWith(
        [rule('huge', `context.${token}['https://example.com/huge'] = 'x'.repeat(10 * 1024 * 1024); callback(null, user, context);`)],
        {
          limits: { timeoutMs: 10_000, memoryLimitMb: 128 },
        },
      )
      const err = await rejection(engine.run(passwordInput()))
      expect(err.code).toBe('ERR_CLAIMS_TOO_LARGE')
      expect(err.token).toBe(token)
    })
  }

  /**
   * Run `body` with a budget far above what the size check needs, so that a check that walked the
   * whole value (or copied it) would show as a timeout or a memory kill, not as this error. How fast
   * it fails is a figure for `pnpm bench`, not an assertion here.
   */
  async function sizeFailure(body: string): Promise<any> {
    await using engine = await engineWith([rule('huge', `${body} callback(null, user, context);`)], {
      limits: { timeoutMs: 10_000, memoryLimitMb: 64 },
    })
    return rejection(engine.run(passwordInput()))
  }

  it('fails with ERR_CLAIMS_TOO_LARGE (not a timeout or a memory kill) for a 10 MB claim made of many small values', async () => {
    // 5 Mi numbers: about 10 MB of JSON.
    const err = await sizeFailure(`context.accessToken['https://example.com/huge'] = new Array(5 * 1024 * 1024).fill(0);`)
    expect(err.code).toBe('ERR_CLAIMS_TOO_LARGE')
    expect(err.token).toBe('accessToken')
  })

  it('fails with ERR_CLAIMS_TOO_LARGE for 10 MB of custom claims spread over many claims of one token', async () => {
    // 100 claims of about 100 KB of JSON each (one shared array): each alone is under the limit.
    const err = await sizeFailure(
      `var block = new Array(50000).fill(0);
       for (var i = 0; i < 100; i++) context.idToken['https://example.com/part' + i] = block;`,
    )
    expect(err.code).toBe('ERR_CLAIMS_TOO_LARGE')
    expect(err.token).toBe('idToken')
  })
})

describe('when claims are taken', () => {
  it('takes claims only after all rules finished: a later rule can read and delete an earlier rule’s claim', async () => {
    const result = await runRules([
      rule('first', `context.accessToken['https://example.com/a'] = 1; context.accessToken['https://example.com/b'] = 2; callback(null, user, context);`),
      rule(
        'second',
        `context.accessToken['https://example.com/c'] = context.accessToken['https://example.com/a'] + 10;
         delete context.accessToken['https://example.com/a'];
         callback(null, user, context);`,
      ),
    ])
    expect(result.accessToken.claims).toEqual({ 'https://example.com/b': 2, 'https://example.com/c': 11 })
  })

  it('takes the claims of a context.accessToken / context.idToken that a rule replaced with new objects', async () => {
    const result = await runRules([
      rule('first', `context.accessToken['https://example.com/old'] = 1; context.idToken['https://example.com/old'] = 1; callback(null, user, context);`),
      rule(
        'second',
        `context.accessToken = { 'https://example.com/new': 'at', scope: 'openid read:a' };
         context.idToken = { 'https://example.com/new': 'id' };
         callback(null, user, context);`,
      ),
    ])
    expect(result.accessToken.claims).toEqual({ 'https://example.com/new': 'at' })
    expect(result.accessToken.scope).toEqual(['openid', 'read:a'])
    expect(result.idToken.claims).toEqual({ 'https://example.com/new': 'id' })
  })
})
