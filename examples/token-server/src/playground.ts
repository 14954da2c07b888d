import type { ConnectionInfo } from '@tokenrules/oauth'
import { editorBundle } from './editor-bundle.js'
import { json, readJsonObject } from './login-backend.js'
import { PlaygroundEngine, type PlaygroundAnswer, type PlaygroundEngineStats, type PlaygroundInput, type PlaygroundLimits } from './playground-engine.js'
import { playgroundPageHtml } from './playground-page.js'
import { ClientRateLimit, clientKey } from './rate-limit.js'

/**
 * The playground page's policy: the login page's, plus its editor script from the same origin
 * (CodeMirror adds its styles inline).
 */
export const PLAYGROUND_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The demo's limits of the playground: short, small, one run at a time, no modules, no network. */
export const PLAYGROUND_LIMITS = {
  /** Largest request body (rules + user + context + configuration, JSON); more is `413`. */
  bodyBytes: 64 * 1024,
  maxRules: 10,
  /** The engine's budget of one run. */
  timeoutMs: 1000,
  memoryLimitMb: 32,
  maxLogEntries: 50,
  maxUserBytes: 64 * 1024,
  /** From handing a run to the engine process to its answer; past it the process is killed and replaced. */
  runDeadlineMs: 5000,
  /** The engine process's resident memory; past it the process ends and is replaced. */
  processMemoryMb: 384,
  startTimeoutMs: 30_000,
  /** Every request is answered within this, whatever the engine does (body, queue and run included). */
  requestTimeoutMs: 10_000,
  /** Runs waiting for the one that is running; more are answered `503` with `Retry-After`. */
  queue: 4,
  /** Runs one client may have waiting or running; more are `429`. */
  perClient: 2,
  /** Runs per client: a burst of 10, then 30 a minute; more are `429` with `Retry-After`. */
  rate: { burst: 10, perMinute: 30, maxClients: 10_000 },
}

/** Options of {@link playground}; each limit defaults to {@link PLAYGROUND_LIMITS}. */
export interface PlaygroundOptions {
  limits?: Partial<Omit<typeof PLAYGROUND_LIMITS, 'rate'>> & { rate?: Partial<(typeof PLAYGROUND_LIMITS)['rate']> }
  /** The rate limit's clock, in milliseconds. Default `Date.now`. */
  now?: () => number
}

/** The rules playground's routes, its engine and its counters. */
export interface Playground {
  /** Answers the playground's routes; `undefined` for any other request. */
  handle: (request: Request, connection?: ConnectionInfo) => Promise<Response | undefined>
  /** What the playground's engine has done (processes started, killed at the deadline, ended). */
  readonly stats: PlaygroundEngineStats
  /** Resolves once the engine process is up (it starts with the playground; runs wait for it anyway). */
  ready: () => Promise<void>
  /** Kill the engine process. */
  close: () => void
}

/**
 * The rules playground, for the demo only: it runs code anyone who can reach it pastes. The demo
 * server mounts it only when asked (`--playground` or `TOKENRULES_PLAYGROUND=1`, see main.ts).
 *
 * `GET /playground` serves the page (its editor script, CodeMirror bundled by esbuild at start, at
 * `/playground/editor-<hash>.js`); `POST /playground/run` with
 * `{ rules: [{ name, script }], user, context, configuration }` runs the rules in the real engine,
 * in a child process of its own ({@link PlaygroundEngine}: a fresh engine of one isolate per run,
 * {@link PLAYGROUND_LIMITS}), and answers 200 `{ ok: true, result }` or
 * `{ ok: false, error: { code, message, rule, logs, warnings, oauth } }` where `oauth` is the
 * error's `toOAuthError()`.
 *
 * Every other answer is `{ error, error_description }`: `400 invalid_request` for bad input,
 * `413 invalid_request` for a body over `bodyBytes`, `429 rate_limited` (`Retry-After`) past the
 * client's rate or its `perClient` runs, `503 busy` (`Retry-After`) while the queue is full,
 * `504 run_timeout` for a run that outlived `runDeadlineMs` (its process was killed and replaced),
 * `500 engine_failed` when the engine process ended during the run (its memory bound, a V8
 * catastrophe). Each request is answered within `requestTimeoutMs` whatever the engine does: a
 * body still arriving then is `408 request_timeout`, a run still waiting `503 busy`, a run still
 * running `504 run_timeout`.
 */
export function playground(options: PlaygroundOptions = {}): Playground {
  const limits = { ...PLAYGROUND_LIMITS, ...options.limits, rate: { ...PLAYGROUND_LIMITS.rate, ...options.limits?.rate } }
  const engineLimits: PlaygroundLimits = {
    timeoutMs: limits.timeoutMs,
    memoryLimitMb: limits.memoryLimitMb,
    maxLogEntries: limits.maxLogEntries,
    maxUserBytes: limits.maxUserBytes,
    runDeadlineMs: limits.runDeadlineMs,
    processMemoryMb: limits.processMemoryMb,
    startTimeoutMs: limits.startTimeoutMs,
  }
  const engine = new PlaygroundEngine(engineLimits)
  engine.warm()
  // Bundle the editor now, while the engine starts: the first page view does not wait for it.
  void editorBundle().catch(() => undefined)
  const rate = new ClientRateLimit({ ...limits.rate, now: options.now })
  const perClient = new Map<string, number>()
  const retryAfterSeconds = Math.ceil(limits.runDeadlineMs / 1000)
  let running = false
  const waiting: Array<() => void> = []

  /** Wait for the engine (one run at a time, `queue` waiting); `undefined` when the queue is full. */
  const enter = (signal: AbortSignal): Promise<() => void> | undefined => {
    if (running && waiting.length >= limits.queue) return undefined
    const release = () => {
      const next = waiting.shift()
      if (next === undefined) running = false
      else next()
    }
    if (!running) {
      running = true
      return Promise.resolve(release)
    }
    return new Promise((resolve, reject) => {
      const turn = () => {
        signal.removeEventListener('abort', leave)
        resolve(release)
      }
      const leave = () => {
        const index = waiting.indexOf(turn)
        if (index !== -1) waiting.splice(index, 1)
        reject(signal.reason as Error)
      }
      waiting.push(turn)
      signal.addEventListener('abort', leave, { once: true })
    })
  }

  const run = async (request: Request, signal: AbortSignal, phase: { now: 'body' | 'queue' | 'run' }): Promise<Response> => {
    const body = await readJsonObject(request, limits.bodyBytes, signal)
    if ('problem' in body) return json(body.tooLarge === true ? 413 : 400, { error: 'invalid_request', error_description: body.problem })
    const input = parseInput(body.value, limits.maxRules)
    if (typeof input === 'string') return json(400, { error: 'invalid_request', error_description: input })
    const turn = enter(signal)
    if (turn === undefined) return busy(retryAfterSeconds)
    phase.now = 'queue'
    const release = await turn
    phase.now = 'run'
    // The engine's answer frees the slot, not the HTTP answer: a run answered 504 at the request's
    // deadline still holds the engine until its own deadline ends it.
    const answer = engine.run(input)
    void answer.then(release)
    return answerOf(await raceAbort(answer, signal))
  }

  const handle = async (request: Request, connection?: ConnectionInfo): Promise<Response | undefined> => {
    const path = new URL(request.url).pathname
    if (path === '/playground' || path === '/playground/') {
      if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, { error: 'method_not_allowed' })
      const editor = await editorBundle()
      return new Response(playgroundPageHtml(editor.path), {
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': PLAYGROUND_CSP },
      })
    }
    if (path.startsWith('/playground/editor-')) {
      const editor = await editorBundle()
      if (path !== editor.path) return undefined
      if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, { error: 'method_not_allowed' })
      return new Response(request.method === 'HEAD' ? null : editor.code, {
        headers: {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'public, max-age=31536000, immutable',
          'x-content-type-options': 'nosniff',
        },
      })
    }
    if (path !== '/playground/run') return undefined
    if (request.method !== 'POST') return json(405, { error: 'method_not_allowed' })

    const client = clientKey(connection?.remoteAddress)
    const taken = rate.take(client)
    if (!taken.ok) return rateLimited(taken.retryAfterSeconds, `Too many playground runs from your address; try again in ${taken.retryAfterSeconds} s.`)
    const mine = perClient.get(client) ?? 0
    if (mine >= limits.perClient) return rateLimited(retryAfterSeconds, `You already have ${mine} playground runs under way; wait for them to finish.`)
    if (running && waiting.length >= limits.queue) return busy(retryAfterSeconds)

    perClient.set(client, mine + 1)
    const deadline = AbortSignal.timeout(limits.requestTimeoutMs)
    const phase: { now: 'body' | 'queue' | 'run' } = { now: 'body' }
    try {
      return await run(request, deadline, phase)
    } catch (error) {
      if (!deadline.aborted) throw error
      const seconds = limits.requestTimeoutMs / 1000
      if (phase.now === 'body') return json(408, { error: 'request_timeout', error_description: `The body did not arrive within ${seconds} s.` })
      if (phase.now === 'queue') return busy(retryAfterSeconds)
      return json(504, { error: 'run_timeout', error_description: `The run did not finish within the request's ${seconds} s.` })
    } finally {
      const left = (perClient.get(client) ?? 1) - 1
      if (left === 0) perClient.delete(client)
      else perClient.set(client, left)
    }
  }

  return {
    handle,
    get stats() {
      return engine.stats
    },
    ready: () => engine.ready(),
    close: () => engine.close(),
  }
}

function rateLimited(seconds: number, description: string): Response {
  const response = json(429, { error: 'rate_limited', error_description: description })
  response.headers.set('retry-after', String(seconds))
  return response
}

function busy(seconds: number): Response {
  const response = json(503, { error: 'busy', error_description: 'The playground is busy; try again in a moment.' })
  response.headers.set('retry-after', String(seconds))
  return response
}

function answerOf(answer: PlaygroundAnswer): Response {
  switch (answer.kind) {
    case 'outcome':
      return json(200, answer.body)
    case 'timeout':
      return json(504, {
        error: 'run_timeout',
        error_description: `The run did not finish within ${answer.deadlineMs / 1000} s, so the playground stopped its engine process and started a fresh one.`,
      })
    case 'failed':
      return json(500, { error: 'engine_failed', error_description: answer.reason })
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason as Error)
    signal.addEventListener('abort', abort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort)
        reject(error as Error)
      },
    )
  })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** The input, or a sentence saying what is wrong with it. */
function parseInput(value: Record<string, unknown>, maxRules: number): PlaygroundInput | string {
  const { rules, user, context, configuration = {} } = value
  if (!Array.isArray(rules) || rules.length === 0) return 'rules must be a non-empty array of { name, script }.'
  if (rules.length > maxRules) return `At most ${maxRules} rules per run.`
  const parsed: PlaygroundInput['rules'] = []
  for (const [index, rule] of rules.entries()) {
    if (!isObject(rule) || typeof rule['name'] !== 'string' || typeof rule['script'] !== 'string')
      return `rules[${index}] must be { name: string, script: string }.`
    parsed.push({ name: rule['name'], script: rule['script'] })
  }
  if (!isObject(user)) return 'user must be a JSON object.'
  if (!isObject(context)) return 'context must be a JSON object.'
  if (!isObject(configuration)) return 'configuration must be a JSON object of strings.'
  for (const [key, setting] of Object.entries(configuration)) {
    if (typeof setting !== 'string') return `configuration.${key} must be a string (Auth0's rule settings are strings).`
  }
  return { rules: parsed, user, context, configuration: configuration as Record<string, string> }
}
