/**
 * docs/behaviour.md#callback-outcomes "Other codes": `ERR_INPUT_INVALID` (a `user` or `context` that is not usable, naming
 * the path) and `ERR_CONFIG_INVALID` (the integrator's options, zod's issues as cause); docs/behaviour.md#the-user-object
 * "Unknown fields pass through".
 */
import { createEngine, formatIssuePath, isTokenRulesError, type EngineOptions, type RunInput, type ValidationIssue } from '@tokenrules/engine'
import { ZodError } from 'zod'
import { describe, expect, it } from 'vitest'
import { engineWith, passwordInput, rejection, rule } from './helpers.js'

const GENERIC_500 = {
  status: 500,
  body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' },
}
const passThrough = rule('noop', `callback(null, user, context);`)

/** A valid input with `change` applied to a deep copy of it. */
function inputWith(change: (input: { user: Record<string, unknown>; context: Record<string, unknown> }) => void): RunInput {
  const input = structuredClone(passwordInput()) as unknown as { user: Record<string, unknown>; context: Record<string, unknown> }
  change(input)
  return input as unknown as RunInput
}

async function inputError(input: RunInput): Promise<any> {
  await using engine = await engineWith([passThrough])
  return await rejection(engine.run(input))
}

describe('run input (ERR_INPUT_INVALID)', () => {
  it.each<[string, (i: any) => unknown, ValidationIssue['path']]>([
    ['missing user.user_id', (i: any) => delete i.user.user_id, ['user', 'user_id']],
    ['empty user.user_id', (i: any) => (i.user.user_id = ''), ['user', 'user_id']],
    ['a numeric user.user_id', (i: any) => (i.user.user_id = 42), ['user', 'user_id']],
    ['missing context.protocol', (i: any) => delete i.context.protocol, ['context', 'protocol']],
    ['missing context.clientID', (i: any) => delete i.context.clientID, ['context', 'clientID']],
    ['empty context.clientID', (i: any) => (i.context.clientID = ''), ['context', 'clientID']],
    ['a user that is not an object', (i: any) => (i.user = 'auth0|42'), ['user']],
    ['a user that is null', (i: any) => (i.user = null), ['user']],
    ['a context that is an array', (i: any) => (i.context = []), ['context']],
    ['a non-string clientMetadata value', (i: any) => (i.context.clientMetadata = { tier: 3 }), ['context', 'clientMetadata', 'tier']],
    // A key with dots in it stays one key: a dotted string could not tell it from nesting.
    [
      'a non-string clientMetadata value under a URL key',
      (i: any) => (i.context.clientMetadata = { 'https://example.com/tier': 3 }),
      ['context', 'clientMetadata', 'https://example.com/tier'],
    ],
  ])('rejects %s with ERR_INPUT_INVALID naming the path', async (_what, change, path) => {
    const err = await inputError(inputWith(change))
    expect(err.code).toBe('ERR_INPUT_INVALID')
    expect(err.issues.map((i: ValidationIssue) => i.path)).toEqual([path])
    expect(err.message.startsWith(`Invalid run input: ${formatIssuePath(path)}: `)).toBe(true)
    expect(err.cause).toBeInstanceOf(ZodError)
    expect(isTokenRulesError(err)).toBe(true)
    expect(err.toOAuthError()).toEqual(GENERIC_500)
  })

  it('writes a key that is not an identifier quoted in the message, and keeps it one key in the path', async () => {
    const err = await inputError(inputWith((i) => (i.context['clientMetadata'] = { 'https://example.com/tier': 3, tier: { gold: 'x' } })))
    expect(err.issues.map((i: ValidationIssue) => i.path)).toEqual([
      ['context', 'clientMetadata', 'https://example.com/tier'],
      ['context', 'clientMetadata', 'tier'],
    ])
    expect(err.message).toMatch(/^Invalid run input: context\.clientMetadata\["https:\/\/example\.com\/tier"\]: .*; context\.clientMetadata\.tier: /)
  })

  it('formats issue paths for people: identifiers dotted, indexes bracketed, other keys quoted, the empty path (root)', () => {
    expect(formatIssuePath(['rules', 2, 'name'])).toBe('rules[2].name')
    expect(formatIssuePath(['context', 'accessToken', 'https://a.example/x', 0])).toBe('context.accessToken["https://a.example/x"][0]')
    expect(formatIssuePath(['a.b'])).toBe('["a.b"]')
    expect(formatIssuePath([])).toBe('(root)')
  })

  it('lists every problem of an input in issues', async () => {
    const err = await inputError(
      inputWith((i) => {
        delete i.user['user_id']
        delete i.context['clientID']
        delete i.context['protocol']
      }),
    )
    expect(err.code).toBe('ERR_INPUT_INVALID')
    expect(err.issues.map((i: ValidationIssue) => formatIssuePath(i.path)).sort()).toEqual(['context.clientID', 'context.protocol', 'user.user_id'])
  })

  it('rejects an input with a cycle with ERR_INPUT_INVALID naming the path of the cycle', async () => {
    const input = inputWith(() => undefined) as unknown as { user: Record<string, any> }
    input.user['app_metadata'] = { plan: 'gold' }
    input.user['app_metadata'].self = input.user['app_metadata']
    const err = await inputError(input as unknown as RunInput)
    expect(err.code).toBe('ERR_INPUT_INVALID')
    expect(err.issues).toHaveLength(1)
    expect(err.issues[0].path).toEqual(['user', 'app_metadata', 'self'])
    expect(err.toOAuthError()).toEqual(GENERIC_500)
  })

  it('rejects an input with a BigInt with ERR_INPUT_INVALID naming the path of the BigInt', async () => {
    const err = await inputError(inputWith((i) => (i.context['stats'] = { loginsCount: 3n })))
    expect(err.code).toBe('ERR_INPUT_INVALID')
    expect(err.issues).toHaveLength(1)
    expect(err.issues[0].path).toEqual(['context', 'stats', 'loginsCount'])
    expect(err.toOAuthError()).toEqual(GENERIC_500)
  })

  it('passes unknown user and context fields through to rules', async () => {
    await using engine = await engineWith([
      rule(
        'copy',
        `context.accessToken['https://example.com/custom'] = user.custom_field;
         context.accessToken['https://example.com/host'] = context.someHostField;
         callback(null, user, context);`,
      ),
    ])
    const result = await engine.run(
      inputWith((i) => {
        i.user['custom_field'] = { nested: ['a', 1] }
        i.context['someHostField'] = 'from-host'
      }),
    )
    expect(result.accessToken.claims).toEqual({
      'https://example.com/custom': { nested: ['a', 1] },
      'https://example.com/host': 'from-host',
    })
    expect(result.user['custom_field']).toEqual({ nested: ['a', 1] })
  })
})

describe('engine options (ERR_CONFIG_INVALID)', () => {
  const ok = [passThrough]
  it.each<[string, Record<string, unknown>, ValidationIssue['path'], string]>([
    ['an unknown option key', { rules: ok, timeout: 5 }, [], 'unrecognized_keys'],
    ['an unknown limits key', { rules: ok, limits: { timeout: 5 } }, ['limits'], 'unrecognized_keys'],
    ['limits.timeoutMs 0', { rules: ok, limits: { timeoutMs: 0 } }, ['limits', 'timeoutMs'], 'too_small'],
    ['limits.memoryLimitMb 1', { rules: ok, limits: { memoryLimitMb: 1 } }, ['limits', 'memoryLimitMb'], 'too_small'],
    ['duplicate rule names', { rules: [rule('a', 'callback(null)'), rule('a', 'callback(null)')] }, ['rules', 1, 'name'], 'custom'],
    ['an empty script', { rules: [{ name: 'empty', script: '' }] }, ['rules', 0, 'script'], 'too_small'],
    ['a bad claims.namespace', { rules: ok, claims: { namespace: 'sometimes' } }, ['claims', 'namespace'], 'invalid_value'],
    ['a bad claims.onViolation', { rules: ok, claims: { onViolation: 'ignore' } }, ['claims', 'onViolation'], 'invalid_value'],
    [
      'a bad claims.forbiddenNamespaces entry',
      { rules: ok, claims: { forbiddenNamespaces: ['issuer.example', 'ftp://files.example'] } },
      ['claims', 'forbiddenNamespaces', 1],
      'custom',
    ],
    ['configuration with a non-string value', { rules: ok, configuration: { RETRIES: 3 } }, ['configuration', 'RETRIES'], 'invalid_type'],
  ])('rejects %s with ERR_CONFIG_INVALID, issues and zod’s error as cause', async (_what, options, path, code) => {
    const err = await rejection(createEngine(options as unknown as EngineOptions))
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(err.issues).toEqual([{ path, code, message: expect.any(String) }])
    expect(err.message).toBe(`Invalid engine options: ${formatIssuePath(path)}: ${err.issues[0].message}`)
    expect(err.cause).toBeInstanceOf(ZodError)
    expect((err.cause as ZodError).issues).toHaveLength(1)
    expect(isTokenRulesError(err)).toBe(true)
    expect(err.toOAuthError()).toEqual(GENERIC_500)
  })

  it('rejects an empty rule name with ERR_CONFIG_INVALID naming rules[0].name', async () => {
    const err = await rejection(createEngine({ rules: [{ name: '', script: 'function (u, c, cb) { cb(null) }' }] }))
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(err.issues.length).toBeGreaterThanOrEqual(1)
    for (const issue of err.issues) expect(issue.path).toEqual(['rules', 0, 'name'])
    expect(err.issues[0]).toEqual({ path: ['rules', 0, 'name'], code: 'too_small', message: 'must not be empty' })
    expect(err.cause).toBeInstanceOf(ZodError)
  })

  it('names the unknown key and the duplicate in the issue messages', async () => {
    const unknown = await rejection(createEngine({ rules: [passThrough], timeout: 5 } as unknown as EngineOptions))
    expect(unknown.issues[0].message).toBe('Unrecognized key: "timeout"')
    const duplicate = await rejection(createEngine({ rules: [rule('a', 'callback(null)'), rule('a', 'callback(null)')] }))
    expect(duplicate.issues[0].message).toBe("duplicate rule name 'a' (also rules[0])")
    const namespace = await rejection(createEngine({ rules: [passThrough], claims: { forbiddenNamespaces: ['ftp://files.example'] } }))
    expect(namespace.issues[0].message).toBe("'ftp://files.example' is neither a host name nor an http(s) URL")
  })

  it('lists every problem of the options in issues', async () => {
    const err = await rejection(createEngine({ rules: [passThrough], limits: { timeoutMs: 0, memoryLimitMb: 1 } }))
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(err.issues.map((i: ValidationIssue) => i.path)).toEqual([
      ['limits', 'timeoutMs'],
      ['limits', 'memoryLimitMb'],
    ])
  })

  it('accepts forbiddenNamespaces given as host names or http(s) URLs', async () => {
    await using engine = await createEngine({
      rules: [passThrough],
      concurrency: 1,
      limits: { timeoutMs: 2_000, memoryLimitMb: 64 },
      claims: { forbiddenNamespaces: ['issuer.example', 'https://login.acme.test/', 'http://Other.Example:8080/x'] },
    })
    const result = await engine.run(passwordInput())
    expect(result.accessToken.claims).toEqual({})
  })
})

describe('isTokenRulesError', () => {
  it('is true for the engine’s errors', async () => {
    const config = await rejection(createEngine({ rules: [passThrough], limits: { timeoutMs: 0 } }))
    const input = await inputError(inputWith((i) => delete i.user['user_id']))
    expect(isTokenRulesError(config)).toBe(true)
    expect(isTokenRulesError(input)).toBe(true)
  })

  it('is false for a plain Error, a look-alike object and non-objects', () => {
    const plain = Object.assign(new Error('denied'), { code: 'ERR_RULE_DENIED' })
    expect(isTokenRulesError(new Error('x'))).toBe(false)
    expect(isTokenRulesError(plain)).toBe(false)
    expect(isTokenRulesError({ code: 'ERR_RULE_DENIED' })).toBe(false)
    expect(isTokenRulesError({ code: 'ERR_RULE_DENIED', toOAuthError: () => ({ status: 403 }) })).toBe(false)
    expect(isTokenRulesError(null)).toBe(false)
    expect(isTokenRulesError(undefined)).toBe(false)
    expect(isTokenRulesError('ERR_RULE_DENIED')).toBe(false)
  })
})

describe('input the host cannot even read', () => {
  it('a throwing getter or a revoked proxy in the input is ERR_INPUT_INVALID', async () => {
    const { engineWith: make, passwordInput: input, rule: r, rejection: fail } = await import('./helpers.js')
    await using engine = await make([r('ok', 'callback(null, user, context);')])
    const withGetter = input()
    Object.defineProperty(withGetter.user, 'bad', {
      enumerable: true,
      get() {
        throw new Error('boom')
      },
    })
    const first = await fail(engine.run(withGetter))
    expect(first.code).toBe('ERR_INPUT_INVALID')
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    // @ts-expect-error -- a revoked proxy is no User, on purpose
    const second = await fail(engine.run({ ...input(), user: revoked.proxy }))
    expect(second.code).toBe('ERR_INPUT_INVALID')
  })
})
