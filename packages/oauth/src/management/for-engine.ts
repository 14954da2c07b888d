import { createLocalJWKSet, jwtVerify } from 'jose'
import type { EngineOptions } from '@tokenrules/engine'
import type { UserStore } from '../stores/types.js'
import type { SigningKeys } from '../tokens/signing-keys.js'
import { managementApi } from './api.js'
import { RoleCatalogue, type RoleDefinition } from './roles.js'
import { ManagementTokens } from './tokens.js'

/** How long a run's `auth0.accessToken` is accepted by default: a login's budget with room, never a day. */
export const DEFAULT_MANAGEMENT_TOKEN_LIFETIME_SECONDS = 120

/** Largest Management API request body (a PATCH with metadata), as the engine bounds a user. */
const MAX_BODY_BYTES = 1_000_000

/**
 * The engine options that give a token server's rules the Management API subset: `auth0.domain`
 * (the issuer's host unless the engine options name one), `auth0.accessToken` minted per run, and
 * `auth0.managementApi` answering in-process (the Management API subset, and the tenant's
 * `/oauth/token` for client credentials, minting the same tokens). Options the integrator set for
 * these win.
 */
export function managementEngineOptions(input: {
  engine: EngineOptions
  issuer: string
  users: UserStore
  keys: SigningKeys
  now: () => number
  tokenLifetimeSeconds: number
  /** The tenant's roles (server option `managementApi.roles`). */
  roles?: readonly RoleDefinition[] | undefined
}): NonNullable<EngineOptions['auth0']> {
  const own = input.engine.auth0 ?? {}
  const domain = own.domain ?? new URL(input.issuer).host
  const tokens = new ManagementTokens(new URL(`https://${domain}/`).origin, input.tokenLifetimeSeconds * 1000, input.now)
  const handler = managementApi({
    users: input.users,
    tokens,
    now: input.now,
    maxBodyBytes: MAX_BODY_BYTES,
    roles: new RoleCatalogue(input.roles),
    verifyIdToken: async (token) => {
      try {
        const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: input.keys.jwks().keys }), {
          issuer: input.issuer,
          currentDate: new Date(input.now()),
        })
        return typeof payload.sub === 'string' ? payload.sub : undefined
      } catch {
        return undefined
      }
    },
  })
  return { accessToken: () => tokens.mint(), managementApi: handler, ...own, domain }
}
