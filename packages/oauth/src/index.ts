/**
 * `@tokenrules/oauth`: an OAuth 2.0 token endpoint for the password exchange (`password`,
 * `password-realm`, `refresh_token`, MFA) that runs Auth0-style rules with `@tokenrules/engine`.
 * Stores on a database have entry points of their own (`@tokenrules/oauth/sqlite`,
 * `@tokenrules/oauth/redis`), so this one loads no database driver.
 *
 * @packageDocumentation
 * @module @tokenrules/oauth
 */
export { createTokenServer } from './server.js'
export type { TokenServer, TokenServerHandler, ConnectionInfo } from './server.js'
export { toNodeListener } from './node.js'
export type {
  TokenServerOptions,
  ClientConfig,
  ApiConfig,
  DirectoryConfig,
  PasswordResetDelivery,
  SigningAlgorithm,
  ServerErrorEvent,
  RefusedEvent,
} from './options.js'
export { PasswordResetError } from './dbconnections/change-password.js'
export { GRANT_TYPES } from './grants/grant-types.js'
export type { GrantType } from './grants/grant-types.js'
export type { UserAdmin, NewUser } from './users/admin.js'
export { hashPassword, verifyPassword, DEFAULT_SCRYPT_COST } from './passwords/hash.js'
export type { HashPasswordOptions } from './passwords/hash.js'
export { hashSecret } from './passwords/hash-secret.js'
export { importedPasswordHash, verifyUserPassword, PasswordHashImportError } from './passwords/imported.js'
export { importAuth0Users, UserImportError } from './users/import.js'
export type { ImportAuth0UsersOptions, ImportSummary, ImportProblem } from './users/import.js'
export { OAuthError } from './errors.js'
export type { RefreshTokenFailure } from './errors.js'
export { createMemoryStores } from './stores/memory.js'
export { StoreConflictError } from './stores/conflict.js'
export { StoreUnavailableError } from './stores/unavailable.js'
export type {
  TokenServerStores,
  UserStore,
  UserRecord,
  UserProfile,
  Directory,
  RefreshTokenStore,
  RefreshTokenRecord,
  RefreshTokenUse,
  MfaStore,
  MfaTransaction,
  MfaEnrollment,
  AttemptStore,
  AttemptKey,
  AttemptOutcome,
  GuessKey,
  GuessBudget,
  GuessOutcome,
  KeyStore,
  SigningKeyRecord,
  UserinfoStore,
  UserinfoRecord,
} from './stores/types.js'
export type { PublicJwk } from './tokens/signing-keys.js'
