/**
 * `@tokenrules/testing`: test Auth0-style rules in the real tokenrules sandbox. Fixtures
 * (`makeUser`, `makeContext`), `runRules` for a whole rule set with the real claims policy,
 * `loadRule` for classic one-rule suites, `loadAction` / `runActions` for post-login Actions,
 * deterministic time and randomness, and `checkRules` (the
 * `tokenrules check` analysis). Vitest matchers live in `@tokenrules/testing/vitest`.
 *
 * @packageDocumentation
 * @module @tokenrules/testing
 */
export { makeUser } from './fixtures/user.js'
export type { TestUser, TestIdentity, UserOverrides } from './fixtures/user.js'
export { makeContext, BROWSER_PROTOCOLS } from './fixtures/context.js'
export type { TestContext, ContextOverrides } from './fixtures/context.js'
export { runRules, createRuleRunner } from './run-rules.js'
export type { RunRulesOptions, RuleRunnerOptions, RuleRunner, LoginInput } from './run-rules.js'
export { loadRule, createRuleLoader } from './load-rule.js'
export type { LoadRuleOptions, LoadedRule, LoadedRuleRun, RuleCallback } from './load-rule.js'
export { loadAction, runActions } from './load-action.js'
export type { LoadActionOptions, LoadedAction, RunActionsOptions } from './load-action.js'
export { readActionSet, isActionSource } from './action-sources.js'
export type { ActionSetSource, ActionFile } from './action-sources.js'
export type { EventOverrides } from './fixtures/event.js'
export { readRuleSet, ruleNameOf } from './rule-sources.js'
export type { RuleSetSource, RuleFile } from './rule-sources.js'
export { TEST_TIMEOUT_MS, TEST_AUTH0_DOMAIN } from './options.js'
export type { TestEngineOptions } from './options.js'
export { FIXED_NOW, DEFAULT_SEED, fixedClock, manualClock, seededRandom } from './determinism.js'
export type { ClockOption, RandomOption } from './determinism.js'
export { closeAll, openEngineCount } from './resources.js'
export { UnauthorizedError, isTokenRulesError } from '@tokenrules/engine'
export type { RunResult, AnyTokenRulesError, TokenRulesErrorCode, Warning, LogEntry, JsonValue } from '@tokenrules/engine'
export { checkRules } from './check/check-rules.js'
export type { CheckReport } from './check/check-rules.js'
export { analyzeRule } from './check/analyze.js'
export type { Finding, FindingCode, AnalyzeOptions, AnalyzedRule } from './check/analyze.js'
export { analyzeAction } from './check/analyze-action.js'
export type { AnalyzedAction } from './check/analyze-action.js'
export { fakeHttp } from './fake-http.js'
export type { FakeHttp, FakeRoute, FakeResponse, RecordedRequest } from './fake-http.js'
export { convertRule, RuleConversionError } from './convert/convert-rule.js'
export type { ConvertedRule, ConversionNote, ConvertRuleOptions } from './convert/convert-rule.js'
