import { analyzeRule, type AnalyzeOptions, type Finding } from './analyze.js'
import { readRuleSet, type RuleFile, type RuleSetSource } from '../rule-sources.js'

/** What `checkRules` found. */
export interface CheckReport {
  /** The rules checked, in pipeline order of their files. */
  rules: { name: string; file: string | undefined; enabled: boolean }[]
  /** Every finding, by rule then line. */
  findings: Finding[]
  /** Counts by severity. */
  errors: number
  warnings: number
}

/**
 * Check a rule set statically (what `tokenrules check` does): syntax errors, claim names the
 * namespace policy drops, redirects the password grant refuses, paths that never reach
 * `callback`, and `require`s of modules not allowed. Nothing runs.
 *
 * @example
 * ```ts
 * import { checkRules } from '@tokenrules/testing'
 *
 * const report = await checkRules({ rules: ["function (user, context, callback) { context.idToken.roles = []; callback(null, user, context); }"] })
 * report.findings[0]?.code // 'claim-not-namespaced'
 * ```
 */
export async function checkRules(source: RuleSetSource, options: AnalyzeOptions = {}): Promise<CheckReport> {
  const rules: RuleFile[] = await readRuleSet(source)
  const findings = rules.flatMap((rule) => analyzeRule(rule, options))
  return {
    rules: rules.map((rule) => ({ name: rule.name, file: rule.file, enabled: rule.enabled !== false })),
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  }
}
