/**
 * `@tokenrules/engine`: Auth0-style rules (`function (user, context, callback)`), unchanged, in an
 * isolated-vm sandbox, for any Node token server.
 *
 * @packageDocumentation
 * @module @tokenrules/engine
 */
export { createEngine, Engine } from './engine.js'
export type { EngineStats, RunOptions } from './engine.js'
export type { EngineOptions, RuleDefinition, ActionDefinition, RuleErrorEvent } from './options.js'
export type { RunInput, User, Context } from './input.js'
export type {
  RunResult,
  AccessTokenResult,
  TokenClaims,
  LogEntry,
  Warning,
  ClaimDropReason,
  JsonValue,
  MetadataUpdate,
  BackgroundReport,
  BackgroundTask,
} from './result.js'
export { UnauthorizedError } from './unauthorized-error.js'
export {
  TokenRulesError,
  isTokenRulesError,
  RuleUnauthorizedError,
  RuleDeniedError,
  RuleExceptionError,
  RedirectUnsupportedError,
  MfaProviderUnsupportedError,
  RuleTimeoutError,
  RuleMemoryLimitError,
  RuleCompileError,
  RuleResultInvalidError,
  ClaimsTooLargeError,
  ClaimViolationError,
  ConfigInvalidError,
  formatIssuePath,
  InputInvalidError,
  MetadataUpdateFailedError,
  ModuleNotAllowedError,
  EngineClosedError,
  EngineInternalError,
  REDIRECT_UNSUPPORTED_DESCRIPTION,
} from './errors.js'
export type { AnyTokenRulesError, TokenRulesErrorCode, OAuthErrorResponse, ValidationIssue, FailureDetails } from './errors.js'
export { claimViolation, applyClaimsPolicy, normalizeScope } from './claims.js'
export type { ClaimsPolicy } from './claims.js'
export { pipelineOrder } from './options.js'
export { requiredModules } from './modules.js'
export { REGISTERED_CLAIMS, REGISTERED_ID_TOKEN_CLAIMS, RESTRICTED_CLAIMS, FORBIDDEN_NAMESPACE_HOSTS, MAX_CUSTOM_CLAIMS_BYTES } from './claims.js'
export { NO_BROWSER_PROTOCOLS } from './protocols.js'
export { sandboxRuntime } from './runtime.js'
export type { SandboxRuntime } from './runtime.js'
