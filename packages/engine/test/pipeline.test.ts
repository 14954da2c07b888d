import { describe, expect, it } from 'vitest'
import { createEngine, type RuleCompileError } from '@tokenrules/engine'
import { engineWith, passwordInput, rejection, rule } from './helpers.js'

const claim = (name: string, value: string) => `context.accessToken['https://t.example/' + ${JSON.stringify(name)}] = ${value};`

describe('rules as Auth0 stores them (docs/behaviour.md#the-pipeline)', () => {
  it.each([
    ['named', `function addRole(user, context, callback) { context.accessToken['https://t.example/ok'] = 1; callback(null, user, context); }`],
    ['anonymous', `function (user, context, callback) { context.accessToken['https://t.example/ok'] = 1; callback(null, user, context); }`],
    [
      'leading comments',
      `// Adds a claim.\n/* block\n comment */\nfunction (user, context, callback) {\n  context.accessToken['https://t.example/ok'] = 1;\n  callback(null, user, context);\n}`,
    ],
    [
      'async function',
      `async function (user, context, callback) { await null; context.accessToken['https://t.example/ok'] = 1; callback(null, user, context); }`,
    ],
    [
      'trailing semicolon and comment',
      `function (user, context, callback) { context.accessToken['https://t.example/ok'] = 1; callback(null, user, context); }; // end`,
    ],
    ['arrow function', `(user, context, callback) => { context.accessToken['https://t.example/ok'] = 1; callback(null, user, context); }`],
  ])('runs a rule written as: %s', async (_form, script) => {
    await using engine = await engineWith([{ name: 'r', script }])
    const result = await engine.run(passwordInput())
    expect(result.accessToken.claims).toEqual({ 'https://t.example/ok': 1 })
    expect(result.rules.map((r) => r.name)).toEqual(['r'])
  })

  it('runs enabled rules lowest order first, ties in list order, rules without order last', async () => {
    const log = (name: string) =>
      rule(name, `context.idToken['https://t.example/seen'] = (context.idToken['https://t.example/seen'] || '') + '${name},'; callback(null, user, context);`)
    await using engine = await engineWith([
      { ...log('no-order-1') },
      { ...log('third'), order: 3 },
      { ...log('first'), order: 1 },
      { ...log('second-a'), order: 2 },
      { ...log('second-b'), order: 2 },
      { ...log('no-order-2') },
    ])
    const result = await engine.run(passwordInput())
    expect(result.idToken.claims['https://t.example/seen']).toBe('first,second-a,second-b,third,no-order-1,no-order-2,')
    expect(result.rules.map((r) => r.name)).toEqual(['first', 'second-a', 'second-b', 'third', 'no-order-1', 'no-order-2'])
  })

  it('never runs disabled rules', async () => {
    await using engine = await engineWith([
      rule('deny-all', `callback(new Error('disabled rule ran'));`, { enabled: false }),
      rule('ok', `${claim('ok', 'true')} callback(null, user, context);`),
    ])
    const result = await engine.run(passwordInput())
    expect(result.accessToken.claims).toEqual({ 'https://t.example/ok': true })
    expect(result.rules.map((r) => r.name)).toEqual(['ok'])
  })

  it('gives each rule the user and context the previous rule passed on', async () => {
    await using engine = await engineWith([
      rule('swap', `callback(null, { user_id: user.user_id, replaced: true }, Object.assign({}, context, { marker: 'from-swap' }));`),
      rule('read', `${claim('replaced', 'user.replaced')} ${claim('marker', 'context.marker')} callback(null, user, context);`),
    ])
    const result = await engine.run(passwordInput())
    expect(result.accessToken.claims).toEqual({ 'https://t.example/replaced': true, 'https://t.example/marker': 'from-swap' })
    expect(result.user).toEqual({ user_id: 'auth0|5f7c8ec7c33c6c004bbafe82', replaced: true })
  })

  it('rejects duplicate rule names at load', async () => {
    const error = await rejection(createEngine({ rules: [rule('same', 'callback(null)'), rule('same', 'callback(null)')] }))
    expect(error.code).toBe('ERR_CONFIG_INVALID')
    expect(error.issues).toContainEqual(expect.objectContaining({ path: ['rules', 1, 'name'] }))
    expect(error.message).toContain("duplicate rule name 'same'")
  })

  it('reports a syntax error at load as ERR_RULE_COMPILE naming the rule and line', async () => {
    const script = 'function (user, context, callback) {\n  const roles = ;\n  callback(null, user, context);\n}'
    const error: RuleCompileError = await rejection(engineWith([rule('fine', 'callback(null)'), { name: 'broken-rule', script }]))
    expect(error.code).toBe('ERR_RULE_COMPILE')
    expect(error.rule).toBe('broken-rule')
    expect(error.line).toBe(2)
    expect(error.message).toBe("Rule 'broken-rule' does not compile: Unexpected token ';' (line 2)")
    expect(error.toOAuthError()).toEqual({ status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' } })
  })

  it('reports a syntax error on the first line with line 1', async () => {
    const error: RuleCompileError = await rejection(
      engineWith([{ name: 'one-line', script: 'function (user, context, callback) { callback(null, user, context) ' }]),
    )
    expect(error.code).toBe('ERR_RULE_COMPILE')
    expect(error.line).toBe(1)
    expect(error.message).toMatch(/^Rule 'one-line' does not compile: .+ \(line 1\)$/)
  })

  it('rejects a rule that does not evaluate to a function', async () => {
    const error: RuleCompileError = await rejection(engineWith([{ name: 'not-a-function', script: '42' }]))
    expect(error.code).toBe('ERR_RULE_COMPILE')
    expect(error.message).toBe("Rule 'not-a-function' must evaluate to a function (user, context, callback); it evaluates to number.")
  })

  it('rejects a rule whose evaluation loops, within a second', async () => {
    const started = performance.now()
    const error: RuleCompileError = await rejection(engineWith([{ name: 'loops-at-load', script: '(function(){ while (true) {} })()' }]))
    expect(error.code).toBe('ERR_RULE_COMPILE')
    expect(error.message).toContain("Rule 'loops-at-load' failed while evaluating")
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('runs an empty rule set and returns the input unchanged', async () => {
    await using engine = await engineWith([])
    const input = passwordInput()
    const result = await engine.run(input)
    expect(result.user).toEqual(input.user)
    expect(result.accessToken).toEqual({ claims: {}, scope: undefined })
    expect(result.rules).toEqual([])
  })

  it('reports every rule that ran with its duration', async () => {
    await using engine = await engineWith([
      rule('quick', 'callback(null, user, context);'),
      rule('slow', 'setTimeout(function () { callback(null, user, context); }, 30);'),
    ])
    const result = await engine.run(passwordInput())
    expect(result.rules.map((r) => r.name)).toEqual(['quick', 'slow'])
    expect(result.rules[1]?.durationMs).toBeGreaterThanOrEqual(25)
  })
})

describe('protocols (docs/behaviour.md#the-pipeline)', () => {
  it.each(['oauth2-password', 'oauth2-refresh-token', 'oidc-basic-profile', 'my-custom-protocol'])('runs rules for %s', async (protocol) => {
    await using engine = await engineWith([rule('p', "context.accessToken['https://t.example/p'] = context.protocol; callback(null, user, context);")])
    const result = await engine.run(passwordInput({ context: { protocol } }))
    expect(result.accessToken.claims).toEqual({ 'https://t.example/p': protocol })
  })

  it('never runs rules for client credentials', async () => {
    await using engine = await engineWith([rule('p', 'callback(null, user, context);')])
    const error = await rejection(engine.run(passwordInput({ context: { protocol: 'oauth2-client-credentials' } })))
    expect(error.code).toBe('ERR_INPUT_INVALID')
    expect(error.issues).toEqual([{ path: ['context', 'protocol'], code: 'custom', message: 'rules never run for the client credentials grant' }])
  })
})

describe('console formatting', () => {
  it('formats like Node: %s %d %i %j %%, objects as JSON, errors with their stack', async () => {
    await using engine = await engineWith([
      rule(
        'logs',
        `
        console.log('user %s has %d logins (%i%%) %j', user.email, 3, 41.9, { a: 1 });
        console.info({ roles: ['admin'] }, [1, 'two'], null, undefined, 7);
        console.error(new TypeError('broken'));
        callback(null, user, context);`,
      ),
    ])
    const [first, second, third] = (await engine.run(passwordInput())).logs
    expect(first).toMatchObject({ level: 'log', rule: 'logs', message: 'user ada@example.com has 3 logins (41%) {"a":1}' })
    expect(second).toMatchObject({ level: 'info', message: '{"roles":["admin"]} [1,"two"] null undefined 7' })
    expect(third?.level).toBe('error')
    expect(third?.message).toMatch(/^TypeError: broken\n\s+at .*rule:logs:5/)
  })
})
