import { hashPassword, type HashPasswordOptions } from './hash.js'

/**
 * Hash a client secret for {@link ClientConfig.secretHash} (scrypt, like passwords: a leaked
 * configuration does not leak usable secrets).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { GRANT_TYPES, createTokenServer, hashSecret } from '@tokenrules/oauth'
 *
 * const secret = randomBytes(32).toString('base64url') // handed to the client's developers once
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'backend', secretHash: await hashSecret(secret), grants: [GRANT_TYPES.password] }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 * })
 *
 * // HTTP Basic with a wrong secret: 401 invalid_client, with a challenge.
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     headers: { authorization: `Basic ${Buffer.from('backend:not-the-secret').toString('base64')}` },
 *     body: new URLSearchParams({ grant_type: 'password', username: 'alice@example.com', password: 'correct horse battery staple' }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * assert.equal(response.status, 401)
 * assert.equal(response.headers.get('www-authenticate'), 'Basic realm="tokenrules"')
 * assert.deepEqual(await response.json(), { error: 'invalid_client', error_description: 'Client authentication failed.' })
 * ```
 */
export function hashSecret(secret: string, options: HashPasswordOptions = {}): Promise<string> {
  return hashPassword(secret, options)
}
