import type { JsonValue } from '@tokenrules/engine'

/** The standard claims each OpenID scope grants (OpenID Connect Core §5.4). */
export const CLAIMS_BY_SCOPE: Readonly<Record<string, readonly string[]>> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
}

/**
 * The ID token's standard claims (OpenID Connect Core §5.4) for the granted scopes, read from the
 * `user` as the rules left it ([behaviour: the user object](../../../../docs/behaviour.md#the-user-object): rule changes to the profile are reflected).
 */
export function standardClaims(user: Record<string, unknown>, scopes: readonly string[]): Record<string, JsonValue> {
  const claims: Record<string, JsonValue> = {}
  for (const scope of scopes) {
    for (const claim of CLAIMS_BY_SCOPE[scope] ?? []) {
      const value = claim === 'phone_number_verified' ? user['phone_verified'] : user[claim]
      if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
        claims[claim] = value
      }
    }
  }
  return claims
}
