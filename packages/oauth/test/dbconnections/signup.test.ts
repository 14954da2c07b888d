import { describe, expect, it } from 'vitest'
import { hashSecret } from '@tokenrules/oauth'
import { checkPassword, policyText, resolvePolicy } from '../../src/dbconnections/password-policy.js'
import { ALL_GRANTS, API, CLIENT_ID, CLIENT_SECRET, TEST_SCRYPT_COST, rule, startServer, type TestServer } from '../helpers.js'

const OTHER_CLIENT = 'other-app'
const STRONG = 'Tr0ub4dor&3-horse'

async function signupServer(extra: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  return startServer({
    clients: [
      { clientId: CLIENT_ID, secretHash: await hashSecret(CLIENT_SECRET, { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS },
      { clientId: OTHER_CLIENT, grants: ALL_GRANTS, allowPublic: true },
    ],
    directories: [{ name: 'Employees' }, { name: 'Customers', signup: { enabled: true, clients: [CLIENT_ID] }, passwordPolicy: { level: 'good' } }],
    ...extra,
  })
}

const signup = (t: TestServer, params: Record<string, unknown>, json = true) =>
  json
    ? t.send(
        new Request('http://localhost/dbconnections/signup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) }),
      )
    : t.post('/dbconnections/signup', params as Record<string, string>)

describe('POST /dbconnections/signup (as Auth0 database connections serve it)', () => {
  it('creates the user and answers { _id, email_verified, email, … } as Auth0; the password logs in', async () => {
    await using t = await signupServer()
    const answer = await signup(t, {
      client_id: CLIENT_ID,
      connection: 'Customers',
      email: 'carol@example.com',
      password: STRONG,
      given_name: 'Carol',
      family_name: 'Danvers',
      user_metadata: { plan: 'premium' },
    })
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({
      _id: expect.stringMatching(/^[0-9a-f]{24}$/),
      email_verified: false,
      email: 'carol@example.com',
      given_name: 'Carol',
      family_name: 'Danvers',
      user_metadata: { plan: 'premium' },
    })
    const login = await t.login({ email: 'carol@example.com', password: STRONG }, 'Customers')
    expect(login.status).toBe(200)
    expect((await t.verify(login.body.access_token as string)).payload.sub).toBe(`auth0|${answer.body._id}`)
  })

  it('takes a form body too (user_metadata as JSON text), and a username', async () => {
    await using t = await signupServer()
    const answer = await signup(
      t,
      { client_id: CLIENT_ID, connection: 'Customers', email: 'dan@example.com', username: 'dan', password: STRONG, user_metadata: '{"plan":"free"}' },
      false,
    )
    expect(answer).toMatchObject({ status: 200, body: { email: 'dan@example.com', username: 'dan', user_metadata: { plan: 'free' } } })
    expect((await t.login({ email: 'dan', password: STRONG }, 'Customers')).status).toBe(200)
  })

  it('rules run on the first login after sign-up with context.stats.loginsCount === 1, then 2', async () => {
    await using t = await signupServer({
      rules: [rule('count', "context.accessToken['https://example.com/logins'] = context.stats.loginsCount; callback(null, user, context);")],
    })
    expect((await signup(t, { client_id: CLIENT_ID, connection: 'Customers', email: 'erin@example.com', password: STRONG })).status).toBe(200)
    const claim = async () => {
      const login = await t.login({ email: 'erin@example.com', password: STRONG }, 'Customers')
      return (await t.verify(login.body.access_token as string)).payload['https://example.com/logins']
    }
    expect(await claim()).toBe(1)
    expect(await claim()).toBe(2)
  })

  it('refuses a directory without sign-up, and a client the directory does not list: operation_not_supported', async () => {
    await using t = await signupServer()
    const closed = await signup(t, { client_id: CLIENT_ID, connection: 'Employees', email: 'x@example.com', password: STRONG })
    expect(closed).toMatchObject({
      status: 400,
      body: { name: 'BadRequestError', code: 'operation_not_supported', description: 'public signup is disabled', statusCode: 400 },
    })
    const other = await signup(t, { client_id: OTHER_CLIENT, connection: 'Customers', email: 'x@example.com', password: STRONG })
    expect(other.body.code).toBe('operation_not_supported')
  })

  it('a password below the policy: 400 PasswordStrengthError with the rules and the policy text', async () => {
    await using t = await signupServer()
    const answer = await signup(t, { client_id: CLIENT_ID, connection: 'Customers', email: 'weak@example.com', password: 'password' })
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ name: 'PasswordStrengthError', code: 'invalid_password', message: 'Password is too weak', statusCode: 400 })
    expect(answer.body.policy).toBe(
      '* At least 8 characters in length\n* Contain at least 3 of the following 4 types of characters:\n  * lower case letters (a-z)\n  * upper case letters (A-Z)\n  * numbers (i.e. 0-9)\n  * special characters (e.g. !@#$%^&*)',
    )
    expect(answer.body.description.verified).toBe(false)
    expect(answer.body.description.rules.map((r: { code: string; verified: boolean }) => [r.code, r.verified])).toEqual([
      ['lengthAtLeast', true],
      ['containsAtLeast', false],
    ])
    expect((await t.login({ email: 'weak@example.com', password: 'password' }, 'Customers')).status).toBe(403)
  })

  it('an email or username already taken: invalid_signup "Invalid sign up", telling nothing more', async () => {
    await using t = await signupServer()
    await signup(t, { client_id: CLIENT_ID, connection: 'Customers', email: 'fay@example.com', username: 'fay', password: STRONG })
    const expected = { status: 400, body: { name: 'BadRequestError', code: 'invalid_signup', description: 'Invalid sign up', statusCode: 400 } }
    expect(await signup(t, { client_id: CLIENT_ID, connection: 'Customers', email: 'FAY@example.com', password: STRONG })).toMatchObject(expected)
    expect(await signup(t, { client_id: CLIENT_ID, connection: 'Customers', email: 'fay2@example.com', username: 'fay', password: STRONG })).toMatchObject(
      expected,
    )
    // bob exists in Customers (seeded): the same answer.
    expect(await signup(t, { client_id: CLIENT_ID, connection: 'Customers', email: 'bob@example.com', password: STRONG })).toMatchObject(expected)
  })

  it('bad input answers clear errors: unknown client or connection, missing fields, non-string fields, metadata limits', async () => {
    await using t = await signupServer()
    const base = { client_id: CLIENT_ID, connection: 'Customers', email: 'g@example.com', password: STRONG }
    const code = async (params: Record<string, unknown>) => (await signup(t, params)).body.code
    expect(await code({ ...base, client_id: 'nope' })).toBe('invalid_client')
    expect(await code({ ...base, connection: 'Nowhere' })).toBe('invalid_connection')
    expect(await code({ ...base, email: undefined })).toBe('invalid_parameter')
    expect(await code({ ...base, password: undefined })).toBe('invalid_parameter')
    expect(await code({ ...base, email: 'not-an-email' })).toBe('invalid_parameter')
    expect(await code({ ...base, given_name: 42 })).toBe('invalid_parameter')
    expect(await code({ ...base, picture: 'javascript:alert(1)' })).toBe('invalid_parameter')
    expect(await code({ ...base, user_metadata: { nested: { a: 1 } } })).toBe('invalid_parameter')
    expect(await code({ ...base, user_metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) })).toBe('invalid_parameter')
    expect(await code({ ...base, user_metadata: ['a'] })).toBe('invalid_parameter')
  })

  it('counts sign-ups per (directory, IP): the 51st within the window is 429 too_many_attempts with Retry-After', async () => {
    await using t = await signupServer()
    for (let i = 0; i < 50; i++) {
      const answer = await signup(t, { client_id: CLIENT_ID, connection: 'Customers', email: `u${i}@example.com`, password: STRONG })
      expect(answer.status).toBe(200)
    }
    const limited = await signup(t, { client_id: CLIENT_ID, connection: 'Customers', email: 'u50@example.com', password: STRONG })
    expect(limited).toMatchObject({ status: 429, body: { name: 'TooManyRequestsError', code: 'too_many_attempts', statusCode: 429 } })
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('answers browsers of the client’s allowed origins (CORS per client)', async () => {
    await using t = await startServer({
      clients: [{ clientId: CLIENT_ID, grants: ALL_GRANTS, allowPublic: true, allowedOrigins: ['https://app.example.com'] }],
      directories: [{ name: 'Employees' }, { name: 'Customers', signup: { enabled: true } }],
    })
    const answer = await t.send(
      new Request('http://localhost/dbconnections/signup', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://app.example.com' },
        body: JSON.stringify({ client_id: CLIENT_ID, connection: 'Customers', email: 'h@example.com', password: STRONG }),
      }),
    )
    expect(answer.status).toBe(200)
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
  })

  it('refuses options naming an unknown client in signup.clients', async () => {
    await expect(startServer({ directories: [{ name: 'Customers', signup: { enabled: true, clients: ['ghost'] } }] })).rejects.toThrow(
      /directories\.0\.signup\.clients\.0.*'ghost' is not one of clients|directories\[0\]\.signup\.clients\[0\].*ghost/,
    )
  })
})

describe('password policy levels (Auth0: none, low, fair, good, excellent)', () => {
  const ok = (level: Parameters<typeof resolvePolicy>[0], password: string) => checkPassword(resolvePolicy(level), password).ok
  it('checks each level as Auth0 describes it', () => {
    expect(ok({ level: 'none' }, 'a')).toBe(true)
    expect(ok({ level: 'low' }, 'abcde')).toBe(false)
    expect(ok({ level: 'low' }, 'abcdef')).toBe(true)
    expect(ok({ level: 'fair' }, 'abcdefgh')).toBe(false)
    expect(ok({ level: 'fair' }, 'abcdEFG1')).toBe(true)
    expect(ok({ level: 'good' }, 'abcdefg1')).toBe(false)
    expect(ok({ level: 'good' }, 'abcdefG1')).toBe(true)
    expect(ok({ level: 'good' }, 'abcdefg!1')).toBe(true)
    expect(ok({ level: 'excellent' }, 'abcdefG1!')).toBe(false)
    expect(ok({ level: 'excellent' }, 'abcdefG1!x')).toBe(true)
    expect(ok({ level: 'excellent' }, 'aaabcdG1!x')).toBe(false)
    expect(ok({ level: 'low', minLength: 12 }, 'abcdefghijk')).toBe(false)
    expect(ok(undefined, 'abcdefG1')).toBe(true)
    // Length counts characters, not UTF-16 units.
    expect(ok({ level: 'low' }, '😀😀😀')).toBe(false)
  })
  it('states the policy as text', () => {
    expect(policyText(resolvePolicy({ level: 'low', minLength: 10 }))).toBe('* At least 10 characters in length')
    expect(policyText(resolvePolicy({ level: 'excellent' }))).toContain('* No more than 2 identical characters in a row (e.g., "aaa" not allowed)')
  })
})

void API
