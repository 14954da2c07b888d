import { createEngine, type Engine, type RunResult } from '@tokenrules/engine'
import { makeContext, type ContextOverrides } from './fixtures/context.js'
import { makeUser, type UserOverrides } from './fixtures/user.js'
import { track, untrack } from './lib/resources.js'
import { engineOptionsFor, type TestEngineOptions } from './options.js'
import { readRuleSet, type RuleSetSource } from './rule-sources.js'

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
  /** Also return `result.context`, the context as the last rule left it (before the claims policy). */
  includeContext?: boolean | undefined
}

/**
 * Options of {@link runRules}: the rules (one of `rules`, `files`, `dir`), the login (`user`,
 * `context`), and the engine's options with test defaults.
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
export interface RunRulesOptions extends RuleSetSource, TestEngineOptions, LoginInput {}

/**
 * Options of {@link createRuleRunner}: the rules (one of `rules`, `files`, `dir`) and the engine's
 * options with test defaults; the login comes with each `run`.
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
export interface RuleRunnerOptions extends RuleSetSource, TestEngineOptions {}

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
  return runner.run({ user: options.user, context: options.context, includeContext: options.includeContext })
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
  const rules = await readRuleSet(options)
  const engine = await createEngine(engineOptionsFor(rules, options))
  const runner: RuleRunner = {
    engine,
    run(input: LoginInput = {}) {
      return engine.run({ user: makeUser(input.user), context: makeContext(input.context) }, { includeContext: input.includeContext === true })
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
