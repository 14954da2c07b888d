import { Secret, TOTP } from 'otpauth'

const PERIOD_SECONDS = 30
const DIGITS = 6

/** A new TOTP secret (160 bits, RFC 4226's recommendation), in base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

/** The `otpauth://totp/…` URI authenticator apps scan. */
export function otpauthUri(secret: string, issuer: string, account: string): string {
  return totp(secret, issuer, account).toString()
}

/**
 * The RFC 6238 time step `code` belongs to (SHA-1, 6 digits, 30 s), accepting one step of clock
 * drift either side; `undefined` when it matches none.
 */
export function matchTotpStep(secret: string, code: string, nowMs: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined
  const delta = totp(secret, 'tokenrules', 'user').validate({ token: code, timestamp: nowMs, window: 1 })
  return delta === null ? undefined : Math.floor(nowMs / 1000 / PERIOD_SECONDS) + delta
}

function totp(secret: string, issuer: string, label: string): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_SECONDS, secret: Secret.fromBase32(secret) })
}
