/**
 * The REFERENCE side of the differential harness: a plain in-process emulation of Auth0's rules
 * runtime, with the real npm modules at the versions installed in packages/engine.
 *
 * Why plain `Function` in this realm and not a `vm` context: Auth0's webtask runtime compiled a
 * rule in the Node process's own realm, so the rule, the modules it required and `global` shared
 * one set of built-ins (`err instanceof Error` holds for an axios error, `global` is Node's global
 * object). A `vm` context would give the rule its own `Error`, `Array` and `Promise` while the real
 * modules keep the host's, and rules that test `instanceof` would behave differently from Auth0.
 * What a run leaves behind is undone after it instead: globals it added (implicit globals of a
 * sloppy rule, `global.cache = …`) are deleted, and the modules it loaded are evicted from
 * `require.cache`, so that the next scenario starts as a fresh webtask container would.
 */
import { createRequire, builtinModules } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MetadataWrite, Observation, Outcome } from './harness-observation.js'
import { auth0Claims, jsonCopy, normaliseScope } from './harness-observation.js'

/**
 * Where both sides resolve the real modules: packages/engine, or the folder of a measurement that
 * adds packages not installed there (scripts/compat-overlay.ts sets `TOKENRULES_COMPAT_MODULES`).
 */
export const ENGINE_DIR = process.env['TOKENRULES_COMPAT_MODULES'] ?? fileURLToPath(new URL('../..', import.meta.url))
const hostRequire = createRequire(join(ENGINE_DIR, 'package.json'))

export interface ReferenceRun {
  ruleName: string
  script: string
  configuration: Record<string, string>
  user: Record<string, unknown>
  context: Record<string, unknown>
  auth0: { domain: string; baseUrl: string; accessToken: string }
  timeoutMs: number
  /** Fixed time both sides see, in ms since the epoch. */
  now?: number | undefined
  claimsNamespace: 'optional' | 'required'
  /** Protocols without a browser, where `context.redirect` fails the login. */
  noBrowserProtocols: readonly string[]
  /** Packages installed under an npm alias (the case's object `modules.packages` entries): `require(name)` runs `from`. */
  aliases?: readonly { name: string; version: string; from: string }[] | undefined
  /** How long work the rule left running after its outcome may go on (the engine's `limits.backgroundMs`). */
  backgroundMs?: number | undefined
}

/** Auth0's `UnauthorizedError`: an `Error` named `UnauthorizedError`, callable without `new`. */
function makeUnauthorizedError(): (message?: string) => Error {
  function UnauthorizedError(this: unknown, message?: string): Error {
    if (!(this instanceof UnauthorizedError)) return new (UnauthorizedError as unknown as new (m?: string) => Error)(message)
    const self = this as Error & { description?: string; code?: string; statusCode?: number }
    Error.call(self)
    Error.captureStackTrace?.(self, UnauthorizedError)
    self.name = 'UnauthorizedError'
    self.message = message ?? ''
    self.description = message ?? ''
    self.code = 'unauthorized'
    self.statusCode = 401
    return self
  }
  UnauthorizedError.prototype = Object.create(Error.prototype, { constructor: { value: UnauthorizedError, writable: true, configurable: true } })
  return UnauthorizedError as unknown as (message?: string) => Error
}

/** `require` as a rule saw it on Auth0: any Node built-in, any package, `name@version` pinned. */
function ruleRequire(notes: string[], aliases: readonly { name: string; version: string; from: string }[]): (id: string) => unknown {
  return (id: string) => {
    if (typeof id !== 'string') throw new TypeError('The "id" argument must be of type string')
    const match = /^(@[^/@]+\/[^@]+|[^@]+)@(.+)$/.exec(id)
    const alias = aliases.find((a) => a.name === (match === null ? id : match[1]) && (match === null || match[2] === a.version))
    if (alias !== undefined) return hostRequire(alias.from)
    if (match === null) return hostRequire(id)
    const [, name, version] = match as unknown as [string, string, string]
    if (builtinModules.includes(name)) return hostRequire(name)
    try {
      const installed = (hostRequire(`${name}/package.json`) as { version: string }).version
      if (installed !== version) notes.push(`reference: require('${id}') ran the installed ${name}@${installed}`)
    } catch {
      // A package without an exported package.json: its version cannot be checked.
    }
    return hostRequire(name)
  }
}

/** Date with a fixed "now", for cases that fix the time. */
function fixedDate(RealDate: DateConstructor, now: number): DateConstructor {
  const Fixed = function (this: unknown, ...args: unknown[]) {
    if (!new.target) return new RealDate(now).toString()
    return args.length === 0 ? new RealDate(now) : new (RealDate as unknown as new (...a: unknown[]) => Date)(...args)
  } as unknown as DateConstructor
  Object.setPrototypeOf(Fixed, RealDate)
  Object.defineProperty(Fixed, 'prototype', { value: RealDate.prototype })
  Object.defineProperty(Fixed, 'now', { value: () => now, configurable: true, writable: true })
  return Fixed
}

const quietConsole = (logs: string[]) => {
  const line =
    (level: string) =>
    (...args: unknown[]) =>
      void logs.push(`${level} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`)
  return { log: line('log'), info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug'), trace: line('trace'), dir: line('dir') }
}

function errorOutcome(err: unknown, UnauthorizedError: unknown): Outcome {
  if (typeof err === 'string') return { ok: false, kind: 'denied', message: err }
  if (err instanceof (UnauthorizedError as new () => Error)) return { ok: false, kind: 'unauthorized', message: (err as Error).message }
  if (err instanceof Error) return { ok: false, kind: 'denied', message: err.message }
  const message = (err as { message?: unknown } | null)?.message
  return { ok: false, kind: 'denied', message: typeof message === 'string' ? message : String(err) }
}

/**
 * One webtask container: the globals a rule adds and the modules it loads stay from one run to the
 * next (a rule that caches a token in `global` finds it), until {@link ReferenceSession.end}
 * removes them. The engine side keeps one engine per case for the same reason.
 */
export class ReferenceSession {
  readonly #globalsBefore = new Set(Reflect.ownKeys(globalThis))
  readonly #cacheBefore = new Set(Object.keys(hostRequire.cache))
  readonly #restore: () => void
  /** HTTP requests the real clients have in flight (counted by {@link interceptHosts}). */
  readonly inFlight = { count: 0 }
  /** With `intercept`, requests to those hosts (the tenant's Management API, a case's `served` hosts) go to `origin` instead (see {@link interceptHosts}). */
  constructor(intercept?: { hosts: readonly string[]; origin: string }) {
    this.#restore = interceptHosts(intercept?.hosts ?? [], intercept?.origin ?? 'http://127.0.0.1:9', this.inFlight)
  }
  end(): void {
    this.#restore()
    for (const key of Reflect.ownKeys(globalThis)) if (!this.#globalsBefore.has(key)) Reflect.deleteProperty(globalThis, key)
    for (const key of Object.keys(hostRequire.cache)) if (!this.#cacheBefore.has(key)) delete hostRequire.cache[key]
  }
}

/**
 * Send what the real clients address to one of `hosts` (`name` or `name:port`; Auth0's Management
 * API at `auth0.baseUrl`, a case's `served` hosts) to the fixture's plain-HTTP `origin`, over
 * http or https alike: node's `http(s).request` / `http(s).get`, which request, axios
 * (follow-redirects), superagent (node-auth0) and node-fetch look up when they send, and the
 * global `fetch`. Everything else goes where it was addressed. Returns the undo.
 */
export function interceptHosts(hosts: readonly string[], origin: string, inFlight: { count: number } = { count: 0 }): () => void {
  const https = hostRequire('node:https') as typeof import('node:https')
  const http = hostRequire('node:http') as typeof import('node:http')
  const target = new URL(origin)
  const real = { httpsRequest: https.request, httpsGet: https.get, httpRequest: http.request, httpGet: http.get, fetch: globalThis.fetch }
  const served = (host: string, port: string, defaultPort: string) =>
    hosts.includes(port === '' || port === defaultPort ? host : `${host}:${port}`) || hosts.includes(`${host}:${port}`)
  const redirect = (args: unknown[], defaultPort: string): unknown[] | undefined => {
    const [first, second] = args
    let options: Record<string, unknown>
    let rest: unknown[]
    if (typeof first === 'string' || first instanceof URL) {
      // Not a URL: the real request fails on it as it would.
      if (!URL.canParse(String(first))) return undefined
      const url = new URL(String(first))
      if (!served(url.hostname, url.port, defaultPort)) return undefined
      const extra = typeof second === 'object' && second !== null && typeof second !== 'function' ? (second as Record<string, unknown>) : {}
      options = { ...extra, path: `${url.pathname}${url.search}`, headers: { host: url.host, ...(extra['headers'] as object | undefined) } }
      if (url.username !== '' && extra['auth'] === undefined) options['auth'] = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
      rest = args.slice(typeof second === 'function' || second === undefined ? 1 : 2)
    } else {
      const given = (first ?? {}) as Record<string, unknown>
      const [host, hostPort] = String(given['hostname'] ?? given['host'] ?? '').split(':') as [string, string | undefined]
      const port = given['port'] === undefined || given['port'] === null || given['port'] === '' ? (hostPort ?? '') : String(given['port'])
      if (!served(host, port, defaultPort)) return undefined
      options = { ...given, headers: { host, ...(given['headers'] as object | undefined) } }
      rest = args.slice(1)
    }
    for (const key of ['agent', 'ca', 'cert', 'key', 'servername', 'rejectUnauthorized', 'createConnection', 'host']) delete options[key]
    options['protocol'] = 'http:'
    options['hostname'] = target.hostname
    options['port'] = target.port
    return [options, ...rest]
  }
  const wrap =
    (realFn: (...a: unknown[]) => unknown, viaFn: (...a: unknown[]) => unknown, defaultPort: string) =>
    (...args: unknown[]) => {
      const moved = redirect(args, defaultPort)
      const request = (moved === undefined ? realFn(...args) : viaFn(...moved)) as import('node:http').ClientRequest
      inFlight.count++
      request.once('close', () => void inFlight.count--)
      // The fixture stands in for a verified TLS peer (request's strictSSL reads socket.authorized).
      if (moved !== undefined) request.on('socket', (socket) => Object.assign(socket, { authorized: true }))
      return request
    }
  const viaRequest = real.httpRequest as (...a: unknown[]) => unknown
  const viaGet = real.httpGet as (...a: unknown[]) => unknown
  https.request = wrap(real.httpsRequest as (...a: unknown[]) => unknown, viaRequest, '443') as typeof https.request
  https.get = wrap(real.httpsGet as (...a: unknown[]) => unknown, viaGet, '443') as typeof https.get
  http.request = wrap(viaRequest, viaRequest, '80') as typeof http.request
  http.get = wrap(viaGet, viaGet, '80') as typeof http.get
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    inFlight.count++
    const sent = served(url.hostname, url.port, url.protocol === 'https:' ? '443' : '80')
      ? resend(real.fetch, request, `${origin}${url.pathname}${url.search}`)
      : real.fetch(request)
    return sent.finally(() => void inFlight.count--)
  }) as typeof fetch
  return () => {
    https.request = real.httpsRequest
    https.get = real.httpsGet
    http.request = real.httpRequest
    http.get = real.httpGet
    globalThis.fetch = real.fetch
  }
}

type Timers = [typeof setTimeout, typeof clearTimeout, typeof setImmediate, typeof clearImmediate]

/**
 * The work a run leaves running: the timers the rule sets (its `setTimeout`/`setImmediate`, given
 * as its own bindings) and the session's HTTP requests in flight. `idle` waits until neither is
 * left (twice 20 ms apart: a response's handlers may send the next request) or the grace ends.
 */
function trackWork(session: ReferenceSession): { timers(): Timers; idle(graceMs: number): Promise<void>; stop(): void } {
  const pending = new Map<unknown, (handle: never) => void>()
  const realSetTimeout = globalThis.setTimeout
  const wrapSet =
    (set: (fn: (...a: unknown[]) => void, ...rest: unknown[]) => unknown, clear: (handle: never) => void) =>
    (fn: unknown, ...rest: unknown[]) => {
      if (typeof fn !== 'function') return set(fn as never, ...rest)
      const handle: unknown = set(
        (...args: unknown[]) => {
          pending.delete(handle)
          ;(fn as (...a: unknown[]) => void)(...args)
        },
        ...rest,
      )
      pending.set(handle, clear)
      return handle
    }
  const wrapClear = (clear: (handle: never) => void) => (handle: unknown) => {
    pending.delete(handle)
    clear(handle as never)
  }
  return {
    timers: () =>
      [
        wrapSet(globalThis.setTimeout as never, globalThis.clearTimeout as never),
        wrapClear(globalThis.clearTimeout as never),
        wrapSet(globalThis.setImmediate as never, globalThis.clearImmediate as never),
        wrapClear(globalThis.clearImmediate as never),
      ] as unknown as Timers,
    async idle(graceMs) {
      const deadline = Date.now() + graceMs
      let quiet = 0
      while (quiet < 2 && Date.now() < deadline) {
        await new Promise((resolve) => realSetTimeout(resolve, 20))
        quiet = pending.size === 0 && session.inFlight.count === 0 ? quiet + 1 : 0
      }
    },
    stop() {
      for (const [handle, clear] of pending) clear(handle as never)
      pending.clear()
    },
  }
}

/** Run one rule as Auth0 did; resolves once it called back (or failed, or timed out). Without a session, the run is its own. */
export async function runReference(run: ReferenceRun, session?: ReferenceSession): Promise<Omit<Observation, 'requests'> & { logs: string[] }> {
  const notes: string[] = []
  const logs: string[] = []
  const metadata: MetadataWrite[] = []
  const UnauthorizedError = makeUnauthorizedError()
  const own = session === undefined ? new ReferenceSession() : undefined
  const RealDate = globalThis.Date
  if (run.now !== undefined) globalThis.Date = fixedDate(RealDate, run.now)

  let finish!: (outcome: Outcome) => void
  const finished = new Promise<Outcome>((resolve) => (finish = resolve))
  let settled = false
  const fail = (error: unknown) => {
    if (settled) return
    settled = true
    finish({ ok: false, kind: 'exception', message: error instanceof Error ? error.message : String(error) })
  }
  const savedListeners = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  }
  process.removeAllListeners('uncaughtException').removeAllListeners('unhandledRejection')
  process.on('uncaughtException', fail).on('unhandledRejection', fail)

  const work = trackWork((session ?? own) as ReferenceSession)
  const user = structuredClone(run.user)
  const context = structuredClone(run.context)
  const record = (kind: MetadataWrite['kind']) => (userId: unknown, value: unknown) => {
    metadata.push({ userId: String(userId), kind, metadata: jsonCopy(value) })
    return Promise.resolve()
  }
  const auth0 = {
    users: { updateAppMetadata: record('app_metadata'), updateUserMetadata: record('user_metadata') },
    accessToken: run.auth0.accessToken,
    domain: run.auth0.domain,
    baseUrl: run.auth0.baseUrl,
  }
  const callback = (err?: unknown, nextUser?: unknown, nextContext?: unknown) => {
    if (settled) {
      notes.push('reference: callback called again (ignored)')
      return
    }
    settled = true
    // Auth0 took the outcome once the rule's synchronous code had returned: a change the rule
    // makes right after calling back still counts.
    queueMicrotask(() => {
      if (err !== null && err !== undefined) return finish(errorOutcome(err, UnauthorizedError))
      const u = (nextUser ?? user) as Record<string, unknown>
      const c = (nextContext ?? context) as Record<string, unknown>
      const id = (c['idToken'] ?? {}) as Record<string, unknown>
      const access = (c['accessToken'] ?? {}) as Record<string, unknown>
      const redirect = c['redirect'] as { url?: unknown } | undefined
      if (redirect !== undefined && redirect !== null && run.noBrowserProtocols.includes(String(c['protocol']))) {
        return finish({ ok: false, kind: 'redirect_unsupported', message: `protocol ${String(c['protocol'])}` })
      }
      const mf = c['multifactor'] as { provider?: unknown; allowRememberBrowser?: unknown } | undefined
      finish({
        ok: true,
        user: jsonCopy(u),
        idToken: jsonCopy(auth0Claims(id, 'idToken', run.claimsNamespace)) as Record<string, unknown>,
        accessToken: jsonCopy(auth0Claims(access, 'accessToken', run.claimsNamespace)) as Record<string, unknown>,
        scope: normaliseScope(access['scope']),
        // Auth0's template: allowRememberBrowser "optional, defaults to true".
        multifactor:
          mf === undefined || mf === null
            ? null
            : { provider: String(mf.provider), allowRememberBrowser: mf.allowRememberBrowser === undefined ? true : Boolean(mf.allowRememberBrowser) },
        redirect: redirect === undefined || redirect === null ? null : { url: String(redirect.url) },
        primaryUser: c['primaryUser'] === run.context['primaryUser'] || c['primaryUser'] === undefined ? null : String(c['primaryUser']),
      })
    })
  }

  const timer = setTimeout(() => {
    if (settled) return
    settled = true
    finish({ ok: false, kind: 'timeout', message: `the rule did not call back within ${run.timeoutMs} ms` })
  }, run.timeoutMs)
  try {
    const request = hostRequire('request') as unknown
    // Auth0's legacy globals `_` (lodash), `async` and `jwt` (jsonwebtoken), the real modules.
    const compile = new Function(
      'require',
      'configuration',
      'auth0',
      'UnauthorizedError',
      'global',
      'request',
      'console',
      '_',
      'async',
      'jwt',
      'setTimeout',
      'clearTimeout',
      'setImmediate',
      'clearImmediate',
      `return (${run.script}\n);\n//# sourceURL=reference:${run.ruleName}`,
    ) as (...args: unknown[]) => unknown
    const ruleFunction = compile(
      ruleRequire(notes, run.aliases ?? []),
      Object.freeze({ ...run.configuration }),
      auth0,
      UnauthorizedError,
      globalThis,
      request,
      quietConsole(logs),
      hostRequire('lodash'),
      hostRequire('async'),
      hostRequire('jsonwebtoken'),
      ...work.timers(),
    )
    if (typeof ruleFunction !== 'function') throw new TypeError(`the rule's script is not a function (${typeof ruleFunction})`)
    const returned = (ruleFunction as (u: unknown, c: unknown, cb: unknown) => unknown)(user, context, callback)
    if (returned !== null && typeof returned === 'object' && typeof (returned as PromiseLike<unknown>).then === 'function') {
      ;(returned as PromiseLike<unknown>).then(undefined, fail)
    }
  } catch (error) {
    fail(error)
  }
  try {
    const outcome = await finished
    // Work the rule left running (a request or a timer after the callback) may end within the
    // grace, as on Auth0 and in the engine (`limits.backgroundMs`); its requests and metadata writes count.
    await work.idle(run.backgroundMs ?? 5_000)
    return { outcome, metadata, notes, logs }
  } finally {
    clearTimeout(timer)
    globalThis.Date = RealDate
    work.stop()
    await new Promise((resolve) => setTimeout(resolve, 20))
    process.removeListener('uncaughtException', fail).removeListener('unhandledRejection', fail)
    for (const l of savedListeners.uncaughtException) process.on('uncaughtException', l as (e: Error) => void)
    for (const l of savedListeners.unhandledRejection) process.on('unhandledRejection', l as (r: unknown) => void)
    own?.end()
  }
}

/** `request` sent again to `url` (its body read first: a stream body cannot be handed on). */
export async function resend(send: typeof fetch, request: Request, url: string): Promise<Response> {
  const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer()
  return send(url, {
    method: request.method,
    headers: request.headers,
    redirect: request.redirect,
    signal: request.signal,
    ...(body === undefined ? {} : { body }),
  })
}
