/** Protocols with no browser in the loop: a rule's `context.redirect` cannot work there (SPEC.md §2). */
export const NO_BROWSER_PROTOCOLS: readonly string[] = [
  'oauth2-password',
  'oauth2-refresh-token',
  'oauth2-resource-owner',
  'oauth2-resource-owner-jwt-bearer',
  'oauth2-token-exchange',
  'oauth2-device-code',
]

/** Whether `protocol` has no browser to redirect or to run Duo's prompt in. */
export function isNoBrowserProtocol(protocol: string): boolean {
  return NO_BROWSER_PROTOCOLS.includes(protocol)
}
