import { describe, expect, it } from 'vitest'
import { GRANT_TYPES } from '@tokenrules/oauth'
import { ALICE, API, BOB, expectNoStore, rule, startServer } from '../helpers.js'

const connectionRule = rule(
  'connection',
  `
  context.accessToken['https://example.com/connection'] = [context.connection, context.connectionID, context.protocol];
  callback(null, user, context);
`,
)

describe('grant_type=http://auth0.com/oauth/grant-type/password-realm', () => {
  it('logs in a user of the realm the request names (Customers)', async () => {
    await using t = await startServer({ rules: [connectionRule] })
    const answer = await t.login(BOB, 'Customers')
    expect(answer.status).toBe(200)
    expectNoStore(answer.headers)
    const { payload } = await t.verify(answer.body.access_token)
    expect(payload.sub).toBe(t.bobId)
    expect(payload['https://example.com/connection']).toEqual(['Customers', expect.stringMatching(/^con_/), 'oauth2-password'])
    expect(payload.gty).toBe('password')
  })

  it('logs in a user of the Employees realm', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Employees')
    expect(answer.status).toBe(200)
    expect((await t.verify(answer.body.access_token)).payload.sub).toBe(t.aliceId)
  })

  it('does not find a user in another realm', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Customers')
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'Wrong email or password.' })
  })

  it('answers an unknown realm with 400 invalid_request', async () => {
    await using t = await startServer()
    const answer = await t.login(ALICE, 'Contractors')
    expect(answer.status).toBe(400)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'Unknown realm: Contractors' })
  })

  it('answers a missing realm with 400 invalid_request', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: GRANT_TYPES.passwordRealm, username: ALICE.email, password: ALICE.password, audience: API })
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'Missing required parameter: realm' })
  })

  it('runs the rules with protocol oauth2-password for the password grant too', async () => {
    await using t = await startServer({ rules: [connectionRule] })
    const answer = await t.token({ grant_type: 'password', username: ALICE.email, password: ALICE.password, audience: API })
    const { payload } = await t.verify(answer.body.access_token)
    expect(payload['https://example.com/connection']).toEqual(['Employees', expect.stringMatching(/^con_/), 'oauth2-password'])
  })

  it('uses the directory named by defaultDirectory for the password grant', async () => {
    await using t = await startServer({ defaultDirectory: 'Customers' })
    const answer = await t.token({ grant_type: 'password', username: BOB.email, password: BOB.password, audience: API })
    expect(answer.status).toBe(200)
    expect((await t.verify(answer.body.access_token)).payload.sub).toBe(t.bobId)
  })
})
