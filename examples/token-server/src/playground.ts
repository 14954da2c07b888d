import { createEngine, isTokenRulesError, type Context, type RuleDefinition, type User } from '@tokenrules/engine'
import { CSP, json, readJsonObject } from './login-backend.js'
import { PLAYGROUND_PAGE_HTML } from './playground-page.js'

/** Demo-safe limits of a playground run: short, small, one at a time, no modules, no network. */
export const PLAYGROUND_LIMITS = {
  /** Largest request body (rules + user + context + configuration, JSON). */
  bodyBytes: 64 * 1024,
  maxRules: 10,
  timeoutMs: 1000,
  memoryLimitMb: 32,
  maxLogEntries: 50,
  /** Runs waiting for the one that is running; more are answered 503. */
  queue: 4,
} as const

/**
 * The rules playground: `GET /playground` serves the page; `POST /playground/run` with
 * `{ rules: [{ name, script }], user, context, configuration }` runs the rules in the real engine
 * (a fresh engine per run, one isolate, {@link PLAYGROUND_LIMITS}) and answers 200
 * `{ ok: true, result }` or `{ ok: false, error: { code, message, rule, logs, warnings, oauth } }`
 * where `oauth` is the error's `toOAuthError()`. Bad input is 400 `{ error, error_description }`.
 *
 * Returns `undefined` for any other request.
 */
export function playground(): (request: Request) => Promise<Response | undefined> {
  let running: Promise<unknown> = Promise.resolve()
  let waiting = 0

  return async (request) => {
    const path = new URL(request.url).pathname
    if (path === '/playground' || path === '/playground/') {
      if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, { error: 'method_not_allowed' })
      return new Response(PLAYGROUND_PAGE_HTML, {
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CSP },
      })
    }
    if (path !== '/playground/run') return undefined
    if (request.method !== 'POST') return json(405, { error: 'method_not_allowed' })
    const body = await readJsonObject(request, PLAYGROUND_LIMITS.bodyBytes)
    if ('problem' in body) return json(400, { error: 'invalid_request', error_description: body.problem })
    const input = parseInput(body.value)
    if (typeof input === 'string') return json(400, { error: 'invalid_request', error_description: input })

    if (waiting >= PLAYGROUND_LIMITS.queue) return json(503, { error: 'busy', error_description: 'The playground is busy; try again in a moment.' })
    waiting++
    const turn = running.then(() => runOnce(input))
    running = turn.catch(() => undefined)
    try {
      return json(200, await turn)
    } finally {
      waiting--
    }
  }
}

interface PlaygroundInput {
  rules: RuleDefinition[]
  user: Record<string, unknown>
  context: Record<string, unknown>
  configuration: Record<string, string>
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** The input, or a sentence saying what is wrong with it. */
function parseInput(value: Record<string, unknown>): PlaygroundInput | string {
  const { rules, user, context, configuration = {} } = value
  if (!Array.isArray(rules) || rules.length === 0) return 'rules must be a non-empty array of { name, script }.'
  if (rules.length > PLAYGROUND_LIMITS.maxRules) return `At most ${PLAYGROUND_LIMITS.maxRules} rules per run.`
  const parsed: RuleDefinition[] = []
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

async function runOnce(input: PlaygroundInput): Promise<Record<string, unknown>> {
  const started = performance.now()
  let engine: Awaited<ReturnType<typeof createEngine>> | undefined
  try {
    engine = await createEngine({
      rules: input.rules,
      configuration: input.configuration,
      limits: { timeoutMs: PLAYGROUND_LIMITS.timeoutMs, memoryLimitMb: PLAYGROUND_LIMITS.memoryLimitMb, maxLogEntries: PLAYGROUND_LIMITS.maxLogEntries },
      concurrency: 1,
    })
    const result = await engine.run({ user: input.user as User, context: input.context as unknown as Context })
    return {
      ok: true,
      result: {
        accessToken: result.accessToken,
        idToken: result.idToken,
        multifactor: result.multifactor ?? null,
        redirect: result.redirect ?? null,
        user: result.user,
        warnings: result.warnings,
        logs: result.logs,
        rules: result.rules,
      },
      totalMs: Math.round(performance.now() - started),
    }
  } catch (error) {
    if (!isTokenRulesError(error)) throw error
    const issues = 'issues' in error && Array.isArray(error.issues) ? error.issues : undefined
    return {
      ok: false,
      error: {
        code: error.code,
        name: error.name,
        // The rules are the author's own: the playground shows the engine's full message.
        message: error.code === 'ERR_ENGINE_INTERNAL' ? 'The engine failed internally.' : error.message,
        rule: error.rule ?? null,
        logs: error.logs,
        warnings: error.warnings,
        ...(issues === undefined ? {} : { issues }),
        oauth: error.toOAuthError(),
      },
      totalMs: Math.round(performance.now() - started),
    }
  } finally {
    await engine?.close()
  }
}
