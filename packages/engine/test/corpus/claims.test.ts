/**
 * Corpus: rules that compute claims with packages and crypto (lodash, pinned lodash, uuid,
 * crypto hashes and HMAC, jsonwebtoken HS256, URL + HMAC). Every value is checked against the
 * same computation done here with Node's own modules.
 */
import { createHash, createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { v5 as uuidv5 } from 'uuid'
import { describe, expect, it } from 'vitest'
import { engineWith } from '../helpers.js'
import { accessDenied, corpusOptions, corpusRule, failCorpus, login, NS, RESOLVE_FROM, runCorpus } from './support.js'

const USER_ID = 'auth0|5f7c8ec7c33c6c004bbafe82'
const LODASH_VERSION = (JSON.parse(readFileSync(createRequire(`${RESOLVE_FROM}/x.js`).resolve('lodash/package.json'), 'utf8')) as { version: string }).version
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function b64urlJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
}

describe('pseudonymous-analytics-id (crypto HMAC and SHA-256)', () => {
  const configuration = { ANALYTICS_SALT: 'pepper-7f3a9c' }

  it('gives the HMAC-SHA256 of the user id and the SHA-256 of the normalized email, as Node computes them', async () => {
    const result = await runCorpus('pseudonymous-analytics-id', login({ user: { email: '  Ada@Example.COM ' } }), { configuration })
    expect(result.accessToken.claims).toEqual({
      [`${NS}analytics_id`]: createHmac('sha256', 'pepper-7f3a9c').update(USER_ID).digest('hex'),
    })
    expect(result.idToken.claims).toEqual({
      [`${NS}email_sha256`]: createHash('sha256').update('ada@example.com', 'utf8').digest('base64'),
    })
  })

  it('hashes non-ASCII emails as UTF-8', async () => {
    const result = await runCorpus('pseudonymous-analytics-id', login({ user: { email: 'Zoë@Exämple.com' } }), { configuration })
    expect(result.idToken.claims[`${NS}email_sha256`]).toBe(createHash('sha256').update('zoë@exämple.com', 'utf8').digest('base64'))
  })

  it('refuses logins while the salt is not configured (never hashes with an empty key)', async () => {
    const err = await failCorpus('pseudonymous-analytics-id', login())
    expect(err.code).toBe('ERR_RULE_DENIED')
    expect(err.toOAuthError()).toEqual(accessDenied('ANALYTICS_SALT is not configured'))
  })
})

describe('sign-downstream-token-hs256 (jsonwebtoken HS256)', () => {
  const configuration = { REPORTING_SECRET: 'shared-with-reporting-0123456789abcdef', REPORTING_AUDIENCE: 'https://reports.example.com' }

  it('signs a 10-minute token that the reporting service verifies with the shared secret', async () => {
    const before = Math.floor(Date.now() / 1000)
    const result = await runCorpus('sign-downstream-token-hs256', login({ user: { app_metadata: { roles: ['analyst'] } } }), { configuration })
    const after = Math.floor(Date.now() / 1000)
    const token = result.idToken.claims[`${NS}reporting_token`] as string
    const [header, payload, signature] = token.split('.') as [string, string, string]
    expect(signature).toBe(createHmac('sha256', configuration.REPORTING_SECRET).update(`${header}.${payload}`).digest('base64url'))
    expect(b64urlJson(header)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const claims = b64urlJson(payload) as Record<string, number>
    expect(claims).toEqual({
      email: 'ada@example.com',
      roles: ['analyst'],
      tenant: 'acme',
      iat: claims['iat'],
      exp: (claims['iat'] as number) + 600,
      aud: 'https://reports.example.com',
      iss: 'https://acme.tokenrules.example/',
      sub: USER_ID,
    })
    expect(claims['iat']).toBeGreaterThanOrEqual(before)
    expect(claims['iat']).toBeLessThanOrEqual(after)
  })

  it('gives no token to users without a reporting role', async () => {
    const result = await runCorpus('sign-downstream-token-hs256', login({ user: { app_metadata: { roles: ['viewer'] } } }), { configuration })
    expect(result.idToken.claims).toEqual({})
  })
})

describe('normalize-groups-lodash (lodash)', () => {
  it('normalizes, merges, filters and sorts groups; title-cases the department', async () => {
    const result = await runCorpus(
      'normalize-groups-lodash',
      login({
        user: {
          app_metadata: { groups: [' Engineering', 'SALES', 'interns', '', 'engineering '] },
          user_metadata: { department: 'customer-success' },
          identities: [
            { connection: 'okta', provider: 'oidc', user_id: 'x', isSocial: false, profileData: { groups: ['Security', 'sales', 'Lunch Club'] } },
            { connection: 'Employees', provider: 'auth0', user_id: 'y', isSocial: false },
          ],
        },
      }),
      { configuration: { RELEVANT_GROUPS: 'engineering, Sales,security, finance' } },
    )
    expect(result.accessToken.claims).toEqual({ [`${NS}groups`]: ['engineering', 'sales', 'security'] })
    expect(result.idToken.claims).toEqual({ [`${NS}department`]: 'Customer Success' })
  })

  it('copes with a user without groups or department', async () => {
    const result = await runCorpus('normalize-groups-lodash', login({ user: { app_metadata: {}, user_metadata: {}, identities: [] } }), {
      configuration: { RELEVANT_GROUPS: 'engineering' },
    })
    expect(result.accessToken.claims).toEqual({ [`${NS}groups`]: [] })
    expect(result.idToken.claims).toEqual({ [`${NS}department`]: 'Unknown' })
  })
})

describe('login-correlation-ids (uuid)', () => {
  const configuration = { UUID_NAMESPACE: '1b671a64-40d5-491e-99b0-da01ff1f3341' }

  it('gives a fresh v4 id per login and the same v5 id per user as the uuid package on the host', async () => {
    await using engine = await engineWith([corpusRule('login-correlation-ids')], corpusOptions(undefined, { configuration }))
    const first = await engine.run(login())
    const second = await engine.run(login())
    const stable = uuidv5(USER_ID, configuration.UUID_NAMESPACE)
    expect(first.accessToken.claims[`${NS}stable_id`]).toBe(stable)
    expect(second.accessToken.claims[`${NS}stable_id`]).toBe(stable)
    expect(first.accessToken.claims[`${NS}login_id`]).toMatch(UUID_V4)
    expect(second.accessToken.claims[`${NS}login_id`]).toMatch(UUID_V4)
    expect(first.accessToken.claims[`${NS}login_id`]).not.toBe(second.accessToken.claims[`${NS}login_id`])
  })

  it('fails the run (500) on a bad namespace: uuid throws and the rule does not catch it', async () => {
    const err = await failCorpus('login-correlation-ids', login(), { configuration: { UUID_NAMESPACE: 'not-a-uuid' } })
    expect(err.code).toBe('ERR_RULE_EXCEPTION')
    expect(err.rule).toBe('login-correlation-ids')
  })
})

describe('pinned-lodash-profile-claims (require with a version)', () => {
  it('runs on the installed lodash 4 and warns that the pinned version differs', async () => {
    const result = await runCorpus(
      'pinned-lodash-profile-claims',
      login({ user: { user_metadata: { preferred_language: 'pt-BR', theme: 'dark', secret_note: 'x' } } }),
    )
    expect(result.idToken.claims).toEqual({
      [`${NS}preferred_language`]: 'pt-BR',
      [`${NS}timezone`]: 'UTC',
      [`${NS}display_name`]: 'Ada Lovelace',
    })
    expect(LODASH_VERSION).not.toBe('4.17.19')
    expect(result.warnings).toEqual([
      {
        code: 'MODULE_VERSION_MISMATCH',
        rule: 'pinned-lodash-profile-claims',
        message: `Rule 'pinned-lodash-profile-claims' asked for lodash@4.17.19; it runs on the installed lodash@${LODASH_VERSION}.`,
      },
    ])
  })
})

describe('support-portal-sso-link (URL, URLSearchParams, HMAC with a base64 key)', () => {
  const secret = Buffer.from('support-portal-shared-secret-32b!').toString('base64')
  const configuration = { SUPPORT_PORTAL_URL: 'https://help.example.com/hc/', SUPPORT_SHARED_SECRET: secret }

  it('builds the signed link exactly as Node would', async () => {
    const now = Date.parse('2024-03-13T10:00:00Z')
    const result = await runCorpus('support-portal-sso-link', login({ user: { name: 'Ada Lovelace & Co', email: 'ada+help@example.com' } }), {
      configuration,
      clock: () => now,
    })
    const expected = new URL('/access/remote', configuration.SUPPORT_PORTAL_URL)
    expected.searchParams.set('email', 'ada+help@example.com')
    expected.searchParams.set('name', 'Ada Lovelace & Co')
    expected.searchParams.set('timestamp', String(now / 1000))
    expected.searchParams.set('expires', String(now / 1000 + 300))
    const mac = createHmac('sha256', Buffer.from(secret, 'base64')).update(expected.searchParams.toString()).digest('hex')
    expected.searchParams.set('hash', mac)
    expect(result.idToken.claims).toEqual({ [`${NS}support_url`]: expected.href })
    expect(expected.href).toBe(
      `https://help.example.com/access/remote?email=ada%2Bhelp%40example.com&name=Ada+Lovelace+%26+Co&timestamp=1710324000&expires=1710324300&hash=${mac}`,
    )
  })
})
