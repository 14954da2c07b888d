import type { Engine } from '@tokenrules/engine'
import type { SecretBox } from './secret-box.js'
import type { ApiConfig, ClientConfig, DirectoryConfig, PasswordResetDelivery, RefusedEvent, ServerErrorEvent } from '../options.js'
import type { Params } from '../http/read-params.js'
import type { SigningKeys } from '../tokens/signing-keys.js'
import type { TokenServerStores } from '../stores/types.js'

/** Everything a route needs, resolved once at start. Internal. */
export interface Core {
  issuer: string
  tenant: string
  engine: Engine
  stores: TokenServerStores
  keys: SigningKeys
  box: SecretBox
  clients: ReadonlyMap<string, ClientConfig>
  apis: ReadonlyMap<string, ApiConfig>
  defaultDirectory: string | undefined
  /** The options of the configured directories, by name (sign-up, password policy). */
  directoryOptions: ReadonlyMap<string, DirectoryConfig>
  /** `hooks.deliverPasswordReset`, when the host gave one. */
  deliverPasswordReset: ((delivery: PasswordResetDelivery) => void | Promise<void>) | undefined
  defaultAudience: string | undefined
  idTokenLifetimeSeconds: number
  refreshTokenLifetimeMs: number
  bruteForce: { threshold: number; blockMs: number }
  mfa: {
    issuerName: string
    recoveryCodes: number
    transactionLifetimeMs: number
    /** Each user's budget of wrong codes per factor (one-time codes, recovery codes). */
    codeBudget: { capacity: number; refillMs: number }
    /** Wrong codes one `mfa_token` may carry. */
    codesPerMfaToken: number
  }
  scryptCost: number
  /** A hash of a random password with the configured cost: what unknown users and clients are checked against. */
  dummyHash: Promise<string>
  maxBodyBytes: number
  /** Milliseconds since the epoch, from the injectable clock. */
  now(): number
  reportError(event: ServerErrorEvent): void
  /** Hands a 4xx answer to `hooks.onRefused`; a throwing hook is ignored. */
  reportRefused(event: RefusedEvent): void
}

/** One request, as every route sees it. */
export interface RequestInfo {
  request: Request
  url: URL
  /** The path below the mount point. */
  path: string
  /** The socket's peer address, normalized; `unknown` when the host did not say. */
  socketIp: string
  /**
   * The client the request named, once a route has identified it (authenticated, or by its
   * `mfa_token`): whose allowed origins decide the answer's CORS headers.
   */
  client?: ClientConfig | undefined
}

/** A token request after client authentication. */
export interface GrantRequest extends RequestInfo {
  params: Params
  grantType: string
  client: ClientConfig
  /** Whether the client proved a secret (not a public client). */
  clientAuthenticated: boolean
  /** The IP counted and shown to rules: the socket's, or a trusted `auth0-forwarded-for`. */
  ip: string
}
