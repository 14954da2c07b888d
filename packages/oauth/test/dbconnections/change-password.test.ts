import { describe, expect, it } from 'vitest'
import { PasswordResetError, type PasswordResetDelivery } from '@tokenrules/oauth'
import { ALICE, CLIENT_ID, startServer, type TestServer } from '../helpers.js'

const SENT = "We've just sent you an email to reset your password."

async function resetServer(extra: Parameters<typeof startServer>[0] = {}) {
  const deliveries: PasswordResetDelivery[] = []
  const t = await startServer({
    directories: [{ name: 'Employees', passwordPolicy: { level: 'fair' } }, { name: 'Customers' }],
    hooks: { deliverPasswordReset: (delivery) => void deliveries.push(delivery) },
    ...extra,
  })
  return { t, deliveries }
}

async function changePassword(t: TestServer, params: Record<string, string>) {
  const response = await t.server.handler(
    new Request('http://localhost/dbconnections/change_password', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
    }),
    { remoteAddress: '198.51.100.7' },
  )
  return { status: response.status, headers: response.headers, text: await response.text() }
}

/** Lets the delivery, started without waiting, run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10))

describe('POST /dbconnections/change_password (as Auth0 serves it)', () => {
  it('answers Auth0’s sentence and hands the hook a ticket for an existing user', async () => {
    const { t, deliveries } = await resetServer()
    await using _ = t
    const answer = await changePassword(t, { client_id: CLIENT_ID, email: 'ALICE@example.com', connection: 'Employees' })
    expect(answer).toMatchObject({ status: 200, text: SENT })
    expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(answer.headers.get('cache-control')).toBe('no-store')
    await settle()
    expect(deliveries).toEqual([
      { userId: t.aliceId, email: ALICE.email, directory: 'Employees', clientId: CLIENT_ID, ticket: expect.any(String), expiresAt: t.clock.now + 3_600_000 },
    ])
  })

  it('answers the same for an email that is no user’s (or another directory’s), and delivers nothing', async () => {
    const { t, deliveries } = await resetServer()
    await using _ = t
    for (const params of [
      { client_id: CLIENT_ID, email: 'nobody@example.com', connection: 'Employees' },
      { client_id: CLIENT_ID, email: 'bob@example.com', connection: 'Employees' },
    ]) {
      const answer = await changePassword(t, params)
      expect(answer).toMatchObject({ status: 200, text: SENT })
    }
    await settle()
    expect(deliveries).toEqual([])
  })

  it('the ticket resets the password once: the new one logs in, the old one not, the ticket is spent', async () => {
    const { t, deliveries } = await resetServer()
    await using _ = t
    await changePassword(t, { client_id: CLIENT_ID, email: ALICE.email, connection: 'Employees' })
    await settle()
    const ticket = deliveries[0]?.ticket as string
    expect(await t.server.users.resetPassword(ticket, 'NewPassw0rd')).toBe(t.aliceId)
    expect((await t.login({ email: ALICE.email, password: 'NewPassw0rd' }, 'Employees')).status).toBe(200)
    expect((await t.login(ALICE, 'Employees')).status).toBe(403)
    await expect(t.server.users.resetPassword(ticket, 'OtherPassw0rd')).rejects.toMatchObject({ name: 'PasswordResetError', code: 'invalid_ticket' })
  })

  it('refuses an expired, forged or tampered ticket, and a password below the directory’s policy', async () => {
    const { t, deliveries } = await resetServer()
    await using _ = t
    await changePassword(t, { client_id: CLIENT_ID, email: ALICE.email, connection: 'Employees' })
    await settle()
    const ticket = deliveries[0]?.ticket as string
    const weak = await t.server.users.resetPassword(ticket, 'alllowercase').catch((error: unknown) => error)
    expect(weak).toBeInstanceOf(PasswordResetError)
    expect(weak).toMatchObject({ code: 'invalid_password', policy: expect.stringContaining('* At least 8 characters in length') })
    // Tampered in the middle, where every base64url character carries bits (the last one may not).
    const middle = Math.floor(ticket.length / 2)
    const tampered = `${ticket.slice(0, middle)}${ticket[middle] === 'A' ? 'B' : 'A'}${ticket.slice(middle + 1)}`
    for (const bad of ['forged', tampered, '']) {
      await expect(t.server.users.resetPassword(bad, 'NewPassw0rd')).rejects.toMatchObject({ code: 'invalid_ticket' })
    }
    t.clock.advance(3_600_000)
    await expect(t.server.users.resetPassword(ticket, 'NewPassw0rd')).rejects.toMatchObject({ code: 'invalid_ticket' })
    expect((await t.login(ALICE, 'Employees')).status).toBe(200)
  })

  it('an operator’s password change meanwhile ends the ticket', async () => {
    const { t, deliveries } = await resetServer()
    await using _ = t
    await changePassword(t, { client_id: CLIENT_ID, email: ALICE.email, connection: 'Employees' })
    await settle()
    await t.server.users.setPassword(t.aliceId, 'Operator-set-1')
    await expect(t.server.users.resetPassword(deliveries[0]?.ticket as string, 'NewPassw0rd')).rejects.toMatchObject({ code: 'invalid_ticket' })
  })

  it('a failing hook goes to onError; the answer stays the sentence', async () => {
    const errors: unknown[] = []
    const t = await startServer({
      hooks: {
        deliverPasswordReset: async () => {
          throw new Error('smtp down')
        },
        onError: ({ error }) => void errors.push(error),
      },
    })
    await using _ = t
    const answer = await changePassword(t, { client_id: CLIENT_ID, email: ALICE.email, connection: 'Employees' })
    expect(answer).toMatchObject({ status: 200, text: SENT })
    await settle()
    expect(errors).toEqual([new Error('smtp down')])
  })

  it('is counted per (email, IP) like any email: over the threshold, 429 for existing and unknown emails alike', async () => {
    const { t } = await resetServer({ bruteForce: { threshold: 3 } })
    await using _ = t
    for (const email of [ALICE.email, 'nobody@example.com']) {
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((await changePassword(t, { client_id: CLIENT_ID, email, connection: 'Employees' })).status)
      expect(statuses).toEqual([200, 200, 200, 429])
    }
  })

  it('bad input: missing email or connection, unknown client or connection; without the hook, 501', async () => {
    const { t } = await resetServer()
    await using _ = t
    const body = async (params: Record<string, string>) => JSON.parse((await changePassword(t, params)).text)
    expect((await body({ client_id: CLIENT_ID, connection: 'Employees' })).code).toBe('invalid_parameter')
    expect((await body({ client_id: CLIENT_ID, email: ALICE.email })).code).toBe('invalid_parameter')
    expect((await body({ client_id: 'nope', email: ALICE.email, connection: 'Employees' })).code).toBe('invalid_client')
    expect((await body({ client_id: CLIENT_ID, email: ALICE.email, connection: 'Nowhere' })).code).toBe('invalid_connection')
    await using plain = await startServer()
    const answer = await changePassword(plain, { client_id: CLIENT_ID, email: ALICE.email, connection: 'Employees' })
    expect(answer.status).toBe(501)
  })
})
