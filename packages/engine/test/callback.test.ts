import { describe, expect, it, vi } from 'vitest'
import { engineWith, passwordInput, rejection, rule } from './helpers.js'

describe('callback(err, user, context) (docs/behaviour.md#callback-outcomes)', () => {
  it('ignores a second call and reports CALLBACK_CALLED_TWICE without changing the outcome', async () => {
    await using engine = await engineWith([
      rule('twice', `context.accessToken['https://t.example/a'] = 1; callback(null, user, context); callback(new Error('too late'));`),
      rule('next', `callback(null, user, context);`),
    ])
    const result = await engine.run(passwordInput())
    expect(result.accessToken.claims).toEqual({ 'https://t.example/a': 1 })
    expect(result.warnings).toEqual([
      { code: 'CALLBACK_CALLED_TWICE', rule: 'twice', message: "Rule 'twice' called its callback more than once; later calls were ignored." },
    ])
  })

  it('ignores a second call made later from a timer', async () => {
    await using engine = await engineWith([
      rule('late-twice', `callback(null, user, context); setTimeout(function () { callback(new Error('late')); }, 1);`),
      rule('waits', `setTimeout(function () { callback(null, user, context); }, 30);`),
    ])
    const result = await engine.run(passwordInput())
    expect(result.warnings.map((w) => w.code)).toEqual(['CALLBACK_CALLED_TWICE'])
  })

  it('fails with ERR_RULE_TIMEOUT when a rule never calls back', async () => {
    await using engine = await engineWith([rule('silent', `/* forgot the callback */`)], { limits: { timeoutMs: 200 } })
    const error = await rejection(engine.run(passwordInput()))
    expect(error.code).toBe('ERR_RULE_TIMEOUT')
    expect(error.rule).toBe('silent')
    expect(error.toOAuthError()).toEqual({ status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' } })
  })

  it('keeps the objects a rule did not pass: callback(null) and callback(null, user)', async () => {
    await using engine = await engineWith([
      rule('mutates-only', `user.nickname = 'ada'; context.accessToken['https://t.example/one'] = 1; callback(null);`),
      rule('passes-user', `context.accessToken['https://t.example/two'] = user.nickname; callback(null, user);`),
    ])
    const result = await engine.run(passwordInput())
    expect(result.user.nickname).toBe('ada')
    expect(result.accessToken.claims).toEqual({ 'https://t.example/one': 1, 'https://t.example/two': 'ada' })
  })

  it('ends the pipeline on a non-null error: later rules do not run and later arguments are ignored', async () => {
    const onLog = vi.fn()
    await using engine = await engineWith(
      [rule('deny', `callback(new Error('no'), { user_id: 'other' }, context);`), rule('after', `console.log('after ran'); callback(null, user, context);`)],
      { hooks: { onLog } },
    )
    const error = await rejection(engine.run(passwordInput()))
    expect(error.code).toBe('ERR_RULE_DENIED')
    expect(error.rule).toBe('deny')
    expect(onLog).not.toHaveBeenCalled()
  })

  it('reports a throw after the callback as a warning, not a failure', async () => {
    await using engine = await engineWith([rule('throws-after', `callback(null, user, context); throw new Error('oops');`)])
    const result = await engine.run(passwordInput())
    expect(result.warnings).toEqual([
      { code: 'RULE_THREW_AFTER_CALLBACK', rule: 'throws-after', message: "Rule 'throws-after' threw after calling its callback: oops" },
    ])
  })

  it('rejects a user that is not an object', async () => {
    await using engine = await engineWith([rule('bad-user', `callback(null, 'ada', context);`)])
    const error = await rejection(engine.run(passwordInput()))
    expect(error.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(error.path).toBe('user')
    expect(error.rule).toBe('bad-user')
  })

  it('rejects a context that is not an object', async () => {
    await using engine = await engineWith([rule('bad-context', `callback(null, user, [1]);`)])
    const error = await rejection(engine.run(passwordInput()))
    expect(error.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(error.path).toBe('context')
  })
})

describe('odd objects passed to the callback', () => {
  it('a Date as the user is ERR_RULE_RESULT_INVALID, not an internal error', async () => {
    await using engine = await engineWith([rule('date-user', `callback(null, new Date(0), context);`)])
    const error = await rejection(engine.run(passwordInput()))
    expect(error.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(error.path).toBe('user')
  })

  it('a Date moved onto Object.prototype reads as the plain object it claims to be (no own data: {})', async () => {
    await using engine = await engineWith([rule('disguised', `callback(null, Object.setPrototypeOf(new Date(0), Object.prototype), context);`)])
    const result = await engine.run(passwordInput())
    expect(result.user).toEqual({})
  })
})
