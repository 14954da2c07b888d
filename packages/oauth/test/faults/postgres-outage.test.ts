/**
 * Issue 18's failure behaviour on a real PostgreSQL that the test stops and starts again: while it
 * is down, or slower than `timeoutMs`, or cut in the middle of requests, the endpoint answers
 * `503 temporarily_unavailable` with `Retry-After` (never a 500, never internals, never a token
 * from a half-done write), and the same process serves again once it is back.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StoreUnavailableError, type ServerErrorEvent } from '@tokenrules/oauth'
import { createPostgresStores } from '@tokenrules/oauth/postgres'
import { ALICE, rule, startServer, type Answer, type TestServer } from '../helpers.js'
import { startPostgresServer, type RunningPostgres } from '../setup/postgres-server.js'

const UNAVAILABLE = { error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable; try again later.' }
const encryptionKey = new Uint8Array(32).fill(4)

let postgres: RunningPostgres
beforeAll(async () => {
  postgres = await startPostgresServer()
}, 60_000)
afterAll(async () => {
  await postgres?.stop()
})

const refresh = (t: TestServer, token: string) => t.token({ grant_type: 'refresh_token', refresh_token: token })
const offline = async (t: TestServer) => {
  const answer = await t.login(ALICE, 'Employees', { scope: 'offline_access' })
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  return answer.body.refresh_token as string
}

function expectUnavailable(answer: Answer): void {
  expect(answer.status).toBe(503)
  expect(answer.body).toEqual(UNAVAILABLE)
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
}

/** Retries `attempt` while it answers 503 (the pool reconnecting after a restart), a bounded number of times. */
async function once503Ends(attempt: () => Promise<Answer>): Promise<Answer> {
  for (let tries = 0; ; tries++) {
    const answer = await attempt()
    if (answer.status !== 503 || tries >= 100) return answer
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A token server on its own schema, alice in Employees; `rules` as startServer takes them. */
async function serverOn(schema: string, errors: ServerErrorEvent[], rules: Parameters<typeof startServer>[0] = {}) {
  const stores = await createPostgresStores({ connectionString: postgres.url, schema, timeoutMs: 1_500, maxConnections: 12 })
  const t = await startServer({ stores, encryptionKey, hooks: { onError: (event) => void errors.push(event) }, ...rules })
  t.aliceId = (await t.server.users.create({ directory: 'Employees', ...ALICE })).user_id
  return {
    t,
    async [Symbol.asyncDispose]() {
      await t.server.close()
      await stores.close()
    },
  }
}

describe('PostgreSQL stopped and started again', () => {
  it('while it is down: 503 with Retry-After, the cause to onError only; once it is back the same process serves, and the refresh token survived', async () => {
    const errors: ServerErrorEvent[] = []
    await using s = await serverOn('outage_down', errors)
    const { t } = s
    const token = await offline(t)
    await postgres.halt()
    try {
      expectUnavailable(await t.login(ALICE, 'Employees'))
      expectUnavailable(await refresh(t, token))
      // What is in memory still answers: the JWKS.
      expect((await t.send(new Request('http://localhost/.well-known/jwks.json'))).status).toBe(200)
    } finally {
      await postgres.start()
    }
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((event) => StoreUnavailableError.is(event.error))).toBe(true)
    expect((await once503Ends(() => t.login(ALICE, 'Employees'))).status).toBe(200)
    expect((await refresh(t, token)).status).toBe(200)
  }, 90_000)

  it('cut in the middle of requests: every answer is 200 or 503, never 500; a token refused with 503 still refreshes once it is back, the successor of one answered 200 works', async () => {
    const errors: ServerErrorEvent[] = []
    let turn = 0
    // The rules take a different time per request, so that the stop lands in different steps of different refreshes.
    await using s = await serverOn('outage_cut', errors, {
      rules: [
        rule(
          'stagger',
          "if (context.protocol !== 'oauth2-refresh-token') return callback(null, user, context); setTimeout(function () { callback(null, user, context); }, nextDelay());",
        ),
      ],
      engineOptions: { concurrency: 4, globals: { nextDelay: () => (turn++ % 8) * 25 } },
    })
    const { t } = s
    const tokens: string[] = []
    for (let i = 0; i < 12; i++) tokens.push(await offline(t))
    const answers = await Promise.all([
      ...tokens.map((token) => refresh(t, token)),
      new Promise((resolve) => setTimeout(resolve, 60)).then(() => postgres.halt()),
    ])
    const refreshes = answers.slice(0, tokens.length) as Answer[]
    await postgres.start()
    for (const answer of refreshes) expect([200, 503], JSON.stringify(answer.body)).toContain(answer.status)
    expect(refreshes.some((answer) => answer.status === 503)).toBe(true)
    await once503Ends(() => t.login(ALICE, 'Employees'))
    for (const [i, answer] of refreshes.entries()) {
      if (answer.status === 503) {
        // Not consumed: it rotates now.
        expect((await refresh(t, tokens[i]!)).status).toBe(200)
      } else {
        // Rotated: the successor works, the old one is a reuse.
        expect((await refresh(t, answer.body.refresh_token)).status).toBe(200)
      }
    }
  }, 120_000)

  it('slower than timeoutMs (a table locked by another session): 503, and it serves once the lock is gone', async () => {
    const errors: ServerErrorEvent[] = []
    await using s = await serverOn('outage_slow', errors)
    const { t } = s
    const blocker = new pg.Client({ connectionString: postgres.url })
    await blocker.connect()
    try {
      await blocker.query('BEGIN')
      await blocker.query('LOCK TABLE outage_slow.users IN ACCESS EXCLUSIVE MODE')
      expectUnavailable(await t.login(ALICE, 'Employees'))
      await blocker.query('ROLLBACK')
    } finally {
      await blocker.end()
    }
    expect(errors.some((event) => StoreUnavailableError.is(event.error))).toBe(true)
    expect((await t.login(ALICE, 'Employees')).status).toBe(200)
  }, 60_000)
})
