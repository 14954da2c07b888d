/**
 * `@tokenrules/oauth/cli`: a token server configured by a file instead of code, and the operator
 * commands of `tokenrules serve`, `tokenrules users` and `tokenrules hash-secret` (the `tokenrules`
 * CLI of `@tokenrules/testing` loads this entry when one of them is asked for).
 *
 * @packageDocumentation
 * @module @tokenrules/oauth/cli
 */
export { loadServerConfig, ServerConfigError, describeServerConfig, redactedUrl } from './config/load.js'
export type { LoadServerConfigOptions, ServerConfig, ServerConfigIssue, ServerRulesConfig, ServerStoresConfig } from './config/load.js'
export { serverConfigSchema, serverConfigJsonSchema } from './config/schema.js'
export type { ServerConfigFile } from './config/schema.js'
export { openServerStores } from './config/stores.js'
export type { OpenStores } from './config/stores.js'
export { serve } from './config/serve.js'
export type { ServeOptions, RunningServer, ReloadOutcome } from './config/serve.js'
export { runServerCommand, serverCommandHelp, SERVER_COMMANDS } from './cli/main.js'
export { processIo, CliUsageError, EXIT } from './cli/io.js'
export type { CliIo } from './cli/io.js'
