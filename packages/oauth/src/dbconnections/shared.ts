import { countAttempt } from '../brute-force/guard.js'
import { OAuthError } from '../errors.js'
import type { Core, RequestInfo } from '../lib/core.js'
import type { DirectoryConfig } from '../options.js'
import type { Directory } from '../stores/types.js'
import type { DbConnectionBody } from './body.js'
import { DbConnectionError, badRequest } from './errors.js'

/** The client named by `client_id` (no secret: these routes are public, as on Auth0); it decides the answer's CORS. */
export function namedClient(core: Core, info: RequestInfo, body: DbConnectionBody) {
  const clientId = body.string('client_id')
  if (clientId === undefined) throw badRequest('invalid_parameter', 'Missing required parameter: client_id')
  const client = core.clients.get(clientId)
  if (client === undefined) throw badRequest('invalid_client', 'Unknown client.')
  info.client = client
  return client
}

/** The directory named by `connection`, and its configured options (none for a directory created at run time). */
export async function namedDirectory(core: Core, body: DbConnectionBody): Promise<{ directory: Directory; options: DirectoryConfig | undefined }> {
  const name = body.string('connection')
  if (name === undefined) throw badRequest('invalid_parameter', 'Missing required parameter: connection')
  const directory = await core.stores.users.getDirectory(name)
  if (directory === undefined) throw badRequest('invalid_connection', 'Unknown connection.')
  return { directory, options: core.directoryOptions.get(directory.name) }
}

/** {@link countAttempt}, answered in the database connections' error shape when the pair is over its limit. */
export async function countDbConnectionAttempt(core: Core, key: { subject: string; ip: string }, threshold: number): Promise<void> {
  try {
    await countAttempt({ ...core, bruteForce: { ...core.bruteForce, threshold } }, key)
  } catch (error) {
    if (error instanceof OAuthError && error.status === 429) {
      throw new DbConnectionError(429, 'TooManyRequestsError', 'too_many_attempts', error.description, { headers: { ...error.headers } })
    }
    throw error
  }
}

/** A simple shape check of an email address: one `@`, something on each side, no spaces. */
export function looksLikeEmail(value: string): boolean {
  return value.length <= 320 && /^[^\s@]+@[^\s@]+$/u.test(value)
}
