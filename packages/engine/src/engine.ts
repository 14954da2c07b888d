import { MAX_CUSTOM_CLAIMS_BYTES } from './claims.js'
import { ConfigInvalidError, EngineClosedError } from './errors.js'
import { encodeRunInput, type RunInput } from './input.js'
import {
  pipelineOrder,
  resolveActions,
  resolveOptions,
  resolveRules,
  type ActionDefinition,
  type EngineOptions,
  type ResolvedOptions,
  type RuleDefinition,
} from './options.js'
import { NO_BROWSER_PROTOCOLS } from './protocols.js'
import type { RunResult } from './result.js'
import type { PoolCounters } from './stats.js'
import { decodeOutcome } from './lib/outcome.js'
import { SandboxPool } from './lib/pool.js'
import { ProcessPool } from './lib/process-pool.js'
import { prepareShared } from './lib/shared.js'
import { assertNodeSnapshotDisabled, assertPatchedIsolatedVm } from './lib/runtime-check.js'

/**
 * Options of one {@link Engine.run}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type RunOptions } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'risk-score',
 *     script: `function (user, context, callback) {
 *       context.riskScore = context.request.ip.startsWith('10.') ? 0 : 3; // scratch value for later rules
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * // While debugging a rule set: see the context the last rule left.
 * const options: RunOptions = { includeContext: true }
 * const result = await engine.run(
 *   { user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password', request: { ip: '203.0.113.7' } } },
 *   options,
 * )
 * assert.equal(result.context?.['riskScore'], 3)
 * ```
 */
export interface RunOptions {
  /**
   * Also return the `context` exactly as the last rule left it (JSON copy, before the claims
   * policy), as `result.context`. Costs one more copy per run; meant for tests and debugging.
   */
  includeContext?: boolean | undefined
}

/**
 * Counters of {@link Engine.stats}, for the rule set in service.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type EngineStats } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   concurrency: 2,
 *   rules: [{ name: 'noop', script: 'function (user, context, callback) { callback(null, user, context); }' }],
 * })
 * await engine.run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *
 * // What a /metrics endpoint would export.
 * const stats: EngineStats = engine.stats
 * assert.deepEqual(stats, { isolates: 2, isolatesCreated: 2, recycled: 0, runs: 1, catastrophes: 0, parked: 0 })
 * ```
 */
export interface EngineStats extends PoolCounters {
  /** Isolates alive now (one per `concurrency` unless one is being replaced). */
  isolates: number
}

/** Largest run input (`user` + `context` as JSON characters). */
const MAX_INPUT_CHARS = 5_000_000
/** Timers one run may have pending at once. */
const MAX_TIMERS = 1_000

/** Marks every engine, whichever copy of this package made it (two may be installed side by side). */
const ENGINE_BRAND = Symbol.for('@tokenrules/engine.engine')

/**
 * A compiled rule set, ready to run for every login. Create it with {@link createEngine}.
 *
 * One engine serves one rule set (one tenant). Runs of one engine may share `global`; nothing of
 * one run's `user` or `context` is visible to another unless a rule put it in `global` itself.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type RunInput } from '@tokenrules/engine'
 *
 * const login: RunInput = { user: { user_id: 'auth0|42', app_metadata: { plan: 'gold' } }, context: { clientID: 'app', protocol: 'oauth2-password' } }
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'add-plan',
 *     script: `function (user, context, callback) {
 *       context.accessToken['https://example.com/plan'] = user.app_metadata.plan;
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * assert.deepEqual((await engine.run(login)).accessToken.claims, { 'https://example.com/plan': 'gold' })
 *
 * // The rule was edited in the admin UI: switch to the new version without a restart.
 * await engine.update([{
 *   name: 'add-plan',
 *   script: `function (user, context, callback) {
 *     context.accessToken['https://example.com/plan'] = { tier: user.app_metadata.plan };
 *     callback(null, user, context);
 *   }`,
 * }])
 * assert.deepEqual((await engine.run(login)).accessToken.claims, { 'https://example.com/plan': { tier: 'gold' } })
 * ```
 */
export class Engine implements AsyncDisposable {
  readonly #options: ResolvedOptions
  #pool: RulePool
  #closed = false
  #updating: Promise<void> = Promise.resolve()

  /** @internal Use {@link createEngine}. */
  constructor(options: ResolvedOptions, pool: RulePool) {
    this.#options = options
    this.#pool = pool
    Object.defineProperty(this, ENGINE_BRAND, { value: true })
  }

  /**
   * Whether `value` is an engine made by `createEngine` of any copy of this package. Use it instead
   * of `instanceof Engine`, which is false for an engine of another installed copy.
   */
  static is(value: unknown): value is Engine {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ENGINE_BRAND] === true
  }

  /**
   * Run the enabled rules, in order, for one login.
   *
   * Rejects with a {@link AnyTokenRulesError}: `ERR_INPUT_INVALID` for a bad `user`/`context`, or
   * the rules' outcome (`ERR_RULE_UNAUTHORIZED`, `ERR_RULE_DENIED`, `ERR_RULE_TIMEOUT`, …), each
   * with `toOAuthError()`.
   *
   * @example
   * ```ts
   * import assert from 'node:assert/strict'
   * import { createEngine } from '@tokenrules/engine'
   *
   * await using engine = await createEngine({
   *   rules: [{
   *     name: 'add-roles',
   *     script: `function (user, context, callback) {
   *       context.accessToken['https://example.com/roles'] = user.app_metadata.roles || [];
   *       callback(null, user, context);
   *     }`,
   *   }],
   * })
   * const result = await engine.run({
   *   user: { user_id: 'auth0|42', email: 'ada@example.com', app_metadata: { roles: ['admin'] } },
   *   context: { clientID: 'app', protocol: 'oauth2-password', connection: 'Employees' },
   * })
   * assert.deepEqual(result.accessToken.claims, { 'https://example.com/roles': ['admin'] })
   * assert.deepEqual(result.rules.map((rule) => rule.name), ['add-roles'])
   * ```
   */
  async run<U extends Record<string, unknown> = Record<string, unknown>>(input: RunInput, options: RunOptions = {}): Promise<RunResult<U>> {
    if (this.#closed) throw new EngineClosedError()
    const { text, subject } = encodeRunInput(input, MAX_INPUT_CHARS)
    const outcome = await this.#pool.execute(text, options.includeContext === true, subject)
    return decodeOutcome(outcome, input.context.protocol, this.#options) as RunResult<U>
  }

  /**
   * Replace the rule set: `update(rules)` replaces the rules and keeps the actions;
   * `update({ rules, actions })` replaces both (`actions` left out: none). The new set is validated
   * and compiled first (a bad rule or action rejects with `ERR_RULE_COMPILE` or `ERR_CONFIG_INVALID`
   * and the old set stays); then runs switch to it at once, and runs in flight finish on the old
   * set. `global` starts empty on the new set.
   */
  async update(set: readonly RuleDefinition[] | { rules: readonly RuleDefinition[]; actions?: readonly ActionDefinition[] | undefined }): Promise<void> {
    const next = this.#updating.then(async () => {
      if (this.#closed) throw new EngineClosedError()
      const both = !Array.isArray(set)
      const unknown = both && set !== null && typeof set === 'object' ? Object.keys(set).filter((key) => key !== 'rules' && key !== 'actions') : []
      if (unknown.length > 0) {
        const issues = unknown.map((key) => ({
          path: [key],
          code: 'unrecognized_keys',
          message: `unknown key '${key}' (engine.update takes rules and actions)`,
        }))
        throw new ConfigInvalidError(`Invalid rule set: ${issues.map((issue) => issue.message).join('; ')}`, issues)
      }
      const resolved = resolveRules(both ? (set as { rules: unknown }).rules : set)
      const actions = resolveActions(both ? ((set as { actions?: unknown }).actions ?? []) : this.#options.actions, resolved)
      const pool = await createPool({ ...this.#options, rules: resolved, actions })
      if (this.#closed) {
        await pool.close()
        throw new EngineClosedError()
      }
      const old = this.#pool
      this.#pool = pool
      this.#options.rules = resolved
      this.#options.actions = actions
      void old.close()
    })
    this.#updating = next.catch(() => undefined)
    return next
  }

  /** Let runs in flight finish, then release every isolate. Later calls to `run` reject. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#updating
    await this.#pool.close()
  }

  /**
   * What the engine's current rule set has done: isolates alive and created, isolates recycled
   * after a memory-limit kill or crash, runs started. Creation and compilation happen only at
   * `createEngine`, `update` and recycling, never per run.
   */
  get stats(): EngineStats {
    return { isolates: this.#pool.size, ...this.#pool.counters }
  }

  /** The same as {@link Engine.close}, so that `await using engine = await createEngine(…)` closes it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** Where a rule set's isolates run: this process's threads, or a supervised child process. */
type RulePool = SandboxPool | ProcessPool

async function createPool(options: ResolvedOptions): Promise<RulePool> {
  const rules = pipelineOrder(options.rules)
  const shared = await prepareShared(options, rules, {
    noBrowserProtocols: NO_BROWSER_PROTOCOLS,
    maxTimers: MAX_TIMERS,
    maxClaimsBytes: MAX_CUSTOM_CLAIMS_BYTES,
  })
  const settings = {
    size: options.concurrency,
    memoryLimitMb: options.limits.memoryLimitMb,
    timeoutMs: options.limits.timeoutMs,
    backgroundMs: options.limits.backgroundMs,
    maxParkedThreads: options.limits.maxParkedThreads,
    onCatastrophe: options.hooks.onCatastrophicError,
  }
  return options.isolation === 'process' ? ProcessPool.create(shared, rules, settings) : SandboxPool.create(shared, rules, settings)
}

/**
 * Validate the options, compile the rule set into `concurrency` isolates, and return an engine
 * ready to run. All cold work (isolates, compilation) happens here, never per run.
 *
 * Throws `ERR_CONFIG_INVALID` for bad options (zod's issues in `issues` and `cause`) or a Node.js
 * process started without `--no-node-snapshot` (required by isolated-vm on Node ≥ 20) or with an
 * isolated-vm that advisory GHSA-864f-rcv7-6rh4 affects (before 6.2.0, or 7.0.0), and
 * `ERR_RULE_COMPILE` for a rule that does not compile, naming the rule and line.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   concurrency: 2, // isolates running rules in parallel; default: one per CPU core
 *   configuration: { ADMIN_DOMAIN: 'example.com' },
 *   rules: [{
 *     name: 'admins-by-domain',
 *     script: `function (user, context, callback) {
 *       const admin = user.email_verified && user.email.endsWith('@' + configuration.ADMIN_DOMAIN);
 *       context.accessToken['https://example.com/roles'] = admin ? ['admin'] : [];
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({
 *   user: { user_id: 'auth0|42', email: 'ada@example.com', email_verified: true },
 *   context: { clientID: 'app', protocol: 'oauth2-password' },
 * })
 * assert.deepEqual(result.accessToken.claims, { 'https://example.com/roles': ['admin'] })
 * ```
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  assertNodeSnapshotDisabled()
  assertPatchedIsolatedVm()
  const resolved = resolveOptions(options)
  const pool = await createPool(resolved)
  return new Engine(resolved, pool)
}
