/**
 * loadRule against the engine: the same rule, the same input, once through `loadRule` (which wraps
 * the rule to see its callback's arguments) and once through the engine alone (`runRules`, no
 * wrapper). What `loadRule` hands back (the test's user and context, the error) must be what the
 * engine builds the token from, in particular when the rule keeps going after it called back
 * (issue 15, class 8): the engine judges a callback once the rule's synchronous code has returned
 * (or a microtask later), so changes made in between are in the token, as they were on Auth0.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { closeAll, loadRule, makeContext, makeUser, runRules, type AnyTokenRulesError, type RunResult } from '@tokenrules/testing'

afterAll(closeAll)

const rule = (body: string) => `function (user, context, callback) {\n${body}\n}`

interface Both {
  /** What loadRule called back with. */
  args: unknown[]
  /** The test's own objects after the call (loadRule updates them in place). */
  user: Record<string, any>
  context: Record<string, any>
  /** loadRule's view of the engine (its wrapped run). */
  loaded: { result?: RunResult | undefined; error?: AnyTokenRulesError | undefined }
  /** The engine alone. */
  direct: { result?: RunResult; error?: AnyTokenRulesError }
}

async function both(source: string, options: Parameters<typeof loadRule>[1] = {}): Promise<Both> {
  const user = makeUser()
  const context = makeContext()
  await using loaded = loadRule(source, options)
  const args = await loaded(user, context)
  const direct: Both['direct'] = {}
  try {
    direct.result = await runRules({ ...options, rules: [source], user: makeUser(), context: makeContext(), includeContext: true })
  } catch (error) {
    direct.error = error as AnyTokenRulesError
  }
  return { args, user, context, loaded: { ...loaded.lastRun }, direct }
}

/** A success through both: the test's objects are the engine's user and context, and the tokens agree. */
function expectSameSuccess(b: Both): RunResult {
  expect(b.direct.error).toBeUndefined()
  expect(b.loaded.error).toBeUndefined()
  expect(b.args[0]).toBeNull()
  const result = b.direct.result as RunResult
  expect(b.user).toEqual(result.user)
  expect(b.context).toEqual(result.context)
  expect(b.loaded.result?.accessToken).toEqual(result.accessToken)
  expect(b.loaded.result?.idToken).toEqual(result.idToken)
  expect(b.loaded.result?.warnings.map((w) => w.code)).toEqual(result.warnings.map((w) => w.code))
  return result
}

describe('loadRule returns what the engine puts in the token', () => {
  it('context changed in the same synchronous code after callback(null, user, context)', async () => {
    const b = await both(rule(`callback(null, user, context); context.idToken['https://example.com/after'] = 'kept';`))
    const result = expectSameSuccess(b)
    expect(result.idToken.claims).toEqual({ 'https://example.com/after': 'kept' })
    expect(b.context['idToken']).toEqual({ 'https://example.com/after': 'kept' })
  })

  it('user changed after the callback', async () => {
    const b = await both(rule(`callback(null, user, context); user.app_metadata.after = true; user.name = 'Changed';`))
    const result = expectSameSuccess(b)
    expect(result.user['name']).toBe('Changed')
    expect(b.args[1]).toBe(b.user)
  })

  it('scope replaced after the callback', async () => {
    const b = await both(rule(`callback(null, user, context); context.accessToken.scope = 'openid profile';`))
    expect(expectSameSuccess(b).accessToken.scope).toEqual(['openid', 'profile'])
  })

  it('an async rule that calls back, then keeps changing the context before it returns', async () => {
    const b = await both(`async function (user, context, callback) {
      await Promise.resolve();
      callback(null, user, context);
      context.accessToken['https://example.com/late'] = 'kept';
    }`)
    expect(expectSameSuccess(b).accessToken.claims).toEqual({ 'https://example.com/late': 'kept' })
  })

  it('a callback inside a promise chain, with changes after it in the same reaction', async () => {
    const b = await both(
      rule(`Promise.resolve().then(function () {
      callback(null, user, context);
      context.idToken['https://example.com/chain'] = 1;
    });`),
    )
    expect(expectSameSuccess(b).idToken.claims).toEqual({ 'https://example.com/chain': 1 })
  })

  it('callback(null, user) (context not passed), then the context changed', async () => {
    const b = await both(rule(`callback(null, user); context.idToken['https://example.com/two-args'] = true;`))
    expect(b.args).toHaveLength(2)
    expect(expectSameSuccess(b).idToken.claims).toEqual({ 'https://example.com/two-args': true })
  })

  it('callback(null, user, null) keeps the received context, changed after the call', async () => {
    const b = await both(rule(`callback(null, user, null); context.idToken['https://example.com/null'] = true;`))
    expect(b.args[2]).toBeNull()
    expect(expectSameSuccess(b).idToken.claims).toEqual({ 'https://example.com/null': true })
  })

  it('new objects passed back, then changed: the test gets the objects the engine used', async () => {
    const b = await both(
      rule(`var c = JSON.parse(JSON.stringify(context)); var u = JSON.parse(JSON.stringify(user));
      callback(null, u, c);
      c.accessToken['https://example.com/copy'] = 'kept'; u.name = 'Copy';`),
    )
    const result = b.direct.result as RunResult
    expect(b.direct.error).toBeUndefined()
    expect(b.args[1]).toEqual(result.user)
    expect(b.args[2]).toEqual(result.context)
    expect(b.loaded.result?.accessToken).toEqual(result.accessToken)
    expect(result.accessToken.claims).toEqual({ 'https://example.com/copy': 'kept' })
  })

  it('callback twice: the first call counts in both, changes between the two are kept, one warning', async () => {
    const b = await both(rule(`callback(null, user, context); context.idToken['https://example.com/between'] = 1; callback(new Error('second'));`))
    const result = expectSameSuccess(b)
    expect(result.idToken.claims).toEqual({ 'https://example.com/between': 1 })
    expect(result.warnings.map((w) => w.code)).toEqual(['CALLBACK_CALLED_TWICE'])
  })

  it('callback twice, an error first: denied in both', async () => {
    const b = await both(rule(`callback(new Error('first')); callback(null, user, context);`))
    expect(b.direct.error?.code).toBe('ERR_RULE_DENIED')
    expect(b.loaded.error?.code).toBe('ERR_RULE_DENIED')
    expect((b.args[0] as Error).message).toBe('first')
  })

  it('an error whose message changes after the callback: the message is the one the engine answers with', async () => {
    const b = await both(rule(`var e = new UnauthorizedError('before'); callback(e); e.message = 'after';`))
    expect(b.direct.error?.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect((b.args[0] as Error).message).toBe(b.direct.error?.message)
    expect(b.loaded.error?.message).toBe(b.direct.error?.message)
  })

  it('a throw after the callback: the callback counts, changes before the throw are kept, one warning', async () => {
    const b = await both(rule(`callback(null, user, context); context.idToken['https://example.com/before-throw'] = 1; throw new Error('late');`))
    const result = expectSameSuccess(b)
    expect(result.idToken.claims).toEqual({ 'https://example.com/before-throw': 1 })
    expect(result.warnings.map((w) => w.code)).toEqual(['RULE_THREW_AFTER_CALLBACK'])
  })

  it('a change made in a timer after the callback is in neither (the token was built before it ran)', async () => {
    const b = await both(rule(`callback(null, user, context); setTimeout(function () { context.idToken['https://example.com/timer'] = 1; }, 1);`))
    expect(expectSameSuccess(b).idToken.claims).toEqual({})
  })

  it('a metadata update in flight at the callback: the engine waits for it, and changes made meanwhile are kept in both', async () => {
    const hooks = { updateAppMetadata: () => new Promise<void>((resolve) => setTimeout(resolve, 5)) }
    const b = await both(
      rule(`auth0.users.updateAppMetadata(user.user_id, { plan: 'gold' });
      callback(null, user, context);
      Promise.resolve().then(function () { context.idToken['https://example.com/meanwhile'] = 1; });`),
      { hooks },
    )
    expect(expectSameSuccess(b).idToken.claims).toEqual({ 'https://example.com/meanwhile': 1 })
  })
})
