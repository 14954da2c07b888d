import { z } from 'zod'
import { applyClaimsPolicy, normalizeScope } from './claims.js'
import {
  ClaimsTooLargeError,
  EngineClosedError,
  EngineInternalError,
  MetadataUpdateFailedError,
  MfaProviderUnsupportedError,
  ModuleNotAllowedError,
  RedirectUnsupportedError,
  RuleDeniedError,
  RuleExceptionError,
  RuleMemoryLimitError,
  RuleResultInvalidError,
  RuleTimeoutError,
  RuleUnauthorizedError,
  type AnyTokenRulesError,
  type FailureDetails,
} from './errors.js'
import { encodeRunInput, type RunInput } from './input.js'
import { pipelineOrder, resolveOptions, resolveRules, type EngineOptions, type ResolvedOptions, type RuleDefinition } from './options.js'
import type { JsonValue, LogEntry, RunResult, Warning } from './result.js'
import { MAX_CUSTOM_CLAIMS_BYTES } from './claims.js'
import { SandboxPool, type PoolCounters } from './lib/pool.js'
import type { SandboxOutcome } from './lib/sandbox.js'
import { prepareShared } from './lib/shared.js'
import { NO_BROWSER_PROTOCOLS, isNoBrowserProtocol } from './lib/protocols.js'
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
 * assert.deepEqual(stats, { isolates: 2, isolatesCreated: 2, recycled: 0, runs: 1, catastrophes: 0 })
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

const json: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]),
)
const logEntry = z.object({
  level: z.enum(['log', 'info', 'warn', 'error', 'debug']),
  rule: z.string(),
  message: z.string(),
  atMs: z.number(),
})
const warning = z.union([
  z.object({ code: z.literal('CALLBACK_CALLED_TWICE'), rule: z.string(), message: z.string() }),
  z.object({ code: z.literal('RULE_THREW_AFTER_CALLBACK'), rule: z.string(), message: z.string() }),
  z.object({ code: z.literal('LOGS_TRUNCATED'), message: z.string() }),
  z.object({ code: z.literal('MODULE_VERSION_MISMATCH'), rule: z.string(), message: z.string() }),
])
const metadataUpdates = z.array(
  z.object({
    userId: z.string(),
    kind: z.enum(['app_metadata', 'user_metadata']),
    metadata: z.record(z.string(), json),
  }),
)
const trailer = {
  logs: z.array(logEntry),
  warnings: z.array(warning),
  rules: z.array(z.object({ name: z.string(), durationMs: z.number() })),
}
/** What the guest runtime sends back (read out of the sandbox, so validated like any input). */
const guestResult = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    user: z.record(z.string(), z.unknown()),
    context: z.record(z.string(), z.unknown()).optional(),
    accessToken: z.record(z.string(), json),
    scope: z.union([z.string(), z.array(z.string())]).optional(),
    idToken: z.record(z.string(), json),
    multifactor: z.object({ provider: z.string(), allowRememberBrowser: z.boolean() }).optional(),
    redirect: z.object({ url: z.string() }).optional(),
    primaryUser: z.string().optional(),
    ...trailer,
  }),
  z.object({
    ok: z.literal(false),
    error: z.object({
      code: z.string(),
      message: z.string(),
      rule: z.string().nullable().optional(),
      path: z.string().optional(),
      stack: z.string().optional(),
      module: z.string().optional(),
    }),
    ...trailer,
  }),
])
const collected = z.object({ logs: trailer.logs, warnings: trailer.warnings }).partial()

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
  #pool: SandboxPool
  #closed = false
  #updating: Promise<void> = Promise.resolve()

  /** @internal Use {@link createEngine}. */
  constructor(options: ResolvedOptions, pool: SandboxPool) {
    this.#options = options
    this.#pool = pool
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
    const inputJson = encodeRunInput(input, MAX_INPUT_CHARS)
    const outcome = await this.#pool.execute(inputJson, options.includeContext === true)
    return this.#decode(outcome, input.context.protocol) as RunResult<U>
  }

  /**
   * Replace the rule set. The new set is validated and compiled first (a bad rule rejects with
   * `ERR_RULE_COMPILE` or `ERR_CONFIG_INVALID` and the old set stays); then runs switch to it at
   * once, and runs in flight finish on the old set. `global` starts empty on the new set.
   */
  async update(rules: readonly RuleDefinition[]): Promise<void> {
    const next = this.#updating.then(async () => {
      if (this.#closed) throw new EngineClosedError()
      const resolved = resolveRules(rules)
      const pool = await createPool({ ...this.#options, rules: resolved })
      if (this.#closed) {
        await pool.close()
        throw new EngineClosedError()
      }
      const old = this.#pool
      this.#pool = pool
      this.#options.rules = resolved
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

  #decode(outcome: SandboxOutcome, protocol: string): RunResult {
    if (outcome.kind === 'failed') throw this.#isolateFailure(outcome)
    const raw = JSON.parse(outcome.payload) as { accessToken: Record<string, JsonValue>; idToken: Record<string, JsonValue> }
    const parsed = guestResult.safeParse(raw)
    if (!parsed.success) {
      throw new EngineInternalError('The sandbox returned a result the engine cannot read.', { cause: parsed.error })
    }
    const data = parsed.data
    this.#emitLogs(data.logs)
    const warnings: Warning[] = [...data.warnings]
    if (!data.ok) {
      const details: FailureDetails = { rule: data.error.rule ?? undefined, logs: data.logs, warnings }
      throw this.#ruleFailure(data.error, protocol, details)
    }
    const details: FailureDetails = { logs: data.logs, warnings }
    // The policy reads the parsed text, not zod's copy: zod's records skip an own `__proto__` key,
    // which must be reported as dropped like every other refused name.
    const policy = this.#options.claims
    const accessClaims = applyClaimsPolicy(raw.accessToken, 'accessToken', policy, warnings, details)
    const idClaims = applyClaimsPolicy(raw.idToken, 'idToken', policy, warnings, details)
    if (data.multifactor?.provider === 'duo' && isNoBrowserProtocol(protocol)) {
      throw new MfaProviderUnsupportedError('duo', protocol, details)
    }
    const result: RunResult = {
      user: data.user,
      accessToken: { claims: accessClaims, scope: data.scope === undefined ? undefined : normalizeScope(data.scope) },
      idToken: { claims: idClaims },
      logs: data.logs,
      warnings,
      rules: data.rules,
      metadataUpdates: outcome.metadataUpdates.length === 0 ? [] : metadataUpdates.parse(outcome.metadataUpdates),
    }
    if (data.multifactor !== undefined) result.multifactor = data.multifactor
    if (data.redirect !== undefined) result.redirect = data.redirect
    if (data.primaryUser !== undefined) result.primaryUser = data.primaryUser
    if (data.context !== undefined) result.context = data.context
    return result
  }

  #ruleFailure(
    error: { code: string; message: string; path?: string | undefined; stack?: string | undefined; module?: string | undefined },
    protocol: string,
    details: FailureDetails,
  ): AnyTokenRulesError {
    switch (error.code) {
      case 'ERR_RULE_UNAUTHORIZED':
        return new RuleUnauthorizedError(error.message, details)
      case 'ERR_RULE_DENIED':
        return new RuleDeniedError(error.message, details)
      case 'ERR_REDIRECT_UNSUPPORTED':
        return new RedirectUnsupportedError(protocol, details)
      case 'ERR_RULE_RESULT_INVALID':
        return new RuleResultInvalidError(error.message, { ...details, path: error.path ?? '' })
      case 'ERR_CLAIMS_TOO_LARGE':
        // The sandbox stopped copying at four times the limit; the exact size is not known.
        return new ClaimsTooLargeError(
          error.path === 'context.idToken' ? 'idToken' : 'accessToken',
          MAX_CUSTOM_CLAIMS_BYTES * 4,
          MAX_CUSTOM_CLAIMS_BYTES,
          details,
        )
      case 'ERR_METADATA_UPDATE_FAILED':
        return new MetadataUpdateFailedError(error.message, details)
      case 'ERR_MODULE_NOT_ALLOWED':
        this.#reportRuleError(error, details.rule)
        return new ModuleNotAllowedError(error.module ?? '', error.message, details)
      case 'ERR_RULE_EXCEPTION':
        this.#reportRuleError(error, details.rule)
        return new RuleExceptionError(error.message, {
          ...details,
          expose: this.#options.errors.exposeExceptionMessages,
          guestStack: error.stack,
        })
      default:
        return new EngineInternalError(`The sandbox reported an unknown outcome '${error.code}'.`, details)
    }
  }

  #isolateFailure(outcome: Extract<SandboxOutcome, { kind: 'failed' }>): AnyTokenRulesError {
    const extra = collected.safeParse(outcome.logs === undefined ? {} : { logs: outcome.logs, warnings: outcome.warnings })
    const logs = extra.success ? (extra.data.logs ?? []) : []
    this.#emitLogs(logs)
    const details: FailureDetails = {
      rule: outcome.rule,
      logs,
      warnings: extra.success ? (extra.data.warnings ?? []) : [],
      cause: outcome.cause,
    }
    switch (outcome.failure) {
      case 'timeout':
        return new RuleTimeoutError(this.#options.limits.timeoutMs, details)
      case 'memory-limit':
        return new RuleMemoryLimitError(
          `${outcome.rule === undefined ? 'A rule' : `Rule '${outcome.rule}'`} exceeded the memory limit of ${this.#options.limits.memoryLimitMb} MB; its isolate was recycled.`,
          details,
        )
      case 'disposed':
        return new EngineInternalError('The sandbox was disposed while the rules ran.', details)
      case 'other': {
        const message = outcome.cause instanceof Error ? outcome.cause.message : 'The rule broke the sandbox.'
        this.#reportRuleError({ code: 'ERR_RULE_EXCEPTION', message, stack: undefined }, outcome.rule)
        return new RuleExceptionError(message, { ...details, expose: this.#options.errors.exposeExceptionMessages })
      }
    }
  }

  #emitLogs(logs: readonly LogEntry[]): void {
    const onLog = this.#options.hooks.onLog
    if (onLog === undefined) return
    for (const entry of logs) {
      try {
        onLog(entry)
      } catch {
        // A host hook never changes a run's outcome.
      }
    }
  }

  #reportRuleError(error: { code: string; message: string; stack?: string | undefined }, rule: string | undefined): void {
    const onRuleError = this.#options.hooks.onRuleError
    if (onRuleError === undefined) return
    try {
      onRuleError({ code: error.code, rule, message: error.message, stack: error.stack })
    } catch {
      // A host hook never changes a run's outcome.
    }
  }
}

async function createPool(options: ResolvedOptions): Promise<SandboxPool> {
  const rules = pipelineOrder(options.rules)
  const shared = await prepareShared(options, rules, {
    noBrowserProtocols: NO_BROWSER_PROTOCOLS,
    maxTimers: MAX_TIMERS,
    maxClaimsBytes: MAX_CUSTOM_CLAIMS_BYTES,
  })
  return SandboxPool.create(shared, rules, {
    size: options.concurrency,
    memoryLimitMb: options.limits.memoryLimitMb,
    timeoutMs: options.limits.timeoutMs,
    onCatastrophe: options.hooks.onCatastrophicError,
  })
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
