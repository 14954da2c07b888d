import { createLocalJWKSet, jwtVerify } from 'jose'
import { OAuthError } from '../errors.js'
import type { Core, RequestInfo } from '../lib/core.js'
import { tokenDigest } from '../lib/random.js'
import type { MfaEnrollment } from '../stores/types.js'
import { bearerToken, mfaBearerTransaction } from './bearer.js'

/** One of a user's authenticators as Auth0's `GET /mfa/authenticators` lists it. */
export interface AuthenticatorView {
  id: string
  authenticator_type: 'otp' | 'recovery-code'
  active: boolean
}

/** The id of the enrollment's authenticators: stable for the enrollment, new for a re-enrollment. */
function deviceId(enrollment: MfaEnrollment): string {
  return `dev_${tokenDigest(`${enrollment.userId}\n${enrollment.createdAt}`).slice(0, 16)}`
}

/** The authenticators of an enrollment: the TOTP one, and its recovery codes while any is left. */
function viewsOf(enrollment: MfaEnrollment | undefined): AuthenticatorView[] {
  if (enrollment === undefined) return []
  const device = deviceId(enrollment)
  const views: AuthenticatorView[] = [{ id: `totp|${device}`, authenticator_type: 'otp', active: enrollment.confirmed }]
  if (enrollment.recoveryCodes.length > 0) views.push({ id: `recovery-code|${device}`, authenticator_type: 'recovery-code', active: enrollment.confirmed })
  return views
}

/** `GET /mfa/authenticators` with `Authorization: Bearer <mfa_token>`: the user's authenticators. */
export async function listAuthenticators(core: Core, info: RequestInfo): Promise<AuthenticatorView[]> {
  const transaction = await mfaBearerTransaction(core, info, undefined)
  return viewsOf(await core.stores.mfa.getEnrollment(transaction.userId))
}

/**
 * `DELETE /mfa/authenticators/{id}`: removes the TOTP authenticator (and its recovery codes). An
 * `mfa_token` proves only the password, so with one the user may remove an authenticator that was
 * never confirmed (it protected nothing); removing a confirmed one takes an access token this
 * server issued to the same user after MFA (`amr` contains `mfa`), so that a stolen password
 * cannot be turned into a fresh enrollment. Recovery codes go with their authenticator.
 */
export async function deleteAuthenticator(core: Core, info: RequestInfo, id: string): Promise<void> {
  const token = bearerToken(info.request.headers.get('authorization'), 'mfa_token')
  const userId = token.split('.').length === 3 ? await mfaAccessTokenSubject(core, token) : (await mfaBearerTransaction(core, info, undefined)).userId
  const enrollment = await core.stores.mfa.getEnrollment(userId)
  const view = viewsOf(enrollment).find((candidate) => candidate.id === id)
  if (enrollment === undefined || view === undefined) throw new OAuthError(404, 'not_found', 'Authenticator not found.')
  if (view.authenticator_type === 'recovery-code') {
    throw new OAuthError(400, 'invalid_request', 'Recovery codes are removed with their authenticator; delete the otp authenticator.')
  }
  if (enrollment.confirmed && token.split('.').length !== 3) {
    throw new OAuthError(403, 'access_denied', 'Removing a confirmed authenticator needs an access token issued after MFA, not an mfa_token.')
  }
  await core.stores.mfa.deleteEnrollment(userId)
}

/** The subject of an access token this server signed after MFA; 401 for any other token. */
async function mfaAccessTokenSubject(core: Core, token: string): Promise<string> {
  const invalid = () =>
    new OAuthError(401, 'invalid_token', 'The access token is invalid.', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } })
  let payload: Record<string, unknown>
  try {
    const jwks = createLocalJWKSet(core.keys.jwks() as Parameters<typeof createLocalJWKSet>[0])
    ;({ payload } = await jwtVerify(token, jwks, {
      issuer: core.issuer,
      audience: [...core.apis.keys()],
      typ: 'at+jwt',
      currentDate: new Date(core.now()),
    }))
  } catch {
    throw invalid()
  }
  const amr = payload['amr']
  if (typeof payload['sub'] !== 'string') throw invalid()
  if (!Array.isArray(amr) || !amr.includes('mfa')) {
    throw new OAuthError(403, 'access_denied', 'Removing a confirmed authenticator needs an access token issued after MFA.')
  }
  return payload['sub']
}
