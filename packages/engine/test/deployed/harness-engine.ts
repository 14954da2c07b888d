/**
 * The ENGINE side of the differential harness: the rule in the real engine (createEngine from
 * packages/engine/src), with the options a token server would set for it: the case's packages,
 * crypto, HTTP allowed to the fixture's origin only, hooks that record metadata writes, the case's
 * configuration, `isolation: 'process'` as the token server uses (or `'thread'`).
 */
import { createEngine, isTokenRulesError, type BackgroundReport, type Engine, type EngineOptions, type RunResult } from '@tokenrules/engine'
import { loadRule as loadTestRule, type LoadedRule as LoadedTestRule, type LoadRuleOptions } from '@tokenrules/testing'
import type { PackageSpec } from './harness-case.js'
import type { MetadataWrite, Observation, Outcome } from './harness-observation.js'
import { ENGINE_DIR, resend } from './harness-reference.js'

export interface EngineRun {
  ruleName: string
  script: string
  configuration: Record<string, string>
  user: Record<string, unknown>
  context: Record<string, unknown>
  packages: PackageSpec[]
  crypto: boolean
  /** The fixture's `127.0.0.1:<port>`, when the case allows HTTP. */
  httpHost: string | undefined
  /** Host names the fixture answers for, the rule's URLs unchanged (the case's `served`): allowed, and sent to the fixture by the engine's transport. */
  served?: readonly string[] | undefined
  auth0: NonNullable<EngineOptions['auth0']>
  timeoutMs: number
  now?: number | undefined
  claimsNamespace: 'optional' | 'required'
  isolation: 'process' | 'thread'
  /** Extra engine options (the Management API's, when there is one). */
  extra?: Partial<EngineOptions> | undefined
  /** `engine` (default): createEngine. `loadRule`: @tokenrules/testing's loadRule over the same options (its own engine, isolation 'thread'). */
  side?: 'engine' | 'loadRule' | undefined
}

/** The engine's codes as the reference names the same outcomes. */
const KINDS: Record<string, string> = {
  ERR_RULE_UNAUTHORIZED: 'unauthorized',
  ERR_RULE_DENIED: 'denied',
  ERR_RULE_EXCEPTION: 'exception',
  ERR_RULE_TIMEOUT: 'timeout',
  ERR_REDIRECT_UNSUPPORTED: 'redirect_unsupported',
}

function errorOutcome(error: unknown, timeoutMs: number): Outcome {
  if (!isTokenRulesError(error)) return { ok: false, kind: 'host-error', message: error instanceof Error ? error.message : String(error) }
  const kind = KINDS[error.code] ?? error.code
  if (kind === 'timeout') return { ok: false, kind, message: `the rule did not call back within ${timeoutMs} ms` }
  if (kind === 'redirect_unsupported') return { ok: false, kind, message: `protocol ${(error as { protocol?: string }).protocol ?? ''}` }
  return { ok: false, kind, message: error.message }
}

/** Modules the engine serves itself (not bundled): the option that grants each. An integrator lists them there, not in `modules.packages`. */
const SERVED: Record<string, 'http' | 'crypto'> = {
  axios: 'http',
  request: 'http',
  'request-promise': 'http',
  'request-promise-native': 'http',
  'node-fetch': 'http',
  jsonwebtoken: 'crypto',
  crypto: 'crypto',
}

const packageName = (entry: PackageSpec) => (typeof entry === 'string' ? (/^(@[^/@]+\/[^@]+|[^@]+)/.exec(entry)?.[1] ?? entry) : entry.name)

/**
 * The engine's HTTP transport when a case has `served` hosts: requests to them go to the fixture
 * (`origin`), the others as addressed (the engine has already checked them against its policy).
 */
function servedTransport(served: readonly string[], origin: string): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const port = url.port === '' ? '' : `:${url.port}`
    if (!served.includes(`${url.hostname}${port}`) && !served.includes(url.hostname)) return fetch(request)
    return resend(fetch, request, `${origin}${url.pathname}${url.search}`)
  }) as typeof fetch
}

/** An engine made for one case (and configuration), running its scenarios in turn. */
export interface EngineHandle {
  key: string
  engine: Engine | undefined
  /** With side 'loadRule': the loaded rule, called like the rule. */
  loaded: LoadedTestRule | undefined
  /** Why the engine could not be made (ERR_CONFIG_INVALID, ERR_RULE_COMPILE…): every run fails with it. */
  failure: unknown
  metadata: MetadataWrite[]
  timeoutMs: number
}

export function engineKey(run: EngineRun): string {
  const { user: _user, context: _context, extra, ...rest } = run
  return JSON.stringify({ ...rest, extra: extra === undefined ? null : Object.keys(extra) })
}

/** Make the engine of a run's case (the caller closes it with {@link closeEngine}). */
export async function openEngine(run: EngineRun): Promise<EngineHandle> {
  const handle: EngineHandle = { key: engineKey(run), engine: undefined, loaded: undefined, failure: undefined, metadata: [], timeoutMs: run.timeoutMs }
  const record = (kind: MetadataWrite['kind']) => (userId: string, value: Record<string, unknown>) => {
    handle.metadata.push({ userId, kind, metadata: structuredClone(value) })
  }
  const served = run.packages.map(packageName).filter((name) => SERVED[name] !== undefined)
  // An integrator lists a package by name; a rule's `require('name@x.y.z')` then runs the installed one.
  const aliased = run.packages.filter((entry) => typeof entry !== 'string')
  const packages = [
    ...new Set(
      run.packages
        .filter((entry) => typeof entry === 'string')
        .map(packageName)
        .filter((name) => SERVED[name] === undefined && !aliased.some((a) => a.name === name)),
    ),
    ...aliased,
  ]
  const http = run.httpHost !== undefined
  const crypto = run.crypto || served.some((name) => SERVED[name] === 'crypto')
  const { modules: extraModules, ...extra } = run.extra ?? {}
  const options: EngineOptions = {
    rules: [{ name: run.ruleName, script: run.script }],
    configuration: run.configuration,
    isolation: run.isolation,
    concurrency: 1,
    limits: { timeoutMs: run.timeoutMs },
    claims: { namespace: run.claimsNamespace },
    errors: { exposeExceptionMessages: true },
    auth0: run.auth0,
    ...(run.now === undefined ? {} : { clock: () => run.now as number }),
    hooks: { updateAppMetadata: record('app_metadata'), updateUserMetadata: record('user_metadata') },
    modules: {
      packages,
      resolveFrom: ENGINE_DIR,
      crypto,
      ...(http
        ? {
            http: {
              allow: [run.httpHost as string, ...(run.served ?? [])],
              timeoutMs: Math.min(5_000, run.timeoutMs),
              ...(run.served === undefined || run.served.length === 0 ? {} : { fetch: servedTransport(run.served, `http://${run.httpHost as string}`) }),
            },
          }
        : {}),
      ...extraModules,
    },
    ...extra,
  }
  if (run.side === 'loadRule') {
    const { rules, isolation: _isolation, concurrency: _concurrency, ...rest } = options
    handle.loaded = loadTestRule((rules[0] as { script: string }).script, {
      ...rest,
      name: run.ruleName,
      clock: options.clock ?? Date.now,
      random: Math.random,
    } as LoadRuleOptions)
    return handle
  }
  try {
    handle.engine = await createEngine(options)
  } catch (error) {
    handle.failure = error
  }
  return handle
}

export async function closeEngine(handle: EngineHandle): Promise<void> {
  await handle.engine?.close()
  await handle.loaded?.close()
}

function successOutcome(result: RunResult): Outcome {
  return {
    ok: true,
    user: result.user,
    idToken: result.idToken.claims,
    accessToken: result.accessToken.claims,
    scope: result.accessToken.scope ?? null,
    multifactor: result.multifactor ?? null,
    redirect: result.redirect ?? null,
    primaryUser: result.primaryUser ?? null,
  }
}

function noteBackground(report: BackgroundReport, notes: string[], side: string): void {
  if (report.end !== 'settled') notes.push(`${side}: background ended: ${report.end}`)
}

/** One scenario through loadRule: what the engine would put in the token (`lastRun`), or its error. */
async function runOnLoaded(
  handle: EngineHandle,
  loaded: LoadedTestRule,
  input: { user: Record<string, unknown>; context: Record<string, unknown> },
): Promise<Omit<Observation, 'requests'>> {
  handle.metadata.length = 0
  const notes: string[] = []
  let outcome: Outcome
  try {
    await loaded(structuredClone(input.user), structuredClone(input.context))
    const last = loaded.lastRun
    if (last?.result !== undefined) {
      outcome = successOutcome(last.result)
      for (const warning of last.result.warnings) notes.push(`loadRule: ${warning.code}: ${warning.message}`)
      if (last.result.background !== undefined) noteBackground(await last.result.background, notes, 'loadRule')
    } else if (last?.error !== undefined) {
      outcome = errorOutcome(last.error, handle.timeoutMs)
      notes.push(`loadRule: ${last.error.code}: ${last.error.message}`)
    } else outcome = { ok: false, kind: 'host-error', message: 'loadRule recorded no run' }
  } catch (error) {
    outcome = errorOutcome(error, handle.timeoutMs)
    notes.push(`loadRule rejected: ${error instanceof Error ? error.message : String(error)}`)
  }
  return { outcome, metadata: [...handle.metadata], notes }
}

/** One scenario on a case's engine. */
export async function runOnEngine(
  handle: EngineHandle,
  input: { user: Record<string, unknown>; context: Record<string, unknown> },
): Promise<Omit<Observation, 'requests'>> {
  if (handle.loaded !== undefined) return runOnLoaded(handle, handle.loaded, input)
  handle.metadata.length = 0
  const notes: string[] = []
  let outcome: Outcome
  try {
    if (handle.engine === undefined) throw handle.failure
    const result = await handle.engine.run(input as Parameters<Engine['run']>[0])
    for (const warning of result.warnings) notes.push(`engine: ${warning.code}: ${warning.message}`)
    outcome = successOutcome(result)
    // Work the rule left running ends within limits.backgroundMs; its requests and metadata writes count.
    if (result.background !== undefined) noteBackground(await result.background, notes, 'engine')
  } catch (error) {
    outcome = errorOutcome(error, handle.timeoutMs)
    if (isTokenRulesError(error)) notes.push(`engine: ${error.code}: ${error.message}`)
  }
  return { outcome, metadata: [...handle.metadata], notes }
}

/** Make an engine, run one scenario, close it. */
export async function runEngine(run: EngineRun): Promise<Omit<Observation, 'requests'>> {
  const handle = await openEngine(run)
  try {
    return await runOnEngine(handle, { user: run.user, context: run.context })
  } finally {
    await closeEngine(handle)
  }
}
