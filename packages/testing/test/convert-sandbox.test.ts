/**
 * `convertRule` on real rules: deployed rules (packages/engine/test/deployed) that convert
 * completely run as the original rule and as the converted action in the real sandbox, for every
 * login of their differential case, and must answer the same: claims of both tokens, scope,
 * multifactor, the denial or error and its description, and the metadata written.
 */
import { createEngine, isTokenRulesError, type Engine } from '@tokenrules/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { convertRule } from '@tokenrules/testing'
import { loadRule, scenarioInput } from '../../engine/test/deployed/harness-case.js'

/** Deployed rules that convert completely, with no HTTP or packages (their cases run offline). */
const RULES = [
  'exicon-email-verified',
  'infas-user-metadata-claim',
  'letsdoauth-password-age',
  'mozilla-application-access-override',
  'mozilla-claim-namespace',
  'mozilla-github-mfa',
  'mozilla-hris-is-staff',
  'mozilla-mana-group-gate',
  'mozilla-oidc-conformance-workaround',
  'mozilla-unicode-name-quoting',
  'multicycles-default-scopes',
  'pixlise-return-username',
]

/** The kinds of outcome the rules' logins produced, for the last test. */
const outcomes = new Set<string>()

type Write = { kind: 'app_metadata' | 'user_metadata'; userId: string; metadata: unknown }

/** What a login answered, in terms a rule and an action share. */
async function observe(engine: Engine, writes: Write[], input: { user: Record<string, unknown>; context: Record<string, unknown> }) {
  writes.length = 0
  try {
    const result = await engine.run(structuredClone(input) as Parameters<Engine['run']>[0])
    return {
      ok: true,
      idToken: result.idToken.claims,
      accessToken: result.accessToken.claims,
      scope: result.accessToken.scope ?? null,
      multifactor: result.multifactor ?? null,
      metadata: [...writes],
    }
  } catch (error) {
    if (!isTokenRulesError(error)) throw error
    // A rule's UnauthorizedError (401 unauthorized) becomes api.access.deny (403 access_denied) with the
    // same description: the one difference convert reports for it. Both refuse the login.
    const refused = error.code === 'ERR_RULE_UNAUTHORIZED' || error.code === 'ERR_RULE_DENIED'
    return { ok: false, error: refused ? 'refused' : error.code, message: error.message, metadata: [...writes] }
  }
}

describe.each(RULES)('%s: the converted action answers as the rule', (slug) => {
  const { source, testCase } = loadRule(slug)
  const converted = convertRule(source, { name: slug })
  const configuration = testCase.configuration ?? {}
  const now = testCase.now === undefined ? undefined : Date.parse(testCase.now)
  const ruleWrites: Write[] = []
  const actionWrites: Write[] = []
  let asRule: Engine
  let asAction: Engine

  beforeAll(async () => {
    const common = {
      isolation: 'thread' as const,
      errors: { exposeExceptionMessages: true },
      claims: { namespace: testCase.claimsNamespace ?? 'optional' },
      ...(now === undefined ? {} : { clock: () => now }),
    }
    const record = (writes: Write[], kind: Write['kind']) => (userId: string, metadata: Record<string, unknown>) => {
      writes.push({ kind, userId, metadata: structuredClone(metadata) })
    }
    asRule = await createEngine({
      ...common,
      rules: [{ name: slug, script: source }],
      configuration,
      hooks: { updateAppMetadata: record(ruleWrites, 'app_metadata'), updateUserMetadata: record(ruleWrites, 'user_metadata') },
    })
    asAction = await createEngine({
      ...common,
      rules: [],
      actions: [{ name: slug, code: converted.code, secrets: converted.secrets.map((name) => ({ name, value: configuration[name] ?? '' })) }],
      hooks: { updateAppMetadata: record(actionWrites, 'app_metadata'), updateUserMetadata: record(actionWrites, 'user_metadata') },
    })
  })
  afterAll(async () => {
    await asRule?.close()
    await asAction?.close()
  })

  it('converts completely, to an action reading the rule’s configuration as secrets', () => {
    expect(converted.complete, converted.notes.map((n) => `${n.line}: ${n.message}`).join('\n')).toBe(true)
    expect(converted.code).toMatch(/^exports\.onExecutePostLogin = async \(event, api\) => \{$/m)
    expect(converted.secrets.filter((name) => !(name in configuration))).toEqual([])
  })

  for (const scenario of testCase.scenarios) {
    it(scenario.name, async () => {
      const input = scenarioInput(scenario, [], 'http://127.0.0.1:9')
      const rule = await observe(asRule, ruleWrites, input)
      const action = await observe(asAction, actionWrites, input)
      expect(action).toEqual(rule)
      if (!rule.ok) outcomes.add(String(rule.error))
      else {
        if (Object.keys({ ...rule.idToken, ...rule.accessToken }).length > 0) outcomes.add('claims')
      }
    })
  }
})

// Defined after the rules' tests, so it runs after them (one file runs its tests in order).
it('covers claims, refusals, thrown errors and the redirect the password grant refuses', () => {
  expect([...outcomes].sort()).toEqual(['ERR_REDIRECT_UNSUPPORTED', 'ERR_RULE_EXCEPTION', 'claims', 'refused'])
})

it('context.multifactor with the rule default becomes api.multifactor.enable with allowRememberBrowser written out', async () => {
  const source = `function (user, context, callback) {
  if (user.app_metadata.roles && user.app_metadata.roles.includes('admin')) context.multifactor = { provider: 'any' };
  callback(null, user, context);
}`
  const converted = convertRule(source)
  expect(converted.complete).toBe(true)
  await using asRule = await createEngine({ isolation: 'thread', rules: [{ name: 'mfa', script: source }] })
  await using asAction = await createEngine({ isolation: 'thread', rules: [], actions: [{ name: 'mfa', code: converted.code }] })
  for (const roles of [['admin'], ['reader']]) {
    const input = { user: { user_id: 'auth0|1', app_metadata: { roles } }, context: { clientID: 'app', protocol: 'oauth2-password' } }
    const rule = await observe(asRule, [], input)
    expect(await observe(asAction, [], input)).toEqual(rule)
    expect(rule).toMatchObject({ ok: true, multifactor: roles[0] === 'admin' ? { provider: 'any', allowRememberBrowser: true } : null })
  }
})
