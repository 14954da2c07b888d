import { describe, expect, it } from 'vitest'
import { isTokenRulesError, type LogEntry } from '@tokenrules/engine'
import type { ServerErrorEvent } from '@tokenrules/oauth'
import { ALICE, expectNoStore, rule, startServer } from '../helpers.js'

/** One login through HTTP with a single rule. */
async function outcome(body: string, options: Parameters<typeof startServer>[0] = {}) {
  await using t = await startServer({ rules: [rule('under-test', body)], ...options })
  const answer = await t.login(ALICE, 'Employees')
  expectNoStore(answer.headers)
  return answer
}

const GENERIC_500 = { error: 'server_error', error_description: 'The server encountered an unexpected error.' }

describe('rule outcomes → OAuth answers (docs/behaviour.md#callback-outcomes)', () => {
  it('callback(new UnauthorizedError(msg)) → 401 unauthorized with the message', async () => {
    const answer = await outcome("callback(new UnauthorizedError('Please verify your email.'));")
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual({ error: 'unauthorized', error_description: 'Please verify your email.' })
  })

  it('callback(new Error(msg)) → 403 access_denied with the message', async () => {
    const answer = await outcome("callback(new Error('Not during maintenance.'));")
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'access_denied', error_description: 'Not during maintenance.' })
  })

  it('callback("msg") → 403 access_denied with the message', async () => {
    const answer = await outcome("callback('Nope.');")
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'access_denied', error_description: 'Nope.' })
  })

  it('an uncaught exception → 403 access_denied with a generic description', async () => {
    const answer = await outcome("throw new Error('db password is hunter2');")
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'access_denied', error_description: 'Rule execution failed.' })
  })

  it('context.redirect under the password exchange → 403 access_denied', async () => {
    const answer = await outcome("context.redirect = { url: 'https://example.com/consent' }; callback(null, user, context);")
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'access_denied', error_description: 'Redirect from a rule is not supported in the password exchange.' })
  })

  it('a rule that never calls back → 500 server_error, reported to onError', async () => {
    const events: ServerErrorEvent[] = []
    const answer = await outcome('/* never calls back */', { engineOptions: { limits: { timeoutMs: 200 } }, hooks: { onError: (e) => events.push(e) } })
    expect(answer.status).toBe(500)
    expect(answer.body).toEqual(GENERIC_500)
    expect(events).toHaveLength(1)
    expect(isTokenRulesError(events[0]?.error) && events[0]?.error.code).toBe('ERR_RULE_TIMEOUT')
  })

  it('a non-JSON claim → 500 server_error', async () => {
    const answer = await outcome("context.accessToken['https://example.com/f'] = new Map(); callback(null, user, context);")
    expect(answer.status).toBe(500)
    expect(answer.body).toEqual(GENERIC_500)
  })

  it('custom claims over 100 KB → 500 server_error', async () => {
    const answer = await outcome("context.accessToken['https://example.com/big'] = 'x'.repeat(110000); callback(null, user, context);")
    expect(answer.status).toBe(500)
    expect(answer.body).toEqual(GENERIC_500)
  })

  it('a require the integrator did not allow → 500 server_error', async () => {
    const answer = await outcome("const fs = require('fs'); callback(null, user, context);")
    expect(answer.status).toBe(500)
    expect(answer.body).toEqual(GENERIC_500)
  })

  it('drops a claim that is not namespaced and keeps the others', async () => {
    await using t = await startServer({
      rules: [
        rule(
          'claims',
          "context.accessToken.favourite = 'green'; context.accessToken['https://example.com/ok'] = 1; context.accessToken.sub = 'mallory'; callback(null, user, context);",
        ),
      ],
    })
    const { payload } = await t.verify((await t.login(ALICE, 'Employees')).body.access_token)
    expect(payload['https://example.com/ok']).toBe(1)
    expect(payload).not.toHaveProperty('favourite')
    expect(payload.sub).toBe(t.aliceId)
  })

  it("persists auth0.users.updateAppMetadata to the user store; the next login's rules see it", async () => {
    await using t = await startServer({
      rules: [
        {
          name: 'count',
          script: `async function (user, context, callback) {
            const visits = (user.app_metadata.visits || 0) + 1;
            await auth0.users.updateAppMetadata(user.user_id, { visits: visits });
            context.accessToken['https://example.com/visits'] = visits;
            callback(null, user, context);
          }`,
        },
      ],
    })
    await t.login(ALICE, 'Employees')
    const { payload } = await t.verify((await t.login(ALICE, 'Employees')).body.access_token)
    expect(payload['https://example.com/visits']).toBe(2)
  })

  it("sends the rules' console output to the engine's onLog, never to the console", async () => {
    const logs: LogEntry[] = []
    await using t = await startServer({
      rules: [rule('log', "console.log('login of', user.email); callback(null, user, context);")],
      engineOptions: { hooks: { onLog: (entry) => logs.push(entry) } },
    })
    await t.login(ALICE, 'Employees')
    expect(logs.map((l) => l.message)).toEqual(['login of alice@example.com'])
  })
})
