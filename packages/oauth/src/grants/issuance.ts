import type { JsonValue, RunResult } from '@tokenrules/engine'
import { invalidRefreshToken } from '../errors.js'
import { randomId, randomToken, tokenDigest } from '../lib/random.js'
import type { Core } from '../lib/core.js'
import type { ApiConfig, ClientConfig } from '../options.js'
import { mayRefresh, scopesDiffer } from '../scopes/grant-scopes.js'
import { standardClaims } from '../tokens/id-token-claims.js'
import { saveUserinfoClaims } from '../userinfo/userinfo.js'

/**
 * Everything needed to mint the tokens of one exchange, computed once the rules ran. It is plain
 * JSON so that an `mfa_required` answer can keep it until the second factor arrives.
 */
export interface Issuance {
  clientId: string
  userId: string
  directory: string
  audience: string
  /** The scopes granted after the rules. */
  scope: string[]
  /** The scopes the request asked for (the answer carries `scope` when they differ). */
  requestedScope: string[]
  accessClaims: Record<string, JsonValue>
  idClaims: Record<string, JsonValue>
  /** Standard ID token claims of the granted scopes. */
  profileClaims: Record<string, JsonValue>
  /** When the user authenticated, in seconds (the ID token's `auth_time`). */
  authTime: number
  accessTokenLifetimeSeconds: number
  /** `null`: no refresh token. Otherwise the family to continue (rotation) or a new one. */
  refresh: { familyId: string | null; expiresAt: number | null; scope: string[] } | null
  /** The user passed MFA for this exchange or its family. */
  mfa: boolean
  /**
   * On refresh: the digest of the presented token, consumed by {@link issueTokens} only after the
   * successor is stored (so a failure never burns it), or when the rules end the family.
   */
  rotates?: string | undefined
}

/** The issuance for a rules result: the rules' scopes replace the granted ones when they set any ([behaviour: custom claims](../../../../docs/behaviour.md#custom-claims)). */
export function planIssuance(input: {
  client: ClientConfig
  api: ApiConfig
  userId: string
  directory: string
  granted: string[]
  requested: string[]
  result: RunResult
  authTime: number
  mfa: boolean
  /** On refresh: the family to continue, and its scope (RFC 6749 §6: a rotated token keeps it). */
  family?: { familyId: string; expiresAt: number; scope: string[] } | undefined
  /** On refresh: the presented token's digest. */
  rotates?: string | undefined
}): Issuance {
  const { client, api, result } = input
  const scope = result.accessToken.scope ?? input.granted
  // Rules that set scopes decide on offline access; otherwise the family's scope does on refresh.
  const offline = (result.accessToken.scope ?? input.family?.scope ?? scope).includes('offline_access')
  const refresh = offline && mayRefresh(api, client)
  return {
    clientId: client.clientId,
    userId: input.userId,
    directory: input.directory,
    audience: api.identifier,
    scope,
    requestedScope: input.requested,
    accessClaims: result.accessToken.claims,
    idClaims: result.idToken.claims,
    profileClaims: standardClaims(result.user, scope),
    authTime: input.authTime,
    accessTokenLifetimeSeconds: api.tokenLifetimeSeconds ?? 86_400,
    refresh: refresh ? { familyId: input.family?.familyId ?? null, expiresAt: input.family?.expiresAt ?? null, scope: input.family?.scope ?? scope } : null,
    mfa: input.mfa,
    ...(input.rotates === undefined ? {} : { rotates: input.rotates }),
  }
}

/** The token response (RFC 6749 §5.1) for an issuance: signs the JWTs and stores the refresh token. */
export async function issueTokens(core: Core, issuance: Issuance): Promise<Record<string, string | number>> {
  const nowMs = core.now()
  const iat = Math.floor(nowMs / 1000)
  const amr = issuance.mfa ? { amr: ['mfa'] } : {}
  const jti = randomId('at')
  const exp = iat + issuance.accessTokenLifetimeSeconds
  if (issuance.scope.includes('openid')) {
    // What GET /userinfo answers for this access token beyond the profile, until it expires.
    const token = { jti, userId: issuance.userId, clientId: issuance.clientId, idClaims: issuance.idClaims, expiresAtMs: exp * 1000 }
    await saveUserinfoClaims(core, token, nowMs)
  }
  const accessToken = await core.keys.sign(
    {
      ...issuance.accessClaims,
      iss: core.issuer,
      sub: issuance.userId,
      aud: issuance.audience,
      iat,
      exp,
      // RFC 9068 §2.2: client_id and jti are required of a JWT access token; azp as Auth0 sets it.
      client_id: issuance.clientId,
      jti,
      azp: issuance.clientId,
      scope: issuance.scope.join(' '),
      gty: 'password',
      ...amr,
    },
    'at+jwt',
  )
  const body: Record<string, string | number> = { access_token: accessToken }
  if (issuance.scope.includes('openid')) {
    body['id_token'] = await core.keys.sign(
      {
        ...issuance.profileClaims,
        ...issuance.idClaims,
        iss: core.issuer,
        sub: issuance.userId,
        aud: issuance.clientId,
        iat,
        exp: iat + core.idTokenLifetimeSeconds,
        auth_time: issuance.authTime,
        ...amr,
      },
      'JWT',
    )
  }
  if (issuance.refresh !== null) {
    const token = randomToken()
    await core.stores.refreshTokens.save({
      id: tokenDigest(token),
      familyId: issuance.refresh.familyId ?? randomId('fam'),
      clientId: issuance.clientId,
      userId: issuance.userId,
      directory: issuance.directory,
      audience: issuance.audience,
      scope: issuance.refresh.scope,
      authTime: issuance.authTime,
      mfa: issuance.mfa,
      createdAt: nowMs,
      expiresAt: issuance.refresh.expiresAt ?? nowMs + core.refreshTokenLifetimeMs,
    })
    body['refresh_token'] = token
  }
  if (issuance.rotates !== undefined) {
    // Consume the presented token now that its successor is stored. Losing a race here (another
    // request used it meanwhile) is a replay: revoke the family, the successor just stored with it.
    // A token revoked or deleted meanwhile says so in the detail; the answer is the same.
    const use = await core.stores.refreshTokens.use(issuance.rotates, nowMs)
    if (use === undefined) throw invalidRefreshToken('refresh_token_unknown')
    if (use.outcome === 'reused') {
      await core.stores.refreshTokens.revokeFamily(use.record.familyId, nowMs)
      throw invalidRefreshToken('refresh_token_reused')
    }
    if (use.outcome === 'revoked') throw invalidRefreshToken('refresh_token_revoked')
  }
  if (scopesDiffer(issuance.requestedScope, issuance.scope)) body['scope'] = issuance.scope.join(' ')
  body['expires_in'] = issuance.accessTokenLifetimeSeconds
  body['token_type'] = 'Bearer'
  return body
}
