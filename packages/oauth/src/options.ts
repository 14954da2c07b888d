import type { Engine, EngineOptions } from '@tokenrules/engine'
import { z } from 'zod'
import { ALL_GRANT_TYPES, type GrantType } from './grants/grant-types.js'
import type { TokenServerStores } from './stores/types.js'

/** Signing algorithms the server can use. */
export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA'

/** A client application (Auth0: an application). */
export interface ClientConfig {
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
}

/** An API (Auth0: a resource server): the audience of access tokens. */
export interface ApiConfig {
  /** The `audience` value, e.g. `https://api.example.com`. */
  identifier: string
  name?: string | undefined
  /** Scopes the API defines. */
  scopes: readonly string[]
  /** Access token lifetime. Default 86400 (24 h). */
  tokenLifetimeSeconds?: number | undefined
  /** Whether `offline_access` may yield a refresh token. Default `false`. */
  allowOfflineAccess?: boolean | undefined
}

/** A user directory (realm). */
export interface DirectoryConfig {
  name: string
  /** Rules see it as `context.connectionMetadata`. */
  metadata?: Readonly<Record<string, string>> | undefined
}

/** Something the server could not handle, for the host's log. Never contains secrets. */
export interface ServerErrorEvent {
  /** The request's path, without the query. */
  path: string
  /** The error (a `TokenRulesError` for rule failures that answer `server_error`). */
  error: unknown
}

/** Options of {@link createTokenServer}. */
export interface TokenServerOptions {
  /** The `iss` of every token and the public base URL of the endpoints, e.g. `https://auth.example.com/`. */
  issuer: string
  /** The rules engine, or options to create one (then the server owns it and closes it). */
  engine: Engine | EngineOptions
  clients: readonly ClientConfig[]
  apis: readonly ApiConfig[]
  /** Directories created in the user store when missing. */
  directories?: readonly DirectoryConfig[] | undefined
  /** The directory of the `password` grant. Default: the first of `directories`. */
  defaultDirectory?: string | undefined
  /** The audience when neither the request nor the client names one. */
  defaultAudience?: string | undefined
  /** Stores; any left out is in memory. */
  stores?: Partial<TokenServerStores> | undefined
  /**
   * 32 bytes (or their base64url text) that seal TOTP secrets and private signing keys at rest.
   * Required when any store is persistent; default for memory stores: a random key per process.
   */
  encryptionKey?: string | Uint8Array | undefined
  keys?: {
    /** Default `RS256`. Changing it rotates to a key of the new algorithm at start. */
    algorithm?: SigningAlgorithm | undefined
    /** Keys published in the JWKS: the current one and its predecessors. Default 2. */
    published?: number | undefined
  } | undefined
  idToken?: {
    /** Default 36000 (10 h), Auth0's default. */
    lifetimeSeconds?: number | undefined
  } | undefined
  refreshTokens?: {
    /** Absolute lifetime of a refresh token family. Default 2592000 (30 days). */
    lifetimeSeconds?: number | undefined
  } | undefined
  bruteForce?: {
    /** Failures per (user, IP) before every attempt of the pair is refused. Default 10. */
    threshold?: number | undefined
    /** How long the count (and so the block) lasts after the last failure. Default 900 (15 min). */
    blockSeconds?: number | undefined
  } | undefined
  mfa?: {
    /** The issuer shown in authenticator apps. Default: the issuer's host. */
    issuerName?: string | undefined
    /** Recovery codes handed out at enrollment, each usable once. Default 5. */
    recoveryCodes?: number | undefined
  } | undefined
  passwords?: {
    /** scrypt cost N for new hashes and the unknown-user dummy. Default 2^15. */
    scryptCost?: number | undefined
  } | undefined
  limits?: {
    /** Largest request body. Default 16384 bytes. */
    maxBodyBytes?: number | undefined
  } | undefined
  /** A path prefix the routes live under when the host does not strip it, e.g. `/auth`. */
  basePath?: string | undefined
  /** Rules see it as `context.tenant`. Default `tokenrules`. */
  tenant?: string | undefined
  /** The clock (for tests). Default `() => new Date()`. */
  currentDate?: (() => Date) | undefined
  hooks?: {
    /** Unexpected failures (answered with a generic `server_error`). */
    onError?: ((event: ServerErrorEvent) => void) | undefined
  } | undefined
}

const positiveInt = z.number().int().positive()
const grantType = z.enum(ALL_GRANT_TYPES as [GrantType, ...GrantType[]])
const stringRecord = z.record(z.string(), z.string())

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
  directories: z.array(z.strictObject({ name: z.string().min(1).max(128), metadata: stringRecord.optional() })).optional(),
  defaultDirectory: z.string().min(1).optional(),
  defaultAudience: z.string().min(1).optional(),
  stores: z.custom<object>((value) => typeof value === 'object' && value !== null, 'must be an object of stores').optional(),
  encryptionKey: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
  keys: z
    .strictObject({ algorithm: z.enum(['RS256', 'ES256', 'EdDSA']).optional(), published: positiveInt.max(10).optional() })
    .optional(),
  idToken: z.strictObject({ lifetimeSeconds: positiveInt.optional() }).optional(),
  refreshTokens: z.strictObject({ lifetimeSeconds: positiveInt.optional() }).optional(),
  bruteForce: z.strictObject({ threshold: positiveInt.optional(), blockSeconds: positiveInt.optional() }).optional(),
  mfa: z.strictObject({ issuerName: z.string().min(1).optional(), recoveryCodes: positiveInt.max(20).optional() }).optional(),
  passwords: z.strictObject({ scryptCost: positiveInt.optional() }).optional(),
  limits: z.strictObject({ maxBodyBytes: positiveInt.max(1_048_576).optional() }).optional(),
  basePath: z.string().regex(/^(\/[^/?#]+)*$/, "must be '' or like '/auth' (no trailing slash)").optional(),
  tenant: z.string().min(1).optional(),
  currentDate: z.function().optional(),
  hooks: z.strictObject({ onError: z.function().optional() }).optional(),
})

/** Check the options; throws a `TypeError` listing every problem (zod's error as `cause`). */
export function validateOptions(options: TokenServerOptions): void {
  const parsed = schema.safeParse(options)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    throw new TypeError(`Invalid token server options: ${issues.join('; ')}`, { cause: parsed.error })
  }
  const names = new Set((options.directories ?? []).map((d) => d.name))
  if (options.defaultDirectory !== undefined && options.directories !== undefined && !names.has(options.defaultDirectory)) {
    throw new TypeError(`Invalid token server options: defaultDirectory '${options.defaultDirectory}' is not one of directories`)
  }
  const apis = new Set(options.apis.map((a) => a.identifier))
  for (const audience of [options.defaultAudience, ...options.clients.map((c) => c.defaultAudience)]) {
    if (audience !== undefined && !apis.has(audience)) {
      throw new TypeError(`Invalid token server options: default audience '${audience}' is not one of apis`)
    }
  }
}
