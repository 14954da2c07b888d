import { describe, expect, it } from 'vitest'
import { analyzeRule, checkRules, type AnalyzeOptions } from '@tokenrules/testing'

const rule = (body: string) => `function (user, context, callback) {\n${body}\n}`
/** `code line:column` of each finding. */
const found = (script: string, options: AnalyzeOptions = {}) =>
  analyzeRule({ name: 'r', script }, { allow: [], ...options }).map((f) => `${f.code} ${f.line}:${f.column}`)

describe('syntax', () => {
  it('reports the line and column V8 gives, as the engine compiles the rule', () => {
    expect(found(rule('  var x = ;\n  callback(null, user, context);'))).toEqual(['syntax-error 2:11'])
    const [finding] = analyzeRule({ name: 'r', script: rule('  callback(null, user, context);').slice(0, -2) })
    expect(finding).toMatchObject({ code: 'syntax-error', line: 2, message: "SyntaxError: Unexpected end of input (a '}' or ')' is missing)" })
  })

  it('accepts what Auth0 exports: leading comments, a trailing semicolon, async, arrows', () => {
    expect(found(`// adds nothing\nfunction named(user, context, callback) {\n  callback(null, user, context);\n};\n// end`)).toEqual([])
    expect(found(`async function (user, context, callback) { await null; callback(null, user, context); }`)).toEqual([])
    expect(found(`(user, context, cb) => cb(null, user, context)`)).toEqual([])
  })

  it('reports a rule that is not a function', () => {
    expect(found(`({ rule: true })`)).toEqual(['not-a-function 1:2'])
    expect(found(`'use strict'`)).toEqual(['not-a-function 1:1'])
  })
})

describe('claims', () => {
  it('reports names the namespace policy drops, with constant names resolved', () => {
    expect(
      found(
        rule(`
  const ns = 'https://acme.example/';
  const bad = 'auth0.com';
  context.accessToken[ns + 'roles'] = [];
  context.accessToken[\`\${ns}plan\`] = 'gold';
  context.idToken.roles = [];
  context.idToken['https://' + bad + '/x'] = 1;
  context.idToken['https://sub.webtask.io/y'] = 1;
  context.idToken.iss = 'me';
  context.accessToken.scope = 'openid';
  context.idToken.scope = 'x';
  callback(null, user, context);`),
      ),
    ).toEqual([
      'claim-not-namespaced 7:19',
      'claim-forbidden-namespace 8:19',
      'claim-forbidden-namespace 9:19',
      'claim-registered 10:19',
      'claim-registered 12:19',
    ])
  })

  it('follows aliases, whole-object assignments and Object.assign, but not computed names', () => {
    expect(
      found(
        rule(`
  const idToken = context.idToken;
  idToken.nick = 'x';
  context.accessToken = { 'https://ok.example/a': 1, plan: 2 };
  Object.assign(context.idToken, { theme: 'dark' }, { 'https://ok.example/b': 1 });
  context.idToken[configuration.NAMESPACE + 'x'] = 1;
  context.idToken[user.claimName] = 1;
  callback(null, user, context);`),
      ),
    ).toEqual(['claim-not-namespaced 4:11', 'claim-not-namespaced 5:54', 'claim-not-namespaced 6:36'])
  })

  it('applies the optional policy and extra forbidden namespaces', () => {
    const script = rule(`
  context.idToken.plan = 'gold';
  context.idToken.roles = [];
  context.idToken['urn:auth0:x'] = 1;
  context.idToken['https://issuer.example/x'] = 1;
  callback(null, user, context);`)
    expect(found(script, { namespace: 'optional', forbiddenNamespaces: ['issuer.example'] })).toEqual([
      'claim-restricted 4:19',
      'claim-restricted 5:19',
      'claim-forbidden-namespace 6:19',
    ])
  })

  it('uses the rule’s own name for the context parameter', () => {
    expect(found(`function (u, ctx, cb) { ctx.idToken.bare = 1; cb(null, u, ctx); }`)).toEqual(['claim-not-namespaced 1:37'])
  })
})

describe('redirects', () => {
  it('reports a redirect the password grant or its refresh would take', () => {
    expect(found(rule(`  context.redirect = { url: 'https://x.example' };\n  callback(null, user, context);`))).toEqual(['redirect-password-grant 2:3'])
    expect(found(rule(`  if (!user.consented) context.redirect = { url: 'https://x.example' };\n  callback(null, user, context);`))).toEqual([
      'redirect-password-grant 2:24',
    ])
    const [refreshOnly] = analyzeRule({
      name: 'r',
      script: rule(
        `  if (context.protocol === 'oauth2-password') return callback(null, user, context);\n  context.redirect = { url: 'https://x' };\n  callback(null, user, context);`,
      ),
    })
    expect(refreshOnly).toMatchObject({ code: 'redirect-password-grant', line: 3, message: expect.stringContaining('oauth2-refresh-token') })
  })

  it('accepts redirects behind a protocol check', () => {
    const guarded = [
      `  if (context.protocol !== 'oauth2-password' && context.protocol !== 'oauth2-refresh-token') context.redirect = { url: 'x' };`,
      `  if (context.protocol === 'oidc-basic-profile') { context.redirect = { url: 'x' }; }`,
      `  if (['oauth2-password', 'oauth2-refresh-token'].indexOf(context.protocol) !== -1) return callback(null, user, context);\n  context.redirect = { url: 'x' };`,
      `  switch (context.protocol) { case 'samlp': context.redirect = { url: 'x' }; break; }`,
      `  context.protocol === 'wsfed' && (context.redirect = { url: 'x' });`,
    ]
    for (const body of guarded) expect(found(rule(`${body}\n  callback(null, user, context);`)), body).toEqual([])
  })

  it('with --password-only, reports guarded redirects as a step that never happens', () => {
    const script = rule(`  if (context.protocol === 'oidc-basic-profile') context.redirect = { url: 'x' };\n  callback(null, user, context);`)
    expect(found(script, { passwordOnly: true })).toEqual(['redirect-never-runs 2:50'])
  })
})

describe('callback', () => {
  it('reports a rule that never calls back', () => {
    expect(found(`function (user, context, callback) { user.x = 1; }`)).toEqual(['callback-never-called 1:1'])
    expect(found(`function (user, context) { return user; }`)).toEqual(['callback-never-called 1:1'])
  })

  it('reports a return before the callback, and an end reached without it', () => {
    expect(found(rule(`  if (!user.email) return;\n  callback(null, user, context);`))).toEqual(['return-without-callback 2:20'])
    const [end] = analyzeRule({ name: 'r', script: rule(`  if (user.email_verified) {\n    callback(null, user, context);\n  }`) })
    expect(end).toMatchObject({ code: 'callback-not-reached', line: 5, column: 1, message: expect.stringContaining('when the condition on line 2 is false') })
    const [caught] = analyzeRule({
      name: 'r',
      script: rule(`  try {\n    JSON.parse(user.x);\n    callback(null, user, context);\n  } catch (e) {\n    console.log(e);\n  }`),
    })
    expect(caught).toMatchObject({ code: 'callback-not-reached', message: expect.stringContaining('when the try block on line 2 throws') })
  })

  it('checks the functions handed to modules as their callback', () => {
    expect(found(rule(`  request.get('x', function (err, res) {\n    if (err) return;\n    callback(null, user, context);\n  });`))).toEqual([
      'return-without-callback 3:14',
    ])
    expect(found(rule(`  fetch('x').then(function (r) {\n    if (r.ok) callback(null, user, context);\n  });`))).toEqual(['callback-not-reached 4:3'])
  })

  it('is conservative: hand-offs, helpers, loops, promise chains and catch-all paths are not reported', () => {
    const fine = [
      `  return callback(null, user, context);`,
      `  function fail(m) { callback(new UnauthorizedError(m)); }\n  if (!user.email) return fail('no email');\n  callback(null, user, context);`,
      `  const done = callback;\n  if (user.x) return done(null, user, context);\n  done(null, user, context);`,
      `  setTimeout(callback, 10);`,
      `  doWork(user).then(function () { callback(null, user, context); }).catch(callback);`,
      `  fetch('x').then(function (r) { if (!r.ok) { callback(null, user, context); return null; } return r.json(); }).then(function (d) { if (!d) return; callback(null, user, context); });`,
      `  for (const id of user.ids) { if (id === 'x') return callback(new Error('x')); }\n  callback(null, user, context);`,
      `  if (!user.email) throw new Error('no email');\n  callback(null, user, context);`,
      `  if (user.a) { callback(null, user, context); } else { callback(new Error('no')); }`,
      `  try { callback(null, user, context); } finally { cleanup(); }`,
      `  const users = [1, 2].filter(function (n) { if (n > 1) return true; return false; });\n  callback(null, user, context);`,
      `  arguments[2](null, user, context);`,
    ]
    for (const body of fine) expect(found(rule(body)), body).toEqual([])
    expect(found(`function (user, context) { arguments[2](null, user, context); }`)).toEqual([])
  })
})

describe('require', () => {
  it('reports modules not allowed, with or without a version, and computed names', () => {
    const script = rule(`
  const _ = require('lodash@4.17.21');
  const uuid = require('uuid');
  const x = require(configuration.MODULE);
  callback(null, user, context);`)
    expect(found(script, { allow: ['uuid'] })).toEqual(['module-not-allowed 3:13', 'require-dynamic 5:13'])
    expect(analyzeRule({ name: 'r', script }, { allow: ['uuid'] })[0]?.message).toMatch(/'lodash' is not allowed \(allowed: uuid\)/)
    expect(found(script, { allow: ['uuid', 'lodash'] })).toEqual(['require-dynamic 5:13'])
  })
})

describe('checkRules', () => {
  it('checks a folder and counts what it found, by file', async () => {
    const report = await checkRules({ dir: new URL('./fixtures/broken-rules/', import.meta.url) }, { allow: ['lodash'] })
    expect(report.rules.map((r) => r.name)).toEqual(['syntax', 'claims', 'redirect', 'no-callback', 'require', 'never-calls-back'])
    expect(report.findings.map((f) => `${f.rule} ${f.code} ${f.line}`)).toEqual([
      'syntax syntax-error 3',
      'claims claim-not-namespaced 2',
      'claims claim-forbidden-namespace 3',
      'redirect redirect-password-grant 3',
      'no-callback return-without-callback 3',
      'no-callback callback-not-reached 8',
      'require module-not-allowed 3',
      'never-calls-back callback-never-called 1',
    ])
    expect(report.findings[0]?.file).toMatch(/broken-rules\/01-syntax\.js$/)
    expect({ errors: report.errors, warnings: report.warnings }).toEqual({ errors: 8, warnings: 0 })
    expect((await checkRules({ dir: new URL('./fixtures/good-rules/', import.meta.url) })).findings).toEqual([])
  })
})

describe('callback through inner functions', () => {
  const callbackCodes = ['return-without-callback', 'callback-not-reached', 'callback-twice', 'callback-in-loop', 'callback-after-return']
  /** The callback findings only, as `code line:column`. */
  const flow = (script: string) =>
    analyzeRule({ name: 'r', script }, { allow: [], namespace: 'optional' })
      .filter((f) => callbackCodes.includes(f.code))
      .map((f) => `${f.code} ${f.line}:${f.column}`)

  it('follows a forEach body: a return inside it does not end the rule (issue 15’s false positive and its real bug)', () => {
    const script = rule(`  user.app_metadata.roles.forEach(function (role) {
    if (role === 'banned') return callback(new UnauthorizedError('banned'));
  });
  callback(null, user, context);`)
    expect(flow(script)).toEqual(['callback-in-loop 3:35', 'callback-after-return 5:3'])
    const [, after] = analyzeRule({ name: 'r', script }).filter((f) => callbackCodes.includes(f.code))
    expect(after?.message).toContain("the 'return callback(…)' on line 3 returns only from the function given to .forEach on line 2, and the rule goes on")
    expect(after?.severity).toBe('warning')
  })

  it('reports a callback inside a loop body, and the end reached when no element matches', () => {
    expect(
      flow(rule(`  user.identities.forEach(function (identity) {\n    if (identity.provider === 'github') callback(null, user, context);\n  });`)),
    ).toEqual(['callback-in-loop 3:41', 'callback-not-reached 5:1'])
    expect(flow(rule(`  for (const id of user.ids) {\n    callback(null, user, context);\n  }`))).toEqual(['callback-in-loop 3:5', 'callback-not-reached 5:1'])
    // break, some(), a flag the loop sets, a one-element array: at most one call.
    const once = [
      `  for (var i = 0; i < user.ids.length; i++) { if (user.ids[i] === 'x') { callback(null, user, context); break; } }\n  if (i === user.ids.length) callback(null, user, context);`,
      `  var done = false;\n  user.ids.forEach(function (id) { if (!done && id === 'x') { done = true; callback(null, user, context); } });\n  if (!done) callback(null, user, context);`,
      `  ['only'].forEach(function (x) { callback(null, user, context); });`,
      `  const ok = user.groups.some(function (g) { return g === 'admin'; });\n  if (!ok) return callback(new UnauthorizedError('no'));\n  callback(null, user, context);`,
    ]
    for (const body of once) expect(flow(rule(body)), body).toEqual([])
  })

  it('reports two calls on one path: a missing return, a fall-through, a call in try and again in catch', () => {
    expect(flow(rule(`  if (!user.email) {\n    callback(new Error('no email'));\n  }\n  callback(null, user, context);`))).toEqual(['callback-twice 5:3'])
    const [twice] = analyzeRule({
      name: 'r',
      script: rule(`  if (!user.email) {\n    callback(new Error('no email'));\n  }\n  callback(null, user, context);`),
    })
    expect(twice?.message).toBe(
      "can call 'callback' a second time (when the condition on line 2 is true): it is also called on line 3 on this path; the first call decides, the engine ignores the second (CALLBACK_CALLED_TWICE)",
    )
    expect(
      flow(
        rule(
          `  switch (context.clientID) {\n    case 'a': callback(null, user, context);\n    case 'b': return callback(new Error('no'));\n  }\n  callback(null, user, context);`,
        ),
      ),
    ).toEqual(['callback-twice 4:22'])
    expect(
      flow(
        `async function (user, context, callback) {\n  try {\n    callback(null, user, context);\n    await audit(user);\n  } catch (e) {\n    callback(e);\n  }\n}`,
      ),
    ).toEqual(['callback-twice 6:5'])
  })

  it('follows functions handed to request, timers and node-style callbacks, run after the rule’s own code', () => {
    const handedOn = rule(`  request.post({ url: 'https://crm.example/hook' }, function (err, res, body) {
    if (err) return callback(err);
    callback(null, user, context);
  });
  callback(null, user, context);`)
    expect(flow(handedOn)).toEqual(['callback-twice 3:21', 'callback-twice 4:5'])
    expect(analyzeRule({ name: 'r', script: handedOn })[0]?.message).toContain("this runs after the rule's own code, which already called it on line 6")
    const fine = [
      `  request.get('https://crm.example', function (err, res, body) {\n    if (err) return callback(err);\n    if (res.statusCode !== 200) return callback(new Error(body));\n    callback(null, user, context);\n  });`,
      `  auth0.users.updateAppMetadata(user.user_id, {}, function (err) { callback(err, user, context); });`,
      `  setTimeout(function () { callback(null, user, context); }, 10);`,
      // A helper whose own 'callback' parameter is not the rule's.
      `  function getToken(cb) { request.post({}, function (e, r, b) { cb(JSON.parse(b)); }); }\n  getToken(function (t) { if (!t) return; });\n  callback(null, user, context);`,
      // Calls back only when the request failed: then the response is missing, the read is not followed.
      `  request.get('x', function (error, response) {\n    if (error) { callback(error); }\n    if (response.statusCode === 200) return callback(null, user, context);\n    callback(new Error('down'));\n  });`,
    ]
    for (const body of fine) expect(flow(rule(body)), body).toEqual([])
  })

  it('follows named helpers and the callbacks handed to them', () => {
    expect(
      flow(rule(`  function check() {\n    if (!user.email) return callback(new Error('no email'));\n  }\n  check();\n  callback(null, user, context);`)),
    ).toEqual(['callback-after-return 6:3'])
    expect(flow(rule(`  function done() { callback(null, user, context); }\n  done();\n  done();`))).toEqual(['callback-twice 4:3'])
    const helper = rule(`  function getProfile(id, cb) {
    request.get('https://crm.example/' + id, function (err, res, body) {
      if (err) return cb(err);
      cb(null, JSON.parse(body));
    });
  }
  getProfile(user.user_id, function (err, profile) {
    if (err) return callback(err);
    if (profile.blocked) return;
    callback(null, user, context);
  });`)
    expect(flow(helper)).toEqual(['return-without-callback 10:26'])
  })

  it('follows promise chains: each link on the paths where the one before resolved or rejected', () => {
    expect(flow(rule(`  fetch('x').then(function (r) { callback(null, user, context); }).catch(callback);\n  callback(null, user, context);`))).toEqual([
      'callback-twice 2:34',
      'callback-twice 2:74',
    ])
    expect(flow(rule(`  axios.get('x').then(function (res) {\n    if (res.data.ok) callback(null, user, context);\n  }).catch(callback);`))).toEqual([
      'callback-not-reached 4:3',
    ])
    const fine = [
      `  doWork(user).then(function () { return callback(null, user, context); }).catch(function (e) { callback(e); });`,
      `  auth0.users.updateAppMetadata(user.user_id, {}).then(function () { callback(null, user, context); }, function (e) { callback(e); });`,
      `  fetch('x').then(function (r) { if (!r.ok) { callback(null, user, context); return null; } return r.json(); }).then(function (d) { if (!d) return; callback(null, user, context); }).catch(callback);`,
    ]
    for (const body of fine) expect(flow(rule(body)), body).toEqual([])
  })

  it('follows async/await, try/catch/finally and what an awaited chain or a helper returned', () => {
    const fine = [
      `  try {\n    const res = await axios.get('x');\n    context.idToken['https://x.example/a'] = res.data;\n    return callback(null, user, context);\n  } catch (e) {\n    return callback(e);\n  }`,
      `  try { doIt(); } finally { callback(null, user, context); }`,
      // The catch handler calls back and resolves with undefined: reading .data throws, no second call.
      `  const teams = await github.request('GET /user/teams').catch(function (e) { return callback(e); });\n  context.idToken['https://x.example/teams'] = teams.data;\n  callback(null, user, context);`,
      // The helper calls back in its catch and returns undefined: reading .other throws.
      `  function validate() { try { return utils.validate(); } catch (e) { callback(e); } }\n  const token = validate();\n  user.x = token.other;\n  return callback(null, user, context);`,
    ]
    for (const body of fine) expect(flow(`async function (user, context, callback) {\n${body}\n}`), body).toEqual([])
    expect(
      flow(
        `async function (user, context, callback) {\n  try {\n    JSON.parse(user.raw);\n  } catch (e) {\n    return;\n  }\n  callback(null, user, context);\n}`,
      ),
    ).toEqual(['return-without-callback 5:5'])
  })

  it('says nothing when it cannot decide', () => {
    const undecided = [
      // The callback stored, called through .call, or reached through arguments.
      `  const handlers = { done: callback };\n  if (user.x) return;\n  handlers.done(null, user, context);`,
      `  if (user.x) return;\n  callback.call(null, null, user, context);`,
      // A function that may run any number of times, or never: an event handler, setInterval.
      `  connection.on('connect', function () { callback(null, user, context); });`,
      `  stream.on('data', function () { callback(null, user, context); });\n  callback(null, user, context);`,
      // A counter: how many calls are left is not followed.
      `  var pending = 2;\n  function done() { if (--pending === 0) callback(null, user, context); }\n  request.get('a', function (e) { done(); });\n  request.get('b', function (e) { done(); });`,
      // Two tests it cannot relate.
      `  if (isAdult(user)) callback(null, user, context);\n  if (isMinor(user)) callback(new Error('minor'));`,
      // Recursion.
      `  function retry(n) { request.get('x', function (err) { if (err && n > 0) return retry(n - 1); callback(err, user, context); }); }\n  retry(3);`,
    ]
    for (const body of undecided) expect(flow(rule(body)), body).toEqual([])
    // Related tests are related: these two are contradictory, or cover every value but a missing one.
    expect(flow(rule(`  if (context.clientID === 'a') callback(null, user, context);\n  if (context.clientID !== 'a') callback(new Error('no'));`))).toEqual([])
    expect(flow(rule(`  if (user.age > 17) callback(null, user, context);\n  if (user.age <= 17) callback(new Error('minor'));`))).toEqual([
      'callback-not-reached 4:1',
    ])
  })
})
