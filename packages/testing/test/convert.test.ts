/**
 * `convertRule` / `tokenrules convert`: each mechanical translation, and every construct it must
 * not translate silently (reported as `untranslated`, with its line, and left behind a TODO).
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'acorn'
import { afterAll, describe, expect, it } from 'vitest'
import { convertRule, RuleConversionError } from '@tokenrules/testing'

/** The handler's body lines of a converted action (its header comment and wrapper removed). */
function body(code: string): string[] {
  const lines = code.split('\n')
  const start = lines.findIndex((l) => l.startsWith('exports.onExecutePostLogin = async (event, api) => {'))
  return lines
    .slice(start + 1, lines.lastIndexOf('};'))
    .map((l) => l.trim())
    .filter((l) => l !== '')
}

const untranslated = (source: string) =>
  convertRule(source)
    .notes.filter((n) => n.kind === 'untranslated')
    .map((n) => [n.line, n.message.split(':')[0]])

describe('convertRule: mechanical translations', () => {
  it('claims, denials, success callbacks, configuration and user fields', () => {
    const converted = convertRule(`function addClaims(user, context, callback) {
  const namespace = configuration.NAMESPACE;
  if (!user.email_verified) {
    return callback(new UnauthorizedError('Please verify your email.'));
  }
  if (user.app_metadata.blocked) return callback(new Error('blocked'));
  context.idToken[namespace + '/roles'] = user.app_metadata.roles || [];
  context.accessToken.plan = user.app_metadata.plan;
  context.idToken['https://example.com/logins'] = user.logins_count;
  callback(null, user, context);
}`)
    expect(converted.complete).toBe(true)
    expect(body(converted.code)).toEqual([
      'const namespace = event.secrets.NAMESPACE;',
      'if (!event.user.email_verified) {',
      "return api.access.deny('Please verify your email.');",
      '}',
      "if (event.user.app_metadata.blocked) return api.access.deny('blocked');",
      "api.idToken.setCustomClaim(namespace + '/roles', event.user.app_metadata.roles || []);",
      "api.accessToken.setCustomClaim('plan', event.user.app_metadata.plan);",
      "api.idToken.setCustomClaim('https://example.com/logins', event.stats.logins_count);",
      'return;',
    ])
    expect(converted.secrets).toEqual(['NAMESPACE'])
    expect(converted.code).toContain("Converted from the rule 'addClaims' by tokenrules convert.")
    expect(converted.code).toContain("Secrets (the rule's configuration): NAMESPACE.")
    // The one documented difference: UnauthorizedError's 401 becomes deny's 403 access_denied.
    expect(converted.notes.map((n) => [n.kind, n.line])).toEqual([['changed', 4]])
  })

  it('keeps the parameter names the rule chose, and what shadows them', () => {
    const converted = convertRule(`function (u, ctx, done) {
  const list = [{ u: 1 }].map(function (u) { return u.u; });
  ctx.idToken['https://example.com/n'] = list.length + u.name.length;
  done(null, u, ctx);
}`)
    expect(converted.complete).toBe(true)
    expect(body(converted.code)).toEqual([
      'const list = [{ u: 1 }].map(function (u) { return u.u; });',
      "api.idToken.setCustomClaim('https://example.com/n', list.length + event.user.name.length);",
      'return;',
    ])
  })

  it('context fields by Auth0 mapping, geoip in camelCase', () => {
    const converted = convertRule(`function (user, context, callback) {
  const facts = [context.clientID, context.clientName, context.clientMetadata.tier, context.connection, context.connectionStrategy,
    context.protocol, context.request.ip, context.request.userAgent, context.request.geoip.country_code, context.request.geoip.city_name,
    context.stats.loginsCount, context.authorization.roles, context.organization && context.organization.id, context.tenant];
  context.accessToken['https://example.com/facts'] = facts;
  callback(null, user, context);
}`)
    expect(converted.complete).toBe(true)
    expect(body(converted.code).slice(0, 3).join(' ')).toBe(
      'const facts = [event.client.client_id, event.client.name, event.client.metadata.tier, event.connection.name, event.connection.strategy, ' +
        'event.transaction.protocol, event.request.ip, event.request.user_agent, event.request.geoip.countryCode, event.request.geoip.cityName, ' +
        'event.stats.logins_count, event.authorization.roles, event.organization && event.organization.id, event.tenant.id];',
    )
  })

  it('multifactor writes out the rule default allowRememberBrowser true; redirect becomes sendUserTo', () => {
    const converted = convertRule(`function (user, context, callback) {
  if (user.app_metadata.mfa) context.multifactor = { provider: 'any' };
  if (user.app_metadata.strict) context.multifactor = { provider: 'guardian', allowRememberBrowser: false };
  if (user.app_metadata.consent) context.redirect = { url: 'https://app.example.com/consent' };
  return callback(null, user, context);
}`)
    expect(body(converted.code)).toEqual([
      "if (event.user.app_metadata.mfa) api.multifactor.enable('any', { allowRememberBrowser: true });",
      "if (event.user.app_metadata.strict) api.multifactor.enable('guardian', { allowRememberBrowser: false });",
      "if (event.user.app_metadata.consent) api.redirect.sendUserTo('https://app.example.com/consent');",
      'return;',
    ])
    expect(converted.complete).toBe(true)
    expect(converted.notes.map((n) => n.message)).toEqual([expect.stringContaining('onContinuePostLogin')])
  })

  it('metadata updates of the user, awaited or chained to the callback', () => {
    const chained = convertRule(`function (user, context, callback) {
  user.app_metadata.visits = (user.app_metadata.visits || 0) + 1;
  auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
    .then(function () { callback(null, user, context); })
    .catch(function (err) { callback(err); });
}`)
    expect(chained.complete).toBe(true)
    expect(body(chained.code)).toEqual([
      'event.user.app_metadata.visits = (event.user.app_metadata.visits || 0) + 1;',
      'for (const [key, value] of Object.entries(event.user.app_metadata)) api.user.setAppMetadata(key, value);',
      'return;',
    ])
    const awaited = convertRule(`async function (user, context, callback) {
  await auth0.users.updateUserMetadata(user.user_id, { locale: 'fr' });
  callback(null, user, context);
}`)
    expect(awaited.complete).toBe(true)
    expect(body(awaited.code)).toEqual(["for (const [key, value] of Object.entries({ locale: 'fr' })) api.user.setUserMetadata(key, value);", 'return;'])
  })

  it('pinned requires become dependencies', () => {
    const converted = convertRule(`function (user, context, callback) {
  const _ = require('lodash@4.17.21');
  const crypto = require('crypto');
  const axios = require('axios');
  context.idToken['https://example.com/x'] = _.uniq([1, 1]).length + crypto.randomBytes(1).length + typeof axios;
  callback(null, user, context);
}`)
    expect(converted.dependencies).toEqual([{ name: 'lodash', version: '4.17.21' }, { name: 'axios' }])
    expect(body(converted.code).slice(0, 3)).toEqual(["const _ = require('lodash');", "const crypto = require('crypto');", "const axios = require('axios');"])
    expect(converted.notes.filter((n) => n.kind === 'changed').map((n) => n.line)).toEqual([4])
  })

  it('produces a module that parses, and keeps comments', () => {
    const { code } = convertRule(`function (user, context, callback) {
  // keep this
  context.idToken['https://example.com/a'] = 1; /* and this */
  callback(null, user, context);
};`)
    expect(() => parse(code, { ecmaVersion: 'latest', sourceType: 'script' })).not.toThrow()
    expect(code).toContain('// keep this')
    expect(code).toContain('/* and this */')
  })
})

describe('convertRule: what it does not translate', () => {
  it('callbacks inside nested functions (module callbacks, promise chains)', () => {
    expect(
      untranslated(`function (user, context, callback) {
  request.get('https://api.example.com', function (err, res, body) {
    if (err) return callback(err);
    callback(null, user, context);
  });
}`),
    ).toEqual([
      [3, 'callback inside a nested function (a module callback, a .then)'],
      [4, 'callback inside a nested function (a module callback, a .then)'],
    ])
  })

  it('errors built at run time, other users and contexts, callbacks in loops or expressions', () => {
    expect(
      untranslated(`function (user, context, callback) {
  try { JSON.parse(user.app_metadata.raw); } catch (e) { return callback(e); }
  if (user.app_metadata.other) return callback(null, { user_id: 'x' }, context);
  for (const r of user.app_metadata.roles) { if (r === 'x') callback(null, user, context); }
  const done = user.app_metadata.done && callback(null, user, context);
  callback(null, user, context);
}`),
    ).toEqual([
      [2, 'callback with an error built at run time'],
      [3, 'callback passes another user object'],
      [4, 'callback inside a loop'],
      [5, 'callback used inside an expression'],
    ])
  })

  it('global, auth0, token reads, scope, context fields without an equivalent, Rules-only user fields', () => {
    const converted = convertRule(`function (user, context, callback) {
  global.token = global.token || auth0.accessToken;
  const sso = context.sso.with_auth0;
  context.accessToken.scope = 'read:all';
  const claims = context.idToken;
  const last = user.last_login;
  context.idToken = {};
  callback(null, user, context);
}`)
    expect(converted.complete).toBe(false)
    expect(converted.notes.filter((n) => n.kind === 'untranslated').map((n) => [n.line, n.code])).toEqual([
      [2, 'global'],
      [2, 'global'],
      [2, 'auth0'],
      [3, 'context.sso'],
      [4, "context.accessToken.scope = 'read:all';"],
      [5, 'context.idToken'],
      [6, 'user.last_login'],
      [7, 'context.idToken = {}'],
    ])
    // Every untranslated place is marked in the code, next to the rule's own text.
    expect(converted.code.match(/TODO\(tokenrules convert\)/g)?.length).toBe(9)
    expect(converted.code).toContain(
      "/* TODO(tokenrules convert): context.accessToken.scope: set scopes with api.accessToken.addScope(scope) / removeScope(scope) */ context.accessToken.scope = 'read:all';",
    )
  })

  it('refuses what is not a rule, with a typed error', () => {
    expect(() => convertRule('exports.onExecutePostLogin = async () => {}')).toThrow(RuleConversionError)
    expect(() => convertRule('function (user, context, callback) {')).toThrow(/does not parse/)
    expect(() => convertRule('function ({ user_id }, context, callback) { callback(); }')).toThrow(/destructures/)
    expect(() => convertRule(42 as unknown as string)).toThrow(TypeError)
  })
})

const bin = fileURLToPath(new URL('../bin/tokenrules.js', import.meta.url))

/** `tokenrules <args>` as a user runs it, from `cwd`, no terminal, no colours. */
function tokenrules(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  delete env['FORCE_COLOR']
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr })
    })
  })
}

/** The fenced blocks of a Markdown section (from its heading to the next `## `). */
function sectionBlocks(markdown: string, heading: string): { info: string; body: string }[] {
  const start = markdown.indexOf(`\n${heading}\n`)
  if (start === -1) throw new Error(`no section "${heading}"`)
  const end = markdown.indexOf('\n## ', start + heading.length + 2)
  const section = markdown.slice(start, end === -1 ? undefined : end)
  return [...section.matchAll(/^```(.*)\n([\s\S]*?)\n```$/gm)].map((m) => ({ info: (m[1] as string).trim(), body: m[2] as string }))
}

describe.concurrent('tokenrules convert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenrules-convert-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('runs as docs/actions.md shows: the action it writes and what it reports', async () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/actions.md', import.meta.url)), 'utf8')
    const blocks = sectionBlocks(doc, '## Converting a rule: `tokenrules convert`')
    const [rule, action] = blocks.filter((b) => b.info === 'js')
    const command = blocks.find((b) => b.info === 'sh')?.body.trim() ?? ''
    const report = blocks.find((b) => b.info === 'text')?.body
    expect(command).toMatch(/^pnpm exec tokenrules convert /)
    const args = command.replace(/^pnpm exec tokenrules /, '').split(/\s+/)
    const cwd = join(dir, 'docs')
    mkdirSync(join(cwd, 'rules'), { recursive: true })
    mkdirSync(join(cwd, 'actions'), { recursive: true })
    writeFileSync(join(cwd, args[1] as string), `${rule?.body}\n`)
    const ran = await tokenrules(args, cwd)
    expect(ran).toEqual({ code: 1, stdout: '', stderr: `${report}\n` })
    expect(readFileSync(join(cwd, args[args.indexOf('--out') + 1] as string), 'utf8')).toBe(`${action?.body}\n`)
  }, 90_000)

  it('--json prints the conversion, named after the file, and exits 0 when everything was translated', async () => {
    const source = `function (user, context, callback) {
  context.idToken['https://example.com/plan'] = user.app_metadata.plan;
  callback(null, user, context);
}
`
    writeFileSync(join(dir, '02-add-plan.js'), source)
    const ran = await tokenrules(['convert', '02-add-plan.js', '--json'], dir)
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' })
    expect(JSON.parse(ran.stdout)).toEqual(convertRule(source, { name: 'add-plan' }))
    expect(JSON.parse(ran.stdout).code).toContain("Converted from the rule 'add-plan'")
  }, 90_000)

  it('fails with exit code 2 and a clear message for a file that is not a rule, or no file', async () => {
    writeFileSync(join(dir, 'action.js'), 'exports.onExecutePostLogin = async (event, api) => {};\n')
    const [notRule, missing, none] = await Promise.all([
      tokenrules(['convert', 'action.js'], dir),
      tokenrules(['convert', 'nowhere.js'], dir),
      tokenrules(['convert'], dir),
    ])
    expect(notRule).toEqual({
      code: 2,
      stdout: '',
      stderr: 'tokenrules: convert: action.js: the source is not a rule: one function (user, context, callback) { … }\n',
    })
    expect(missing).toEqual({ code: 2, stdout: '', stderr: 'tokenrules: convert: no such file: nowhere.js\n' })
    expect(none).toEqual({ code: 2, stdout: '', stderr: 'tokenrules: convert: give one rule file (see tokenrules convert --help)\n' })
  }, 90_000)
})
