import { randomBytes } from 'node:crypto'
import { createEngine, Engine, type EngineOptions, type JsonValue } from '@tokenrules/engine'
import { authenticateClient } from './clients/authenticate.js'
import { endUserIp } from './clients/end-user-ip.js'
import { OAuthError, missingParameter, serverError, storeUnavailable } from './errors.js'
import { StoreUnavailableError } from './stores/unavailable.js'
import { GRANT_TYPES, isGrantType, type GrantType } from './grants/grant-types.js'
import { mfaOtpGrant, mfaRecoveryCodeGrant } from './grants/mfa-otp.js'
import { passwordGrant } from './grants/password.js'
import { refreshTokenGrant } from './grants/refresh-token.js'
import { truncate } from './http/parse-form.js'
import { readParams } from './http/read-params.js'
import { preflight, publicCors, withCors } from './http/cors.js'
import { errorResponse, jsonNoStore, jsonPublic } from './http/respond.js'
import type { Core, GrantRequest, RequestInfo } from './lib/core.js'
import { normalizeIp } from './lib/ip.js'
import { SecretBox, encryptionKeyFrom } from './lib/secret-box.js'
import { DEFAULT_MANAGEMENT_TOKEN_LIFETIME_SECONDS, managementEngineOptions } from './management/for-engine.js'
import { associate } from './mfa/associate.js'
import { deleteAuthenticator, listAuthenticators } from './mfa/authenticators.js'
import { challenge } from './mfa/challenge.js'
import { revoke } from './revoke/revoke.js'
import { userinfo } from './userinfo/userinfo.js'
import { changePassword } from './dbconnections/change-password.js'
import { signup } from './dbconnections/signup.js'
import { optionsInvalid, validateOptions, type TokenServerOptions } from './options.js'
import { DEFAULT_SCRYPT_COST, hashPassword } from './passwords/hash.js'
import { createMemoryStores, isMemoryStore } from './stores/memory.js'
import type { TokenServerStores, UserStore } from './stores/types.js'
import { SigningKeys, type PublicJwk } from './tokens/signing-keys.js'
import { userAdmin, type UserAdmin } from './users/admin.js'
import { jwks } from './well-known/jwks.js'
import { openidConfiguration } from './well-known/openid-configuration.js'

/**
 * What the host knows about the connection a request came on: the second argument of
 * {@link TokenServer.handler}. Its address is the end user's IP that brute-force protection counts
 * and rules see as `context.request.ip` (without it, every request counts as IP `unknown`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createTokenServer, type ConnectionInfo } from '@tokenrules/oauth'
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [{ name: 'tag-ip', script: `function (user, context, callback) {
 *     context.accessToken['https://example.com/ip'] = context.request.ip;
 *     callback(null, user, context);
 *   }` }] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 *
 * // What a Node host passes: the socket's peer address (IPv4-mapped IPv6 is normalized).
 * const connection: ConnectionInfo = { remoteAddress: '::ffff:203.0.113.7' }
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com' }),
 *   }),
 *   connection,
 * )
 * const { access_token } = (await response.json()) as { access_token: string }
 * const claims = JSON.parse(Buffer.from(access_token.split('.')[1] ?? '', 'base64url').toString())
 * assert.equal(claims['https://example.com/ip'], '203.0.113.7')
 * ```
 */
export interface ConnectionInfo {
  /** The socket's peer address (e.g. `req.socket.remoteAddress`). */
  remoteAddress?: string | undefined
}

/**
 * A Fetch-API handler: mount it in any server that speaks `Request`/`Response`, or wrap it to add
 * routes of your own. It never rejects: every failure is an OAuth error answer.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createTokenServer, type TokenServerHandler } from '@tokenrules/oauth'
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 * })
 *
 * // A health check in front of the token server's routes.
 * const app: TokenServerHandler = async (request, connection) =>
 *   new URL(request.url).pathname === '/healthz' ? new Response('ok') : server.handler(request, connection)
 *
 * assert.equal(await (await app(new Request('http://localhost/healthz'))).text(), 'ok')
 * const jwks = await app(new Request('http://localhost/.well-known/jwks.json'), { remoteAddress: '127.0.0.1' })
 * assert.equal(jwks.status, 200)
 * assert.equal(((await jwks.json()) as { keys: unknown[] }).keys.length, 1)
 * const unknown = await app(new Request('http://localhost/authorize'))
 * assert.deepEqual([unknown.status, await unknown.json()], [404, { error: 'not_found', error_description: 'Not found.' }])
 * ```
 */
export type TokenServerHandler = (request: Request, connection?: ConnectionInfo) => Promise<Response>

/**
 * A running token server, from {@link createTokenServer}. Dispose it with `close()` or `await using`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createTokenServer, type TokenServer } from '@tokenrules/oauth'
 *
 * const server: TokenServer = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   keys: { algorithm: 'ES256' },
 * })
 * try {
 *   const first = server.keys.jwks().keys[0]?.kid
 *   const next = await server.keys.rotate()
 *   // The new key signs from now on; the previous one stays published for tokens it signed.
 *   assert.deepEqual(server.keys.jwks().keys.map((key) => key.kid), [next, first])
 * } finally {
 *   await server.close()
 * }
 * // A closed server answers 503 to every request.
 * const late = await server.handler(new Request('http://localhost/.well-known/jwks.json'))
 * assert.equal(late.status, 503)
 * assert.equal(((await late.json()) as { error: string }).error, 'temporarily_unavailable')
 * ```
 */
export interface TokenServer extends AsyncDisposable {
  /**
   * Answers `POST /oauth/token`, `POST /oauth/revoke`, `GET`/`POST /userinfo`, `POST /dbconnections/signup`,
   * `POST /dbconnections/change_password`, `POST /mfa/associate`,
   * `GET /mfa/authenticators`, `DELETE /mfa/authenticators/{id}`, `POST /mfa/challenge`,
   * `GET /.well-known/jwks.json` and `GET /.well-known/openid-configuration` (below `basePath`).
   * Never rejects: every failure is an OAuth error answer.
   */
  handler: TokenServerHandler
  /** Operator actions on users, directories and brute-force blocks. */
  users: UserAdmin
  /** The signing keys: rotate them, reload them after another server rotated, and read the JWKS. */
  keys: {
    /** Makes a new signing key current; the previous stays in the JWKS. Returns the new `kid`. */
    rotate(algorithm?: 'RS256' | 'ES256' | 'EdDSA'): Promise<string>
    /** Re-reads the key store (after another server rotated). */
    reload(): Promise<void>
    /** The published keys. */
    jwks(): { keys: PublicJwk[] }
  }
  /** Stops accepting requests (503), waits for those in flight, and closes the engine when the server created it. */
  close(): Promise<void>
}

const MFA_TRANSACTION_LIFETIME_MS = 10 * 60 * 1000
const PUBLIC_DOCUMENT_MAX_AGE_SECONDS = 300
/**
 * The default encryption key of memory-only servers: one per process, never written anywhere, so
 * servers of one process may share memory stores (what they seal dies with the process anyway).
 */
let processKey: Buffer | undefined

const PERSISTENT_STORE_HINT = 'is required with stores other than the in-memory ones: TOTP secrets and signing keys are sealed with it'

/**
 * Create an OAuth 2.0 token server for the password exchange ([behaviour: the token endpoint](../../../docs/behaviour.md#the-token-endpoint)): `password`,
 * `password-realm`, `refresh_token` with rotation, and the MFA grants, running the rules of
 * `@tokenrules/engine` and signing JWTs with jose.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { GRANT_TYPES, createTokenServer, hashSecret } from '@tokenrules/oauth'
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: {
 *     rules: [{ name: 'add-roles', script: `function (user, context, callback) {
 *       context.accessToken['https://example.com/roles'] = user.app_metadata.roles || [];
 *       callback(null, user, context);
 *     }` }],
 *   },
 *   clients: [{ clientId: 'app', secretHash: await hashSecret('app-secret', { cost: 2 ** 12 }), grants: [GRANT_TYPES.passwordRealm] }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 }, // fast hashes for the example; keep the default in production
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple', app_metadata: { roles: ['admin'] } })
 *
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({
 *       grant_type: GRANT_TYPES.passwordRealm, client_id: 'app', client_secret: 'app-secret',
 *       realm: 'Employees', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com',
 *     }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * assert.equal(response.status, 200)
 * const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number }
 * assert.equal(body.token_type, 'Bearer')
 * assert.equal(body.expires_in, 86_400)
 * const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1] ?? '', 'base64url').toString())
 * assert.deepEqual(claims['https://example.com/roles'], ['admin'])
 * assert.equal(claims.aud, 'https://api.example.com')
 * ```
 */
export async function createTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  validateOptions(options)
  const memory = createMemoryStores()
  const stores: TokenServerStores = {
    users: options.stores?.users ?? memory.users,
    refreshTokens: options.stores?.refreshTokens ?? memory.refreshTokens,
    mfa: options.stores?.mfa ?? memory.mfa,
    attempts: options.stores?.attempts ?? memory.attempts,
    keys: options.stores?.keys ?? memory.keys,
    userinfo: options.stores?.userinfo ?? memory.userinfo,
  }
  const allMemory = Object.values(stores).every(isMemoryStore)
  if (options.encryptionKey === undefined && !allMemory) throw optionsInvalid([{ path: ['encryptionKey'], code: 'custom', message: PERSISTENT_STORE_HINT }])
  const box = new SecretBox(options.encryptionKey === undefined ? (processKey ??= randomBytes(32)) : encryptionKeyFrom(options.encryptionKey))
  const now = options.clock ?? Date.now
  const keys = new SigningKeys(stores.keys, box, options.keys?.published ?? 2, now)
  const scryptCost = options.passwords?.scryptCost ?? DEFAULT_SCRYPT_COST
  // Engine.is, not instanceof: the host's engine may come from another installed copy of the package.
  const ownsEngine = !Engine.is(options.engine)
  const engine = Engine.is(options.engine)
    ? options.engine
    : await createEngine(engineOptions(withManagementApi(options, options.engine, stores.users, keys, now), stores.users, now, options.clock !== undefined))
  try {
    await keys.init(options.keys?.algorithm ?? 'RS256')
  } catch (error) {
    if (ownsEngine) await engine.close()
    throw error
  }
  const onError = options.hooks?.onError
  const onRefused = options.hooks?.onRefused
  const core: Core = {
    issuer: options.issuer,
    tenant: options.tenant ?? 'tokenrules',
    engine,
    stores,
    keys,
    box,
    clients: new Map(options.clients.map((client) => [client.clientId, client])),
    apis: new Map(options.apis.map((api) => [api.identifier, api])),
    defaultDirectory: options.defaultDirectory ?? options.directories?.[0]?.name,
    directoryOptions: new Map((options.directories ?? []).map((directory) => [directory.name, directory])),
    deliverPasswordReset: options.hooks?.deliverPasswordReset,
    defaultAudience: options.defaultAudience,
    idTokenLifetimeSeconds: options.idToken?.lifetimeSeconds ?? 36_000,
    refreshTokenLifetimeMs: (options.refreshTokens?.lifetimeSeconds ?? 2_592_000) * 1000,
    bruteForce: { threshold: options.bruteForce?.threshold ?? 10, blockMs: (options.bruteForce?.blockSeconds ?? 900) * 1000 },
    mfa: {
      issuerName: options.mfa?.issuerName ?? new URL(options.issuer).host,
      recoveryCodes: options.mfa?.recoveryCodes ?? 5,
      transactionLifetimeMs: MFA_TRANSACTION_LIFETIME_MS,
      codeBudget: { capacity: options.mfa?.codeAttempts ?? 10, refillMs: (options.mfa?.codeRefillSeconds ?? 360) * 1000 },
      codesPerMfaToken: options.mfa?.codeAttemptsPerMfaToken ?? 5,
    },
    scryptCost,
    dummyHash: hashPassword(randomBytes(16).toString('hex'), { cost: scryptCost }),
    maxBodyBytes: options.limits?.maxBodyBytes ?? 16_384,
    now,
    reportError(event) {
      try {
        onError?.(event)
      } catch {
        // A failing log hook must not turn into an answer.
      }
    },
    reportRefused(event) {
      try {
        onRefused?.(event)
      } catch {
        // As above: the answer stays the refusal.
      }
    },
  }
  const users = userAdmin(core)
  for (const directory of options.directories ?? []) await users.ensureDirectory(directory.name, directory.metadata)

  const basePath = options.basePath ?? ''
  let closed = false
  // Another server on a shared key store may rotate: re-read it now and then (a failed read keeps
  // the keys loaded and goes to onError; the next one tries again).
  const reloadSeconds = options.keys?.reloadSeconds ?? 60
  const reloading =
    reloadSeconds === 0
      ? undefined
      : setInterval(() => {
          keys.reload().catch((error: unknown) => core.reportError({ path: '(signing key reload)', error }))
        }, reloadSeconds * 1000)
  reloading?.unref()
  const inFlight = new Set<Promise<Response>>()

  const handler: TokenServerHandler = (request, connection) => {
    if (closed) return Promise.resolve(jsonNoStore(503, { error: 'temporarily_unavailable', error_description: 'The server is shutting down.' }))
    const answer = handle(core, basePath, request, connection)
    inFlight.add(answer)
    void answer.finally(() => inFlight.delete(answer))
    return answer
  }

  const close = async () => {
    if (closed) return
    closed = true
    if (reloading !== undefined) clearInterval(reloading)
    await Promise.allSettled([...inFlight])
    if (ownsEngine) await engine.close()
  }

  return {
    handler,
    users,
    keys: {
      rotate: (algorithm) => keys.rotate(algorithm),
      reload: () => keys.reload(),
      jwks: () => keys.jwks(),
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

/**
 * Engine options for an engine the server creates: `auth0.users.update*Metadata` persist to the
 * user store, and rules see the server's clock, unless the options say otherwise.
 */
function engineOptions(options: EngineOptions, users: UserStore, now: () => number, injectedClock: boolean): EngineOptions {
  const persist = (field: 'app' | 'user') => async (userId: string, metadata: Record<string, unknown>) => {
    if ((await users.getUser(userId)) === undefined) throw new Error(`No user ${userId}.`)
    const update = metadata as Record<string, JsonValue>
    if (field === 'app') await users.updateAppMetadata(userId, update, now())
    else await users.updateUserMetadata(userId, update, now())
  }
  return {
    // A token server answers logins for every tenant's users: a rule that starts native code V8
    // cannot interrupt must cost a child process, not a thread of the server (issue 14).
    isolation: 'process',
    ...(injectedClock ? { clock: now } : {}),
    ...options,
    hooks: { updateAppMetadata: persist('app'), updateUserMetadata: persist('user'), ...options.hooks },
  }
}

/**
 * The engine options with the Management API subset for rules (management/), unless the server's
 * options turn it off. It is the engine's alone: no route of the server's handler serves it.
 */
function withManagementApi(options: TokenServerOptions, engine: EngineOptions, users: UserStore, keys: SigningKeys, now: () => number): EngineOptions {
  if (options.managementApi === false) return engine
  const tokenLifetimeSeconds = options.managementApi?.tokenLifetimeSeconds ?? DEFAULT_MANAGEMENT_TOKEN_LIFETIME_SECONDS
  const roles = options.managementApi?.roles
  return { ...engine, auth0: managementEngineOptions({ engine, issuer: options.issuer, users, keys, now, tokenLifetimeSeconds, roles }) }
}

type Route = {
  methods: readonly string[]
  run: (core: Core, info: RequestInfo) => Promise<Response>
  /** `client`: the allowed origins of the client the request names; `public`: any origin. */
  cors?: 'client' | 'public'
}

const ROUTES: Record<string, Route> = {
  '/oauth/token': { methods: ['POST'], cors: 'client', run: async (core, info) => jsonNoStore(200, await token(core, info)) },
  '/oauth/revoke': {
    methods: ['POST'],
    cors: 'client',
    run: async (core, info) => {
      await revoke(core, info)
      return new Response(null, { status: 200, headers: { 'cache-control': 'no-store', pragma: 'no-cache' } })
    },
  },
  '/userinfo': { methods: ['GET', 'POST'], cors: 'client', run: async (core, info) => jsonNoStore(200, await userinfo(core, info)) },
  '/dbconnections/signup': { methods: ['POST'], cors: 'client', run: async (core, info) => jsonNoStore(200, await signup(core, info)) },
  '/dbconnections/change_password': {
    methods: ['POST'],
    cors: 'client',
    run: async (core, info) =>
      new Response(await changePassword(core, info), {
        status: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache', 'x-content-type-options': 'nosniff' },
      }),
  },
  '/mfa/associate': { methods: ['POST'], cors: 'client', run: async (core, info) => jsonNoStore(200, await associate(core, info)) },
  '/mfa/authenticators': { methods: ['GET'], cors: 'client', run: async (core, info) => jsonNoStore(200, await listAuthenticators(core, info)) },
  '/mfa/challenge': { methods: ['POST'], cors: 'client', run: async (core, info) => jsonNoStore(200, await challenge(core, info)) },
  '/.well-known/jwks.json': {
    methods: ['GET', 'HEAD'],
    cors: 'public',
    run: async (core, info) => jsonPublic(jwks(core), PUBLIC_DOCUMENT_MAX_AGE_SECONDS, info.request.method === 'HEAD'),
  },
  '/.well-known/openid-configuration': {
    methods: ['GET', 'HEAD'],
    cors: 'public',
    run: async (core, info) => jsonPublic(openidConfiguration(core), PUBLIC_DOCUMENT_MAX_AGE_SECONDS, info.request.method === 'HEAD'),
  },
}

const AUTHENTICATOR_PATH = /^\/mfa\/authenticators\/([^/]+)$/

/** The routes with a path parameter: `DELETE /mfa/authenticators/{id}`. */
function parameterRoute(path: string): Route | undefined {
  const authenticator = AUTHENTICATOR_PATH.exec(path)?.[1]
  if (authenticator === undefined) return undefined
  let id: string
  try {
    id = decodeURIComponent(authenticator)
  } catch {
    return undefined
  }
  return {
    methods: ['DELETE'],
    cors: 'client',
    run: async (core, info) => {
      await deleteAuthenticator(core, info, id)
      return new Response(null, { status: 204, headers: { 'cache-control': 'no-store', pragma: 'no-cache' } })
    },
  }
}

async function handle(core: Core, basePath: string, request: Request, connection: ConnectionInfo | undefined): Promise<Response> {
  let path = '(unparsed)'
  let info: RequestInfo | undefined
  let route: Route | undefined
  try {
    const url = new URL(request.url)
    path = url.pathname
    const below = basePath === '' ? path : path === basePath ? '/' : path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : undefined
    route = below === undefined ? undefined : (ROUTES[below] ?? parameterRoute(below))
    if (route === undefined || below === undefined) return jsonNoStore(404, { error: 'not_found', error_description: 'Not found.' })
    if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method') && route.cors !== undefined) {
      return route.cors === 'public'
        ? publicCors(new Response(null, { status: 204, headers: { 'access-control-allow-methods': route.methods.join(', ') } }))
        : preflight(core, request, route.methods)
    }
    if (!route.methods.includes(request.method)) {
      return jsonNoStore(
        405,
        { error: 'invalid_request', error_description: `Method ${truncate(request.method, 16)} is not allowed here.` },
        { allow: route.methods.join(', ') },
      )
    }
    const socketIp = normalizeIp(connection?.remoteAddress) ?? 'unknown'
    info = { request, url, path: below, socketIp }
    return cors(route, info, await route.run(core, info))
  } catch (error) {
    // 5xx OAuth errors (rule failures) were reported to onError where they were made.
    let answer: Response
    // A store that cannot answer now (PostgreSQL or Redis down, slow, cut mid-request), also when
    // a rule's metadata update met it: 503 with Retry-After, never a 500 with internals.
    const outage = error instanceof OAuthError && error.status < 500 ? undefined : StoreUnavailableError.find(error)
    if (outage !== undefined) {
      if (!(error instanceof OAuthError)) core.reportError({ path, error })
      answer = errorResponse(storeUnavailable(outage))
    } else if (error instanceof OAuthError) {
      if (error.status < 500) core.reportRefused({ path, error })
      answer = errorResponse(error)
    } else {
      core.reportError({ path, error })
      answer = errorResponse(serverError())
    }
    return route === undefined || info === undefined ? answer : cors(route, info, answer)
  }
}

/** The answer with the route's CORS headers: any origin for public documents, the client's allowed origins otherwise. */
function cors(route: Route, info: RequestInfo, response: Response): Response {
  if (route.cors === 'public') return publicCors(response)
  if (route.cors === 'client') return withCors(response, info)
  return response
}

const GRANTS: Record<GrantType, (core: Core, grant: GrantRequest) => Promise<Record<string, string | number>>> = {
  [GRANT_TYPES.password]: passwordGrant,
  [GRANT_TYPES.passwordRealm]: passwordGrant,
  [GRANT_TYPES.refreshToken]: refreshTokenGrant,
  [GRANT_TYPES.mfaOtp]: mfaOtpGrant,
  [GRANT_TYPES.mfaRecoveryCode]: mfaRecoveryCodeGrant,
}

/** `POST /oauth/token`: parse, identify the grant, authenticate the client, check it may use the grant, run the grant. */
async function token(core: Core, info: RequestInfo): Promise<Record<string, string | number>> {
  const params = await readParams(info.request, core.maxBodyBytes)
  const grantType = params.get('grant_type')
  if (grantType === undefined) throw missingParameter('grant_type')
  if (!isGrantType(grantType)) throw new OAuthError(400, 'unsupported_grant_type', `Unsupported grant type: ${truncate(grantType)}`)
  const authenticated = await authenticateClient(core, info.request, params, { basic: true })
  const { client } = authenticated
  info.client = client
  if (!client.grants.includes(grantType)) {
    throw new OAuthError(403, 'unauthorized_client', `Grant type '${grantType}' not allowed for the client.`)
  }
  const ip = endUserIp(info.request, authenticated, info.socketIp)
  return GRANTS[grantType](core, { ...info, params, grantType, client, clientAuthenticated: authenticated.withSecret, ip })
}
