// Issue 13: loadRule's two forms are told apart by the number of arguments, never by key names.
// `loadRule(file, options?)` takes options only; `loadRule(file, globals, stubs)` takes globals of
// any name (`limits` and `hooks` included). The old two-argument shape with globals is an error.
import { afterAll, describe, expect, it } from 'vitest'
import { closeAll, createRuleLoader, loadRule, makeContext, makeUser } from '@tokenrules/testing'

afterAll(closeAll)

/** Reads two globals called `limits` and `hooks`, as a classic suite might define them. */
const readsLimitsAndHooks = `function (user, context, callback) {
  context.idToken['https://t.example/max'] = limits.maxLogins;
  context.idToken['https://t.example/hook'] = hooks.label();
  callback(null, user, context);
}`
const limits = { maxLogins: 3 }
const hooks = { label: () => 'from-a-stub' }

const idTokenOf = (args: unknown[]) => (args[2] as { idToken: Record<string, unknown> }).idToken

describe('loadRule(file, globals, stubs): globals of any name', () => {
  it('a global called limits or hooks is a global, not an option', async () => {
    await using rule = loadRule(readsLimitsAndHooks, { limits, hooks }, {})
    const args = await rule(makeUser(), makeContext())
    expect(args[0]).toBeNull()
    expect(idTokenOf(args)).toEqual({ 'https://t.example/max': 3, 'https://t.example/hook': 'from-a-stub' })
  })

  it('is the classic form with stubs undefined too', async () => {
    await using rule = loadRule(readsLimitsAndHooks, { limits, hooks }, undefined)
    expect(idTokenOf(await rule(makeUser(), makeContext()))).toEqual({ 'https://t.example/max': 3, 'https://t.example/hook': 'from-a-stub' })
  })

  it('the same through createRuleLoader', async () => {
    const load = createRuleLoader({ dir: new URL('./fixtures/good-rules/', import.meta.url) })
    await using rule = load(readsLimitsAndHooks, { limits, hooks }, {})
    expect(idTokenOf(await rule(makeUser(), makeContext()))).toEqual({ 'https://t.example/max': 3, 'https://t.example/hook': 'from-a-stub' })
  })
})

describe('loadRule(file, options): options only', () => {
  it('globals called limits or hooks go under globals', async () => {
    await using rule = loadRule(readsLimitsAndHooks, { globals: { limits, hooks } })
    expect(idTokenOf(await rule(makeUser(), makeContext()))).toEqual({ 'https://t.example/max': 3, 'https://t.example/hook': 'from-a-stub' })
  })

  it('limits is always the limits option', async () => {
    await using rule = loadRule('function (user, context, callback) { /* never calls back */ }', { limits: { timeoutMs: 50 } })
    const [err] = await rule(makeUser(), makeContext())
    expect(err).toMatchObject({ code: 'ERR_RULE_TIMEOUT', timeoutMs: 50 })
  })

  it('the old two-argument shape with globals throws a TypeError naming the keys and both forms', () => {
    const ambiguous = { configuration: { TIER: 'gold' }, crm: { lookup: () => 'gold' } }
    // TypeScript lets a variable with one option name through (no excess-property check): the kit checks.
    expect(() => loadRule(readsLimitsAndHooks, ambiguous)).toThrow(TypeError)
    expect(() => loadRule(readsLimitsAndHooks, ambiguous)).toThrow(
      /^loadRule: 'crm' is not an option \(the options are .*\)\. Put the rule's globals under globals \(loadRule\(file, \{ globals: \{ crm: … \} \}\)\), or pass the classic harness's three arguments \(loadRule\(file, globals, stubs\)\)\.$/,
    )
    const load = createRuleLoader({ dir: new URL('./fixtures/good-rules/', import.meta.url) })
    // @ts-expect-error -- an object literal: TypeScript refuses the unknown keys already
    expect(() => load('roles', { crm: {}, profile: {} })).toThrow(/^loadRule: 'crm', 'profile' are not options /)
    // @ts-expect-error -- the loader's defaults are options too
    expect(() => createRuleLoader({ dir: '.', crm: {} })).toThrow(/^createRuleLoader: 'crm' is not an option /)
  })

  it('an auth0 object of stubs is a global, not the auth0 option (which only has domain)', async () => {
    const auth0 = { domain: 'tenant.example', users: { updateAppMetadata: async () => undefined } }
    expect(() => loadRule(readsLimitsAndHooks, { auth0 })).toThrow(/^loadRule: 'auth0' is not an option /)
    await using rule = loadRule(
      `function (user, context, callback) {
      context.idToken['https://t.example/domain'] = auth0.domain;
      callback(null, user, context);
    }`,
      { auth0: { domain: 'tenant.example' } },
    )
    expect(idTokenOf(await rule(makeUser(), makeContext()))).toEqual({ 'https://t.example/domain': 'tenant.example' })
  })
})
