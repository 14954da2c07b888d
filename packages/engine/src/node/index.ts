/**
 * `@tokenrules/engine/node`: Node-side helpers that read rule sets from where Auth0 tenants keep
 * them (a folder of rules, an Auth0 Deploy CLI export in directory or YAML format, a Management API
 * dump), for token servers, CLIs and test kits alike.
 *
 * @packageDocumentation
 * @module @tokenrules/engine/node
 */
export { readTenantRules, detectRuleSourceFormat, postLoginActions } from './tenant.js'
export type { RuleSourceFormat, TenantRuleSource, TenantRules, TenantAction } from './tenant.js'
export { readRuleFolder, readRuleFile, readRuleFileSync, ruleNameOf, toPath } from './folder.js'
export type { RuleFile } from './folder.js'
export { replaceKeywords } from './keywords.js'
export type { KeywordMappings } from './keywords.js'
export { RuleSourceError } from './errors.js'
