import { z } from 'zod'
import { applyClaimsPolicy, MAX_CUSTOM_CLAIMS_BYTES, normalizeScope } from '../claims.js'
import {
  ClaimsTooLargeError,
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
} from '../errors.js'
import type { ResolvedOptions } from '../options.js'
import type { BackgroundReport, JsonValue, LogEntry, RunResult, Warning } from '../result.js'
import { isNoBrowserProtocol } from './protocols.js'
import { metadataUpdates, parseGuestResult, trailer } from './guest-result.js'
import type { BackgroundEnd, SandboxOutcome } from './sandbox.js'

/*
 * How a run's outcome becomes a RunResult or a typed error: the result text the guest runtime
 * wrote is read like any input (validated), the claims policy applied, failures classified.
 */

const collected = z.object({ logs: trailer.logs, warnings: trailer.warnings }).partial()
/** The guest's report of a run's background (guest/runtime.js, endBackground). */
const backgroundText = z.object({
  end: z.enum(['settled', 'grace', 'memory-limit']),
  durationMs: z.number(),
  tasks: z.array(
    z.object({
      rule: z.string().nullable(),
      kind: z.enum(['timer', 'http', 'metadata', 'host']),
      outcome: z.enum(['completed', 'failed', 'cleared', 'cut']),
      message: z.string().optional(),
      status: z.number().optional(),
    }),
  ),
  untracked: z.number(),
  logs: trailer.logs,
  warnings: trailer.warnings,
})

/**
 * A run's background as the engine reports it; never rejects. Its logs go to `hooks.onLog`, then
 * the report to `hooks.onBackground`.
 */
function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function backgroundReport(ended: Promise<BackgroundEnd>, options: ResolvedOptions): Promise<BackgroundReport> {
  const report = ended.then((end): BackgroundReport => {
    const parsed = end.text === undefined ? undefined : backgroundText.safeParse(parseOrUndefined(end.text))
    const updates = metadataUpdates.safeParse(end.metadataUpdates)
    const base = { metadataUpdates: updates.success ? updates.data : [] }
    if (parsed === undefined || !parsed.success) {
      return { end: end.end === 'grace' ? 'recycled' : end.end, durationMs: 0, tasks: [], untracked: 0, logs: [], warnings: [], ...base }
    }
    const data = parsed.data
    const tasks = data.tasks.map((t) => {
      const task: BackgroundReport['tasks'][number] = { rule: t.rule, kind: t.kind, outcome: t.outcome }
      if (t.message !== undefined) task.message = t.message
      if (t.status !== undefined) task.status = t.status
      return task
    })
    return { end: data.end, durationMs: data.durationMs, tasks, untracked: data.untracked, logs: data.logs, warnings: data.warnings, ...base }
  })
  return report.then((r) => {
    emitLogs(r.logs, options)
    try {
      options.hooks.onBackground?.(r)
    } catch {
      // A host hook never changes what the engine does.
    }
    return r
  })
}

/** A run's outcome as the engine answers it: its result, or (thrown) its typed error. Hooks `onLog` and `onRuleError` see it first. */
export function decodeOutcome(outcome: SandboxOutcome, protocol: string, options: ResolvedOptions): RunResult {
  if (outcome.kind === 'failed') throw isolateFailure(outcome, options)
  // Reported whatever the outcome: a rule may deny and still leave work running.
  const background = outcome.background === undefined ? undefined : backgroundReport(outcome.background, options)
  const raw = JSON.parse(outcome.payload) as { accessToken: Record<string, JsonValue>; idToken: Record<string, JsonValue> }
  const parsed = parseGuestResult(raw)
  if (!parsed.success) {
    throw new EngineInternalError('The sandbox returned a result the engine cannot read.', { cause: parsed.error })
  }
  const data = parsed.data
  emitLogs(data.logs, options)
  const warnings: Warning[] = [...data.warnings]
  if (!data.ok) {
    const details: FailureDetails = { rule: data.error.rule ?? undefined, logs: data.logs, warnings }
    throw ruleFailure(data.error, protocol, details, options)
  }
  const details: FailureDetails = { logs: data.logs, warnings }
  // The policy reads the parsed text, not zod's copy: zod's records skip an own `__proto__` key,
  // which must be reported as dropped like every other refused name.
  const policy = options.claims
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
    metadataUpdates: outcome.metadataUpdates.length === 0 ? [] : persistedUpdates(outcome.metadataUpdates, details),
  }
  if (data.actions !== undefined) result.actions = data.actions
  if (data.multifactor !== undefined) result.multifactor = data.multifactor
  if (data.redirect !== undefined) result.redirect = data.redirect
  if (data.primaryUser !== undefined) result.primaryUser = data.primaryUser
  if (data.context !== undefined) result.context = data.context
  if (background !== undefined) result.background = background
  return result
}

// What the hooks persisted. The capability checked it as JSON before calling the hook, so this
// never fails for a rule's value; if it does, the engine says so as its own failure, typed.
function persistedUpdates(updates: unknown[], details: FailureDetails): RunResult['metadataUpdates'] {
  const parsed = metadataUpdates.safeParse(updates)
  if (!parsed.success) throw new EngineInternalError('The engine recorded a metadata update it cannot report.', { ...details, cause: parsed.error })
  return parsed.data
}

function ruleFailure(
  error: {
    code: string
    message: string
    path?: string | undefined
    keys?: (string | number)[] | undefined
    stack?: string | undefined
    module?: string | undefined
  },
  protocol: string,
  details: FailureDetails,
  options: ResolvedOptions,
): AnyTokenRulesError {
  switch (error.code) {
    case 'ERR_RULE_UNAUTHORIZED':
      return new RuleUnauthorizedError(error.message, details)
    case 'ERR_RULE_DENIED':
      return new RuleDeniedError(error.message, details)
    case 'ERR_REDIRECT_UNSUPPORTED':
      return new RedirectUnsupportedError(protocol, details)
    case 'ERR_RULE_RESULT_INVALID':
      return new RuleResultInvalidError(error.message, { ...details, path: error.path ?? '', keys: error.keys })
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
    case 'ERR_RULE_MEMORY_LIMIT':
      // Memory outside the heap (guest/memory.js) or held by the host (lib/budget.ts), past its budget.
      return new RuleMemoryLimitError(error.message, details)
    case 'ERR_MODULE_NOT_ALLOWED':
      reportRuleError(error, details.rule, options)
      return new ModuleNotAllowedError(error.module ?? '', error.message, details)
    case 'ERR_RULE_EXCEPTION':
      reportRuleError(error, details.rule, options)
      return new RuleExceptionError(error.message, {
        ...details,
        expose: options.errors.exposeExceptionMessages,
        guestStack: error.stack,
      })
    default:
      return new EngineInternalError(`The sandbox reported an unknown outcome '${error.code}'.`, details)
  }
}

function isolateFailure(outcome: Extract<SandboxOutcome, { kind: 'failed' }>, options: ResolvedOptions): AnyTokenRulesError {
  const extra = collected.safeParse(outcome.logs === undefined ? {} : { logs: outcome.logs, warnings: outcome.warnings })
  const logs = extra.success ? (extra.data.logs ?? []) : []
  emitLogs(logs, options)
  const details: FailureDetails = {
    rule: outcome.rule,
    logs,
    warnings: extra.success ? (extra.data.warnings ?? []) : [],
    cause: outcome.cause,
  }
  switch (outcome.failure) {
    case 'timeout':
      return new RuleTimeoutError(options.limits.timeoutMs, details)
    case 'memory-limit':
      return new RuleMemoryLimitError(
        `${outcome.rule === undefined ? 'A rule' : `Rule '${outcome.rule}'`} exceeded the memory limit of ${options.limits.memoryLimitMb} MB; its isolate was recycled.`,
        details,
      )
    case 'disposed':
      return new EngineInternalError('The sandbox was disposed while the rules ran.', details)
    case 'other': {
      const message = outcome.cause instanceof Error ? outcome.cause.message : 'The rule broke the sandbox.'
      reportRuleError({ code: 'ERR_RULE_EXCEPTION', message, stack: undefined }, outcome.rule, options)
      return new RuleExceptionError(message, { ...details, expose: options.errors.exposeExceptionMessages })
    }
  }
}

function emitLogs(logs: readonly LogEntry[], options: ResolvedOptions): void {
  const onLog = options.hooks.onLog
  if (onLog === undefined) return
  for (const entry of logs) {
    try {
      onLog(entry)
    } catch {
      // A host hook never changes a run's outcome.
    }
  }
}

function reportRuleError(error: { code: string; message: string; stack?: string | undefined }, rule: string | undefined, options: ResolvedOptions): void {
  const onRuleError = options.hooks.onRuleError
  if (onRuleError === undefined) return
  try {
    onRuleError({ code: error.code, rule, message: error.message, stack: error.stack })
  } catch {
    // A host hook never changes a run's outcome.
  }
}
