import { createLocalJWKSet, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { ALICE, API, CLIENT_ID, ISSUER, startServer } from '../helpers.js'

const get = (path: string) => new Request(`http://localhost${path}`)

describe('signing keys, JWKS and discovery', () => {
  it('signs with RS256 by default and publishes the key in /.well-known/jwks.json', async () => {
    await using t = await startServer({ keys: {} })
    const jwks = await t.send(get('/.well-known/jwks.json'))
    expect(jwks.status).toBe(200)
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300')
    expect(jwks.body).toEqual({ keys: [{ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: expect.any(String), alg: 'RS256', use: 'sig' }] })
    const answer = await t.login(ALICE, 'Employees')
    const { protectedHeader } = await jwtVerify(answer.body.access_token, createLocalJWKSet(jwks.body), {
      issuer: ISSUER,
      audience: API,
      currentDate: t.clock.date(),
    })
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: jwks.body.keys[0].kid, typ: 'at+jwt' })
  })

  it('signs with ES256 when configured', async () => {
    await using t = await startServer({ keys: { algorithm: 'ES256' } })
    expect(t.server.keys.jwks().keys).toEqual([
      { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: expect.any(String), alg: 'ES256', use: 'sig' },
    ])
    const { header } = await t.verify((await t.login(ALICE, 'Employees')).body.access_token)
    expect(header.alg).toBe('ES256')
  })

  it('signs with EdDSA (Ed25519) when configured', async () => {
    await using t = await startServer({ keys: { algorithm: 'EdDSA' } })
    expect(t.server.keys.jwks().keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' }])
    const { header } = await t.verify((await t.login(ALICE, 'Employees')).body.access_token)
    expect(header.alg).toBe('EdDSA')
  })

  it('never publishes private key material', async () => {
    await using t = await startServer({ keys: { algorithm: 'EdDSA' } })
    await t.server.keys.rotate('RS256')
    for (const key of t.server.keys.jwks().keys) for (const field of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(field)
  })

  it('keeps the previous key published after a rotation, so earlier tokens still verify', async () => {
    await using t = await startServer()
    const before = (await t.login(ALICE, 'Employees')).body.access_token as string
    const oldKid = t.server.keys.jwks().keys[0]?.['kid']
    const newKid = await t.server.keys.rotate()
    expect(newKid).not.toBe(oldKid)
    expect(t.server.keys.jwks().keys.map((k) => k['kid'])).toEqual([newKid, oldKid])
    const after = (await t.login(ALICE, 'Employees')).body.access_token as string
    expect((await t.verify(after)).header.kid).toBe(newKid)
    expect((await t.verify(before)).header.kid).toBe(oldKid)
  })

  it('drops the oldest key after two rotations (2 keys published by default)', async () => {
    await using t = await startServer()
    const first = (await t.login(ALICE, 'Employees')).body.access_token as string
    await t.server.keys.rotate()
    await t.server.keys.rotate()
    expect(t.server.keys.jwks().keys).toHaveLength(2)
    await expect(t.verify(first)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })

  it('rotates to another algorithm on request', async () => {
    await using t = await startServer({ keys: { algorithm: 'ES256' } })
    await t.server.keys.rotate('EdDSA')
    expect(t.server.keys.jwks().keys.map((k) => k['alg'])).toEqual(['EdDSA', 'ES256'])
    expect((await t.verify((await t.login(ALICE, 'Employees')).body.access_token)).header.alg).toBe('EdDSA')
  })

  it('publishes the OpenID configuration of what it implements', async () => {
    await using t = await startServer()
    const answer = await t.send(get('/.well-known/openid-configuration'))
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({
      issuer: ISSUER,
      token_endpoint: 'https://auth.example.com/oauth/token',
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
      revocation_endpoint: 'https://auth.example.com/oauth/revoke',
      userinfo_endpoint: 'https://auth.example.com/userinfo',
      mfa_associate_endpoint: 'https://auth.example.com/mfa/associate',
      mfa_challenge_endpoint: 'https://auth.example.com/mfa/challenge',
      grant_types_supported: [
        'password',
        'http://auth0.com/oauth/grant-type/password-realm',
        'refresh_token',
        'http://auth0.com/oauth/grant-type/mfa-otp',
        'http://auth0.com/oauth/grant-type/mfa-recovery-code',
      ],
      response_types_supported: [],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      id_token_signing_alg_values_supported: ['ES256'],
      scopes_supported: ['openid', 'profile', 'email', 'phone', 'offline_access', 'read:messages', 'write:messages'],
      claims_supported: expect.arrayContaining(['sub', 'email', 'name', 'auth_time']),
    })
  })

  it('answers HEAD on the public documents without a body', async () => {
    await using t = await startServer()
    const answer = await t.send(new Request('http://localhost/.well-known/jwks.json', { method: 'HEAD' }))
    expect(answer.status).toBe(200)
    expect(answer.body).toBeUndefined()
  })

  it('serves every route under basePath, and nothing outside it', async () => {
    await using t = await startServer({ basePath: '/auth' })
    expect((await t.send(get('/auth/.well-known/jwks.json'))).status).toBe(200)
    expect((await t.send(get('/.well-known/jwks.json'))).status).toBe(404)
    expect((await t.send(get('/authx/.well-known/jwks.json'))).status).toBe(404)
    const answer = await t.post('/auth/oauth/token', {
      grant_type: 'password',
      client_id: CLIENT_ID,
      client_secret: 'demo-secret',
      username: ALICE.email,
      password: ALICE.password,
      audience: API,
    })
    expect(answer.status).toBe(200)
  })

  it('refuses to start when stored keys were sealed with another encryption key', async () => {
    const { createMemoryStores, createTokenServer } = await import('@tokenrules/oauth')
    const stores = createMemoryStores()
    const options = {
      issuer: ISSUER,
      engine: { rules: [], concurrency: 1 },
      clients: [],
      apis: [],
      stores: { keys: stores.keys },
      keys: { algorithm: 'ES256' as const },
    }
    const first = await createTokenServer({ ...options, encryptionKey: new Uint8Array(32).fill(1) })
    await first.close()
    await expect(createTokenServer({ ...options, encryptionKey: new Uint8Array(32).fill(2) })).rejects.toThrow(/sealed with another encryptionKey/)
  })

  it('lets servers of one process share memory stores without an encryptionKey (one key per process)', async () => {
    const { createMemoryStores, createTokenServer } = await import('@tokenrules/oauth')
    const stores = createMemoryStores()
    const options = { issuer: ISSUER, engine: { rules: [], concurrency: 1 }, clients: [], apis: [], stores, keys: { algorithm: 'ES256' as const } }
    const first = await createTokenServer(options)
    const published = first.keys.jwks()
    await first.close()
    // The second server opens the signing key the first one sealed, and publishes the same one.
    const second = await createTokenServer(options)
    expect(second.keys.jwks()).toEqual(published)
    await second.close()
  })
})
