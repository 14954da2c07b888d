/**
 * Shared harness of the hostile-rules suite (docs/security.md#sandbox-attack-classes, classes 1–12).
 *
 * Every test builds an engine whose one rule is hostile only when `user.app_metadata.attack` says
 * so, and otherwise answers like a normal rule. So the SAME engine (same isolate, same context,
 * unless the attack got it recycled) serves the attack and, right after it, a normal login that must
 * still get the right claims promptly.
 *
 * Host-side canaries, checked around every test by {@link guardHost}:
 * - `process.env.TOKENRULES_CANARY` and a temp file both hold {@link CANARY}; no claim, log line,
 *   warning, error message or OAuth answer may ever contain it;
 * - the host's intrinsics (`Object.prototype`, `Array.prototype`, …) keep the same own names and
 *   the same functions;
 * - no `unhandledRejection` reaches the host process.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'
import type { Engine, EngineOptions, RunInput, RunResult } from '@tokenrules/engine'
import { engineWith, passwordInput } from '../helpers.js'

/** The secret a hostile rule must never see: in the host's environment and in a host file. */
export const CANARY = `secret-${randomUUID()}`
const canary = { file: '' }

/** Path of the temp file holding {@link CANARY} (set by {@link guardHost}). */
export function canaryFile(): string {
  return canary.file
}

/** The namespaced claims of a normal login (the benign branch of every hostile rule). */
export const BENIGN_ACCESS_CLAIMS = { 'https://t.example/plan': 'gold', 'https://t.example/roles': ['admin'] }
export const BENIGN_ID_CLAIMS = { 'https://t.example/email': 'ada@example.com' }

/**
 * Guest code that would hang for ever in a real attack (\`for (;;) {}\`), bounded here to 3 s, once
 * per isolate, so that a failing engine does not leave a thread spinning for the rest of the suite.
 * Tests that use it run with {@link HANG_BUDGET} and give up at {@link HANG_DEADLINE}, far below the
 * spin: a run that settles only after the spin means the host waited for guest code outside the
 * budget (with \`for (;;) {}\` it would never settle).
 */
export const SPIN = 'if (!global.spun) { global.spun = true; var spinUntil = Date.now() + 3000; while (Date.now() < spinUntil) {} }'
export const HANG_BUDGET = { limits: { timeoutMs: 300 } }
export const HANG_DEADLINE = 300 + 2_000

/** Where hostile rules put what they found, so that tests can assert on it. */
export const FOUND = 'https://hostile.example/found'

type HostSnapshot = Record<string, unknown>

function hostSnapshot(): HostSnapshot {
  const names = (o: object) => Reflect.ownKeys(o).map(String).sort()
  return {
    'Object.prototype': names(Object.prototype),
    'Array.prototype': names(Array.prototype),
    'Function.prototype': names(Function.prototype),
    'Promise.prototype': names(Promise.prototype),
    'Error.prototype': names(Error.prototype),
    'String.prototype': names(String.prototype),
    'Map.prototype': names(Map.prototype),
    globalThis: names(globalThis).filter((n) => !/^(__vitest|__VITEST|__vite|__coverage)/.test(n)),
    'JSON.stringify': JSON.stringify,
    'JSON.parse': JSON.parse,
    'Object.keys': Object.keys,
    'Object.defineProperty': Object.defineProperty,
    'Array.prototype.push': Array.prototype.push,
    'Function.prototype.call': Function.prototype.call,
    'Function.prototype.apply': Function.prototype.apply,
    'Promise.prototype.then': Promise.prototype.then,
    'Map.prototype.get': Map.prototype.get,
    'Map.prototype.set': Map.prototype.set,
    'Object.prototype.toString': Object.prototype.toString,
    'Object.prototype.__proto__': Object.getOwnPropertyDescriptor(Object.prototype, '__proto__'),
    'Promise[Symbol.species]': Object.getOwnPropertyDescriptor(Promise, Symbol.species),
    'Array[Symbol.species]': Object.getOwnPropertyDescriptor(Array, Symbol.species),
    'Error.prepareStackTrace': (Error as { prepareStackTrace?: unknown }).prepareStackTrace,
  }
}

/**
 * Host canaries around every test of the file: the secret in the environment and in a temp file,
 * host intrinsics unchanged, no unhandled rejection on the host.
 */
export function guardHost(): void {
  let dir = ''
  let before: HostSnapshot = {}
  const rejections: unknown[] = []
  const onRejection = (reason: unknown): void => {
    rejections.push(reason)
  }
  beforeAll(() => {
    process.env.TOKENRULES_CANARY = CANARY
    dir = mkdtempSync(join(tmpdir(), 'tokenrules-hostile-'))
    canary.file = join(dir, 'canary.txt')
    writeFileSync(canary.file, CANARY)
  })
  afterAll(() => {
    delete process.env.TOKENRULES_CANARY
    rmSync(dir, { recursive: true, force: true })
  })
  beforeEach(() => {
    rejections.length = 0
    process.on('unhandledRejection', onRejection)
    before = hostSnapshot()
  })
  afterEach(async () => {
    // Let any late rejection of the test's promises surface before checking.
    await new Promise((resolve) => setImmediate(resolve))
    process.off('unhandledRejection', onRejection)
    expect(
      rejections.map((r) => (r instanceof Error ? r.message : String(r))),
      'unhandledRejection reached the host',
    ).toEqual([])
    expect(hostSnapshot(), 'host intrinsics changed').toEqual(before)
    expect(({} as Record<string, unknown>).polluted, 'host Object.prototype polluted').toBeUndefined()
  })
}

export interface HostileOptions {
  /** `async function (user, context, callback)` instead of a plain function. */
  async?: boolean
  /** An expression whose value the rule puts in a claim when `attack` is `'report'`. */
  report?: string
  /** Name of the rule (default `hostile`). */
  name?: string
  /** More hostile branches: `{ mode: statements }`, run when `user.app_metadata.attack === mode`. */
  modes?: Record<string, string>
}

/**
 * A rule that runs `attack` (statements, in the rule's own scope: `user`, `context`, `callback`,
 * `arguments`, `this`) when `user.app_metadata.attack === 'attack'`, reports `options.report` when
 * it is `'report'`, and otherwise is a normal rule that adds {@link BENIGN_ACCESS_CLAIMS} and
 * {@link BENIGN_ID_CLAIMS}. The attack never reaches the benign code: after it the rule returns
 * (so it calls back only if the attack does).
 */
export function hostileRule(attack: string, options: HostileOptions = {}): { name: string; script: string } {
  const report = options.report ?? 'null'
  const script = `${options.async === true ? 'async ' : ''}function (user, context, callback) {
  var mode = user.app_metadata && user.app_metadata.attack;
  if (mode === 'report') {
    var report;
    try { report = (${report}); } catch (e) { report = 'report threw: ' + e; }
    context.idToken['${FOUND}'] = report;
    return callback(null, user, context);
  }
  if (mode === 'attack') {
${attack}
    return;
  }
${Object.entries(options.modes ?? {})
  .map(([name, body]) => `  if (mode === ${JSON.stringify(name)}) {\n${body}\n    return;\n  }\n`)
  .join('')}  context.accessToken['https://t.example/plan'] = user.app_metadata.plan;
  context.accessToken['https://t.example/roles'] = user.app_metadata.roles;
  context.idToken['https://t.example/email'] = user.email;
  callback(null, user, context);
}`
  return { name: options.name ?? 'hostile', script }
}

/** A normal login; with `mode`, the one that triggers the hostile branch (`'attack'` or `'report'`). */
export function loginInput(mode?: string): RunInput {
  const app_metadata: Record<string, unknown> = { plan: 'gold', roles: ['admin'] }
  if (mode !== undefined) app_metadata.attack = mode
  return passwordInput({ user: { app_metadata } })
}

export type Settled<T> = { status: 'resolved'; value: T; ms: number } | { status: 'rejected'; error: any; ms: number } | { status: 'hung'; ms: number }

/** How `promise` settles, or `'hung'` when it has not after `ms` (the host never waits for ever). */
export async function settle<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms)
  })
  try {
    const outcome = await Promise.race([
      promise.then(
        (value) => ({ status: 'resolved' as const, value }),
        (error: unknown) => ({ status: 'rejected' as const, error }),
      ),
      hung,
    ])
    const elapsed = performance.now() - started
    return outcome === 'hung' ? { status: 'hung', ms: elapsed } : { ...outcome, ms: elapsed }
  } finally {
    clearTimeout(timer)
  }
}

const GENERIC_500 = { status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' } }

/** What a run's failure shows, as text, for canary checks. */
function failureText(error: any): string {
  let oauth: unknown
  try {
    oauth = error.toOAuthError()
  } catch {
    oauth = undefined
  }
  return JSON.stringify({
    code: error?.code,
    message: error?.message,
    rule: error?.rule,
    logs: error?.logs,
    warnings: error?.warnings,
    guestStack: error?.guestStack,
    path: error?.path,
    oauth,
  })
}

/** No secret of the host in what a rule produced: claims, user, logs, warnings. */
export function expectNoCanary(value: unknown): void {
  const text = value instanceof Error ? failureText(value) : JSON.stringify(value)
  expect(text).not.toContain(CANARY)
  expect(text).not.toContain('TOKENRULES_CANARY=')
}

/**
 * The OAuth answer of a failure carries no stack trace, host path or internal message; exceptions,
 * timeouts and limits have their fixed generic descriptions.
 */
export function expectCleanOAuth(error: any): void {
  const answer = error.toOAuthError()
  const text = JSON.stringify(answer)
  expect(text).not.toMatch(/\/work\/|node_modules|node:internal|<isolated-vm>|\.ts:\d+|\.js:\d+|\n\s*at |\bat \S+ \(/)
  expect(text).not.toContain(CANARY)
  switch (error.code) {
    case 'ERR_RULE_EXCEPTION':
      expect(answer).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'Rule execution failed.' } })
      break
    case 'ERR_RULE_TIMEOUT':
    case 'ERR_RULE_MEMORY_LIMIT':
    case 'ERR_RULE_RESULT_INVALID':
    case 'ERR_CLAIMS_TOO_LARGE':
    case 'ERR_ENGINE_INTERNAL':
      expect(answer).toEqual(GENERIC_500)
      break
  }
}

/**
 * A settled run that must have failed with `code` (or one of `code`): typed first, then a clean
 * OAuth answer and no canary anywhere in the failure.
 */
export function expectTypedFailure(outcome: Settled<RunResult>, code: string | readonly string[]): any {
  if (outcome.status === 'hung') expect.fail(`HOST HANG: the run did not settle within ${Math.round(outcome.ms)} ms`)
  if (outcome.status === 'resolved') {
    expect.fail(`expected ${String(code)}, but the run succeeded: ${JSON.stringify(outcome.value).slice(0, 500)}`)
  }
  const error = outcome.error
  if (typeof code === 'string') expect(error?.code, String(error?.message)).toBe(code)
  else expect(code, String(error?.message)).toContain(error?.code)
  expectCleanOAuth(error)
  expectNoCanary(error)
  return error
}

/** An engine for one hostile test; disposal never waits more than a few seconds on a wedged engine. */
export interface Harness extends AsyncDisposable {
  engine: Engine
  /** Run once; the outcome, or `'hung'` after `deadlineMs`. */
  run(input: RunInput, deadlineMs?: number): Promise<Settled<RunResult>>
  /** The attack run: it must fail with `code` (one of `code`), typed, with a clean OAuth answer and no canary. */
  expectFailure(code: string | readonly string[], input?: RunInput, deadlineMs?: number): Promise<any>
  /** The attack run: it must succeed (no host hang, no canary). */
  expectSuccess(input?: RunInput, deadlineMs?: number): Promise<RunResult>
  /** The 'report' run: what the hostile rule reports from its own realm. */
  report(): Promise<unknown>
  /** A normal login on the same engine right after the attack: right claims, promptly. */
  expectServes(): Promise<RunResult>
}

export async function harness(rules: EngineOptions['rules'], options: Partial<EngineOptions> = {}): Promise<Harness> {
  const timeoutMs = options.limits?.timeoutMs ?? 500
  const engine = await engineWith(rules, {
    ...options,
    // Work an attack leaves running after its callback goes on for as long as the attack's budget
    // (limits.backgroundMs, at most its 20 s maximum), so that the normal login after it is served promptly.
    limits: { timeoutMs, memoryLimitMb: 64, backgroundMs: Math.min(timeoutMs, 20_000), ...options.limits },
    configuration: { CANARY_FILE: canaryFile(), ...options.configuration },
  })
  // An attack may take the whole budget, plus recycling an isolate; anything past this is a hang.
  const defaultDeadline = timeoutMs + 4_000
  const h: Harness = {
    engine,
    async run(input, deadlineMs = defaultDeadline) {
      const outcome = await settle(engine.run(input), deadlineMs)
      if (outcome.status === 'resolved') expectNoCanary(outcome.value)
      if (outcome.status === 'rejected') expectNoCanary(outcome.error)
      return outcome
    },
    async expectFailure(code, input = loginInput('attack'), deadlineMs = defaultDeadline) {
      return expectTypedFailure(await h.run(input, deadlineMs), code)
    },
    async expectSuccess(input = loginInput('attack'), deadlineMs = defaultDeadline) {
      const outcome = await h.run(input, deadlineMs)
      if (outcome.status === 'hung') expect.fail(`HOST HANG: the run did not settle within ${deadlineMs} ms (budget ${timeoutMs} ms)`)
      if (outcome.status === 'rejected') {
        expect.fail(`expected success, but the run failed with ${outcome.error?.code}: ${outcome.error?.message}`)
      }
      expectNoCanary(outcome.value)
      return outcome.value
    },
    async report() {
      const result = await h.expectSuccess(loginInput('report'))
      return result.idToken.claims[FOUND]
    },
    async expectServes() {
      const outcome = await h.run(loginInput(), 5_000)
      if (outcome.status === 'hung') expect.fail('HOST HANG: the normal login after the attack did not settle within 5000 ms')
      if (outcome.status === 'rejected') {
        expect.fail(`the normal login after the attack failed with ${outcome.error?.code}: ${outcome.error?.message}`)
      }
      expect(outcome.ms).toBeLessThan(5_000)
      const result = outcome.value
      expect(result.accessToken.claims).toEqual(BENIGN_ACCESS_CLAIMS)
      expect(result.idToken.claims).toEqual(BENIGN_ID_CLAIMS)
      expect(result.accessToken.scope).toBeUndefined()
      expect(result.warnings).toEqual([])
      expect(result.user.email).toBe('ada@example.com')
      expectNoCanary(result)
      return result
    },
    async [Symbol.asyncDispose]() {
      // A wedged engine (a bug this suite reports) must not wedge the suite as well.
      await settle(engine.close(), 5_000)
    },
  }
  return h
}

/** A rule's report, as the record the hostile rule built. */
export function asRecord(value: unknown): Record<string, unknown> {
  expect(value).toBeTypeOf('object')
  expect(value).not.toBeNull()
  return value as Record<string, unknown>
}
