/**
 * The `grant_type` values this server implements, by name: use them in {@link ClientConfig.grants}
 * and in token requests.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createTokenServer } from '@tokenrules/oauth'
 *
 * assert.equal(GRANT_TYPES.passwordRealm, 'http://auth0.com/oauth/grant-type/password-realm')
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   // This client may log in against a realm, but not use the plain `password` grant.
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.passwordRealm], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 * })
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: GRANT_TYPES.password, client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple' }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * assert.equal(response.status, 403)
 * assert.deepEqual(await response.json(), { error: 'unauthorized_client', error_description: "Grant type 'password' not allowed for the client." })
 * ```
 */
export const GRANT_TYPES = {
  password: 'password',
  passwordRealm: 'http://auth0.com/oauth/grant-type/password-realm',
  refreshToken: 'refresh_token',
  mfaOtp: 'http://auth0.com/oauth/grant-type/mfa-otp',
  mfaRecoveryCode: 'http://auth0.com/oauth/grant-type/mfa-recovery-code',
} as const

/**
 * One of {@link GRANT_TYPES}: a `grant_type` value the server implements.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, type GrantType } from '@tokenrules/oauth'
 *
 * // Grants of a client read from the application's configuration, checked before use.
 * const supported: readonly string[] = Object.values(GRANT_TYPES)
 * const isGrantType = (value: string): value is GrantType => supported.includes(value)
 *
 * const configured = 'password refresh_token client_credentials'.split(' ')
 * const grants: GrantType[] = configured.filter(isGrantType)
 * assert.deepEqual(grants, [GRANT_TYPES.password, GRANT_TYPES.refreshToken])
 * assert.deepEqual(configured.filter((value) => !isGrantType(value)), ['client_credentials'])
 * ```
 */
export type GrantType = (typeof GRANT_TYPES)[keyof typeof GRANT_TYPES]

export const ALL_GRANT_TYPES: readonly GrantType[] = Object.values(GRANT_TYPES)

export function isGrantType(value: string): value is GrantType {
  return (ALL_GRANT_TYPES as readonly string[]).includes(value)
}
