import { createEngine, type Engine, type RunResult } from '@tokenrules/engine'
import { makeContext, type ContextOverrides } from './fixtures/context.js'
import { makeUser, type UserOverrides } from './fixtures/user.js'
import { track, untrack } from './lib/resources.js'
import { engineOptionsFor, type TestEngineOptions } from './options.js'
import { readRuleSet, type RuleSetSource } from './rule-sources.js'

/** One login: overrides of {@link makeUser} and {@link makeContext}. */
export interface LoginInput {
  /** Merged onto {@link makeUser}'s profile (`undefined` removes a field). */
  user?: UserOverrides | undefined
  /** Merged onto {@link makeContext}'s context; `protocol` picks its shape (`undefined` removes a field). */
  context?: ContextOverrides | undefined
  /** Also return `result.context`, the context as the last rule left it (before the claims policy). */
  includeContext?: boolean | undefined
}

/** Options of {@link runRules}: the rules, the login, and the engine's options with test defaults. */
export interface RunRulesOptions extends RuleSetSource, TestEngineOptions, LoginInput {}

/** Options of {@link createRuleRunner}. */
export interface RuleRunnerOptions extends RuleSetSource, TestEngineOptions {}

/** A compiled rule set to run many logins against; close it (or use `await using`). */
export interface RuleRunner extends AsyncDisposable {
  /** Run the rules for one login (fixtures with the given overrides). Rejects with the engine's typed error. */
  run(input?: LoginInput): Promise<RunResult>
  /** The engine underneath, for `stats` or `update`. */
  readonly engine: Engine
  close(): Promise<void>
}

/**
 * Run a rule set once, in the real sandbox with the real claims policy, for a login built from the
 * fixtures. Resolves with the engine's result; rejects with its typed error (`err.code`,
 * `err.toOAuthError()`). The engine is created for this call and closed after it.
 *
 * @example
 * ```ts
 * import { runRules } from '@tokenrules/testing'
 *
 * const result = await runRules({
 *   rules: [`function (user, context, callback) {
 *     context.accessToken['https://acme.example/plan'] = user.app_metadata.plan;
 *     callback(null, user, context);
 *   }`],
 *   user: { app_metadata: { plan: 'gold' } },
 * })
 * result.accessToken.claims // { 'https://acme.example/plan': 'gold' }
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
 * import { createRuleRunner } from '@tokenrules/testing'
 *
 * await using runner = await createRuleRunner({
 *   rules: ['function (user, context, callback) { callback(null, user, context); }'],
 * })
 * const result = await runner.run({ user: { email_verified: false } })
 * result.rules.length // 1
 * ```
 */
export async function createRuleRunner(options: RuleRunnerOptions): Promise<RuleRunner> {
  const rules = await readRuleSet(options)
  const engine = await createEngine(engineOptionsFor(rules, options))
  const runner: RuleRunner = {
    engine,
    run(input: LoginInput = {}) {
      return engine.run(
        { user: makeUser(input.user), context: makeContext(input.context) },
        { includeContext: input.includeContext === true },
      )
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
