/**
 * `modules.packages`: pure-JavaScript packages bundled once and evaluated inside the sandbox,
 * versioned `require('name@x.y.z')`, and the configuration errors around them.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { createEngine } from '@tokenrules/engine'
import { engineWith, passwordInput, rejection, rule } from '../helpers.js'
import { evaluate, RESOLVE_FROM, runSnippet } from './support.js'

const hostRequire = createRequire(`${RESOLVE_FROM}/package.json`)
const installed = (name: string) => (JSON.parse(readFileSync(hostRequire.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version
const LODASH = installed('lodash')
const PACKAGES = { packages: ['lodash', 'uuid', 'moment', 'ipaddr.js'], resolveFrom: RESOLVE_FROM }

/** Expressions over `_`, `uuid`, `moment` and `ipaddr`, evaluated in the sandbox and on the host. */
const CASES: Record<string, string> = {
  'lodash chunk/groupBy/orderBy': `[_.chunk([1, 2, 3, 4, 5], 2), _.groupBy(['one', 'two', 'three'], 'length'), _.orderBy([{ n: 'b', a: 2 }, { n: 'a', a: 2 }, { n: 'c', a: 1 }], ['a', 'n'], ['desc', 'asc'])]`,
  'lodash merge/get/set/template': `(function () { var o = _.merge({ a: { b: 1 } }, { a: { c: [2] } }); _.set(o, 'x.y[1]', 'z'); return [o, _.get(o, 'a.c[0]'), _.template('Hi <%= name %>!')({ name: 'Ada' }), _.VERSION]; })()`,
  'lodash debounce-free utilities': `[_.kebabCase('Foo Bar_baz'), _.escape('<a href="x">&</a>'), _.isEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), _.range(0, 10, 3), _.sumBy([{ v: 1 }, { v: 41 }], 'v')]`,
  'uuid v5/v3/validate/version/parse': `[uuid.v5('auth0|1', uuid.v5.URL), uuid.v3('hello', uuid.v3.DNS), uuid.validate('not-a-uuid'), uuid.version('1b671a64-40d5-491e-99b0-da01ff1f3341'), Array.from(uuid.parse('6ba7b810-9dad-11d1-80b4-00c04fd430c8')), uuid.NIL]`,
  'uuid v4 shape': `(function () { var id = uuid.v4(); return [uuid.validate(id), uuid.version(id), id.length]; })()`,
  'moment parse/format/add/diff': `[moment.utc('2024-02-29T12:00:00Z').add(1, 'year').format(), moment.utc('2024-03-31').subtract(1, 'month').format('YYYY-MM-DD'), moment.utc('2024-01-01').diff(moment.utc('2023-01-01'), 'days'), moment.utc('2024-03-13T10:00:00Z').utcOffset('+05:30').format('dddd HH:mm Z'), moment.utc('2024-03-13').isoWeekday()]`,
  'moment durations and validity': `[moment.duration(90, 'minutes').asHours(), moment('not a date', 'YYYY-MM-DD', true).isValid(), moment.utc('2024-03-13T10:00:00Z').startOf('isoWeek').toISOString(), moment.version]`,
  'ipaddr.js CIDR and parsing': `[ipaddr.parse('10.1.2.3').match(ipaddr.parseCIDR('10.0.0.0/8')), ipaddr.process('::ffff:192.168.1.1').toString(), ipaddr.parse('2001:db8::1').toNormalizedString(), ipaddr.parse('192.168.1.1').range(), ipaddr.isValid('300.1.1.1'), ipaddr.subnetMatch(ipaddr.parse('172.16.5.4'), { private: [ipaddr.parseCIDR('172.16.0.0/12')] }, 'public'), ipaddr.IPv4.broadcastAddressFromCIDR('10.0.0.0/22').toString()]`,
}

describe('bundled packages (lodash, uuid, moment, ipaddr.js) inside the sandbox', () => {
  const host = new Function(
    '_',
    'uuid',
    'moment',
    'ipaddr',
    `return { ${Object.entries(CASES)
      .map(([k, v]) => `${JSON.stringify(k)}: ${v}`)
      .join(',\n')} }`,
  )(hostRequire('lodash'), hostRequire('uuid'), hostRequire('moment'), hostRequire('ipaddr.js')) as Record<string, unknown>

  let guest: Record<string, unknown> | undefined
  const guestResults = async () => {
    guest ??= (await evaluate(
      `var _ = require('lodash'), uuid = require('uuid'), moment = require('moment'), ipaddr = require('ipaddr.js');
       var out = {};
       ${Object.entries(CASES)
         .map(([k, v]) => `try { out[${JSON.stringify(k)}] = ${v}; } catch (e) { out[${JSON.stringify(k)}] = { threw: describeError(e) }; }`)
         .join('\n')}
       done(JSON.parse(JSON.stringify(out)));`,
      { modules: PACKAGES },
    )) as Record<string, unknown>
    return guest
  }

  it.each(Object.keys(CASES))('%s: same results as the package on the host', async (name) => {
    const results = await guestResults()
    expect(results[name]).toEqual(JSON.parse(JSON.stringify(host[name])))
  })

  it('require returns the same module object every time (one evaluation per isolate)', async () => {
    expect(
      await evaluate(`done([require('lodash') === require('lodash'), require('moment') === require('moment'), typeof require('lodash').map]);`, {
        modules: PACKAGES,
      }),
    ).toEqual([true, true, 'function'])
  })

  it('a package that is installed but not listed is not allowed', async () => {
    const result = await evaluate(`try { require('moment'); done('loaded'); } catch (e) { done(describeError(e)); }`, {
      modules: { packages: ['lodash'], resolveFrom: RESOLVE_FROM },
    })
    expect(result).toEqual({
      name: 'Error',
      message:
        "Cannot require 'moment': the integrator has not allowed this module in rules (allow it with the engine option modules.packages, modules.http, modules.crypto or modules.host).",
      code: 'ERR_MODULE_NOT_ALLOWED',
      ctor: 'Error',
      isError: true,
    })
  })

  it("the built-ins 'url', 'querystring' and 'buffer' can be listed and behave like Node's", async () => {
    const url = hostRequire('url') as typeof import('node:url')
    const qs = hostRequire('querystring') as typeof import('node:querystring')
    const result = await evaluate(
      `var url = require('url'), qs = require('querystring'), buffer = require('buffer');
       var parsed = url.parse('https://user:pw@Example.com:8080/p/a/t/h?query=string&a=1#hash', true);
       done({
         parsed: { protocol: parsed.protocol, auth: parsed.auth, host: parsed.host, pathname: parsed.pathname, query: parsed.query, hash: parsed.hash },
         resolved: url.resolve('https://example.com/one/two', '../three'),
         formatted: url.format({ protocol: 'https', hostname: 'example.com', pathname: '/x', query: { a: 'b c' } }),
         qsParse: qs.parse('a=1&b=2&a=3&c=%20x+y'),
         qsStringify: qs.stringify({ a: [1, 2], b: 'x y', c: '' }),
         escape: qs.escape('a b&c/d'),
         sameBuffer: buffer.Buffer === Buffer,
       });`,
      { modules: { packages: ['url', 'querystring', 'buffer'] } },
    )
    const parsed = url.parse('https://user:pw@Example.com:8080/p/a/t/h?query=string&a=1#hash', true)
    expect(result).toEqual({
      parsed: { protocol: parsed.protocol, auth: parsed.auth, host: parsed.host, pathname: parsed.pathname, query: { ...parsed.query }, hash: parsed.hash },
      resolved: url.resolve('https://example.com/one/two', '../three'),
      formatted: url.format({ protocol: 'https', hostname: 'example.com', pathname: '/x', query: { a: 'b c' } }),
      qsParse: { ...qs.parse('a=1&b=2&a=3&c=%20x+y') },
      qsStringify: qs.stringify({ a: [1, 2], b: 'x y', c: '' }),
      escape: qs.escape('a b&c/d'),
      sameBuffer: true,
    })
  })
})

describe("versioned require: require('name@version')", () => {
  const pinned = (version: string) => `var _ = require('lodash@${version}'); done(_.VERSION);`

  it('the same major as installed runs on the installed version, with a MODULE_VERSION_MISMATCH warning', async () => {
    expect(LODASH).not.toBe('4.17.19')
    const result = await runSnippet(pinned('4.17.19'), { modules: PACKAGES })
    expect(result.idToken.claims['https://t.example/out']).toBe(LODASH)
    expect(result.warnings).toEqual([
      {
        code: 'MODULE_VERSION_MISMATCH',
        rule: 'snippet',
        message: `Rule 'snippet' asked for lodash@4.17.19; it runs on the installed lodash@${LODASH}.`,
      },
    ])
  })

  it('the exact installed version gives no warning', async () => {
    const result = await runSnippet(pinned(LODASH), { modules: PACKAGES })
    expect(result.idToken.claims['https://t.example/out']).toBe(LODASH)
    expect(result.warnings).toEqual([])
  })

  it('the warning belongs to each run that asks, and does not pile up across runs', async () => {
    await using engine = await engineWith([rule('pinned', `var _ = require('lodash@4.17.19'); callback(null, user, context);`)], { modules: PACKAGES })
    const first = await engine.run(passwordInput())
    const second = await engine.run(passwordInput())
    expect(first.warnings).toHaveLength(1)
    expect(second.warnings).toEqual(first.warnings)
  })

  it.each(['3.10.1', '^3.0.0', '5.0.0'])('another major (lodash@%s) fails createEngine with ERR_RULE_COMPILE naming the rule and module', async (version) => {
    const err = await rejection(
      createEngine({ rules: [rule('ok', 'callback(null, user, context);'), rule('old-lodash', pinned(version))], modules: PACKAGES, concurrency: 1 }),
    )
    expect(err.code).toBe('ERR_RULE_COMPILE')
    expect(err.rule).toBe('old-lodash')
    expect(err.message).toBe(`Rule 'old-lodash' requires lodash@${version}, but lodash@${LODASH} is installed (another major version).`)
  })

  it('another major in a computed name (invisible at load) fails the rule with ERR_MODULE_NOT_ALLOWED', async () => {
    await using engine = await engineWith([rule('computed', `var v = '3.10.1'; require('lodash@' + v); callback(null, user, context);`)], { modules: PACKAGES })
    const err = await rejection(engine.run(passwordInput()))
    expect(err.code).toBe('ERR_MODULE_NOT_ALLOWED')
    expect(err.module).toBe('lodash')
    expect(err.rule).toBe('computed')
    const caught = await evaluate(`var v = '3.10.1'; try { require('lodash@' + v); done('loaded'); } catch (e) { done(describeError(e)); }`, {
      modules: PACKAGES,
    })
    expect(caught).toEqual({
      name: 'Error',
      message: `Cannot require 'lodash@3.10.1': version ${LODASH} is installed (another major).`,
      code: 'ERR_MODULE_NOT_ALLOWED',
      ctor: 'Error',
      isError: true,
    })
  })
})

describe('versioned require at engine.update', () => {
  it('a new rule set asking for another major is refused (ERR_RULE_COMPILE) and the old set keeps serving', async () => {
    await using engine = await engineWith(
      [rule('current', `context.idToken['https://t.example/v'] = require('lodash').VERSION; callback(null, user, context);`)],
      { modules: PACKAGES },
    )
    const err = await rejection(engine.update([rule('next', `var _ = require('lodash@3.0.0'); callback(null, user, context);`)]))
    expect(err.code).toBe('ERR_RULE_COMPILE')
    expect(err.message).toBe(`Rule 'next' requires lodash@3.0.0, but lodash@${LODASH} is installed (another major version).`)
    expect((await engine.run(passwordInput())).idToken.claims).toEqual({ 'https://t.example/v': LODASH })
  })

  it('a require of another major that only appears in a comment does not fail the rule set', async () => {
    const engine = await createEngine({
      rules: [rule('migrated', `// was: var _ = require('lodash@3.10.1');\nvar _ = require('lodash'); callback(null, user, context);`)],
      modules: PACKAGES,
      concurrency: 1,
    })
    await engine.close()
  })
})

describe('configuration errors', () => {
  it('a package that cannot be resolved is ERR_CONFIG_INVALID naming it', async () => {
    const err = await rejection(
      createEngine({
        rules: [rule('r', 'callback(null, user, context);')],
        modules: { packages: ['lodash', 'left-pad-that-is-not-installed'], resolveFrom: RESOLVE_FROM },
      }),
    )
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(err.message).toBe(
      `Invalid engine options: modules.packages[1]: cannot resolve package 'left-pad-that-is-not-installed' from ${RESOLVE_FROM}: install it there or set modules.resolveFrom`,
    )
    expect(err.issues).toEqual([expect.objectContaining({ path: ['modules', 'packages', 1] })])
  })

  it.each([
    ['axios', 'modules.http'],
    ['request', 'modules.http'],
    ['node-fetch', 'modules.http'],
    ['crypto', 'modules.crypto'],
    ['jsonwebtoken', 'modules.crypto'],
  ])("'%s' in packages is ERR_CONFIG_INVALID: it is served by %s", async (name, option) => {
    const err = await rejection(
      createEngine({ rules: [rule('r', 'callback(null, user, context);')], modules: { packages: [name], resolveFrom: RESOLVE_FROM } }),
    )
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(err.message).toBe(`Invalid engine options: modules.packages[0]: '${name}' is not bundled: it is served by ${option}`)
  })
})
