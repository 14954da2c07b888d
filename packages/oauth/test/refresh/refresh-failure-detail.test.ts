// Issue 13, "public text fixed, reason in a detail": every refused refresh token answers the same
// 403 invalid_grant, and the host's log hook (hooks.onRefused) gets which failure it was.
import { describe, expect, it } from 'vitest'
import { createMemoryStores, hashSecret, type RefreshTokenFailure, type RefreshTokenStore, type RefusedEvent, type UserStore } from '@tokenrules/oauth'
import { ALICE, ALL_GRANTS, CLIENT_ID, CLIENT_SECRET, TEST_SCRYPT_COST, startServer, type Answer, type TestServer } from '../helpers.js'

const INVALID = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' }

async function offlineLogin(t: TestServer): Promise<string> {
  const answer = await t.login(ALICE, 'Employees', { scope: 'openid offline_access read:messages' })
  expect(answer.status).toBe(200)
  return answer.body.refresh_token as string
}

/** A store's member, its methods bound to the store (they use its private fields). */
function bound(target: object, key: string | symbol): unknown {
  const value: unknown = Reflect.get(target, key)
  return typeof value === 'function' ? value.bind(target) : value
}

const refresh = (t: TestServer, token: string, client = { client_id: CLIENT_ID, client_secret: CLIENT_SECRET }) =>
  t.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: token, ...client })

describe('refused refresh tokens: one public answer, a detail for the log', () => {
  it('gives each of the six failures its own detail in hooks.onRefused, and the client the same answer for all', async () => {
    const refused: RefusedEvent[] = []
    // A user store that can lose a user, as a database can when an operator deletes one.
    const memory = createMemoryStores().users
    const gone = new Set<string>()
    const users = new Proxy(memory, {
      get: (target, key) => (key === 'getUser' ? async (id: string) => (gone.has(id) ? undefined : target.getUser(id)) : bound(target, key)),
    }) as UserStore
    await using t = await startServer({
      clients: [
        { clientId: CLIENT_ID, secretHash: await hashSecret(CLIENT_SECRET, { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS },
        { clientId: 'other', secretHash: await hashSecret('other-secret', { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS },
      ],
      stores: { users },
      hooks: { onRefused: (event) => refused.push(event) },
    })
    const alice = await t.server.users.create({ directory: 'Employees', ...ALICE })
    const expiring = await offlineLogin(t)

    const answers: Answer[] = []
    answers.push(await refresh(t, 'x'.repeat(43)))
    answers.push(await refresh(t, await offlineLogin(t), { client_id: 'other', client_secret: 'other-secret' }))
    const first = await offlineLogin(t)
    const second = (await refresh(t, first)).body.refresh_token as string
    answers.push(await refresh(t, first)) // a replay: the family is revoked…
    answers.push(await refresh(t, second)) // …so its live token is refused too
    const orphan = await offlineLogin(t)
    gone.add(alice.user_id)
    answers.push(await refresh(t, orphan))
    t.clock.advance(31 * 86_400_000)
    answers.push(await refresh(t, expiring))

    for (const answer of answers) {
      expect(answer.status).toBe(403)
      expect(answer.body).toEqual(INVALID)
    }
    expect(new Set(answers.map((answer) => JSON.stringify([...answer.headers]))).size).toBe(1)
    const details = refused.map((event) => event.error.detail)
    expect(details).toEqual([
      'refresh_token_unknown',
      'refresh_token_client_mismatch',
      'refresh_token_reused',
      'refresh_token_revoked',
      'refresh_token_subject_gone',
      'refresh_token_expired',
    ] satisfies RefreshTokenFailure[])
    expect(new Set(details).size).toBe(6)
    for (const event of refused) {
      expect(event.path).toBe('/oauth/token')
      expect(event.error.toJSON()).toEqual(INVALID)
      // The detail is for the log: the answer never carries it.
      expect(JSON.stringify(event.error.toJSON())).not.toContain('refresh_token_')
    }
  })

  it('tells a replay that lost the race to rotate from a family revoked meanwhile, when the token is consumed', async () => {
    const refused: RefusedEvent[] = []
    await using t = await startServer({ hooks: { onRefused: (event) => refused.push(event) } })
    const first = await offlineLogin(t)
    const answers = await Promise.all([refresh(t, first), refresh(t, first)])
    expect(answers.map((a) => a.status).sort()).toEqual([200, 403])
    expect(refused.map((event) => event.error.detail)).toEqual(['refresh_token_reused'])

    // A family revoked between the token's check and its consumption (another server saw a replay).
    const memory = createMemoryStores().refreshTokens
    const refreshTokens = new Proxy(memory, {
      get: (target, key) =>
        key === 'use'
          ? async (id: string, at: number) => {
              const record = await target.get(id)
              if (record !== undefined) await target.revokeFamily(record.familyId, at)
              return target.use(id, at)
            }
          : bound(target, key),
    }) as RefreshTokenStore
    const racing: RefusedEvent[] = []
    await using u = await startServer({ stores: { refreshTokens }, hooks: { onRefused: (event) => racing.push(event) } })
    const answer = await refresh(u, await offlineLogin(u))
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual(INVALID)
    expect(racing.map((event) => event.error.detail)).toEqual(['refresh_token_revoked'])
  })

  it('reports other refusals too, without a detail where the answer says it all', async () => {
    const refused: RefusedEvent[] = []
    await using t = await startServer({ hooks: { onRefused: (event) => refused.push(event) } })
    const answer = await t.login({ email: ALICE.email, password: 'wrong password' }, 'Employees')
    expect(answer.status).toBe(403)
    expect(refused.map(({ path, error }) => [path, error.status, error.error, error.detail])).toEqual([['/oauth/token', 403, 'invalid_grant', undefined]])
  })

  it('answers the refusal when the hook throws', async () => {
    await using t = await startServer({
      hooks: {
        onRefused: () => {
          throw new Error('log sink down')
        },
      },
    })
    const answer = await refresh(t, 'x'.repeat(43))
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual(INVALID)
  })
})
