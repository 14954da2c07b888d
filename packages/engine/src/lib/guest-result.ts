import { z } from 'zod'
import type { JsonValue } from '../result.js'

/*
 * What the guest runtime answers for a run, read out of the sandbox and so validated like any
 * input. The zod schema is the specification. `readGuestResult` is the hot path's reader of the
 * same schema for the text the guest wrote, parsed by `JSON.parse`: it accepts only what the schema
 * accepts and returns what the schema's parse returns (test/guest-result.test.ts proves both over
 * generated answers), and it declines (undefined) whatever it is not sure of, which the schema then
 * judges.
 */

export const json: z.ZodType<JsonValue> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]))
export const logEntry = z.object({
  level: z.enum(['log', 'info', 'warn', 'error', 'debug']),
  rule: z.string(),
  message: z.string(),
  atMs: z.number(),
})
export const warning = z.union([
  z.object({ code: z.literal('CALLBACK_CALLED_TWICE'), rule: z.string(), message: z.string() }),
  z.object({ code: z.literal('RULE_THREW_AFTER_CALLBACK'), rule: z.string(), message: z.string() }),
  z.object({ code: z.literal('LOGS_TRUNCATED'), message: z.string() }),
  z.object({ code: z.literal('WARNINGS_TRUNCATED'), message: z.string() }),
  z.object({ code: z.literal('MODULE_VERSION_MISMATCH'), rule: z.string(), message: z.string() }),
])
export const metadataUpdates = z.array(
  z.object({
    userId: z.string(),
    kind: z.enum(['app_metadata', 'user_metadata']),
    metadata: z.record(z.string(), json),
  }),
)
export const trailer = {
  logs: z.array(logEntry),
  warnings: z.array(warning),
  rules: z.array(z.object({ name: z.string(), durationMs: z.number() })),
  actions: z.array(z.object({ name: z.string(), durationMs: z.number() })).optional(),
}
/** What the guest runtime sends back (read out of the sandbox, so validated like any input). */
export const guestResult = z.discriminatedUnion('ok', [
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
      keys: z.array(z.union([z.string(), z.number()])).optional(),
      stack: z.string().optional(),
      module: z.string().optional(),
    }),
    ...trailer,
  }),
])

/** A guest answer as the schema reads it. */
export type GuestResult = z.infer<typeof guestResult>

type Raw = Record<string, unknown>

const LOG_LEVELS: ReadonlySet<unknown> = new Set(['log', 'info', 'warn', 'error', 'debug'])
/** Warning codes by whether the schema's variant has a `rule`. */
const WARNINGS_WITH_RULE: ReadonlySet<unknown> = new Set(['CALLBACK_CALLED_TWICE', 'RULE_THREW_AFTER_CALLBACK', 'MODULE_VERSION_MISMATCH'])
const WARNINGS_WITHOUT_RULE: ReadonlySet<unknown> = new Set(['LOGS_TRUNCATED', 'WARNINGS_TRUNCATED'])
const SUCCESS_KEYS: ReadonlySet<string> = new Set([
  'ok',
  'user',
  'context',
  'accessToken',
  'scope',
  'idToken',
  'multifactor',
  'redirect',
  'primaryUser',
  'logs',
  'warnings',
  'rules',
  'actions',
])
const FAILURE_KEYS: ReadonlySet<string> = new Set(['ok', 'error', 'logs', 'warnings', 'rules', 'actions'])
const ERROR_KEYS: ReadonlySet<string> = new Set(['code', 'message', 'rule', 'path', 'keys', 'stack', 'module'])

/** A JSON object (JSON.parse makes every object plain), not an array. */
function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Only the listed keys: the schema's objects strip any other, and the reader copies nothing. */
function onlyKeys(value: Raw, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false
  return true
}

/** A record of the schema (`z.record(z.string(), …)`): any object without an own `__proto__` key, which the schema's copy drops. */
function isRecord(value: unknown): value is Raw {
  return isObject(value) && !Object.hasOwn(value, '__proto__')
}

function exactly(value: Raw, keys: number): boolean {
  let n = 0
  for (const _ in value) n++
  return n === keys
}

function readLogs(value: unknown): GuestResult['logs'] | undefined {
  if (!Array.isArray(value)) return undefined
  for (const entry of value as unknown[]) {
    if (!isObject(entry) || !exactly(entry, 4)) return undefined
    if (!LOG_LEVELS.has(entry['level']) || typeof entry['rule'] !== 'string' || typeof entry['message'] !== 'string') return undefined
    if (typeof entry['atMs'] !== 'number') return undefined
  }
  return value as GuestResult['logs']
}

function readWarnings(value: unknown): GuestResult['warnings'] | undefined {
  if (!Array.isArray(value)) return undefined
  for (const entry of value as unknown[]) {
    if (!isObject(entry) || typeof entry['message'] !== 'string') return undefined
    const code = entry['code']
    if (WARNINGS_WITH_RULE.has(code)) {
      if (typeof entry['rule'] !== 'string' || !exactly(entry, 3)) return undefined
    } else if (!WARNINGS_WITHOUT_RULE.has(code) || !exactly(entry, 2)) return undefined
  }
  return value as GuestResult['warnings']
}

function readTimings(value: unknown): { name: string; durationMs: number }[] | undefined {
  if (!Array.isArray(value)) return undefined
  for (const entry of value as unknown[]) {
    if (!isObject(entry) || !exactly(entry, 2) || typeof entry['name'] !== 'string' || typeof entry['durationMs'] !== 'number') return undefined
  }
  return value as { name: string; durationMs: number }[]
}

function isScope(value: unknown): value is string | string[] {
  if (typeof value === 'string') return true
  if (!Array.isArray(value)) return false
  for (const item of value as unknown[]) if (typeof item !== 'string') return false
  return true
}

/**
 * The guest's answer `raw` (the output of `JSON.parse`, never any other value) as the schema's
 * parse would return it, or undefined when the reader is not sure: the caller then asks the schema.
 * The arrays and records it returns are `raw`'s own (the schema returns copies equal to them), and
 * the token claims are `raw`'s as they are: the claims policy reads those, never the schema's deep
 * copy, which drops a nested own `__proto__` claim key that the policy reports as dropped.
 */
export function readGuestResult(raw: unknown): GuestResult | undefined {
  if (!isObject(raw)) return undefined
  const logs = readLogs(raw['logs'])
  const warnings = readWarnings(raw['warnings'])
  const rules = readTimings(raw['rules'])
  if (logs === undefined || warnings === undefined || rules === undefined) return undefined
  const actions = raw['actions'] === undefined ? undefined : readTimings(raw['actions'])
  if (raw['actions'] !== undefined && actions === undefined) return undefined
  const trailerData = actions === undefined ? { logs, warnings, rules } : { logs, warnings, rules, actions }
  if (raw['ok'] === false) {
    const error = raw['error']
    if (!onlyKeys(raw, FAILURE_KEYS) || !isObject(error) || !onlyKeys(error, ERROR_KEYS)) return undefined
    if (typeof error['code'] !== 'string' || typeof error['message'] !== 'string') return undefined
    const out: Extract<GuestResult, { ok: false }>['error'] = { code: error['code'], message: error['message'] }
    const rule = error['rule']
    if (rule !== undefined) {
      if (rule !== null && typeof rule !== 'string') return undefined
      out.rule = rule
    }
    for (const key of ['path', 'stack', 'module'] as const) {
      const item = error[key]
      if (item === undefined) continue
      if (typeof item !== 'string') return undefined
      out[key] = item
    }
    const keys = error['keys']
    if (keys !== undefined) {
      if (!Array.isArray(keys)) return undefined
      for (const item of keys as unknown[]) if (typeof item !== 'string' && typeof item !== 'number') return undefined
      out.keys = keys as (string | number)[]
    }
    return { ok: false, error: out, ...trailerData }
  }
  if (raw['ok'] !== true || !onlyKeys(raw, SUCCESS_KEYS)) return undefined
  const { user, context, accessToken, idToken, scope, multifactor, redirect, primaryUser } = raw
  if (!isRecord(user) || !isRecord(accessToken) || !isRecord(idToken)) return undefined
  if (context !== undefined && !isRecord(context)) return undefined
  if (scope !== undefined && !isScope(scope)) return undefined
  if (primaryUser !== undefined && typeof primaryUser !== 'string') return undefined
  const out: Extract<GuestResult, { ok: true }> = {
    ok: true,
    user,
    accessToken: accessToken as Record<string, JsonValue>,
    idToken: idToken as Record<string, JsonValue>,
    ...trailerData,
  }
  if (context !== undefined) out.context = context
  if (scope !== undefined) out.scope = scope
  if (primaryUser !== undefined) out.primaryUser = primaryUser
  if (multifactor !== undefined) {
    if (!isObject(multifactor) || !exactly(multifactor, 2)) return undefined
    const { provider, allowRememberBrowser } = multifactor
    if (typeof provider !== 'string' || typeof allowRememberBrowser !== 'boolean') return undefined
    out.multifactor = { provider, allowRememberBrowser }
  }
  if (redirect !== undefined) {
    if (!isObject(redirect) || !exactly(redirect, 1) || typeof redirect['url'] !== 'string') return undefined
    out.redirect = { url: redirect['url'] }
  }
  return out
}

/** The guest's answer `raw` (the output of `JSON.parse`) read by the schema: the fast reader first, the schema for what it declines. */
export function parseGuestResult(raw: unknown): { success: true; data: GuestResult } | { success: false; error: z.ZodError } {
  const fast = readGuestResult(raw)
  if (fast !== undefined) return { success: true, data: fast }
  const parsed = guestResult.safeParse(raw)
  return parsed.success ? { success: true, data: parsed.data } : { success: false, error: parsed.error }
}
