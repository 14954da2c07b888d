import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, extname, join } from 'node:path'
import { createEngine, type EngineOptions, type Engine, type RunResult } from '@tokenrules/engine'
import { isActionSource, readActionDir, readActionSet, type ActionFile, type ActionSetSource } from './action-sources.js'
import { makeContext, type ContextOverrides } from './fixtures/context.js'
import { loginFromEvent, type EventOverrides } from './fixtures/event.js'
import { makeUser, type UserOverrides } from './fixtures/user.js'
import { track, untrack } from './lib/resources.js'
import { engineOptionsFor, type TestEngineOptions } from './options.js'
import { readRuleDir, readRuleSet, toPath, type RuleFile, type RuleSetSource } from './rule-sources.js'

/**
 * One login: overrides of {@link makeUser} and {@link makeContext}, for `runner.run` (and, with the
 * rules, for `runRules`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createRuleRunner, type LoginInput } from '@tokenrules/testing'
 *
 * await using runner = await createRuleRunner({
 *   rules: [`function (user, context, callback) {
 *     context.accessToken['https://example.com/roles'] = user.app_metadata.roles || [];
 *     callback(null, user, context);
 *   }`],
 * })
 * const admin: LoginInput = { user: { app_metadata: { roles: ['admin'] } }, context: { clientName: 'Admin Console' }, includeContext: true }
 * const result = await runner.run(admin)
 * assert.deepEqual(result.accessToken.claims, { 'https://example.com/roles': ['admin'] })
 * assert.equal(result.context?.['clientName'], 'Admin Console')
 * ```
 */
export interface LoginInput {
  /** Merged onto {@link makeUser}'s profile (`undefined` removes a field). */
  user?: UserOverrides | undefined
  /** Merged onto {@link makeContext}'s context; `protocol` picks its shape (`undefined` removes a field). */
  context?: ContextOverrides | undefined
  /**
   * Post-login `event` fields, in the event's names (`request.geoip.countryCode`, `client.name`), written onto
   * the user and context the engine builds the event from; they win over `user` and `context`.
   */
  event?: EventOverrides | undefined
  /** Also return `result.context`, the context as the last rule (or action) left it (before the claims policy). */
  includeContext?: boolean | undefined
}

/**
 * Options of {@link runRules}: the rules (one of `rules`, `files`, `dir`), the post-login actions
 * that run after them (`actions`, `actionFiles`, `actionsDir`; with actions, the rules may be left
 * out), the login (`user`, `context`, `event`), and the engine's options with test defaults.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { runRules, type RunRulesOptions } from '@tokenrules/testing'
 *
 * const options: RunRulesOptions = {
 *   rules: [`function (user, context, callback) {
 *     context.accessToken['https://example.com/tier'] = configuration.DEFAULT_TIER;
 *     callback(null, user, context);
 *   }`],
 *   configuration: { DEFAULT_TIER: 'free' },
 *   context: { protocol: 'oauth2-refresh-token' },
 * }
 * const result = await runRules(options)
 * assert.deepEqual(result.accessToken.claims, { 'https://example.com/tier': 'free' })
 * ```
 */
export interface RunRulesOptions extends RuleSetSource, ActionSetSource, TestEngineOptions, LoginInput {}

/**
 * Options of {@link createRuleRunner}: the rules (one of `rules`, `files`, `dir`), the actions
 * after them (`actions`, `actionFiles`, `actionsDir`), and the engine's options with test
 * defaults; the login comes with each `run`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createRuleRunner, type RuleRunnerOptions } from '@tokenrules/testing'
 *
 * const options: RuleRunnerOptions = {
 *   rules: [`function (user, context, callback) {
 *     global.logins = (global.logins || 0) + 1;
 *     context.idToken['https://example.com/login_number'] = global.logins;
 *     callback(null, user, context);
 *   }`],
 *   global: { logins: 100 },
 * }
 * await using runner = await createRuleRunner(options)
 * await runner.run()
 * const second = await runner.run()
 * assert.deepEqual(second.idToken.claims, { 'https://example.com/login_number': 102 })
 * ```
 */
export interface RuleRunnerOptions extends RuleSetSource, ActionSetSource, TestEngineOptions {}

/**
 * A compiled rule set to run many logins against; close it (or use `await using`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createRuleRunner, type RuleRunner } from '@tokenrules/testing'
 *
 * const runner: RuleRunner = await createRuleRunner({
 *   rules: ['function (user, context, callback) { callback(null, user, context); }'],
 * })
 * try {
 *   await runner.run({ user: { user_id: 'auth0|1' } })
 *   await runner.run({ user: { user_id: 'auth0|2' } })
 *   assert.equal(runner.engine.stats.runs, 2)
 *   assert.equal(runner.engine.stats.isolates, 1)
 * } finally {
 *   await runner.close()
 * }
 * ```
 */
export interface RuleRunner extends AsyncDisposable {
  /** Run the rules for one login (fixtures with the given overrides). Rejects with the engine's typed error. */
  run(input?: LoginInput): Promise<RunResult>
  /** The engine underneath, for `stats` or `update`. */
  readonly engine: Engine
  /** Close the engine and release its isolates; the runner cannot run after it. */
  close(): Promise<void>
}

/**
 * Run a rule set once, in the real sandbox with the real claims policy, for a login built from the
 * fixtures. Resolves with the engine's result; rejects with its typed error (`err.code`,
 * `err.toOAuthError()`). The engine is created for this call and closed after it.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { runRules } from '@tokenrules/testing'
 *
 * const result = await runRules({
 *   rules: [`function (user, context, callback) {
 *     context.accessToken['https://acme.example/plan'] = user.app_metadata.plan;
 *     callback(null, user, context);
 *   }`],
 *   user: { app_metadata: { plan: 'gold' } },
 * })
 * assert.deepEqual(result.accessToken.claims, { 'https://acme.example/plan': 'gold' })
 * ```
 */
export async function runRules(options: RunRulesOptions): Promise<RunResult> {
  await using runner = await createRuleRunner(options)
  return runner.run({ user: options.user, context: options.context, event: options.event, includeContext: options.includeContext })
}

/**
 * Compile a rule set once and run many logins against it (faster than {@link runRules} in a
 * `describe` block). `global` is shared between its runs, as on Auth0. Close it when done:
 * `await using runner = await createRuleRunner(…)`, `afterAll(() => runner.close())`, or
 * `closeAll()`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createRuleRunner } from '@tokenrules/testing'
 *
 * await using runner = await createRuleRunner({
 *   rules: [`function requireVerifiedEmail(user, context, callback) {
 *     if (!user.email_verified) return callback(new UnauthorizedError('Verify your email first.'));
 *     callback(null, user, context);
 *   }`],
 * })
 * const result = await runner.run({ user: { email_verified: true } })
 * assert.deepEqual(result.rules.map((rule) => rule.name), ['requireVerifiedEmail'])
 * await assert.rejects(runner.run({ user: { email_verified: false } }), { code: 'ERR_RULE_UNAUTHORIZED', message: 'Verify your email first.' })
 * ```
 */
export async function createRuleRunner(options: RuleRunnerOptions): Promise<RuleRunner> {
  const { rules, actions } = await readPipeline(options)
  const engine = await createEngine(pipelineOptions(rules, actions, options))
  const runner: RuleRunner = {
    engine,
    run(input: LoginInput = {}) {
      return engine.run(loginOf(input), { includeContext: input.includeContext === true })
    },
    async close() {
      untrack(runner)
      await engine.close()
    },
    [Symbol.asyncDispose]() {
      return runner.close()
    },
  }
  track(runner)
  return runner
}

/** The engine's `user` and `context` for one login: the fixtures with the test's overrides (and the event's, in its own names). */
export function loginOf(input: LoginInput): { user: ReturnType<typeof makeUser>; context: ReturnType<typeof makeContext> } {
  const overrides = input.event === undefined ? { user: input.user, context: input.context } : loginFromEvent(input.event, input)
  return { user: makeUser(overrides.user), context: makeContext(overrides.context) }
}

/**
 * The rules and actions of a test: the rule set (a file among them that sets
 * `exports.onExecutePostLogin` is an action, run after the rules, in its place among the
 * actions), then the actions given. Without actions, a rule source is required.
 */
export async function readPipeline(source: RuleSetSource & ActionSetSource): Promise<{ rules: RuleFile[]; actions: ActionFile[] }> {
  const given = await readActionSet(source)
  const hasRules = source.rules !== undefined || source.files !== undefined || source.dir !== undefined
  let all: RuleFile[] = []
  let folderActions: ActionFile[] = []
  const actionsFolder = source.rules === undefined && source.files === undefined && source.dir !== undefined ? actionsSubfolder(toPath(source.dir)) : undefined
  if (actionsFolder !== undefined) {
    // The demo server's layout, rules/NN-name.js beside rules/actions/NN-name.js: a folder of rules, not a Deploy CLI export.
    all = await readRuleDir(toPath(source.dir as string | URL))
    folderActions = await readActionDir(actionsFolder)
  } else if (hasRules || given.length === 0) all = await readRuleSet(source)
  const rules = all.filter((rule) => !isActionSource(rule.script))
  const fromRules: ActionFile[] = all
    .filter((rule) => isActionSource(rule.script))
    .map((rule) => ({ name: rule.name, code: rule.script, file: rule.file, ...(rule.enabled === undefined ? {} : { enabled: rule.enabled }) }))
  return { rules, actions: [...fromRules, ...folderActions, ...given] }
}

/**
 * `dir/actions` when it holds action files itself (`01-name.js`) and `dir` has no `rules/` folder:
 * the demo server's layout. A Deploy CLI export's `actions/` holds `<name>.json` and `<name>/code.js`.
 */
function actionsSubfolder(dir: string): string | undefined {
  const sub = join(dir, 'actions')
  try {
    if (existsSync(join(dir, 'rules')) || !statSync(sub).isDirectory()) return undefined
    return readdirSync(sub).some((name) => extname(name) === '.js') ? sub : undefined
  } catch {
    return undefined
  }
}

/** `createEngine`'s options for rules and the actions after them, with the test defaults. */
export function pipelineOptions(rules: readonly RuleFile[], actions: readonly ActionFile[], options: TestEngineOptions): EngineOptions {
  const engineOptions = engineOptionsFor(rules, options)
  if (actions.length === 0) return engineOptions
  engineOptions.actions = actions.map(({ file: _file, ...action }) => action)
  // Packages an action requires resolve beside its file when no rule file says where.
  const actionFile = actions.find((action) => action.file !== undefined)?.file
  if (actionFile !== undefined && engineOptions.modules?.resolveFrom === undefined) {
    engineOptions.modules = { ...engineOptions.modules, resolveFrom: dirname(actionFile) }
  }
  return engineOptions
}
