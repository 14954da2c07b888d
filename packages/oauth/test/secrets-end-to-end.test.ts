/**
 * Secrets never leak, end to end through the token endpoint: passwords, client secrets (right and
 * wrong), `configuration` values, refresh tokens, mfa_tokens, OTPs, recovery codes and TOTP secrets
 * never appear in the rules' input, the rules' logs (`hooks.onLog`), rule errors
 * (`hooks.onRuleError`), server errors (`hooks.onError`), process warnings, unhandled rejections,
 * or any error answer. A spying rule logs everything it is given (`user`, `context`, and every
 * global it can name); the console is checked by the suite's setup (a write fails the test).
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LogEntry } from '@tokenrules/engine'
import { GRANT_TYPES, type ServerErrorEvent } from '@tokenrules/oauth'
import { ALICE, API, BOB, CLIENT_ID, CLIENT_SECRET, rule, startServer, totpCode, type Answer, type TestServer } from './helpers.js'

const CONFIG_SECRET = `cfg-${randomUUID()}`
const WRONG_CLIENT_SECRET = `wrong-${randomUUID()}`
const WRONG_PASSWORD = `wrong-pw-${randomUUID()}`

const SPY = rule(
  'spy',
  `console.log('user ' + JSON.stringify(user));
   console.log('context ' + JSON.stringify(context));
   console.log('globals ' + JSON.stringify(Object.getOwnPropertyNames(globalThis).filter(function (n) { return n !== 'configuration'; })));
   context.accessToken['https://x.example/config-length'] = configuration.API_KEY.length;
   if (context.connection === 'Employees' && context.protocol === 'oauth2-password') {
     context.multifactor = { provider: 'any', allowRememberBrowser: false };
   }
   var scope = (context.request && context.request.body && context.request.body.scope) || '';
   if (scope.indexOf('boom') !== -1) throw new Error('rule blew up while reading its configuration');
   if (scope.indexOf('deny') !== -1) return callback(new UnauthorizedError('denied by rule'));
   callback(null, user, context);`,
)

describe('secrets end to end', () => {
  let t: TestServer
  const logs: LogEntry[] = []
  const ruleErrors: unknown[] = []
  const serverErrors: ServerErrorEvent[] = []
  const warnings: string[] = []
  const rejections: string[] = []
  const answers: { label: string; answer: Answer }[] = []
  /** Secrets, with where (if anywhere) they may legitimately appear in an answer. */
  const secrets: { name: string; value: string; allowedInAnswer?: string }[] = []
  const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`)
  const onRejection = (r: unknown) => void rejections.push(String(r))

  const record = async (label: string, answer: Promise<Answer>): Promise<Answer> => {
    const a = await answer
    answers.push({ label, answer: a })
    return a
  }

  beforeAll(async () => {
    process.on('warning', onWarning)
    process.on('unhandledRejection', onRejection)
    t = await startServer({
      rules: [SPY],
      engineOptions: {
        configuration: { API_KEY: CONFIG_SECRET },
        hooks: { onLog: (entry) => void logs.push(entry), onRuleError: (event) => void ruleErrors.push(event) },
      },
      hooks: { onError: (event) => void serverErrors.push(event) },
    })
    secrets.push(
      { name: 'alice password', value: ALICE.password },
      { name: 'bob password', value: BOB.password },
      { name: 'wrong password', value: WRONG_PASSWORD },
      { name: 'client secret', value: CLIENT_SECRET },
      { name: 'wrong client secret', value: WRONG_CLIENT_SECRET },
      { name: 'configuration value', value: CONFIG_SECRET },
    )

    // Password logins (form, JSON, HTTP Basic), a refresh, a replay, failures of every kind.
    const ok = await record('bob login', t.login(BOB, 'Customers', { scope: 'openid offline_access' }))
    expect(ok.status).toBe(200)
    const refreshToken = ok.body.refresh_token as string
    secrets.push({ name: 'refresh token', value: refreshToken, allowedInAnswer: 'bob login' })
    const refreshed = await record('bob refresh', t.token({ grant_type: 'refresh_token', refresh_token: refreshToken }))
    expect(refreshed.status).toBe(200)
    secrets.push({ name: 'second refresh token', value: refreshed.body.refresh_token as string, allowedInAnswer: 'bob refresh' })
    await record('replay', t.token({ grant_type: 'refresh_token', refresh_token: refreshToken }))
    await record(
      'json login',
      t.token({ grant_type: GRANT_TYPES.passwordRealm, username: BOB.email, password: BOB.password, realm: 'Customers', audience: API }, { json: true }),
    )
    await record(
      'basic login',
      t.post(
        '/oauth/token',
        { grant_type: GRANT_TYPES.passwordRealm, username: BOB.email, password: BOB.password, realm: 'Customers', audience: API },
        { headers: { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}` } },
      ),
    )
    await record('wrong password', t.login({ email: BOB.email, password: WRONG_PASSWORD }, 'Customers'))
    await record(
      'wrong client secret',
      t.post('/oauth/token', {
        grant_type: GRANT_TYPES.passwordRealm,
        client_id: CLIENT_ID,
        client_secret: WRONG_CLIENT_SECRET,
        username: BOB.email,
        password: BOB.password,
        realm: 'Customers',
      }),
    )
    await record('rule exception', t.login(BOB, 'Customers', { scope: 'openid boom' }))
    await record('rule denial', t.login(BOB, 'Customers', { scope: 'openid deny' }))

    // MFA: mfa_required, enrollment, a wrong OTP, a right one, a recovery code.
    const required = await record('mfa required', t.login(ALICE, 'Employees'))
    expect(required.status).toBe(403)
    const mfaToken = required.body.mfa_token as string
    secrets.push({ name: 'mfa token', value: mfaToken, allowedInAnswer: 'mfa required' })
    const enrollment = await record(
      'associate',
      t.post(
        '/mfa/associate',
        { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, authenticator_types: ['otp'] },
        { json: true, headers: { authorization: `Bearer ${mfaToken}` } },
      ),
    )
    expect(enrollment.status).toBe(200)
    const totpSecret = enrollment.body.secret as string
    const recoveryCodes = enrollment.body.recovery_codes as string[]
    secrets.push({ name: 'totp secret', value: totpSecret, allowedInAnswer: 'associate' })
    for (const code of recoveryCodes) secrets.push({ name: 'recovery code', value: code, allowedInAnswer: 'associate' })
    await record('wrong otp', t.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: mfaToken, otp: '000000' }))
    const good = await record('right otp', t.token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: mfaToken, otp: totpCode(totpSecret, t.clock.now) }))
    expect(good.status, JSON.stringify(good.body)).toBe(200)
    t.clock.advance(30_000)
    const second = await record('mfa required again', t.login(ALICE, 'Employees'))
    const secondToken = second.body.mfa_token as string
    secrets.push({ name: 'second mfa token', value: secondToken, allowedInAnswer: 'mfa required again' })
    const recovered = await record(
      'recovery code',
      t.token({ grant_type: GRANT_TYPES.mfaRecoveryCode, mfa_token: secondToken, recovery_code: recoveryCodes[0] as string }),
    )
    expect(recovered.status, JSON.stringify(recovered.body)).toBe(200)
  })

  afterAll(async () => {
    process.off('warning', onWarning)
    process.off('unhandledRejection', onRejection)
    await t?.[Symbol.asyncDispose]()
  })

  it('the flows really ran: logs, a rule error, failures and successes', () => {
    expect(logs.length).toBeGreaterThan(10)
    expect(ruleErrors.length).toBeGreaterThan(0)
    const statuses = answers.map((a) => `${a.label}:${a.answer.status}`)
    expect(statuses).toEqual(
      expect.arrayContaining(['wrong password:403', 'wrong client secret:401', 'rule exception:403', 'rule denial:401', 'wrong otp:403']),
    )
  })

  it('no secret in the rules\u2019 logs, rule errors, server errors, warnings or rejections', () => {
    const text = JSON.stringify({ logs, ruleErrors, serverErrors: serverErrors.map((e) => ({ path: e.path, message: String(e.error) })), warnings, rejections })
    for (const secret of secrets) expect(text, secret.name).not.toContain(secret.value)
  })

  it('the rules\u2019 input holds no credential parameter, and `configuration` is not in `context`', () => {
    const inputs = logs.filter((e) => e.message.startsWith('context ')).map((e) => JSON.parse(e.message.slice('context '.length)) as Record<string, any>)
    expect(inputs.length).toBeGreaterThan(5)
    for (const context of inputs) {
      for (const part of [context.request?.body ?? {}, context.request?.query ?? {}]) {
        for (const key of ['password', 'client_secret', 'client_assertion', 'refresh_token', 'mfa_token', 'otp', 'recovery_code'])
          expect(part).not.toHaveProperty(key)
      }
      expect(JSON.stringify(context)).not.toContain(CONFIG_SECRET)
    }
    const users = logs.filter((e) => e.message.startsWith('user ')).map((e) => e.message)
    for (const user of users) expect(user).not.toMatch(/scrypt|password_hash|passwordHash/)
  })

  it('no secret in any answer but the one that hands it to the client', () => {
    for (const { label, answer } of answers) {
      const text = JSON.stringify({ body: answer.body, headers: [...answer.headers] })
      for (const secret of secrets) {
        if (secret.allowedInAnswer === label) continue
        expect(text, `${secret.name} in the answer to ${label}`).not.toContain(secret.value)
      }
    }
  })
})
