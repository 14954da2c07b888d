import { describe, expect, it } from 'vitest'
import { analyzeAction, checkRules, isActionSource, type Finding } from '@tokenrules/testing'

const codes = (findings: Finding[]) => findings.map((f) => [f.code, f.line])
const check = (code: string, options = {}) => codes(analyzeAction({ name: 'action', code }, options))

describe('analyzeAction', () => {
  it('reports a syntax error where the engine would, and a module without a handler', () => {
    expect(check('exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim(;\n};')).toEqual([['syntax-error', 2]])
    expect(check('exports.onExecutePostLogin = async (event, api) => {\n  if (x) {\n')).toEqual([['syntax-error', 3]])
    expect(check('exports.onContinuePostLogin = async () => {};')).toEqual([['action-no-handler', 1]])
    expect(analyzeAction({ name: 'a', code: 'module.exports = {};' })[0]).toMatchObject({ code: 'action-no-handler', severity: 'warning' })
    // A top-level return is allowed in a CommonJS module.
    expect(check('if (typeof fetch === "undefined") return;\nexports.onExecutePostLogin = async () => {};')).toEqual([])
  })

  it('finds the handler however the module exports it', () => {
    const deny = "api.idToken.setCustomClaim('plan', 1);"
    expect(check(`exports.onExecutePostLogin = async function (event, api) { ${deny} };`)).toEqual([['claim-not-namespaced', 1]])
    expect(check(`module.exports.onExecutePostLogin = async (event, api) => { ${deny} };`)).toEqual([['claim-not-namespaced', 1]])
    expect(check(`async function onExecutePostLogin(event, api) { ${deny} }\nmodule.exports = { onExecutePostLogin };`)).toEqual([['claim-not-namespaced', 1]])
    expect(check(`module.exports = { async onExecutePostLogin(event, api) { ${deny} } };`)).toEqual([['claim-not-namespaced', 1]])
  })

  it('checks constant claim names of setCustomClaim against the namespace policy, through constants and chains', () => {
    const code = `const NS = 'https://example.com/';
exports.onExecutePostLogin = async (event, a) => {
  a.accessToken.setCustomClaim(NS + 'roles', []);
  a.idToken.setCustomClaim('roles', []).accessToken.setCustomClaim('https://auth0.com/x', 1);
  a.accessToken.setCustomClaim(event.secrets.NS + '/plan', 'gold');
  a.accessToken.setCustomClaim('scope', 'read');
  a.idToken.setCustomClaim('sub', 'x');
};`
    expect(check(code)).toEqual([
      ['claim-not-namespaced', 4],
      ['claim-forbidden-namespace', 4],
      ['claim-reserved-name', 6],
      ['claim-registered', 7],
    ])
    // The optional policy (Auth0's since 2022) keeps plain names; restricted ones stay dropped.
    expect(check(code, { namespace: 'optional' })).toEqual([
      ['claim-restricted', 4],
      ['claim-forbidden-namespace', 4],
      ['claim-reserved-name', 6],
      ['claim-registered', 7],
    ])
  })

  it('reports api.redirect.sendUserTo on a password-grant path, and with --password-only also a guarded one', () => {
    const always = "exports.onExecutePostLogin = async (event, api) => {\n  api.redirect.sendUserTo('https://app.example/consent');\n};"
    expect(check(always)).toEqual([['redirect-password-grant', 2]])
    const guarded = `exports.onExecutePostLogin = async (event, api) => {
  if (event.transaction.protocol === 'oauth2-password' || event.transaction.protocol === 'oauth2-refresh-token') return;
  api.redirect.sendUserTo('https://app.example/consent', { query: { a: 1 } });
};`
    expect(check(guarded)).toEqual([])
    expect(analyzeAction({ name: 'a', code: guarded }, { passwordOnly: true }).map((f) => [f.code, f.severity])).toEqual([['redirect-never-runs', 'warning']])
  })

  it('reports promises the handler lets go while their callbacks call api', () => {
    const code = `async function addTier(event, api) {
  const tier = await lookup(event.user.user_id);
  api.accessToken.setCustomClaim('https://example.com/tier', tier);
}
function tag(event, api) { api.idToken.setCustomClaim('https://example.com/tag', 1); }
exports.onExecutePostLogin = async (event, api) => {
  fetch('https://crm.example').then((r) => r.json()).then((body) => api.idToken.setCustomClaim('https://example.com/crm', body));
  addTier(event, api);
  tag(event, api);
  event.user.groups.forEach(async (group) => {
    const ok = await check(group);
    if (!ok) api.access.deny('no');
  });
  await fetch('https://crm.example').then((r) => api.idToken.setCustomClaim('https://example.com/ok', 1));
  fetch('https://audit.example', { method: 'POST' }).catch(() => {});
  event.user.groups.forEach(async (group) => { api.idToken.setCustomClaim('https://example.com/' + group, true); });
  return fetch('https://crm.example').then(() => api.access.deny('returned'));
};`
    expect(check(code)).toEqual([
      ['action-not-awaited', 7],
      ['action-not-awaited', 8],
      ['action-not-awaited', 10],
    ])
    // The api's own methods are synchronous: api.cache needs no await.
    expect(check("exports.onExecutePostLogin = async (event, api) => { api.cache.set('k', 'v'); const r = api.cache.get('k'); };")).toEqual([])
  })

  it('checks require against the allowed modules', () => {
    const code = "const _ = require('lodash');\nconst got = require(name);\nexports.onExecutePostLogin = async () => {};"
    expect(check(code)).toEqual([
      ['module-not-allowed', 1],
      ['require-dynamic', 2],
    ])
    expect(check(code, { allow: ['lodash'] })).toEqual([['require-dynamic', 2]])
  })
})

describe('isActionSource', () => {
  it('tells an action module from a rule, however the module exports its handler', () => {
    expect(isActionSource('/** Tags. */\nasync function onExecutePostLogin(event, api) {}\nexports.onExecutePostLogin = onExecutePostLogin;')).toBe(true)
    expect(isActionSource("exports['onExecutePostLogin'] = async () => {};")).toBe(true)
    expect(isActionSource('module.exports = { onExecutePostLogin };')).toBe(true)
    expect(isActionSource('// exports.onExecutePostLogin = …\nfunction (user, context, callback) { callback(null, user, context); }')).toBe(false)
    expect(isActionSource('async function (user, context, callback) { callback(null, user, context); }')).toBe(false)
  })
})

describe('checkRules with actions', () => {
  it('lists actions apart from rules and checks each with its own analysis', async () => {
    const report = await checkRules({
      rules: ['function (user, context, callback) { context.idToken.roles = []; callback(null, user, context); }'],
      actions: [{ name: 'tag', code: "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('tag', 1); };" }],
    })
    expect(report.rules).toEqual([{ name: 'rule-1', file: undefined, enabled: true }])
    expect(report.actions).toEqual([{ name: 'tag', file: undefined, enabled: true }])
    expect(report.findings.map((f) => [f.rule, f.code])).toEqual([
      ['rule-1', 'claim-not-namespaced'],
      ['tag', 'claim-not-namespaced'],
    ])
    expect(report.errors).toBe(2)
  })
})
