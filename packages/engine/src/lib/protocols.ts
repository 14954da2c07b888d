import { NO_BROWSER_PROTOCOLS } from '../protocols.js'

/** Whether `protocol` has no browser to redirect or to run Duo's prompt in. */
export function isNoBrowserProtocol(protocol: string): boolean {
  return NO_BROWSER_PROTOCOLS.includes(protocol)
}
