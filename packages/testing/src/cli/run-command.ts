import { readFile } from 'node:fs/promises'
import { dirname, relative } from 'node:path'
import { parseArgs } from 'node:util'
import {
  createEngine,
  formatIssuePath,
  isTokenRulesError,
  type AnyTokenRulesError,
  type EngineOptions,
  type JsonValue,
  type LogEntry,
  type RunInput,
  type RunResult,
  type Warning,
} from '@tokenrules/engine'
import { fixedClock, seededRandom } from '../determinism.js'
import { fakeHttp, type FakeHttp, type FakeRoute } from '../fake-http.js'
import { makeContext } from '../fixtures/context.js'
import { makeUser } from '../fixtures/user.js'
import { isPlainObject } from '../lib/merge.js'
import type { ActionFile } from '../action-sources.js'
import { toPath, type RuleFile } from '../rule-sources.js'
import { readPipelinePaths } from './pipeline-paths.js'
import { styleFor, type Style } from './style.js'
import { EXIT, listOption, UsageError } from './usage.js'

export const RUN_HELP = `tokenrules run — run a rule set for one login, in the real sandbox, and print the outcome

Usage:
  tokenrules run <rules...> [options]

  <rules...>  rule files (.js, one rule each) and folders of them; folders run their files in
              file-name order (01-a.js before 02-b.js), all in the order given. A file that sets
              exports.onExecutePostLogin is a post-login action, and a folder's actions/
              subfolder holds actions: they run after the rules, in the same order

Options:
  --actions <path>          post-login action files or folders (repeatable), run after the rules
  --user <file>             the user profile (JSON), merged onto a realistic default profile
  --context <file>          the context (JSON), merged onto a realistic default context
  --config <file>           the rules' configuration (JSON object of strings)
  --protocol <name>         context.protocol (default oauth2-password)
  --raw                     use --user and --context as they are, without the defaults
  --allow <modules>         modules rules may require: packages (lodash,uuid,…), crypto, jsonwebtoken
  --http-allow <hosts>      hosts request/axios/fetch may reach (enables those modules)
  --http-allow-address <ips>  loopback, private or link-local addresses (IPs or CIDR ranges) those
                            hosts may resolve to, e.g. 127.0.0.1 for a local mock server; others
                            are refused (ERR_HTTP_NOT_ALLOWED)
  --fake-http <file>        answer the rules' HTTP requests from routes (JSON) instead of the
                            network: { "POST https://api.example/score": { "json": { "score": 7 } } }
  --namespace <policy>      custom claims namespace policy: required (default) or optional
  --forbid-namespace <hosts>  more forbidden claim namespaces (your issuer's host)
  --timeout <ms>            the pipeline's time budget (default 20000)
  --clock <iso>             the time rules see (default: now)
  --seed <n>                make Math.random and crypto randomness reproducible
  --json                    print the outcome as JSON
  -h, --help                show this help

Exit codes:
  0  allowed: the rules let the login through (also when they ask for MFA or redirect a browser)
  1  denied: the token endpoint answers 4xx (UnauthorizedError → 401, Error → 403, a throw → 403,
     a redirect under the password grant → 403)
  2  failed: a 5xx outcome (timeout, invalid result, rule that does not compile, …), or the
     command could not run (bad arguments, unreadable files)

Metadata updates (auth0.users.updateAppMetadata) are accepted and listed, not stored.
`

interface RunReport {
  outcome: 'allowed' | 'denied' | 'failed'
  exitCode: number
  protocol: string
  rules: { name: string; file: string | undefined }[]
  /** The post-login actions, after the rules (absent when there are none). */
  actions?: { name: string; file: string | undefined }[]
  /** Requests answered by --fake-http. */
  http?: { method: string; url: string; matched: boolean }[]
  result?: {
    user: Record<string, unknown>
    accessToken: { claims: Record<string, JsonValue>; scope: string[] | undefined }
    idToken: { claims: Record<string, JsonValue> }
    multifactor?: { provider: string; allowRememberBrowser: boolean }
    redirect?: { url: string }
    primaryUser?: string
    metadataUpdates: RunResult['metadataUpdates']
    warnings: Warning[]
    logs: LogEntry[]
    timings: { name: string; durationMs: number }[]
    /** Each action that ran, with its duration (absent when there are no actions). */
    actionTimings?: { name: string; durationMs: number }[]
  }
  error?: {
    code: string
    message: string
    rule: string | undefined
    line?: number | undefined
    oauth: { status: number; body: { error: string; error_description: string } }
    warnings: readonly Warning[]
    logs: readonly LogEntry[]
  }
}

export async function runCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv)
  if (values.help === true) {
    process.stdout.write(RUN_HELP)
    return EXIT.allowed
  }
  const actionPaths = values.actions ?? []
  if (positionals.length === 0 && actionPaths.length === 0) throw new UsageError('run: give at least one rule file or folder (see tokenrules run --help)')

  const pipeline = await readPipelinePaths(positionals, actionPaths, 'run')
  const rules = pipeline.rules.map((rule, index) => ({ ...rule, order: index + 1 }))
  const actions = pipeline.actions
  if (rules.length === 0 && actions.length === 0) throw new UsageError(`run: no rules (.js files) found in ${[...positionals, ...actionPaths].join(', ')}`)
  const userInput = values.user === undefined ? {} : await readJsonObject(values.user, '--user')
  const contextInput = values.context === undefined ? {} : await readJsonObject(values.context, '--context')
  if (values.protocol !== undefined) contextInput.protocol = values.protocol
  const configuration = values.config === undefined ? undefined : await readConfiguration(values.config)
  const raw = values.raw === true
  const input: RunInput = raw ? rawInput(userInput, contextInput) : { user: makeUser(userInput), context: makeContext(contextInput) }
  const protocol = input.context.protocol

  const options = engineOptions(rules, actions, values, configuration)
  let http: FakeHttp | undefined
  if (values['fake-http'] !== undefined) {
    const routes = await readJsonObject(values['fake-http'], '--fake-http')
    try {
      http = fakeHttp(routes as Record<string, FakeRoute>, { allow: listOption(values['http-allow']) })
    } catch (error) {
      throw new UsageError(`run: --fake-http ${values['fake-http']}: ${(error as Error).message}`)
    }
    options.modules = { ...options.modules, http: http.module }
  }
  const report: RunReport = {
    outcome: 'failed',
    exitCode: EXIT.failed,
    protocol,
    rules: rules.map((r) => ({ name: r.name, file: r.file === undefined ? undefined : displayPath(r.file) })),
  }
  if (actions.length > 0) report.actions = actions.map((a) => ({ name: a.name, file: a.file === undefined ? undefined : displayPath(a.file) }))
  try {
    await using engine = await createEngine(options)
    const result = await engine.run(input)
    report.outcome = 'allowed'
    report.exitCode = EXIT.allowed
    report.result = {
      user: result.user,
      accessToken: result.accessToken,
      idToken: result.idToken,
      ...(result.multifactor === undefined ? {} : { multifactor: result.multifactor }),
      ...(result.redirect === undefined ? {} : { redirect: result.redirect }),
      ...(result.primaryUser === undefined ? {} : { primaryUser: result.primaryUser }),
      metadataUpdates: result.metadataUpdates,
      warnings: result.warnings,
      logs: result.logs,
      timings: result.rules,
      ...(result.actions === undefined ? {} : { actionTimings: result.actions }),
    }
  } catch (error) {
    if (!isTokenRulesError(error)) throw error
    const oauth = error.toOAuthError()
    report.outcome = oauth.status >= 500 ? 'failed' : 'denied'
    report.exitCode = oauth.status >= 500 ? EXIT.failed : EXIT.denied
    report.error = {
      code: error.code,
      message: error.message,
      rule: error.rule,
      ...(error.code === 'ERR_RULE_COMPILE' ? { line: error.line } : {}),
      oauth,
      warnings: error.warnings,
      logs: error.logs,
    }
    if (error.code === 'ERR_CONFIG_INVALID' || error.code === 'ERR_INPUT_INVALID') report.error.message = describeValidation(error)
  }

  if (http !== undefined) report.http = http.requests.map((r) => ({ method: r.method, url: r.url, matched: !http.unmatched.includes(r) }))
  if (values.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else process.stdout.write(formatRun(report, styleFor(process.stdout)))
  return report.exitCode
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        user: { type: 'string' },
        context: { type: 'string' },
        config: { type: 'string' },
        protocol: { type: 'string' },
        raw: { type: 'boolean' },
        allow: { type: 'string', multiple: true },
        'http-allow': { type: 'string', multiple: true },
        'http-allow-address': { type: 'string', multiple: true },
        'fake-http': { type: 'string' },
        actions: { type: 'string', multiple: true },
        namespace: { type: 'string' },
        'forbid-namespace': { type: 'string', multiple: true },
        timeout: { type: 'string' },
        clock: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    throw new UsageError(`run: ${(error as Error).message}`)
  }
}

type RunValues = ReturnType<typeof parse>['values']

function engineOptions(rules: RuleFile[], actions: ActionFile[], values: RunValues, configuration: Record<string, string> | undefined): EngineOptions {
  const allow = listOption(values.allow)
  const httpAllow = listOption(values['http-allow'])
  const allowAddresses = listOption(values['http-allow-address'])
  const packages = allow.filter((name) => !['crypto', 'jsonwebtoken', 'request', 'axios', 'node-fetch'].includes(name))
  const firstFile = rules.find((r) => r.file !== undefined)?.file ?? actions.find((a) => a.file !== undefined)?.file
  const options: EngineOptions = {
    rules: rules.map(({ file: _file, ...rule }) => rule),
    ...(actions.length === 0 ? {} : { actions: actions.map(({ file: _file, ...action }) => action) }),
    concurrency: 1,
    modules: {
      packages,
      ...(firstFile === undefined ? {} : { resolveFrom: dirname(firstFile) }),
      ...(allow.includes('crypto') || allow.includes('jsonwebtoken') ? { crypto: true } : {}),
      ...(httpAllow.length > 0 ? { http: { allow: httpAllow, ...(allowAddresses.length > 0 ? { allowAddresses } : {}) } } : {}),
    },
    hooks: { updateAppMetadata: () => undefined, updateUserMetadata: () => undefined },
    errors: { exposeExceptionMessages: false },
  }
  if (configuration !== undefined) options.configuration = configuration
  if (values.namespace !== undefined) {
    if (values.namespace !== 'required' && values.namespace !== 'optional')
      throw new UsageError(`run: --namespace must be required or optional, not '${values.namespace}'`)
    options.claims = { namespace: values.namespace }
  }
  const forbidden = listOption(values['forbid-namespace'])
  if (forbidden.length > 0) options.claims = { ...options.claims, forbiddenNamespaces: forbidden }
  if (values.timeout !== undefined) {
    const ms = Number(values.timeout)
    if (!Number.isInteger(ms) || ms < 1) throw new UsageError(`run: --timeout must be a whole number of milliseconds, not '${values.timeout}'`)
    options.limits = { timeoutMs: ms }
  }
  if (values.clock !== undefined) {
    try {
      options.clock = fixedClock(values.clock)
    } catch {
      throw new UsageError(`run: --clock must be an ISO date, not '${values.clock}'`)
    }
  }
  if (values.seed !== undefined) {
    const seed = Number(values.seed)
    if (!Number.isInteger(seed)) throw new UsageError(`run: --seed must be an integer, not '${values.seed}'`)
    options.random = seededRandom(seed)
  }
  return options
}

async function readJson(file: string, option: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(toPath(file), 'utf8')
  } catch (error) {
    throw new UsageError(`run: ${option} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new UsageError(`run: ${option} ${file} is not valid JSON: ${(error as Error).message}`)
  }
}

/**
 * `--user` and `--context` as they are. The engine checks every field when the rules run; the three
 * a run cannot start without must at least be strings here.
 */
function rawInput(user: Record<string, unknown>, context: Record<string, unknown>): RunInput {
  const { user_id } = user
  const { protocol, clientID } = context
  if (typeof user_id === 'string' && typeof protocol === 'string' && typeof clientID === 'string') {
    return { user: { ...user, user_id }, context: { ...context, protocol, clientID } }
  }
  const missing = [
    typeof user_id === 'string' ? '' : 'user.user_id',
    typeof protocol === 'string' ? '' : 'context.protocol',
    typeof clientID === 'string' ? '' : 'context.clientID',
  ].filter((path) => path !== '')
  throw new UsageError(
    `run: with --raw, --user and --context must give user.user_id, context.protocol and context.clientID as strings (not: ${missing.join(', ')})`,
  )
}

async function readJsonObject(file: string, option: string): Promise<Record<string, unknown>> {
  const value = await readJson(file, option)
  if (!isPlainObject(value)) throw new UsageError(`run: ${option} ${file} must hold a JSON object`)
  return value
}

async function readConfiguration(file: string): Promise<Record<string, string>> {
  const value = await readJsonObject(file, '--config')
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw new UsageError(`run: --config ${file}: '${key}' must be a string (rules' configuration holds strings only)`)
  }
  return value as Record<string, string>
}

function describeValidation(error: AnyTokenRulesError): string {
  const issues = 'issues' in error ? error.issues : []
  return issues.length === 0 ? error.message : `${error.message.split(':')[0]}:\n${issues.map((i) => `  ${formatIssuePath(i.path)}: ${i.message}`).join('\n')}`
}

// ---- human output -------------------------------------------------------------------------------

function formatRun(report: RunReport, s: Style): string {
  const out: string[] = []
  const actionCount = report.actions?.length ?? 0
  const rulesText = `${report.rules.length} rule${report.rules.length === 1 ? '' : 's'}`
  const actionsText = `${actionCount} action${actionCount === 1 ? '' : 's'}`
  const count = actionCount === 0 ? rulesText : report.rules.length === 0 ? actionsText : `${rulesText} and ${actionsText}`
  out.push(s.dim(`tokenrules run: ${count}, protocol ${report.protocol}`), '')
  if (report.result !== undefined) {
    const r = report.result
    const extra =
      r.multifactor !== undefined
        ? `, MFA required (${r.multifactor.provider}): the token endpoint answers 403 mfa_required until the second factor`
        : r.redirect !== undefined
          ? `, redirect to ${r.redirect.url}`
          : ': the token endpoint issues the tokens'
    out.push(`${s.green('✔ allowed')}${extra}`, '')
    const width = Math.max(...r.timings.map((t) => t.name.length), ...(r.actionTimings ?? []).map((t) => t.name.length), 4)
    if (report.rules.length > 0 || actionCount === 0) {
      out.push(s.bold('Rules'))
      for (const timing of r.timings) out.push(`  ${timing.name.padEnd(width)}  ${s.dim(`${timing.durationMs} ms`)}`)
      out.push('')
    }
    if (r.actionTimings !== undefined) {
      out.push(s.bold('Actions'))
      for (const timing of r.actionTimings) out.push(`  ${timing.name.padEnd(width)}  ${s.dim(`${timing.durationMs} ms`)}`)
      out.push('')
    }
    out.push(s.bold('Access token'))
    out.push(
      `  ${s.cyan('scope')}  ${r.accessToken.scope === undefined ? s.dim(actionCount === 0 ? '(as granted; no rule changed it)' : '(as granted; no rule or action changed it)') : r.accessToken.scope.join(' ') || s.dim('(none)')}`,
    )
    out.push(...claimLines(r.accessToken.claims, s))
    out.push('', s.bold('ID token'))
    out.push(...claimLines(r.idToken.claims, s))
    if (r.primaryUser !== undefined) out.push('', `${s.bold('Primary user')}  ${r.primaryUser}`)
    if (r.metadataUpdates.length > 0) {
      out.push('', s.bold('Metadata updates'))
      for (const update of r.metadataUpdates) out.push(`  ${update.kind} of ${update.userId}: ${JSON.stringify(update.metadata)}`)
    }
    out.push(...httpLines(report.http, s), ...warningLines(r.warnings, s), ...logLines(r.logs, s))
  } else if (report.error !== undefined) {
    const e = report.error
    const label = report.outcome === 'denied' ? s.red('✘ denied') : s.red('✘ failed')
    const kind = report.actions?.some((a) => a.name === e.rule) === true ? 'action' : 'rule'
    const where = e.rule === undefined ? '' : ` in ${kind} '${e.rule}'${e.line === undefined ? '' : ` (line ${e.line})`}`
    out.push(`${label}: ${s.bold(e.code)}${where}`)
    out.push(...e.message.split('\n').map((line) => `  ${line}`))
    out.push(`  ${s.dim('→')} HTTP ${e.oauth.status} ${JSON.stringify(e.oauth.body)}`)
    out.push(...httpLines(report.http, s), ...warningLines(e.warnings, s), ...logLines(e.logs, s))
  }
  out.push('')
  return out.join('\n')
}

function claimLines(claims: Record<string, JsonValue>, s: Style): string[] {
  const names = Object.keys(claims)
  if (names.length === 0) return [`  ${s.dim('(no custom claims)')}`]
  return names.map((name) => `  ${s.cyan(name)}  ${JSON.stringify(claims[name])}`)
}

function httpLines(http: RunReport['http'], s: Style): string[] {
  if (http === undefined || http.length === 0) return []
  return ['', s.bold('HTTP (fake)'), ...http.map((r) => `  ${r.method} ${r.url}${r.matched ? '' : s.yellow('  → 404, no route')}`)]
}

function warningLines(warnings: readonly Warning[], s: Style): string[] {
  if (warnings.length === 0) return []
  return ['', s.bold('Warnings'), ...warnings.map((w) => `  ${s.yellow(w.code)}  ${w.code === 'CLAIM_DROPPED' ? `${w.token}: ` : ''}${w.message}`)]
}

function logLines(logs: readonly LogEntry[], s: Style): string[] {
  if (logs.length === 0) return []
  return [
    '',
    s.bold('Logs'),
    ...logs.map((l) => `  ${s.dim(`[${l.rule}]`)} ${l.level === 'error' || l.level === 'warn' ? s.yellow(l.level) : l.level}: ${l.message}`),
  ]
}

/** A path as the user would type it. */
export function displayPath(file: string | undefined): string {
  if (file === undefined) return '(inline)'
  const rel = relative(process.cwd(), file)
  return rel.startsWith('..') ? file : rel
}
