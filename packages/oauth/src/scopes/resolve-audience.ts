import { accessDenied, missingParameter } from '../errors.js'
import { truncate } from '../http/parse-form.js'
import type { Core } from '../lib/core.js'
import type { ApiConfig, ClientConfig } from '../options.js'

/** The API a token is for: the `audience` parameter, else the client's default, else the server's. */
export function resolveAudience(core: Core, client: ClientConfig, audience: string | undefined): ApiConfig {
  const identifier = audience ?? client.defaultAudience ?? core.defaultAudience
  if (identifier === undefined) throw missingParameter('audience')
  const api = core.apis.get(identifier)
  if (api === undefined) throw accessDenied(`Service not found: ${truncate(identifier, 256)}`)
  return api
}
