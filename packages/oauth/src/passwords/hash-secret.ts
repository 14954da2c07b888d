import { hashPassword, type HashPasswordOptions } from './hash.js'

/**
 * Hash a client secret for {@link ClientConfig.secretHash} (scrypt, like passwords: a leaked
 * configuration does not leak usable secrets).
 *
 * @example
 * ```ts
 * clients: [{ clientId: 'demo-app', secretHash: await hashSecret('demo-secret'), grants: ['password'] }]
 * ```
 */
export function hashSecret(secret: string, options: HashPasswordOptions = {}): Promise<string> {
  return hashPassword(secret, options)
}
