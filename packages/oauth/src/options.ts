import { ConfigInvalidError, formatIssuePath, type Engine, type EngineOptions, type ValidationIssue } from '@tokenrules/engine'
import { z } from 'zod'
import type { OAuthError } from './errors.js'
import { ALL_GRANT_TYPES, type GrantType } from './grants/grant-types.js'
import { ROLE_ID, roleDefinitionsIssue, type RoleDefinition } from './management/roles.js'
import type { TokenServerStores } from './stores/types.js'

/**
 * Signing algorithms the server can use for its tokens (`keys.algorithm`): RSA (`RS256`, the
 * default), P-256 ECDSA (`ES256`) or Ed25519 (`EdDSA`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createTokenServer, type SigningAlgorithm } from '@tokenrules/oauth'
 *
 * const algorithm: SigningAlgorithm = 'EdDSA'
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   keys: { algorithm },
 * })
 * const discovery = await server.handler(new Request('http://localhost/.well-known/openid-configuration'))
 * const { id_token_signing_alg_values_supported } = (await discovery.json()) as { id_token_signing_alg_values_supported: string[] }
 * assert.deepEqual(id_token_signing_alg_values_supported, ['EdDSA'])
 * assert.deepEqual(server.keys.jwks().keys.map(({ kty, crv, alg }) => ({ kty, crv, alg })), [{ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' }])
 * ```
 */
export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA'

/**
 * A client application (Auth0: an application): its credentials, the grants it may use, and what
 * rules see of it.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createTokenServer, hashSecret, type ClientConfig } from '@tokenrules/oauth'
 *
 * // A backend that logs users in on their behalf and forwards their IP address.
 * const backend: ClientConfig = {
 *   clientId: 'billing-backend',
 *   name: 'Billing',
 *   secretHash: await hashSecret('billing-secret', { cost: 2 ** 12 }),
 *   grants: [GRANT_TYPES.password],
 *   trustForwardedFor: true,
 *   metadata: { tier: 'internal' },
 *   defaultAudience: 'https://api.example.com',
 * }
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [{ name: 'client-info', script: `function (user, context, callback) {
 *     context.accessToken['https://example.com/client'] = [context.clientName, context.clientMetadata.tier, context.request.ip];
 *     callback(null, user, context);
 *   }` }] },
 *   clients: [backend],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 *
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     headers: { 'auth0-forwarded-for': '203.0.113.7' },
 *     body: new URLSearchParams({
 *       grant_type: 'password', client_id: 'billing-backend', client_secret: 'billing-secret',
 *       username: 'alice@example.com', password: 'correct horse battery staple',
 *     }),
 *   }),
 *   { remoteAddress: '10.0.0.5' },
 * )
 * const { access_token } = (await response.json()) as { access_token: string }
 * const claims = JSON.parse(Buffer.from(access_token.split('.')[1] ?? '', 'base64url').toString())
 * assert.deepEqual(claims['https://example.com/client'], ['Billing', 'internal', '203.0.113.7'])
 * assert.equal(claims.aud, 'https://api.example.com')
 * ```
 */
export interface ClientConfig {
  /** The `client_id` the application sends; unique among the clients. Rules see it as `context.clientID`. */
  clientId: string
  /** Rules see it as `context.clientName`. */
  name?: string | undefined
  /** From {@link hashSecret}. Absent: a public client, refused every grant unless `allowPublic`. */
  secretHash?: string | undefined
  /** Grants the client may use (values of {@link GRANT_TYPES}). */
  grants: readonly GrantType[]
  /** Let a public client (no secret) use its grants. Default `false`. */
  allowPublic?: boolean | undefined
  /**
   * Trust the `auth0-forwarded-for` header as the end user's IP (for a backend that calls on the
   * user's behalf). Honoured only when the client authenticated with its secret. Default `false`.
   */
  trustForwardedFor?: boolean | undefined
  /** Rules see it as `context.clientMetadata`. */
  metadata?: Readonly<Record<string, string>> | undefined
  /** Audience used when a request names none. Default: the server's `defaultAudience`. */
  defaultAudience?: string | undefined
  /**
   * Origins whose pages may call the token, revoke, userinfo and MFA routes for this client, as
   * Auth0's "Allowed Origins (CORS)": `https://app.example.com`, or `https://*.example.com` for its
   * subdomains. Default: none (browsers cannot read the answers).
   */
  allowedOrigins?: readonly string[] | undefined
}

/**
 * An API (Auth0: a resource server): the audience of access tokens, its scopes, and how long its
 * tokens live.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createTokenServer, type ApiConfig } from '@tokenrules/oauth'
 *
 * const messages: ApiConfig = {
 *   identifier: 'https://api.example.com',
 *   name: 'Messages API',
 *   scopes: ['read:messages', 'write:messages'],
 *   tokenLifetimeSeconds: 3_600,
 *   allowOfflineAccess: true,
 * }
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password, GRANT_TYPES.refreshToken], allowPublic: true }],
 *   apis: [messages],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 *
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({
 *       grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple',
 *       audience: 'https://api.example.com', scope: 'read:messages offline_access',
 *     }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * const body = (await response.json()) as { expires_in: number; scope?: string; refresh_token?: string }
 * assert.equal(body.expires_in, 3_600)
 * assert.equal(typeof body.refresh_token, 'string') // offline access is allowed
 * ```
 */
export interface ApiConfig {
  /** The `audience` value, e.g. `https://api.example.com`. */
  identifier: string
  /** A display name for operators; tokens do not carry it. */
  name?: string | undefined
  /** Scopes the API defines. */
  scopes: readonly string[]
  /** Access token lifetime. Default 86400 (24 h). */
  tokenLifetimeSeconds?: number | undefined
  /** Whether `offline_access` may yield a refresh token. Default `false`. */
  allowOfflineAccess?: boolean | undefined
}

/**
 * A user directory (realm) the server creates in the user store at start when it is missing.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createTokenServer, type DirectoryConfig } from '@tokenrules/oauth'
 *
 * const directories: DirectoryConfig[] = [{ name: 'Employees' }, { name: 'Customers', metadata: { tier: 'gold' } }]
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [{ name: 'tier', script: `function (user, context, callback) {
 *     context.accessToken['https://example.com/tier'] = context.connection + ':' + context.connectionMetadata.tier;
 *     callback(null, user, context);
 *   }` }] },
 *   clients: [{ clientId: 'shop', grants: [GRANT_TYPES.passwordRealm], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:orders'] }],
 *   directories,
 *   passwords: { scryptCost: 2 ** 12 },
 * })
 * await server.users.create({ directory: 'Customers', email: 'bob@example.com', password: 'hunter2hunter2' })
 *
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({
 *       grant_type: GRANT_TYPES.passwordRealm, client_id: 'shop', realm: 'Customers',
 *       username: 'bob@example.com', password: 'hunter2hunter2', audience: 'https://api.example.com',
 *     }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * const { access_token } = (await response.json()) as { access_token: string }
 * const claims = JSON.parse(Buffer.from(access_token.split('.')[1] ?? '', 'base64url').toString())
 * assert.equal(claims['https://example.com/tier'], 'Customers:gold')
 * ```
 */
export interface DirectoryConfig {
  /** The realm name clients send as `realm`; rules see it as `context.connection`. */
  name: string
  /** Rules see it as `context.connectionMetadata`. */
  metadata?: Readonly<Record<string, string>> | undefined
  /**
   * `POST /dbconnections/signup` into this directory (Auth0: the connection's "Disable Sign Ups"
   * off, for the applications enabled on it). Default: sign-up is disabled. `clients`: the client
   * ids that may sign users up; every configured client when left out.
   */
  signup?: { enabled: boolean; clients?: readonly string[] | undefined } | undefined
  /**
   * The password policy of sign-ups and password resets in this directory, as Auth0's password
   * strength levels: `none` (1 character), `low` (6), `fair` (8, lower and upper case and numbers),
   * `good` (8, three of lower, upper, numbers and special characters), `excellent` (10, as good,
   * and no character three times in a row). `minLength` raises the level's minimum (up to 128).
   * Default: `good`. Operators' `users.create` and `users.setPassword` are not checked.
   */
  passwordPolicy?: { level?: 'none' | 'low' | 'fair' | 'good' | 'excellent' | undefined; minLength?: number | undefined } | undefined
}

/**
 * What `hooks.deliverPasswordReset` gets for `POST /dbconnections/change_password` of an existing
 * user: the integrator sends the user a link carrying `ticket`, and completes the reset with
 * `server.users.resetPassword(ticket, newPassword)`. The ticket is good until `expiresAt` and for
 * one password change (any change of the password ends it). Never logged by the server.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createTokenServer, type PasswordResetDelivery } from '@tokenrules/oauth'
 *
 * // The integrator's mailer: here, an outbox the example reads.
 * const outbox: PasswordResetDelivery[] = []
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: [] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   hooks: { deliverPasswordReset: (delivery) => void outbox.push(delivery) },
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const response = await server.handler(
 *   new Request('http://localhost/dbconnections/change_password', {
 *     method: 'POST',
 *     headers: { 'content-type': 'application/json' },
 *     body: JSON.stringify({ client_id: 'mobile', email: 'alice@example.com', connection: 'Employees' }),
 *   }),
 * )
 * assert.equal(await response.text(), "We've just sent you an email to reset your password.")
 * await new Promise((resolve) => setTimeout(resolve, 10)) // the delivery runs after the answer
 * const [delivery] = outbox
 * assert.equal(delivery?.email, 'alice@example.com')
 *
 * // The reset page the link leads to completes it with the ticket.
 * await server.users.resetPassword(delivery?.ticket ?? '', 'A new Passw0rd')
 * const login = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'A new Passw0rd', audience: 'https://api.example.com' }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * assert.equal(login.status, 200)
 * ```
 */
export interface PasswordResetDelivery {
  /** The user's `user_id`. */
  userId: string
  /** The address to send the link to. */
  email: string
  /** The directory (realm) name. */
  directory: string
  /** The client that asked (`client_id`). */
  clientId: string
  /** The reset ticket: a secret, for the link only. */
  ticket: string
  /** When the ticket expires (ms since the epoch). */
  expiresAt: number
}

/**
 * Something the server could not handle, for the host's log (`hooks.onError`); the client only
 * gets a generic `500 server_error`. Never contains secrets.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { isTokenRulesError } from '@tokenrules/engine'
 * import { GRANT_TYPES, createTokenServer, type ServerErrorEvent } from '@tokenrules/oauth'
 *
 * const logged: ServerErrorEvent[] = []
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   // A rule that never calls back times out.
 *   engine: { rules: [{ name: 'stuck', script: 'function (user, context, callback) {}' }], limits: { timeoutMs: 50 } },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   hooks: { onError: (event) => logged.push(event) },
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 *
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com' }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * assert.equal(response.status, 500)
 * assert.deepEqual(await response.json(), { error: 'server_error', error_description: 'The server encountered an unexpected error.' })
 * const [event] = logged
 * assert.equal(event?.path, '/oauth/token')
 * assert.ok(isTokenRulesError(event.error))
 * assert.equal(event.error.code, 'ERR_RULE_TIMEOUT')
 * ```
 */
export interface ServerErrorEvent {
  /** The request's path, without the query. */
  path: string
  /** The error (a `TokenRulesError` for rule failures that answer `server_error`). */
  error: unknown
}

/**
 * A request the server refused with a 4xx OAuth error, for the host's log (`hooks.onRefused`).
 * The client's answer is `error.toJSON()`; where that public text is the same for several causes
 * on purpose (every refused refresh token answers `invalid_grant` "Unknown or invalid refresh
 * token."), `error.detail` says which one, as node-oidc-provider's `error_detail` does: a
 * {@link RefreshTokenFailure} for the refresh grant. Never contains secrets.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createTokenServer, type RefusedEvent } from '@tokenrules/oauth'
 *
 * const refused: RefusedEvent[] = []
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password, GRANT_TYPES.refreshToken], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'], allowOfflineAccess: true }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   hooks: { onRefused: (event) => refused.push(event) },
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const token = (params: Record<string, string>) =>
 *   server.handler(new Request('http://localhost/oauth/token', { method: 'POST', body: new URLSearchParams({ client_id: 'mobile', ...params }) }), {
 *     remoteAddress: '127.0.0.1',
 *   })
 *
 * const login = await token({
 *   grant_type: 'password', username: 'alice@example.com', password: 'correct horse battery staple',
 *   audience: 'https://api.example.com', scope: 'offline_access',
 * })
 * const { refresh_token } = (await login.json()) as { refresh_token: string }
 * assert.equal((await token({ grant_type: 'refresh_token', refresh_token })).status, 200)
 * // The same token again: a replay. The client learns nothing more than for any other bad token…
 * const replay = await token({ grant_type: 'refresh_token', refresh_token })
 * assert.deepEqual(await replay.json(), { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' })
 * // …the host's log learns what it was.
 * assert.deepEqual(
 *   refused.map(({ path, error }) => [path, error.status, error.error, error.detail]),
 *   [['/oauth/token', 403, 'invalid_grant', 'refresh_token_reused']],
 * )
 * ```
 */
export interface RefusedEvent {
  /** The request's path, without the query. */
  path: string
  /** The answer the client got; its `detail` (when set) is why, for the log only. */
  error: OAuthError
}

/**
 * Options of {@link createTokenServer}. Only `issuer`, `engine`, `clients` and `apis` are
 * required; everything else has a default.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createTokenServer, type TokenServerOptions } from '@tokenrules/oauth'
 *
 * const options: TokenServerOptions = {
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   defaultAudience: 'https://api.example.com', // requests without `audience` get tokens for this API
 *   bruteForce: { threshold: 5, blockSeconds: 600 },
 *   passwords: { scryptCost: 2 ** 12 }, // fast hashes for the example; keep the default in production
 *   clock: () => Date.parse('2026-01-01T00:00:00Z'), // milliseconds since the epoch, as the engine's clock
 * }
 * await using server = await createTokenServer(options)
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 *
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple' }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * const { access_token } = (await response.json()) as { access_token: string }
 * const { aud, iat, exp } = JSON.parse(Buffer.from(access_token.split('.')[1] ?? '', 'base64url').toString())
 * assert.deepEqual({ aud, iat, exp }, { aud: 'https://api.example.com', iat: 1_767_225_600, exp: 1_767_225_600 + 86_400 })
 * ```
 */
export interface TokenServerOptions {
  /** The `iss` of every token and the public base URL of the endpoints, e.g. `https://auth.example.com/`. */
  issuer: string
  /** The rules engine, or options to create one (then the server owns it and closes it). */
  engine: Engine | EngineOptions
  /** The client applications that may call the endpoint; client ids must be unique. */
  clients: readonly ClientConfig[]
  /** The APIs tokens can be issued for (the valid `audience` values); identifiers must be unique. */
  apis: readonly ApiConfig[]
  /** Directories created in the user store when missing. */
  directories?: readonly DirectoryConfig[] | undefined
  /** The directory of the `password` grant. Default: the first of `directories`. */
  defaultDirectory?: string | undefined
  /** The audience when neither the request nor the client names one. */
  defaultAudience?: string | undefined
  /** Stores; any left out (or `undefined`, as every other option) is in memory. */
  stores?: { [K in keyof TokenServerStores]?: TokenServerStores[K] | undefined } | undefined
  /**
   * 32 bytes (or their base64url text) that seal TOTP secrets and private signing keys at rest.
   * Required when any store is not one of `createMemoryStores()`'s own (a persistent store, or your
   * wrapper around a memory store). Default otherwise: a random key per process, kept in memory only,
   * so servers of one process can share memory stores.
   */
  encryptionKey?: string | Uint8Array | undefined
  /** Signing keys: the algorithm of new keys and how many the JWKS publishes. */
  keys?:
    | {
        /** Default `RS256`. Changing it rotates to a key of the new algorithm at start. */
        algorithm?: SigningAlgorithm | undefined
        /** Keys published in the JWKS: the current one and its predecessors. Default 2. */
        published?: number | undefined
        /**
         * How often the server re-reads the key store, in seconds, so that a rotation made by
         * another server on a shared store (PostgreSQL) is published and used here within that
         * time. Default 60; `0` never re-reads (one server, or `server.keys.reload()` yourself).
         */
        reloadSeconds?: number | undefined
      }
    | undefined
  /** ID tokens (answered when `openid` is granted). */
  idToken?:
    | {
        /** ID token lifetime in seconds. Default 36000 (10 h), Auth0's default. */
        lifetimeSeconds?: number | undefined
      }
    | undefined
  /** Refresh tokens (answered when `offline_access` is granted). */
  refreshTokens?:
    | {
        /** Absolute lifetime of a refresh token family. Default 2592000 (30 days). */
        lifetimeSeconds?: number | undefined
      }
    | undefined
  /** Brute-force protection: failed logins counted per (user, IP) before a block. */
  bruteForce?:
    | {
        /** Failures per (user, IP) before every attempt of the pair is refused. Default 10. */
        threshold?: number | undefined
        /** How long the count (and so the block) lasts after the last failure. Default 900 (15 min). */
        blockSeconds?: number | undefined
      }
    | undefined
  /** Multi-factor authentication (TOTP enrollment and recovery codes). */
  mfa?:
    | {
        /** The issuer shown in authenticator apps. Default: the issuer's host. */
        issuerName?: string | undefined
        /** Recovery codes handed out at enrollment, each usable once. Default 5. */
        recoveryCodes?: number | undefined
        /**
         * Wrong codes a user may enter per factor (one-time codes; recovery codes apart) before it
         * locks with 429 `too_many_attempts`, counted across logins and `mfa_token`s and never reset
         * by a correct password. Default 10, Auth0's.
         */
        codeAttempts?: number | undefined
        /** A locked factor gets one attempt back every this many seconds. Default 360 (6 minutes), Auth0's. */
        codeRefillSeconds?: number | undefined
        /** Wrong codes one `mfa_token` may carry before it is refused for good (the user logs in again). Default 5. */
        codeAttemptsPerMfaToken?: number | undefined
      }
    | undefined
  /** Password hashing of users the server creates or re-hashes. */
  passwords?:
    | {
        /**
         * scrypt cost N (a power of two from 2^4 to 2^20) for new hashes and the unknown-user dummy.
         * Default 2^15 ({@link DEFAULT_SCRYPT_COST}); lower it only in tests.
         */
        scryptCost?: number | undefined
      }
    | undefined
  /** Request limits. */
  limits?:
    | {
        /** Largest request body. Default 16384 bytes. */
        maxBodyBytes?: number | undefined
      }
    | undefined
  /** A path prefix the routes live under when the host does not strip it, e.g. `/auth`. */
  basePath?: string | undefined
  /** Rules see it as `context.tenant`. Default `tokenrules`. */
  tenant?: string | undefined
  /**
   * The Management API subset rules call at `auth0.baseUrl` with `auth0.accessToken` (users by id
   * and by email, search by email, metadata and flag updates, account linking, roles), served to
   * an engine the server creates, in-process: it is never one of the server's HTTP routes. Each
   * run's token is opaque, for this tenant only, and accepted for `tokenLifetimeSeconds` (default
   * 120). The tenant's `POST /oauth/token` is served to rules the same way: node-auth0's
   * `ManagementClient({ domain, clientId, clientSecret })` gets a token of the same power and
   * lifetime (the client credentials are required but not checked; docs/security.md says why).
   * `roles` declares the tenant's RBAC roles, which rules list (`GET /api/v2/roles`) and assign to
   * or remove from users by id (users hold role names; a role's id is the declared one, so rules
   * written with a tenant's `rol_…` ids keep working, or else derived from its name). `false`
   * leaves `auth0.accessToken` undefined and every request to `auth0.baseUrl` to `modules.http`.
   * Engine options that set `auth0.accessToken` or `auth0.managementApi` win.
   */
  managementApi?: false | { tokenLifetimeSeconds?: number | undefined; roles?: readonly RoleDefinition[] | undefined } | undefined
  /**
   * The clock: milliseconds since the epoch, as the engine's and `@tokenrules/testing`'s `clock`
   * take it. Tokens, refresh tokens, MFA, brute-force counts and the stores use it; an engine the
   * server creates gives it to rules too. Default `Date.now`.
   */
  clock?: (() => number) | undefined
  /** Callbacks to the host. */
  hooks?:
    | {
        /** Unexpected failures (answered with a generic `server_error`). */
        onError?: ((event: ServerErrorEvent) => void) | undefined
        /** Requests refused with a 4xx OAuth error, with the reason the answer does not tell in `error.detail`. */
        onRefused?: ((event: RefusedEvent) => void) | undefined
        /**
         * Sends the password reset link of `POST /dbconnections/change_password` (called only for an
         * existing user, after the answer is decided; a rejection goes to `onError`). Without it the
         * route answers 501.
         */
        deliverPasswordReset?: ((delivery: PasswordResetDelivery) => void | Promise<void>) | undefined
      }
    | undefined
}

const positiveInt = z.number().int().positive()
const grantType = z.enum(ALL_GRANT_TYPES as [GrantType, ...GrantType[]])
const stringRecord = z.record(z.string(), z.string())
// An origin as a browser sends it (scheme, host, port; no path), or one subdomain wildcard.
const allowedOrigin = z.string().refine((text) => {
  const wildcard = /^(https?:\/\/)\*\.([a-z0-9.-]+(?::\d+)?)$/i.exec(text)
  if (wildcard === null && text.includes('*')) return false
  const candidate = wildcard === null ? text : `${wildcard[1]}x.${wildcard[2]}`
  try {
    const url = new URL(candidate)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === candidate.toLowerCase()
  } catch {
    return false
  }
}, 'must be an origin such as https://app.example.com (no path or trailing slash), or https://*.example.com')

const schema = z.object({
  issuer: z.url({ protocol: /^https?$/ }),
  engine: z.custom<Engine | EngineOptions>((value) => typeof value === 'object' && value !== null, 'must be an Engine or engine options'),
  clients: z
    .array(
      z.strictObject({
        clientId: z.string().min(1).max(256),
        name: z.string().optional(),
        secretHash: z.string().startsWith('$scrypt$', 'must come from hashSecret()').optional(),
        grants: z.array(grantType),
        allowPublic: z.boolean().optional(),
        trustForwardedFor: z.boolean().optional(),
        metadata: stringRecord.optional(),
        defaultAudience: z.string().min(1).optional(),
        allowedOrigins: z.array(allowedOrigin).optional(),
      }),
    )
    .refine((clients) => new Set(clients.map((c) => c.clientId)).size === clients.length, 'client ids must be unique'),
  apis: z
    .array(
      z.strictObject({
        identifier: z.string().min(1),
        name: z.string().optional(),
        scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a valid scope token (RFC 6749 §3.3)')),
        tokenLifetimeSeconds: positiveInt.max(2_592_000).optional(),
        allowOfflineAccess: z.boolean().optional(),
      }),
    )
    .refine((apis) => new Set(apis.map((a) => a.identifier)).size === apis.length, 'API identifiers must be unique'),
  directories: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(128),
        metadata: stringRecord.optional(),
        signup: z.strictObject({ enabled: z.boolean(), clients: z.array(z.string().min(1)).optional() }).optional(),
        passwordPolicy: z
          .strictObject({ level: z.enum(['none', 'low', 'fair', 'good', 'excellent']).optional(), minLength: positiveInt.max(128).optional() })
          .optional(),
      }),
    )
    .optional(),
  defaultDirectory: z.string().min(1).optional(),
  defaultAudience: z.string().min(1).optional(),
  stores: z.custom<object>((value) => typeof value === 'object' && value !== null, 'must be an object of stores').optional(),
  encryptionKey: z
    .union([z.string(), z.instanceof(Uint8Array)])
    .refine((key) => (typeof key === 'string' ? Buffer.from(key, 'base64url') : key).byteLength === 32, 'must be 32 bytes (or their base64url text)')
    .optional(),
  keys: z
    .strictObject({
      algorithm: z.enum(['RS256', 'ES256', 'EdDSA']).optional(),
      published: positiveInt.max(10).optional(),
      reloadSeconds: z.number().int().min(0).max(86_400).optional(),
    })
    .optional(),
  idToken: z.strictObject({ lifetimeSeconds: positiveInt.optional() }).optional(),
  refreshTokens: z.strictObject({ lifetimeSeconds: positiveInt.optional() }).optional(),
  bruteForce: z.strictObject({ threshold: positiveInt.optional(), blockSeconds: positiveInt.optional() }).optional(),
  mfa: z
    .strictObject({
      issuerName: z.string().min(1).optional(),
      recoveryCodes: positiveInt.max(20).optional(),
      codeAttempts: positiveInt.max(100).optional(),
      codeRefillSeconds: positiveInt.max(86_400).optional(),
      codeAttemptsPerMfaToken: positiveInt.max(100).optional(),
    })
    .optional(),
  passwords: z.strictObject({ scryptCost: positiveInt.optional() }).optional(),
  limits: z.strictObject({ maxBodyBytes: positiveInt.max(1_048_576).optional() }).optional(),
  basePath: z
    .string()
    .regex(/^(\/[^/?#]+)*$/, "must be '' or like '/auth' (no trailing slash)")
    .optional(),
  tenant: z.string().min(1).optional(),
  managementApi: z
    .union([
      z.literal(false),
      z.strictObject({
        tokenLifetimeSeconds: positiveInt.max(3_600).optional(),
        roles: z
          .array(
            z.strictObject({
              name: z.string().min(1).max(200),
              id: z.string().regex(ROLE_ID, 'must be rol_ followed by 1 to 64 letters or digits').optional(),
              description: z.string().max(1_000).optional(),
            }),
          )
          .max(10_000)
          .superRefine((roles, ctx) => {
            const issue = roleDefinitionsIssue(roles)
            if (issue !== undefined) ctx.addIssue({ code: 'custom', message: issue })
          })
          .optional(),
      }),
    ])
    .optional(),
  clock: z.function().optional(),
  // The clock option's earlier name, refused so that a stale call site does not silently run on the real clock.
  currentDate: z.undefined({ error: 'is now `clock: () => number` (milliseconds since the epoch), as the engine takes it' }).optional(),
  hooks: z.strictObject({ onError: z.function().optional(), onRefused: z.function().optional(), deliverPasswordReset: z.function().optional() }).optional(),
})

/**
 * The engine's configuration error, for the token server's options: `issues` as the engine gives
 * them (each `path` a list of keys), the message naming each.
 */
export function optionsInvalid(issues: readonly ValidationIssue[], cause?: unknown): ConfigInvalidError {
  const lines = issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`)
  return new ConfigInvalidError(`Invalid token server options: ${lines.join('; ')}`, issues, cause)
}

/** Check the options; throws the engine's `ConfigInvalidError` (`ERR_CONFIG_INVALID`) listing every problem (zod's error as `cause`). */
export function validateOptions(options: TokenServerOptions): void {
  const parsed = schema.safeParse(options)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.map((key) => (typeof key === 'number' ? key : String(key))),
      message: issue.message,
      code: issue.code,
    }))
    throw optionsInvalid(issues, parsed.error)
  }
  const issues: ValidationIssue[] = []
  const names = new Set((options.directories ?? []).map((d) => d.name))
  if (options.defaultDirectory !== undefined && options.directories !== undefined && !names.has(options.defaultDirectory)) {
    issues.push({ path: ['defaultDirectory'], code: 'custom', message: `'${options.defaultDirectory}' is not one of directories` })
  }
  const apis = new Set(options.apis.map((a) => a.identifier))
  if (options.defaultAudience !== undefined && !apis.has(options.defaultAudience)) {
    issues.push({ path: ['defaultAudience'], code: 'custom', message: `'${options.defaultAudience}' is not one of apis` })
  }
  options.clients.forEach((client, index) => {
    if (client.defaultAudience !== undefined && !apis.has(client.defaultAudience)) {
      issues.push({ path: ['clients', index, 'defaultAudience'], code: 'custom', message: `'${client.defaultAudience}' is not one of apis` })
    }
  })
  const clientIds = new Set(options.clients.map((c) => c.clientId))
  options.directories?.forEach((directory, index) => {
    directory.signup?.clients?.forEach((clientId, at) => {
      if (!clientIds.has(clientId))
        issues.push({ path: ['directories', index, 'signup', 'clients', at], code: 'custom', message: `'${clientId}' is not one of clients` })
    })
  })
  if (issues.length > 0) throw optionsInvalid(issues)
}
