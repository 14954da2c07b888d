import { parseArgs } from 'node:util'
import { analyzeAction } from '../check/analyze-action.js'
import { analyzeRule, type Finding } from '../check/analyze.js'
import { displayPath } from './run-command.js'
import { readPipelinePaths } from './pipeline-paths.js'
import { styleFor, type Style } from './style.js'
import { EXIT, listOption, UsageError } from './usage.js'

export const CHECK_HELP = `tokenrules check — check rules and post-login actions without running them

Usage:
  tokenrules check <dir...> [options]

  <dir...>  folders of rules (every .js file) or rule files; a file that sets
            exports.onExecutePostLogin is a post-login action, and a folder's actions/
            subfolder holds actions

Reports, with file, line and column:
  syntax-error               the rule does not compile (as the engine compiles it)
  not-a-function             the rule does not evaluate to a function (user, context, callback)
  claim-not-namespaced       a custom claim the namespace policy drops (e.g. context.idToken.roles)
  claim-forbidden-namespace  a claim under auth0.com, webtask.io, webtask.run (or --forbid-namespace)
  claim-restricted           with --namespace optional: a restricted name (roles, permissions, …)
  claim-registered           a claim the server sets (iss, sub, aud, exp, …)
  redirect-password-grant    context.redirect on a path the password grant (or its refresh) takes
  redirect-never-runs        with --password-only: a redirect for browser protocols only
  callback-never-called      the rule never calls its callback
  return-without-callback    a return on a path that has not called back
  callback-not-reached       the rule (or a callback it hands to a module) can end without calling back
  callback-twice             a path that calls back twice (the engine ignores the second call)
  callback-in-loop           a callback inside a loop body that a second iteration reaches again
  callback-after-return      a return callback(...) that only leaves an inner function: the rule calls back again
  module-not-allowed         require() of a module not in --allow
  require-dynamic            require() with a computed name (cannot be checked)
Actions get the syntax, claim (api.accessToken/idToken.setCustomClaim), redirect
(api.redirect.sendUserTo) and require checks, and:
  action-no-handler          the module never sets exports.onExecutePostLogin (the engine skips it)
  action-not-awaited         a promise whose callbacks call api, neither awaited nor returned (or an
                             async forEach callback): the action ends first, those calls come too late
Claim names are checked when they are constant (a literal, or a const string such as a namespace).
Callbacks are followed through helpers, loops, promise chains, await and callbacks handed to
modules; where the flow cannot be decided (a callback stored or called indirectly, event handlers,
flags), nothing is reported rather than a guess.

Options:
  --actions <path>            post-login action files or folders (repeatable)
  --allow <modules>           modules rules may require (comma-separated; repeatable)
  --namespace <policy>        required (default) or optional, as the engine's claims.namespace
  --forbid-namespace <hosts>  more forbidden claim namespaces (your issuer's host)
  --password-only             the rule set serves only the password grant: report every redirect
  --json                      print the findings as JSON
  -h, --help                  show this help

Exit codes: 0 nothing found, 1 something found, 2 the check could not run.
`

export async function checkCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv)
  if (values.help === true) {
    process.stdout.write(CHECK_HELP)
    return EXIT.allowed
  }
  if (positionals.length === 0 && (values.actions ?? []).length === 0) throw new UsageError('check: give a folder of rules (see tokenrules check --help)')
  if (values.namespace !== undefined && values.namespace !== 'required' && values.namespace !== 'optional') {
    throw new UsageError(`check: --namespace must be required or optional, not '${values.namespace}'`)
  }
  const pipeline = await readPipelinePaths(positionals, values.actions ?? [], 'check')
  const rules: Checked[] = [
    ...pipeline.rules.map((rule) => ({ kind: 'rule' as const, name: rule.name, file: rule.file, script: rule.script })),
    ...pipeline.actions.map((action) => ({ kind: 'action' as const, name: action.name, file: action.file, script: action.code })),
  ]
  if (rules.length === 0) throw new UsageError(`check: no rules (.js files) found in ${positionals.join(', ')}`)
  const allow = listOption(values.allow)
  const options = {
    allow,
    namespace: values.namespace as 'required' | 'optional' | undefined,
    forbiddenNamespaces: listOption(values['forbid-namespace']),
    passwordOnly: values['password-only'] === true,
  }
  const findings = rules.flatMap((entry) =>
    entry.kind === 'rule' ? analyzeRule(entry, options) : analyzeAction({ name: entry.name, code: entry.script, file: entry.file }, options),
  )
  const errors = findings.filter((f) => f.severity === 'error').length
  const warnings = findings.length - errors
  if (values.json === true) {
    const report = {
      ok: findings.length === 0,
      rules: rules
        .filter((rule) => rule.kind === 'rule')
        .map((rule) => ({
          name: rule.name,
          file: displayPath(rule.file),
          findings: findings.filter((f) => f.rule === rule.name && f.file === rule.file).length,
        })),
      ...(pipeline.actions.length === 0
        ? {}
        : {
            actions: rules
              .filter((rule) => rule.kind === 'action')
              .map((rule) => ({
                name: rule.name,
                file: displayPath(rule.file),
                findings: findings.filter((f) => f.rule === rule.name && f.file === rule.file).length,
              })),
          }),
      findings: findings.map((f) => ({ ...f, file: displayPath(f.file) })),
      errors,
      warnings,
    }
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  } else {
    process.stdout.write(formatCheck(rules, findings, styleFor(process.stdout)))
  }
  return findings.length === 0 ? EXIT.allowed : EXIT.denied
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        allow: { type: 'string', multiple: true },
        actions: { type: 'string', multiple: true },
        namespace: { type: 'string' },
        'forbid-namespace': { type: 'string', multiple: true },
        'password-only': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    throw new UsageError(`check: ${(error as Error).message}`)
  }
}

/** A rule or an action to check. */
interface Checked {
  kind: 'rule' | 'action'
  name: string
  file: string | undefined
  script: string
}

function formatCheck(rules: readonly Checked[], findings: readonly Finding[], s: Style): string {
  const out: string[] = []
  for (const rule of rules) {
    const own = findings.filter((f) => f.rule === rule.name && f.file === rule.file)
    const name = displayPath(rule.file ?? rule.name)
    if (own.length === 0) {
      out.push(`${s.green('✔')} ${name}`)
      continue
    }
    out.push(`${s.red('✘')} ${s.bold(name)}`)
    const place = (f: Finding) => `${f.line}:${f.column}`
    const width = Math.max(...own.map((f) => place(f).length))
    const codeWidth = Math.max(...own.map((f) => f.code.length))
    for (const f of own) {
      const severity = f.severity === 'error' ? s.red('error  ') : s.yellow('warning')
      out.push(`  ${s.dim(place(f).padEnd(width))}  ${severity}  ${f.code.padEnd(codeWidth)}  ${f.message}`)
    }
  }
  out.push('')
  const ruleCount = rules.filter((r) => r.kind === 'rule').length
  const actionCount = rules.length - ruleCount
  const rulesText = `${ruleCount} rule${ruleCount === 1 ? '' : 's'}`
  const actionsText = `${actionCount} action${actionCount === 1 ? '' : 's'}`
  const counted = actionCount === 0 ? rulesText : ruleCount === 0 ? actionsText : `${rulesText} and ${actionsText}`
  if (findings.length === 0) {
    out.push(s.green(`✔ ${counted} checked, no problems found`))
  } else {
    const errors = findings.filter((f) => f.severity === 'error').length
    const warnings = findings.length - errors
    const affected = new Set(findings.map((f) => `${f.file}\u0000${f.rule}`)).size
    out.push(
      s.red(
        `✘ ${findings.length} problem${findings.length === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}) in ${affected} of ${actionCount === 0 ? `${rules.length} rules` : counted}`,
      ),
    )
  }
  out.push('')
  return out.join('\n')
}
