import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import { createRuleRunner, isTokenRulesError, loadAction, readActionSet, runActions, runRules } from '@tokenrules/testing/vitest'

const fixtures = new URL('./fixtures/', import.meta.url)
const path = (relative: string) => fileURLToPath(new URL(relative, fixtures))

/** An action that writes what it saw of the event into one claim, for the mapping tests. */
const ECHO = `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/event', {
    user: { email: event.user.email, plan: event.user.app_metadata.plan, logins_count: event.user.logins_count },
    client: event.client,
    connection: event.connection,
    request: { ip: event.request.ip, user_agent: event.request.user_agent, geoip: event.request.geoip, body: event.request.body },
    transaction: event.transaction,
    authorization: event.authorization,
    stats: event.stats,
    organization: event.organization,
    resource_server: event.resource_server,
    tenant: event.tenant,
    authentication: event.authentication,
  });
};`

describe('runActions and runRules with actions, in the real sandbox', () => {
  it('runs the rules first, then the actions: claims from both reach the tokens, the later write wins', async () => {
    const result = await runRules({ dir: new URL('./fixtures/mixed/', import.meta.url), actionsDir: new URL('./fixtures/mixed-actions/', import.meta.url) })
    expect(result.rules.map((r) => r.name)).toEqual(['roles'])
    // 02-audit.js in the rules folder sets exports.onExecutePostLogin: an action, before those of actionsDir.
    expect(result.actions?.map((a) => a.name)).toEqual(['audit', 'plan'])
    expect(result.accessToken.claims).toEqual({ 'https://example.com/roles': [], 'https://example.com/plan': 'free' })
    expect(result.idToken.claims).toEqual({ 'https://example.com/source': 'action' })
    expect(result).toHaveLogged('login of auth0|65a1f0c2e4b0a1b2c3d4e5f6 to Acme Web App')
  })

  it('reads a rules folder with its actions/ subfolder (the demo server’s layout) as rules and actions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenrules-demo-layout-'))
    try {
      cpSync(path('mixed/01-roles.js'), join(dir, '01-roles.js'))
      mkdirSync(join(dir, 'actions'))
      cpSync(path('mixed-actions/01-plan.js'), join(dir, 'actions/01-plan.js'))
      const result = await runRules({ dir, user: { app_metadata: { roles: ['admin'], plan: 'gold' } } })
      expect(result.rules.map((r) => r.name)).toEqual(['roles'])
      expect(result.actions?.map((a) => a.name)).toEqual(['plan'])
      expect(result.accessToken.claims).toEqual({ 'https://example.com/roles': ['admin'], 'https://example.com/plan': 'gold' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a rule that denies ends the login: no action runs', async () => {
    const audit = vi.fn()
    const login = runActions({
      files: [path('mixed/01-roles.js')],
      actions: ['exports.onExecutePostLogin = async (event, api) => { audit(event.user.user_id); };'],
      globals: { audit },
      user: { app_metadata: { suspended: true } },
    })
    await expect(login).toDenyWith('ERR_RULE_UNAUTHORIZED', 'Account suspended.')
    expect(audit).not.toHaveBeenCalled()
  })

  it('api.access.deny is ERR_RULE_DENIED with the reason, naming the action', async () => {
    const login = runActions({ actionFiles: [path('actions/02-deny-blocked.js')], event: { request: { geoip: { countryCode: 'KP' } } } })
    await expect(login).toDenyWith('ERR_RULE_DENIED', 'Not available in your country.')
    const error = await login.catch((e: unknown) => e)
    expect(isTokenRulesError(error) && error.rule).toBe('deny-blocked')
    expect(isTokenRulesError(error) && error.toOAuthError()).toEqual({
      status: 403,
      body: { error: 'access_denied', error_description: 'Not available in your country.' },
    })
  })

  it('reads actions from files and folders, named after the file, with their secrets and configuration', async () => {
    const read = await readActionSet({ actionsDir: new URL('./fixtures/actions/', import.meta.url) })
    expect(read.map((a) => [a.name, a.file])).toEqual([
      ['add-plan', path('actions/01-add-plan.js')],
      ['deny-blocked', path('actions/02-deny-blocked.js')],
    ])
    const [addPlan] = read
    const result = await runActions({
      actions: [
        {
          ...addPlan!,
          secrets: [{ name: 'NAMESPACE', value: 'https://example.com' }],
          configuration: [{ name: 'DEFAULT_PLAN', value: 'trial' }],
        },
      ],
    })
    expect(result).toHaveClaim('accessToken', 'https://example.com/plan', 'trial')
  })

  it('builds the event from event overrides in the Actions spelling', async () => {
    const result = await runActions({
      actions: [ECHO],
      user: { app_metadata: { plan: 'gold' } },
      event: {
        user: { email: 'grace@example.com' },
        client: { client_id: 'cli_1', name: 'Payroll', metadata: { tier: 'internal' } },
        connection: { name: 'Employees', strategy: 'auth0' },
        request: { ip: '198.51.100.4', user_agent: 'curl/8', geoip: { countryCode: 'FR', cityName: 'Paris' } },
        transaction: { requested_scopes: ['openid', 'email'], ui_locales: ['fr-FR'] },
        authorization: { roles: ['payroll'] },
        stats: { logins_count: 3 },
        organization: { id: 'org_1', name: 'globex' },
        resource_server: { identifier: 'https://payroll.example' },
        tenant: { id: 'globex' },
        authentication: undefined,
      },
    })
    const seen = result.idToken.claims['https://example.com/event'] as Record<string, any>
    expect(seen['user']).toEqual({ email: 'grace@example.com', plan: 'gold' }) // logins_count is not on event.user
    expect(seen['client']).toEqual({ client_id: 'cli_1', name: 'Payroll', metadata: { tier: 'internal' } })
    expect(seen['connection']).toMatchObject({ name: 'Employees', strategy: 'auth0' })
    expect(seen['request']).toMatchObject({
      ip: '198.51.100.4',
      user_agent: 'curl/8',
      geoip: { countryCode: 'FR', cityName: 'Paris', countryName: 'United Kingdom' },
    })
    expect(seen['request'].body).toMatchObject({ grant_type: 'password', scope: 'openid email', audience: 'https://payroll.example' })
    expect(seen['transaction']).toEqual({ protocol: 'oauth2-password', requested_scopes: ['openid', 'email'], locale: 'fr-FR', ui_locales: ['fr-FR'] })
    expect(seen['authorization']).toEqual({ roles: ['payroll'] })
    expect(seen['stats']).toEqual({ logins_count: 3 })
    expect(seen['organization']).toEqual({ id: 'org_1', name: 'globex' })
    expect(seen['resource_server']).toEqual({ identifier: 'https://payroll.example' })
    expect(seen['tenant']).toEqual({ id: 'globex' })
    expect(seen).not.toHaveProperty('authentication')
  })

  it('puts a browser login’s requested scopes in the query', async () => {
    const result = await runActions({ actions: [ECHO], event: { transaction: { protocol: 'oidc-basic-profile', requested_scopes: ['openid'] } } })
    const seen = result.idToken.claims['https://example.com/event'] as Record<string, any>
    expect(seen['transaction']).toMatchObject({ protocol: 'oidc-basic-profile', requested_scopes: ['openid'] })
  })

  it('refuses event fields that are not the event’s, and secrets given as event fields', async () => {
    await expect(runActions({ actions: [ECHO], event: { secrets: { A: 'b' } } as never })).rejects.toThrow(/event.secrets belongs to the action/)
    await expect(runActions({ actions: [ECHO], event: { geoip: {} } as never })).rejects.toThrow(/event.geoip is not a post-login event field/)
    await expect(runActions({ actions: [ECHO], event: { request: { userAgent: 'x' } } as never })).rejects.toThrow(
      /event.request.userAgent is not a field of event.request \(its fields: ip, hostname, user_agent/,
    )
    await expect(runActions({ rules: [] })).rejects.toThrow(/runActions: give the actions/)
  })

  it('a runner keeps the actions’ cache between logins', async () => {
    await using runner = await createRuleRunner({
      actions: [
        `exports.onExecutePostLogin = async (event, api) => {
          const seen = api.cache.get('n');
          const n = seen === undefined ? 1 : Number(seen.value) + 1;
          api.cache.set('n', String(n));
          api.accessToken.setCustomClaim('https://example.com/n', n);
        };`,
      ],
    })
    expect(await runner.run()).toHaveClaim('accessToken', 'https://example.com/n', 1)
    expect(await runner.run()).toHaveClaim('accessToken', 'https://example.com/n', 2)
  })
})

describe('the matchers on action results', () => {
  it('read claims, scopes, MFA, dropped claims and logs set through api', async () => {
    const result = await runActions({
      actions: [
        `exports.onExecutePostLogin = async (event, api) => {
          api.accessToken.setCustomClaim('https://example.com/roles', event.authorization.roles);
          api.accessToken.addScope('read:reports').accessToken.removeScope('email'); // every method returns api
          api.idToken.setCustomClaim('favourite_colour', 'teal');
          api.multifactor.enable('guardian', { allowRememberBrowser: true });
          console.log('roles: ' + event.authorization.roles.join(','));
        };`,
      ],
      event: { authorization: { roles: ['admin'] } },
    })
    expect(result).toHaveClaim('accessToken', 'https://example.com/roles', ['admin'])
    expect(result).toHaveScopes(['openid', 'profile', 'read:reports'])
    expect(result).toRequireMfa('guardian')
    expect(result).toDropClaim('favourite_colour', 'not-namespaced')
    expect(result).toHaveLogged('roles: admin', 'log')
    expect(result.context).toBeUndefined()
  })

  it('read a denial and a refused redirect', async () => {
    await expect(runActions({ actions: ['exports.onExecutePostLogin = async (event, api) => { api.access.deny("closed"); };'] })).toDenyWith(
      'ERR_RULE_DENIED',
      'closed',
    )
    const redirect = 'exports.onExecutePostLogin = async (event, api) => { api.redirect.sendUserTo("https://app.example/consent"); };'
    await expect(runActions({ actions: [redirect] })).toRefuseRedirect()
    const browser = await runActions({ actions: [redirect], event: { transaction: { protocol: 'oidc-basic-profile' } } })
    expect(browser.redirect).toEqual({ url: 'https://app.example/consent' })
  })

  it('say when no action set the scopes or MFA', async () => {
    const result = await runActions({ actions: ['exports.onExecutePostLogin = async () => {};'] })
    expect(() => expect(result).toHaveScopes(['openid'])).toThrow(/no action called api.accessToken.addScope/)
    expect(() => expect(result).toRequireMfa()).toThrow(/no action called api.multifactor.enable/)
    await expect(expect(Promise.resolve(result)).toDenyWith('ERR_RULE_DENIED')).rejects.toThrow(/the rules and actions allowed the login/)
  })
})

describe('loadAction', () => {
  it('loads a file, with the action’s secrets and configuration as options', async () => {
    await using action = loadAction(path('actions/01-add-plan'), { secrets: { NAMESPACE: 'https://example.com' }, configuration: { DEFAULT_PLAN: 'free' } })
    expect(action.actionName).toBe('add-plan')
    expect(action.file).toBe(path('actions/01-add-plan.js'))
    expect(await action({ user: { app_metadata: { plan: 'gold' } } })).toHaveClaim('accessToken', 'https://example.com/plan', 'gold')
    const result = await action()
    expect(result).toHaveClaim('accessToken', 'https://example.com/plan', 'free')
    expect(action.lastRun).toEqual({ result })
  })

  it('resolves with the raw context too (claims as the action set them) and keeps module state until closed', async () => {
    const action = loadAction(
      `let calls = 0;
      exports.onExecutePostLogin = async (event, api) => {
        calls++;
        api.idToken.setCustomClaim('calls', calls);
      };`,
      { name: 'counter' },
    )
    const first = await action()
    expect(first.context).toHaveClaim('idToken', 'calls', 1)
    expect(first).not.toHaveClaim('idToken', 'calls')
    expect(first).toDropClaim('calls', 'not-namespaced')
    expect((await action()).context).toHaveClaim('idToken', 'calls', 2)
    await action.close()
    expect((await action()).context).toHaveClaim('idToken', 'calls', 1)
    await action.close()
  })

  it('rejects with the engine’s typed error, recorded in lastRun', async () => {
    await using action = loadAction('exports.onExecutePostLogin = async (event, api) => { event.request.geoip.nothing.deeper; };', { name: 'broken' })
    const error = await action().catch((e: unknown) => e)
    expect(isTokenRulesError(error) && [error.code, error.rule]).toEqual(['ERR_RULE_EXCEPTION', 'broken'])
    expect(action.lastRun).toEqual({ error })
  })

  it('calls module stubs given as modules.host', async () => {
    const get = vi.fn(async (url: string) => ({ data: { tier: url.endsWith('/auth0|65a1f0c2e4b0a1b2c3d4e5f6') ? 'gold' : 'none' } }))
    await using action = loadAction(
      `const axios = require('axios');
      exports.onExecutePostLogin = async (event, api) => {
        const { data } = await axios.get('https://crm.example/tier/' + event.user.user_id);
        api.accessToken.setCustomClaim('https://example.com/tier', data.tier);
      };`,
      { modules: { host: { axios: { get } } } },
    )
    expect(await action()).toHaveClaim('accessToken', 'https://example.com/tier', 'gold')
    expect(get).toHaveBeenCalledTimes(1)
  })

  it('refuses what is not an action, unknown options and bad secrets', async () => {
    expect(() => loadAction('function (user, context, callback) {\n callback(null, user, context);\n}')).toThrow(/does not set exports.onExecutePostLogin/)
    expect(() => loadAction(ECHO, { global: {} } as never)).toThrow(/'global' is not an option/)
    expect(() => loadAction(ECHO, { secrets: { A: 1 } } as never)).toThrow(/secrets are string names and string values/)
    expect(() => loadAction(path('actions/99-missing'))).toThrow(/Cannot read the action file .*99-missing.js: ENOENT/)
    await using broken = loadAction('exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim( };')
    await expect(broken()).rejects.toMatchObject({ code: 'ERR_RULE_COMPILE', rule: 'action' })
  })
})

describe('the engine, as the check’s action-not-awaited finding describes it', () => {
  it('ignores an api call that comes after the last action ended', async () => {
    const result = await runActions({
      actions: [
        `exports.onExecutePostLogin = async (event, api) => {
          new Promise((resolve) => setTimeout(resolve, 20)).then(() => api.accessToken.setCustomClaim('https://example.com/late', true));
        };`,
      ],
    })
    expect(result.accessToken.claims).toEqual({})
  })
})
