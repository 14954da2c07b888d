import { analyzeAction } from './analyze-action.js'
import { analyzeRule, type AnalyzeOptions, type Finding } from './analyze.js'
import type { ActionSetSource } from '../action-sources.js'
import type { RuleSetSource } from '../rule-sources.js'
import { readPipeline } from '../run-rules.js'

/**
 * What `checkRules` found: the rules it checked and every finding, with counts by severity (a CI
 * step fails when `errors` is not 0).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { checkRules, type CheckReport } from '@tokenrules/testing'
 *
 * const report: CheckReport = await checkRules({
 *   rules: [
 *     { name: 'add-roles', script: `function (user, context, callback) { context.accessToken['https://example.com/roles'] = []; callback(null, user, context); }` },
 *     { name: 'geo', script: `function (user, context, callback) { const lib = require(configuration.LIB); callback(null, user, context); }`, enabled: false },
 *   ],
 * })
 * assert.deepEqual(report.rules, [
 *   { name: 'add-roles', file: undefined, enabled: true },
 *   { name: 'geo', file: undefined, enabled: false },
 * ])
 * assert.deepEqual(report.findings.map((f) => `${f.rule}: ${f.code}`), ['geo: require-dynamic'])
 * assert.equal(report.errors, 0)
 * assert.equal(report.warnings, 1)
 * ```
 */
export interface CheckReport {
  /** The rules checked, in pipeline order of their files. */
  rules: { name: string; file: string | undefined; enabled: boolean }[]
  /** The post-login actions checked, in order: those given as actions, and rule files that set `exports.onExecutePostLogin`. */
  actions: { name: string; file: string | undefined; enabled: boolean }[]
  /** Every finding, by rule then line. */
  findings: Finding[]
  /** How many findings are errors (the rule misbehaves at run time). */
  errors: number
  /** How many findings are warnings (the rule may misbehave, or could not be checked). */
  warnings: number
}

/**
 * Check a rule set statically (what `tokenrules check` does): syntax errors, claim names the
 * namespace policy drops, redirects the password grant refuses, paths that never reach
 * `callback`, and `require`s of modules not allowed. Post-login actions (`actions`,
 * `actionFiles`, `actionsDir`, or a rule file that sets `exports.onExecutePostLogin`) get
 * `analyzeAction`'s checks. Nothing runs.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { checkRules } from '@tokenrules/testing'
 *
 * const report = await checkRules({ rules: ["function (user, context, callback) { context.idToken.roles = []; callback(null, user, context); }"] })
 * assert.equal(report.errors, 1)
 * assert.equal(report.findings[0]?.code, 'claim-not-namespaced')
 * assert.ok(report.findings[0]?.message.includes("(e.g. 'https://example.com/roles')"))
 * ```
 */
export async function checkRules(source: RuleSetSource & ActionSetSource, options: AnalyzeOptions = {}): Promise<CheckReport> {
  const { rules, actions } = await readPipeline(source)
  const findings = [...rules.flatMap((rule) => analyzeRule(rule, options)), ...actions.flatMap((action) => analyzeAction(action, options))]
  return {
    rules: rules.map((rule) => ({ name: rule.name, file: rule.file, enabled: rule.enabled !== false })),
    actions: actions.map((action) => ({ name: action.name, file: action.file, enabled: action.enabled !== false })),
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  }
}
