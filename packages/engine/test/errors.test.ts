import { describe, expect, it, vi } from 'vitest'
import { isTokenRulesError, type AnyTokenRulesError } from '@tokenrules/engine'
import { engineWith, passwordInput, rejection, rule } from './helpers.js'

async function outcomeOf(body: string, options: Parameters<typeof engineWith>[1] = {}): Promise<AnyTokenRulesError> {
  await using engine = await engineWith([rule('under-test', body)], options)
  const error = await rejection(engine.run(passwordInput()))
  expect(isTokenRulesError(error)).toBe(true)
  return error
}

describe('the docs/behaviour.md#callback-outcomes table: what a rule does → code → OAuth answer', () => {
  it('callback(new UnauthorizedError(msg)) → ERR_RULE_UNAUTHORIZED → 401 unauthorized with msg', async () => {
    const error = await outcomeOf(`callback(new UnauthorizedError('Access denied for this user.'));`)
    expect(error.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(error.rule).toBe('under-test')
    expect(error.toOAuthError()).toEqual({ status: 401, body: { error: 'unauthorized', error_description: 'Access denied for this user.' } })
  })

  it('an UnauthorizedError subclass still denies with 401', async () => {
    const error = await outcomeOf(`class Blocked extends UnauthorizedError {} callback(new Blocked('blocked'));`)
    expect(error.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(error.toOAuthError().body.error_description).toBe('blocked')
  })

  it('a look-alike (plain Error named UnauthorizedError, statusCode 401) is only a denial: 403', async () => {
    const error = await outcomeOf(`const e = new Error('spoof'); e.name = 'UnauthorizedError'; e.code = 'unauthorized'; e.statusCode = 401; callback(e);`)
    expect(error.code).toBe('ERR_RULE_DENIED')
    expect(error.toOAuthError()).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'spoof' } })
  })

  it('callback(new Error(msg)) → ERR_RULE_DENIED → 403 access_denied with msg', async () => {
    const error = await outcomeOf(`callback(new Error('Only employees may log in here.'));`)
    expect(error.code).toBe('ERR_RULE_DENIED')
    expect(error.toOAuthError()).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'Only employees may log in here.' } })
  })

  it('callback("msg") → ERR_RULE_DENIED → 403 access_denied with msg', async () => {
    const error = await outcomeOf(`callback('Not today.');`)
    expect(error.code).toBe('ERR_RULE_DENIED')
    expect(error.toOAuthError()).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'Not today.' } })
  })

  it('a thrown exception → ERR_RULE_EXCEPTION → 403 access_denied, generic description; detail to onRuleError', async () => {
    const onRuleError = vi.fn()
    const error = await outcomeOf(`const roles = user.app_metadata.missing.roles; callback(null, user, context);`, { hooks: { onRuleError } })
    expect(error.code).toBe('ERR_RULE_EXCEPTION')
    expect(error.message).toBe("Cannot read properties of undefined (reading 'roles')")
    expect(error.toOAuthError()).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'Rule execution failed.' } })
    expect(onRuleError).toHaveBeenCalledTimes(1)
    const event = onRuleError.mock.calls[0]?.[0]
    expect(event).toMatchObject({ code: 'ERR_RULE_EXCEPTION', rule: 'under-test', message: "Cannot read properties of undefined (reading 'roles')" })
    expect(event.stack).toContain('rule:under-test:2')
    expect(event.stack).not.toMatch(/\/work\/|node_modules|node:internal/)
  })

  it('an async rule that rejects → ERR_RULE_EXCEPTION', async () => {
    await using engine = await engineWith([{ name: 'rejects', script: `async function (user, context, callback) { await null; throw new TypeError('bad'); }` }])
    const error = await rejection(engine.run(passwordInput()))
    expect(error.code).toBe('ERR_RULE_EXCEPTION')
    expect(error.message).toBe('bad')
  })

  it('a throw inside a timer of a rule that has not called back → ERR_RULE_EXCEPTION for that rule', async () => {
    const error = await outcomeOf(`setTimeout(function () { throw new Error('in timer'); }, 1);`)
    expect(error.code).toBe('ERR_RULE_EXCEPTION')
    expect(error.rule).toBe('under-test')
    expect(error.message).toBe('in timer')
  })

  it('exposes the exception text only when the integrator opts in', async () => {
    const error = await outcomeOf(`throw new Error('visible detail');`, { errors: { exposeExceptionMessages: true } })
    expect(error.code).toBe('ERR_RULE_EXCEPTION')
    expect(error.toOAuthError()).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'visible detail' } })
  })

  it.each([
    ['null', 'throw null;', 'null'],
    ['a symbol', "throw Symbol('s');", 'Symbol(s)'],
    ['a string', "throw 'plain';", 'plain'],
    ['a revoked proxy', 'const p = Proxy.revocable({}, {}); p.revoke(); throw p.proxy;', ''],
  ])('classifies a thrown %s as ERR_RULE_EXCEPTION', async (_what, body, message) => {
    const error = await outcomeOf(body)
    expect(error.code).toBe('ERR_RULE_EXCEPTION')
    expect(error.message).toBe(message)
    expect(error.toOAuthError().body.error_description).toBe('Rule execution failed.')
  })

  it('time budget exceeded → ERR_RULE_TIMEOUT → 500 server_error', async () => {
    const error = await outcomeOf('while (true) {}', { limits: { timeoutMs: 150 } })
    expect(error.code).toBe('ERR_RULE_TIMEOUT')
    expect(error.message).toBe("Rules did not finish within 150 ms (rule 'under-test' was running).")
    expect(error.toOAuthError()).toEqual({ status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' } })
  })

  it('memory limit exceeded → ERR_RULE_MEMORY_LIMIT → 500 server_error', async () => {
    const error = await outcomeOf('const a = []; while (true) a.push(new Array(100000).fill(a.length));', { limits: { memoryLimitMb: 32, timeoutMs: 10_000 } })
    expect(error.code).toBe('ERR_RULE_MEMORY_LIMIT')
    expect(error.toOAuthError()).toEqual({ status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' } })
  })

  it('no guest stack trace, rule source or internal message reaches the OAuth answer', async () => {
    const error = await outcomeOf(`throw new Error('SECRET-INTERNAL at /srv/app/rules.js');`)
    expect(JSON.stringify(error.toOAuthError())).not.toMatch(/SECRET|rules\.js|rule:|at /)
  })

  it('limits error_description to what the rule said, capped at 4096 characters', async () => {
    const error = await outcomeOf(`callback(new Error('x'.repeat(100000)));`)
    expect(error.toOAuthError().body.error_description.length).toBeLessThanOrEqual(4097)
  })

  it('carries the logs and warnings written before the failure', async () => {
    const error = await outcomeOf(`console.log('about to deny'); callback(new Error('no'));`)
    expect(error.logs).toEqual([expect.objectContaining({ level: 'log', rule: 'under-test', message: 'about to deny' })])
  })
})
