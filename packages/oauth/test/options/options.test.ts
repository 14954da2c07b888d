// Issue 13, one grammar across the packages: the token server refuses bad options with the
// engine's ConfigInvalidError (ERR_CONFIG_INVALID), whose issues' paths are lists of keys.
import { ConfigInvalidError, isTokenRulesError, type ValidationIssue } from '@tokenrules/engine'
import { createMemoryStores, createTokenServer, GRANT_TYPES, type TokenServerOptions } from '@tokenrules/oauth'
import { decodeJwt } from 'jose'
import { ZodError } from 'zod'
import { describe, expect, it } from 'vitest'
import { ALICE, API, ISSUER, TEST_SCRYPT_COST } from '../helpers.js'

const base: TokenServerOptions = {
  issuer: ISSUER,
  engine: { rules: [] },
  clients: [{ clientId: 'app', grants: [GRANT_TYPES.password], allowPublic: true }],
  apis: [{ identifier: API, scopes: ['read:messages'] }],
}

async function refusal(options: unknown): Promise<ConfigInvalidError> {
  const error = await createTokenServer(options as TokenServerOptions).then(
    (server) => server.close().then(() => undefined),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConfigInvalidError)
  return error as ConfigInvalidError
}

const paths = (issues: readonly ValidationIssue[]) => issues.map((issue) => issue.path)

describe('token server options (ERR_CONFIG_INVALID)', () => {
  it('refuses a bad option with the engine’s ConfigInvalidError: issues with paths as lists, zod’s error as cause, the message naming each', async () => {
    const err = await refusal({ ...base, issuer: 'ftp://auth.example.com/', clients: [{ clientId: 'app', grants: ['implicit'] }] })
    expect(isTokenRulesError(err)).toBe(true)
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(paths(err.issues)).toEqual([['issuer'], ['clients', 0, 'grants', 0]])
    expect(err.issues.map((issue) => issue.code)).toEqual(['invalid_format', 'invalid_value'])
    expect(err.cause).toBeInstanceOf(ZodError)
    expect(err.message).toMatch(/^Invalid token server options: issuer: .+; clients\[0\]\.grants\[0\]: /)
    expect(err.toOAuthError().status).toBe(500)
  })

  it('keeps a key with dots in it one key of the path, and quotes it in the message', async () => {
    const err = await refusal({
      ...base,
      apis: [{ identifier: API, scopes: ['read messages'] }],
      clients: [{ ...base.clients[0], metadata: { 'https://example.com/tier': 3 } }],
    })
    expect(paths(err.issues)).toEqual([
      ['clients', 0, 'metadata', 'https://example.com/tier'],
      ['apis', 0, 'scopes', 0],
    ])
    expect(err.message).toContain('clients[0].metadata["https://example.com/tier"]: ')
  })

  it('names every default that is not one of the configured directories or APIs', async () => {
    const err = await refusal({
      ...base,
      directories: [{ name: 'Employees' }],
      defaultDirectory: 'Staff',
      defaultAudience: 'https://other.example.com',
      clients: [...base.clients, { clientId: 'backend', grants: [GRANT_TYPES.password], allowPublic: true, defaultAudience: 'https://gone.example.com' }],
    })
    expect(err.issues).toEqual([
      { path: ['defaultDirectory'], code: 'custom', message: "'Staff' is not one of directories" },
      { path: ['defaultAudience'], code: 'custom', message: "'https://other.example.com' is not one of apis" },
      { path: ['clients', 1, 'defaultAudience'], code: 'custom', message: "'https://gone.example.com' is not one of apis" },
    ])
  })

  it('refuses an encryptionKey that is not 32 bytes, and a store of its own without one', async () => {
    for (const encryptionKey of [new Uint8Array(16), Buffer.alloc(31).toString('base64url')]) {
      const err = await refusal({ ...base, encryptionKey })
      expect(err.issues).toEqual([{ path: ['encryptionKey'], code: 'custom', message: 'must be 32 bytes (or their base64url text)' }])
    }
    const memory = createMemoryStores()
    // A wrapper around a memory store is a store of the host's own: the key must be given.
    const inner = memory.users as unknown as Record<string, (...args: unknown[]) => unknown>
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(memory.users)).filter((name) => name !== 'constructor')
    const users = Object.fromEntries(methods.map((name) => [name, (...args: unknown[]) => inner[name]!(...args)]))
    const err = await refusal({ ...base, stores: { users } })
    expect(paths(err.issues)).toEqual([['encryptionKey']])
    expect(err.message).toMatch(/^Invalid token server options: encryptionKey: is required with stores other than the in-memory ones/)
  })

  it('refuses the clock option’s old name, currentDate, naming clock', async () => {
    const err = await refusal({ ...base, currentDate: () => new Date('2026-01-01T00:00:00Z') })
    expect(err.issues).toEqual([
      { path: ['currentDate'], code: 'invalid_type', message: 'is now `clock: () => number` (milliseconds since the epoch), as the engine takes it' },
    ])
  })
})

describe('clock: () => number', () => {
  it('is the time of the tokens and, for an engine the server creates, of the rules', async () => {
    const at = Date.UTC(2030, 5, 1, 12)
    await using server = await createTokenServer({
      ...base,
      engine: {
        rules: [
          {
            name: 'now',
            script: `function (user, context, callback) { context.accessToken['https://example.com/now'] = Date.now(); callback(null, user, context); }`,
          },
        ],
      },
      directories: [{ name: 'Employees' }],
      passwords: { scryptCost: TEST_SCRYPT_COST },
      clock: () => at,
    })
    await server.users.create({ directory: 'Employees', ...ALICE })
    const response = await server.handler(
      new Request('http://localhost/oauth/token', {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'password', client_id: 'app', username: ALICE.email, password: ALICE.password, audience: API }),
      }),
      { remoteAddress: '127.0.0.1' },
    )
    expect(response.status).toBe(200)
    const claims = decodeJwt(((await response.json()) as { access_token: string }).access_token)
    expect(claims.iat).toBe(at / 1000)
    expect(claims['https://example.com/now']).toBe(at)
  })
})
