/** The `grant_type` values this server implements. */
export const GRANT_TYPES = {
  password: 'password',
  passwordRealm: 'http://auth0.com/oauth/grant-type/password-realm',
  refreshToken: 'refresh_token',
  mfaOtp: 'http://auth0.com/oauth/grant-type/mfa-otp',
  mfaRecoveryCode: 'http://auth0.com/oauth/grant-type/mfa-recovery-code',
} as const

/** One of {@link GRANT_TYPES}. */
export type GrantType = (typeof GRANT_TYPES)[keyof typeof GRANT_TYPES]

export const ALL_GRANT_TYPES: readonly GrantType[] = Object.values(GRANT_TYPES)

export function isGrantType(value: string): value is GrantType {
  return (ALL_GRANT_TYPES as readonly string[]).includes(value)
}
