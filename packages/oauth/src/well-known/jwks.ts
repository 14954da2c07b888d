import type { Core } from '../lib/core.js'

/** `GET /.well-known/jwks.json`: the current signing key and its predecessors still published. */
export function jwks(core: Core): { keys: Record<string, string>[] } {
  return core.keys.jwks()
}
