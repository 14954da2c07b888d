import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createEngine, isTokenRulesError, type Context, type EngineOptions, type LogEntry, type RuleErrorEvent, type User } from '@tokenrules/engine'
import Provider, {
  errors,
  type AccessToken,
  type ClientCredentials,
  type ClientMetadata,
  type JWK,
  type KoaContextWithOIDC,
  type ResourceServer,
} from 'oidc-provider'
import { Directory, type StoredUser, type UserSeed } from './directory.js'
import { MemoryAdapter } from './memory-adapter.js'

/** What node-oidc-provider has and its types do not declare. */
interface ProviderInternals {
  ResourceServer: new (identifier: string, info: ResourceServer) => ResourceServer
}

/** Auth0's password-realm grant: `password` plus `realm`, the directory to look the user up in. */
export const PASSWORD_REALM_GRANT = 'http://auth0.com/oauth/grant-type/password-realm'
const GRANT_TYPES = ['password', PASSWORD_REALM_GRANT] as const

/** Parameters that are secrets: they never reach rules (docs/behaviour.md#the-context-object). */
const SECRET_PARAMETERS = new Set(['password', 'client_secret', 'client_assertion'])
/** Scopes that are not an API's: they pass through to the access token when requested. */
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access']

export interface ApiConfig {
  /** The resource indicator (Auth0's `audience`), an absolute URI; also the token's `aud`. */
  identifier: string
  /** The API's scopes. No API scope requested → all of them (as Auth0 does). */
  scopes: string[]
  accessTokenTtlSeconds?: number
}

export interface ClientConfig {
  clientId: string
  clientSecret: string
  name?: string
  metadata?: Record<string, string>
}

export interface DirectoryConfig {
  name: string
  users: UserSeed[]
}

export interface LogEvent {
  level: 'info' | 'warn' | 'error'
  message: string
  detail?: unknown
}

export interface OidcServerOptions {
  /** Public URL of the provider. Default: `http://{host}:{port}` once listening. */
  issuer?: string
  port?: number
  host?: string
  clients: ClientConfig[]
  /** The first is the default directory (`grant_type=password`); `realm` names one for password-realm. */
  directories: DirectoryConfig[]
  /** The first is the default resource when the request names none. */
  apis: ApiConfig[]
  rules: EngineOptions['rules']
  engine?: Omit<EngineOptions, 'rules' | 'hooks'>
  tenant?: string
  /** Where the rules' logs, their exceptions and server errors go. Default: nowhere. */
  log?: (event: LogEvent) => void
}

export interface OidcServer {
  readonly issuer: string
  readonly url: string
  readonly port: number
  readonly provider: Provider
  close(): Promise<void>
}

/**
 * An OAuth error with a status and body of our choosing, rendered by the provider's own error
 * handler (JSON `{ error, error_description }`, the token route's `Cache-Control: no-store`).
 * `expose` is forced on, so a 500 keeps the engine's generic text instead of the provider's own.
 */
export class TokenEndpointError extends errors.OIDCProviderError {
  constructor(status: number, error: string, description: string) {
    super(status, error)
    this.error_description = description
    this.expose = true
  }
}

/** Wrong username or password: Auth0's answer (docs/behaviour.md#the-token-endpoint), not the provider's 400 (see README). */
export const WRONG_CREDENTIALS = (): TokenEndpointError => new TokenEndpointError(403, 'invalid_grant', 'Wrong email or password.')

function jwk(): JWK {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' }
}

function stringParam(ctx: KoaContextWithOIDC, name: string): string | undefined {
  const value = ctx.oidc.params?.[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

function requireParam(ctx: KoaContextWithOIDC, name: string): string {
  const value = stringParam(ctx, name)
  if (value === undefined) throw new errors.InvalidRequest(`missing required parameter '${name}'`)
  return value
}

/** Start node-oidc-provider with the `password` and password-realm grants, tokens shaped by the rules. */
export async function startOidcServer(options: OidcServerOptions): Promise<OidcServer> {
  const log = options.log ?? (() => {})
  const host = options.host ?? '127.0.0.1'

  const directories = await Promise.all(options.directories.map((d) => Directory.create(d.name, d.users)))
  const [defaultDirectory] = directories
  if (defaultDirectory === undefined) throw new Error('at least one directory is required')
  const [firstApi] = options.apis
  if (firstApi === undefined) throw new Error('at least one API is required')
  const defaultApi: ApiConfig = firstApi
  const apis = new Map(options.apis.map((api) => [new URL(api.identifier).href, api]))
  const clients = new Map(options.clients.map((client) => [client.clientId, client]))

  const engine = await createEngine({
    ...options.engine,
    rules: options.rules,
    hooks: {
      onLog: (entry: LogEntry) => log({ level: 'info', message: 'rule log', detail: entry }),
      onRuleError: (event: RuleErrorEvent) => log({ level: 'warn', message: 'rule error', detail: event }),
    },
  })

  // The HTTP server listens first, so that the issuer can default to its real address.
  const server: Server = createServer()
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    return configure(server)
  } catch (error) {
    if (server.listening) server.close()
    await engine.close()
    throw error
  }

  function configure(server: Server): OidcServer {
    const { port } = server.address() as AddressInfo
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    const issuer = options.issuer ?? url

    /** The rules' custom claims of each access token being issued, for `extraTokenClaims`. */
    const extraClaims = new WeakMap<object, Record<string, unknown>>()

    const resourceServerInfo = (api: ApiConfig): ResourceServer => ({
      scope: api.scopes.join(' '),
      audience: api.identifier,
      accessTokenFormat: 'jwt',
      accessTokenTTL: api.accessTokenTtlSeconds ?? 3600,
      jwt: { sign: { alg: 'RS256' } },
    })
    const findApi = (identifier: string): ApiConfig | undefined => {
      try {
        return apis.get(new URL(identifier).href)
      } catch {
        return undefined
      }
    }
    const findUser = (sub: string): StoredUser | undefined => {
      for (const directory of directories) {
        const user = directory.byUserId(sub)
        if (user) return user
      }
      return undefined
    }

    const provider = new Provider(issuer, {
      adapter: MemoryAdapter.factory(),
      ttl: {
        AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 3600,
        Grant: 3600,
        IdToken: 3600,
      },
      // Which profile claims an ID token carries, by granted scope (OpenID Connect Core §5.4).
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'nickname', 'given_name', 'family_name', 'picture', 'updated_at'],
      },
      clients: options.clients.map((client): ClientMetadata => ({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        client_name: client.name ?? client.clientId,
        grant_types: [...GRANT_TYPES],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post',
      })),
      jwks: { keys: [jwk()] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      features: {
        devInteractions: { enabled: false },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => defaultApi.identifier,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resourceIndicator) => {
            const api = findApi(resourceIndicator)
            if (api === undefined) throw new errors.InvalidTarget(`unknown resource indicator: ${resourceIndicator}`)
            return resourceServerInfo(api)
          },
        },
      },
      findAccount: (_ctx, sub) => {
        const user = findUser(sub)
        return user ? { accountId: sub, claims: () => ({ sub, email: user.profile.email }) } : undefined
      },
      // Browsers are not this grant's clients: no cross-origin calls (and no notice from the default).
      clientBasedCORS: () => false,
      extraTokenClaims: (_ctx: KoaContextWithOIDC, token: AccessToken | ClientCredentials) => extraClaims.get(token),
      // No console output from the provider itself: its errors reach `log` through the events below.
      renderError: (ctx, out) => {
        ctx.type = 'json'
        ctx.body = out
      },
    })
    provider.on('server_error', (_ctx: unknown, error: unknown) => log({ level: 'error', message: 'server_error', detail: error }))
    provider.app.silent = true
    // Every answer of the token endpoint, client authentication failures included, is no-store.
    provider.use(async (ctx, next) => {
      await next()
      if (ctx.path === '/token') ctx.set('Cache-Control', 'no-store')
    })

    async function passwordGrant(ctx: KoaContextWithOIDC): Promise<void> {
      const grantType = requireParam(ctx, 'grant_type')
      const username = requireParam(ctx, 'username')
      const password = requireParam(ctx, 'password')
      let directory: Directory = defaultDirectory as Directory
      if (grantType === PASSWORD_REALM_GRANT) {
        const realm = requireParam(ctx, 'realm')
        const found = directories.find((d) => d.name === realm)
        if (found === undefined) throw new errors.InvalidRequest('unknown realm')
        directory = found
      }

      const client = ctx.oidc.client
      if (client === undefined) throw new errors.InvalidClient() // the token route authenticated it already
      const clientConfig = clients.get(client.clientId)

      // The API: `resource` (RFC 8707) or Auth0's `audience`, else the default one.
      const resource = stringParam(ctx, 'resource') ?? stringParam(ctx, 'audience') ?? defaultApi.identifier
      const api = findApi(resource)
      if (api === undefined) throw new errors.InvalidTarget(`unknown resource indicator: ${resource}`)

      const user = await directory.authenticate(username, password)
      if (user === undefined) throw WRONG_CREDENTIALS()
      if (user.profile.blocked === true) throw new TokenEndpointError(401, 'unauthorized', 'user is blocked')
      const authenticatedAt = Date.now()

      // Scopes before rules (docs/behaviour.md#the-token-endpoint): requested OIDC scopes, and the requested API scopes the
      // API defines, or all of them when none was requested.
      const requested = (stringParam(ctx, 'scope') ?? '').split(' ').filter(Boolean)
      const requestedApiScopes = requested.filter((scope) => api.scopes.includes(scope))
      const granted = [...requested.filter((scope) => OIDC_SCOPES.includes(scope)), ...(requestedApiScopes.length > 0 ? requestedApiScopes : api.scopes)]

      const profile = user.profile
      const ruleUser: User = {
        ...structuredClone(profile),
        identities: [{ connection: directory.name, provider: 'auth0', user_id: profile.user_id.replace(/^auth0\|/, ''), isSocial: false }],
      }
      const body: Record<string, string> = {}
      for (const [name, value] of Object.entries(ctx.oidc.params ?? {})) {
        if (typeof value === 'string' && !SECRET_PARAMETERS.has(name)) body[name] = value
      }
      const query: Record<string, string> = {}
      for (const [name, value] of Object.entries(ctx.query)) {
        if (typeof value === 'string' && !SECRET_PARAMETERS.has(name)) query[name] = value
      }
      const context: Context = {
        tenant: options.tenant ?? 'tokenrules-oidc-provider',
        clientID: client.clientId,
        clientName: client.clientName ?? client.clientId,
        clientMetadata: { ...clientConfig?.metadata },
        connection: directory.name,
        connectionID: directory.id,
        connectionStrategy: 'auth0',
        connectionOptions: {},
        connectionMetadata: {},
        protocol: 'oauth2-password',
        stats: { loginsCount: profile.logins_count ?? 0 },
        sso: { with_auth0: false, with_dbconn: false, current_clients: [] },
        request: { userAgent: ctx.get('user-agent'), ip: ctx.ip, hostname: ctx.hostname, query, body },
        authentication: { methods: [{ name: 'pwd', timestamp: authenticatedAt }] },
        authorization: { roles: Array.isArray(profile.app_metadata?.['roles']) ? profile.app_metadata['roles'] : [] },
        accessToken: {},
        idToken: {},
      }

      let result
      try {
        result = await engine.run({ user: ruleUser, context })
      } catch (error) {
        if (!isTokenRulesError(error)) throw error
        const { status, body: answer } = error.toOAuthError()
        log({
          level: status >= 500 ? 'error' : 'info',
          message: `rules failed: ${error.code}`,
          detail: { code: error.code, rule: 'rule' in error ? error.rule : undefined, status },
        })
        throw new TokenEndpointError(status, answer.error, answer.error_description)
      }
      if (result.multifactor !== undefined) {
        // This example has no MFA continuation (the token-server example has): refuse plainly.
        throw new TokenEndpointError(403, 'mfa_required', 'Multifactor authentication required')
      }

      const scope = result.accessToken.scope ?? granted
      const grant = new provider.Grant({ accountId: profile.user_id, clientId: client.clientId })
      grant.addResourceScope(api.identifier, scope.join(' '))
      const grantId = await grant.save()

      const token = new provider.AccessToken({
        accountId: profile.user_id,
        client,
        grantId,
        gty: 'password',
        scope: scope.join(' '),
        resourceServer: new (provider as unknown as ProviderInternals).ResourceServer(api.identifier, resourceServerInfo(api)),
      })
      extraClaims.set(token, { ...result.accessToken.claims, azp: client.clientId, gty: 'password' })
      ctx.oidc.entity('AccessToken', token)
      const accessToken = await token.save()

      // An ID token when `openid` is granted: the profile as the rules left it (docs/behaviour.md#the-user-object), masked
      // by the granted scopes, plus the rules' ID token claims.
      let idToken: string | undefined
      if (scope.includes('openid')) {
        const available: Record<string, unknown> = {}
        for (const claim of ['email', 'email_verified', 'name', 'nickname', 'given_name', 'family_name', 'picture', 'updated_at']) {
          if (result.user[claim] !== undefined) available[claim] = result.user[claim]
        }
        const id = new provider.IdToken({ ...available, sub: profile.user_id }, { ctx })
        ;(id as unknown as { scope: string }).scope = scope.join(' ') // declared by the provider, not by its types
        for (const [name, value] of Object.entries(result.idToken.claims)) id.set(name, value)
        id.set('auth_time', Math.floor(authenticatedAt / 1000))
        idToken = await id.issue({ use: 'idtoken' })
      }

      ctx.body = {
        access_token: accessToken,
        ...(idToken === undefined ? {} : { id_token: idToken }),
        token_type: token.tokenType,
        expires_in: token.expiration,
        scope: scope.join(' '),
      }
    }

    for (const grantType of GRANT_TYPES) {
      const params = ['username', 'password', 'scope', 'resource', 'audience', ...(grantType === PASSWORD_REALM_GRANT ? ['realm'] : [])]
      provider.registerGrantType(grantType, passwordGrant, params)
    }

    server.on('request', provider.callback())

    return {
      issuer,
      url,
      port,
      provider,
      async close() {
        server.closeAllConnections()
        await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
        await engine.close()
      },
    }
  }
}
