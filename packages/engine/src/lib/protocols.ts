import { NO_BROWSER_PROTOCOLS } from '../protocols.js'

// The public list lives in ../protocols.ts; re-exported here for the modules that import it from lib/.
export { NO_BROWSER_PROTOCOLS }

/** Whether `protocol` has no browser to redirect or to run Duo's prompt in. */
export function isNoBrowserProtocol(protocol: string): boolean {
  return NO_BROWSER_PROTOCOLS.includes(protocol)
}
