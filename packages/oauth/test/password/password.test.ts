import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@tokenrules/oauth'
import { ALICE, API, BOB, CLIENT_ID, ISSUER, expectNoStore, startServer } from '../helpers.js'

describe('grant_type=password (the default directory)', () => {
  it('issues an access token for a user of the default directory', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'password', username: ALICE.email, password: ALICE.password, audience: API, scope: 'read:messages' })
    expect(answer.status).toBe(200)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({ access_token: expect.any(String), expires_in: 86400, token_type: 'Bearer' })
    const { payload, header } = await t.verify(answer.body.access_token)
    expect(header).toEqual({ alg: 'ES256', kid: expect.any(String), typ: 'at+jwt' })
    const iat = Math.floor(t.clock.now / 1000)
    expect(payload).toEqual({
      iss: ISSUER,
      sub: t.aliceId,
      aud: API,
      iat,
      exp: iat + 86400,
      client_id: CLIENT_ID,
      jti: expect.stringMatching(/^at_[\w-]{16}$/),
      azp: CLIENT_ID,
      scope: 'read:messages',
      gty: 'password',
    })
  })

  it('gives every access token its own jti (RFC 9068 §2.2)', async () => {
    await using t = await startServer()
    const ids = new Set<unknown>()
    for (let i = 0; i < 3; i++) {
      const answer = await t.token({ grant_type: 'password', username: ALICE.email, password: ALICE.password, audience: API })
      ids.add((await t.verify(answer.body.access_token)).payload.jti)
    }
    expect(ids.size).toBe(3)
  })

  it('logs in from the directory a realm names, as Auth0 honours realm with this grant', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'password', realm: 'Customers', username: BOB.email, password: BOB.password, audience: API })
    expect(answer.status).toBe(200)
    expect((await t.verify(answer.body.access_token)).payload.sub).toBe(t.bobId)
  })

  it('does not fall back to the default directory when the realm named does not hold the user', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'password', realm: 'Customers', username: ALICE.email, password: ALICE.password, audience: API })
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'Wrong email or password.' })
  })

  it('answers an unknown realm with 400 invalid_request instead of using the default directory', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'password', realm: 'Contractors', username: ALICE.email, password: ALICE.password, audience: API })
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'Unknown realm: Contractors' })
  })

  it('refuses a user of another directory with the wrong-credentials answer', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'password', username: BOB.email, password: BOB.password, audience: API })
    expect(answer.status).toBe(403)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'Wrong email or password.' })
  })

  it('answers a wrong password with 403 invalid_grant "Wrong email or password."', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'password', username: ALICE.email, password: 'wrong', audience: API })
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'Wrong email or password.' })
  })

  it('answers an unknown user exactly like a wrong password', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'password', username: 'nobody@example.com', password: 'whatever', audience: API })
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'Wrong email or password.' })
  })

  it('finds the user by email case-insensitively', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'password', username: 'ALICE@Example.COM', password: ALICE.password, audience: API })
    expect(answer.status).toBe(200)
  })

  it('accepts a JSON body as well as a form', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'password', username: ALICE.email, password: ALICE.password, audience: API }, { json: true })
    expect(answer.status).toBe(200)
    expect(answer.body.token_type).toBe('Bearer')
  })

  it('answers a blocked user with 401 unauthorized "user is blocked" once the password is right', async () => {
    await using t = await startServer()
    await t.server.users.setBlocked(t.aliceId, true)
    const right = await t.token({ grant_type: 'password', username: ALICE.email, password: ALICE.password, audience: API })
    expect(right.status).toBe(401)
    expectNoStore(right.headers)
    expect(right.body).toEqual({ error: 'unauthorized', error_description: 'user is blocked' })
    const wrong = await t.token({ grant_type: 'password', username: ALICE.email, password: 'nope', audience: API })
    expect(wrong.body).toEqual({ error: 'invalid_grant', error_description: 'Wrong email or password.' })
  })

  it('uses the default audience when the request names none', async () => {
    await using t = await startServer({ defaultAudience: API })
    const answer = await t.token({ grant_type: 'password', username: ALICE.email, password: ALICE.password })
    expect(answer.status).toBe(200)
    expect((await t.verify(answer.body.access_token)).payload.aud).toBe(API)
  })

  it('counts the login: logins_count, last_login and last_ip reach the rules', async () => {
    await using t = await startServer({
      rules: [
        {
          name: 'stats',
          script: `function (user, context, callback) {
            context.accessToken['https://example.com/stats'] = [user.logins_count, context.stats.loginsCount, user.last_ip, user.last_login];
            callback(null, user, context);
          }`,
        },
      ],
    })
    await t.token({ grant_type: 'password', username: ALICE.email, password: ALICE.password, audience: API })
    const answer = await t.token({ grant_type: 'password', username: ALICE.email, password: ALICE.password, audience: API })
    const { payload } = await t.verify(answer.body.access_token)
    expect(payload['https://example.com/stats']).toEqual([2, 2, '198.51.100.7', new Date(t.clock.now).toISOString()])
  })

  it('upgrades a password hash made with a lower scrypt cost at the next login', async () => {
    const stores = createMemoryStores()
    const encryptionKey = randomBytes(32)
    {
      await using old = await startServer({ stores, encryptionKey, passwords: { scryptCost: 16 } })
      await old.server.users.create({ directory: 'Employees', email: 'carol@example.com', password: 'carol-password' })
    }
    await using t = await startServer({ stores, encryptionKey, passwords: { scryptCost: 32 } })
    const carol = await stores.users.findUser('Employees', 'carol@example.com')
    expect(carol?.passwordHash).toMatch(/^\$scrypt\$v=2\$ln=4,/)
    const answer = await t.token({ grant_type: 'password', username: 'carol@example.com', password: 'carol-password', audience: API })
    expect(answer.status).toBe(200)
    const after = await stores.users.getUser(carol?.profile.user_id ?? '')
    expect(after?.passwordHash).toMatch(/^\$scrypt\$v=2\$ln=5,/)
    expect(after?.profile.last_password_reset).toBeUndefined()
  })
})
