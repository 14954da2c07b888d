import { WRONG_CREDENTIALS, invalidGrant, invalidRequest, missingParameter, userBlocked } from '../errors.js'
import { countAttempt, unknownSubject } from '../brute-force/guard.js'
import { truncate } from '../http/parse-form.js'
import type { Core, GrantRequest } from '../lib/core.js'
import { mfaRequired } from '../mfa/transactions.js'
import { hashPassword, isUsableSecret, needsRehash } from '../passwords/hash.js'
import { isVerifiableHash, verifyUserPassword } from '../passwords/imported.js'
import { resolveAudience } from '../scopes/resolve-audience.js'
import { grantScopes, parseScope } from '../scopes/grant-scopes.js'
import { GRANT_TYPES } from './grant-types.js'
import { issueTokens, planIssuance } from './issuance.js'
import { contextForRules, userForRules } from './rules-input.js'
import { runRules } from './run-rules.js'

/**
 * `grant_type=password` (`realm` names the directory, else the default one) and
 * `…/password-realm` (`realm` names it, required): check the credentials under brute-force protection, run the rules with protocol
 * `oauth2-password`, and answer with tokens or `mfa_required`.
 */
export async function passwordGrant(core: Core, grant: GrantRequest): Promise<Record<string, string | number>> {
  const { params } = grant
  const username = params.get('username')
  const password = params.get('password')
  if (username === undefined) throw missingParameter('username')
  if (password === undefined) throw missingParameter('password')
  // A realm picks the directory with either grant, as on Auth0; only `password` falls back to the
  // default directory when none is named. An unknown realm never falls through to another one.
  const realm = params.get('realm') ?? (grant.grantType === GRANT_TYPES.passwordRealm ? undefined : core.defaultDirectory)
  if (realm === undefined) {
    if (grant.grantType === GRANT_TYPES.passwordRealm) throw missingParameter('realm')
    throw invalidRequest('No default directory is configured; use the password-realm grant.')
  }
  const api = resolveAudience(core, grant.client, params.get('audience'))
  const requested = parseScope(params.get('scope'))
  const directory = await core.stores.users.getDirectory(realm)
  if (directory === undefined) throw invalidRequest(`Unknown realm: ${truncate(realm)}`)

  const user = await core.stores.users.findUser(directory.name, username)
  const attemptKey = { subject: user?.profile.user_id ?? unknownSubject(directory.id, username), ip: grant.ip }
  await countAttempt(core, attemptKey)
  // An unknown user costs the same hash as a known one: no timing oracle on user names. A password
  // with a control character or a lone surrogate is never checked against the user's hash (an old
  // format hash would take `password + "\0"` for `password`): it costs the same hash against the
  // dummy and is answered, and counted, as the wrong password it is. So is a user imported without a
  // password: it costs the dummy's hash, and no password verifies. An imported hash (bcrypt, Auth0's
  // custom hashes) verifies here, and the rehash below replaces it with ours.
  const usable = isUsableSecret(password)
  const stored = usable && user !== undefined && isVerifiableHash(user.passwordHash) ? user.passwordHash : undefined
  const valid = (await verifyUserPassword(stored === undefined ? '' : password, stored ?? (await core.dummyHash))) && stored !== undefined
  if (user === undefined || !usable || !valid) throw invalidGrant(WRONG_CREDENTIALS)
  await core.stores.attempts.reset(attemptKey)
  if (user.profile.blocked === true) throw userBlocked()

  const now = core.now()
  const userId = user.profile.user_id
  if (needsRehash(user.passwordHash, core.scryptCost)) {
    await core.stores.users.setPasswordHash(userId, await hashPassword(password, { cost: core.scryptCost }), { at: now, reset: false })
  }
  const profile = await core.stores.users.recordLogin(userId, { at: now, ip: grant.ip })
  const current = { ...user, profile: profile ?? user.profile }
  const enrollment = await core.stores.mfa.getEnrollment(userId)
  const result = await runRules(core, grant, {
    user: userForRules(current, enrollment?.confirmed === true),
    context: contextForRules(core, grant, { protocol: 'oauth2-password', directory, user: current, authenticatedAt: now }),
  })
  const issuance = planIssuance({
    client: grant.client,
    api,
    userId,
    directory: directory.name,
    granted: grantScopes(requested, api, grant.client),
    requested,
    result,
    authTime: Math.floor(now / 1000),
    mfa: false,
  })
  if (result.multifactor !== undefined) throw await mfaRequired(core, issuance)
  return issueTokens(core, issuance)
}
