/**
 * Helpers of the module and capability tests: run a snippet of rule code and get back what it
 * handed to `done(value)` (through an ID token claim, so only JSON crosses, as in a real run).
 */
import type { ServerResponse } from 'node:http'
import type { Handler } from '../loopback-server.js'
import { fileURLToPath } from 'node:url'
export { startServer, type Handler, type Recorded, type LoopbackServer as TestServer } from '../loopback-server.js'
import type { EngineOptions, RunInput, RunResult } from '@tokenrules/engine'
import { engineWith, passwordInput, rejection, rule } from '../helpers.js'

/** packages/engine, where the dev dependencies lodash, uuid, moment and ipaddr.js are installed. */
export const RESOLVE_FROM = fileURLToPath(new URL('../..', import.meta.url))

export const OUT = 'https://t.example/out'

/**
 * Rule source around `body`: `done(value)` ends the rule with `value` as the observation;
 * `describeError(e)` gives an error's name, message, code and constructor name as JSON;
 * an exception escaping `body` is reported as `{ uncaught: describeError(e) }`.
 */
export function snippet(body: string): string {
  return `
  function done(value) { context.idToken['${OUT}'] = value === undefined ? '<undefined>' : value; callback(null, user, context); }
  function describeError(e) {
    if (e === null || typeof e !== 'object') return { thrown: String(e) };
    return { name: e.name, message: e.message, code: e.code === undefined ? null : e.code,
             ctor: e.constructor && e.constructor.name, isError: e instanceof Error };
  }
  try {
    ${body}
  } catch (e) {
    done({ uncaught: describeError(e) });
  }`
}

/** Run `body` (see {@link snippet}) once and return what it passed to `done`. */
export async function evaluate(body: string, options: Partial<EngineOptions> = {}, input: RunInput = passwordInput()): Promise<any> {
  const result = await runSnippet(body, options, input)
  return result.idToken.claims[OUT]
}

/** Run `body` (see {@link snippet}) once and return the whole result. */
export async function runSnippet(body: string, options: Partial<EngineOptions> = {}, input: RunInput = passwordInput()): Promise<RunResult> {
  await using engine = await engineWith([rule('snippet', snippet(body))], options)
  return await engine.run(input)
}

/** The error a run of `body` fails with. */
export async function failSnippet(body: string, options: Partial<EngineOptions> = {}, input: RunInput = passwordInput()): Promise<any> {
  return rejection(runSnippet(body, options, input))
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers })
  res.end(text)
}

/** Answer after `ms`, unless the client went away first. */
export function later(ms: number, then: Handler): Handler {
  return (req, res) => {
    const t = setTimeout(() => then(req, res), ms)
    res.on('close', () => clearTimeout(t))
  }
}

/** A port on 127.0.0.1 that nobody listens on. */
export { freePort as closedPort } from '../loopback-server.js'
