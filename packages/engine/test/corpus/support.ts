/**
 * Harness of the rule corpus: the rules as files (Auth0's export format, one function per file),
 * a loopback HTTP server the rules call out to, and the engine options a realistic integrator
 * would set (packages, crypto, HTTP allowed to that server only).
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import type { Handler, LoopbackServer } from '../loopback-server.js'
import { fileURLToPath } from 'node:url'
export { startServer, type Handler, type Recorded, type LoopbackServer } from '../loopback-server.js'
import type { EngineOptions, RunInput, RunResult } from '@tokenrules/engine'
import { engineWith, passwordInput, rejection } from '../helpers.js'

/** packages/engine: where lodash, uuid, moment and ipaddr.js are installed (dev dependencies). */
export const RESOLVE_FROM = fileURLToPath(new URL('../..', import.meta.url))
const RULES_DIR = new URL('./rules/', import.meta.url)

/** Claims namespace every corpus rule uses (from `configuration.CLAIM_NAMESPACE`). */
export const NS = 'https://claims.example.com/'

/** Names of the rule files (without `.js`). */
export function corpusRuleNames(): string[] {
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort()
}

/** One corpus rule as the engine takes it: the file's text is the script, unchanged. */
export function corpusRule(name: string): { name: string; script: string } {
  return { name, script: readFileSync(new URL(`${name}.js`, RULES_DIR), 'utf8') }
}

/** A port on 127.0.0.1 that nobody listens on. */
export { freePort as closedPort } from '../loopback-server.js'

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

/** Answer after `ms` (the handler's response is never sent when the server closes first). */
export function slow(ms: number, then: Handler): Handler {
  return (req, res) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => resolve(then(req, res) as void), ms)
      res.on('close', () => {
        clearTimeout(t)
        resolve()
      })
    })
}

/** A body of `size` bytes of JSON, streamed in chunks without a content-length. */
export function streamedJson(size: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    const filler = 'x'.repeat(Math.max(0, size - 12))
    const text = `{"pad":"${filler}"}`
    for (let i = 0; i < text.length; i += 4096) res.write(text.slice(i, i + 4096))
    res.end()
  }
}

/** Per-request HTTP timeout of the corpus engines (the server's slow answers take longer). */
export const HTTP_TIMEOUT_MS = 300

/**
 * The options an integrator would set for the corpus: every package the rules use, crypto, HTTP to
 * the loopback server only, and a budget well above the HTTP timeout.
 */
export function corpusOptions(server: LoopbackServer | undefined, extra: Partial<EngineOptions> = {}): Partial<EngineOptions> {
  const { modules, configuration, limits, ...rest } = extra
  return {
    limits: { timeoutMs: 3_000, ...limits },
    configuration: { CLAIM_NAMESPACE: NS, ...configuration },
    modules: {
      packages: ['lodash', 'uuid', 'moment', 'ipaddr.js', 'url', 'querystring'],
      resolveFrom: RESOLVE_FROM,
      crypto: true,
      ...(server === undefined ? {} : { http: { allow: [server.host], timeoutMs: HTTP_TIMEOUT_MS } }),
      ...modules,
    },
    ...rest,
  }
}

type Overrides = { user?: Record<string, unknown>; context?: Record<string, unknown> }

/** A password-grant login, with a user and a context merged one level deep into the fixtures. */
export function login(overrides: Overrides = {}): RunInput {
  const base = passwordInput()
  const user = { ...base.user, ...overrides.user }
  const context = { ...base.context, ...overrides.context }
  return { user, context } as RunInput
}

/** The request object of the fixture context, with `patch` merged. */
export function request(patch: Record<string, unknown>): Record<string, unknown> {
  return { ...(passwordInput().context['request'] as Record<string, unknown>), ...patch }
}

/** Run corpus rules once, in a fresh engine with {@link corpusOptions}. */
export async function runCorpus(
  names: string | string[],
  input: RunInput,
  options: { server?: LoopbackServer | undefined } & Partial<EngineOptions> = {},
): Promise<RunResult> {
  const { server, ...extra } = options
  const list = typeof names === 'string' ? [names] : names
  await using engine = await engineWith(list.map(corpusRule), corpusOptions(server, extra))
  return await engine.run(input)
}

/** The error a run of corpus rules fails with (fails the test when the run succeeds). */
export function failCorpus(
  names: string | string[],
  input: RunInput,
  options: { server?: LoopbackServer | undefined } & Partial<EngineOptions> = {},
): Promise<any> {
  return rejection(runCorpus(names, input, options))
}

/** `[level, message]` of each log line. */
export function logLines(from: { logs: readonly { level: string; message: string }[] }): [string, string][] {
  return from.logs.map((l) => [l.level, l.message])
}

/** The OAuth answer of a 401 `unauthorized` denial with `description`. */
export function unauthorized(description: string) {
  return { status: 401, body: { error: 'unauthorized', error_description: description } }
}

/** The OAuth answer of a 403 `access_denied` denial with `description`. */
export function accessDenied(description: string) {
  return { status: 403, body: { error: 'access_denied', error_description: description } }
}

/** `modules.http` of the corpus engines, with `patch` applied (e.g. a small `maxResponseBytes`). */
export function httpPolicy(server: LoopbackServer, patch: Record<string, unknown> = {}) {
  return { http: { allow: [server.host], timeoutMs: HTTP_TIMEOUT_MS, ...patch } }
}
