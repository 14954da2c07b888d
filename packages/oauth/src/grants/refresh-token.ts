import { OAuthError, invalidRefreshToken, missingParameter, userBlocked } from '../errors.js'
import type { Core, GrantRequest } from '../lib/core.js'
import { tokenDigest } from '../lib/random.js'
import { mfaRequired } from '../mfa/transactions.js'
import { resolveAudience } from '../scopes/resolve-audience.js'
import { parseScope } from '../scopes/grant-scopes.js'
import { issueTokens, planIssuance } from './issuance.js'
import { contextForRules, userForRules } from './rules-input.js'
import { runRules } from './run-rules.js'

/**
 * `grant_type=refresh_token` with rotation: each refresh token works once and is replaced by a new
 * one of the same family (whose absolute expiry never moves). Presenting a used token again is
 * taken as theft: the whole family is revoked. Rules run again with `oauth2-refresh-token`.
 *
 * The presented token is consumed only after its successor is stored (in {@link issueTokens}): a
 * rule denial, a store failure or an `mfa_required` answer leaves it usable, never burnt.
 */
export async function refreshTokenGrant(core: Core, grant: GrantRequest): Promise<Record<string, string | number>> {
  const token = grant.params.get('refresh_token')
  if (token === undefined) throw missingParameter('refresh_token')
  const id = tokenDigest(token)
  const now = core.now()
  const stored = await core.stores.refreshTokens.get(id)
  // Every refusal answers the same; its detail (for hooks.onRefused) says which it was.
  if (stored === undefined) throw invalidRefreshToken('refresh_token_unknown')
  // Another client's token is refused before it is marked used: it must stay usable by its owner.
  if (stored.clientId !== grant.client.clientId) throw invalidRefreshToken('refresh_token_client_mismatch')
  if (stored.expiresAt <= now) throw invalidRefreshToken('refresh_token_expired')
  const state = await core.stores.refreshTokens.state?.(id)
  if (state === 'revoked') throw invalidRefreshToken('refresh_token_revoked')
  if (state === 'used') {
    await core.stores.refreshTokens.revokeFamily(stored.familyId, now)
    throw invalidRefreshToken('refresh_token_reused')
  }
  const record = stored

  const requested = parseScope(grant.params.get('scope'))
  const beyond = requested.filter((scope) => !record.scope.includes(scope))
  if (beyond.length > 0) throw new OAuthError(400, 'invalid_scope', 'The requested scope exceeds the scope originally granted.')
  const scope = requested.length > 0 ? requested : record.scope
  const user = await core.stores.users.getUser(record.userId)
  const directory = await core.stores.users.getDirectory(record.directory)
  if (user === undefined || directory === undefined) throw invalidRefreshToken('refresh_token_subject_gone')
  if (user.profile.blocked === true) throw userBlocked()
  const api = resolveAudience(core, grant.client, record.audience)

  const enrollment = await core.stores.mfa.getEnrollment(user.profile.user_id)
  const result = await runRules(core, grant, {
    user: userForRules(user, enrollment?.confirmed === true),
    context: contextForRules(core, grant, { protocol: 'oauth2-refresh-token', directory, user, authenticatedAt: undefined }),
  })
  const issuance = planIssuance({
    client: grant.client,
    api,
    userId: record.userId,
    directory: directory.name,
    granted: scope,
    requested: scope,
    result,
    authTime: record.authTime,
    mfa: record.mfa,
    family: { familyId: record.familyId, expiresAt: record.expiresAt, scope: record.scope },
    rotates: id,
  })
  // A family that passed MFA at login has done so; one that did not must do it now.
  if (result.multifactor !== undefined && !record.mfa) throw await mfaRequired(core, issuance)
  return issueTokens(core, issuance)
}
