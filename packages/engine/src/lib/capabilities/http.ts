import { isIP } from 'node:net'
import type { HttpRequestSpec, HttpResponseData } from '../../guest/contract.js'
import type { CallContext, HostRegistry } from '../host-bridge.js'
import { abortable, checkedAddresses, parseAddressRange, systemResolver, type AddressRange, type Resolver } from './http-addresses.js'
import { HttpError } from './http-error.js'
import { RunFailure } from './run-failure.js'
import { runRequests, sendPinned, type RunRequests, type Sent, type SendInit } from './http-transport.js'

/** The integrator's HTTP policy (engine option `modules.http`, resolved). */
export interface HttpPolicy {
  /** Host names, `*.suffix` wildcards, or `host:port` entries; an IP-literal entry allows that address. */
  allow: readonly string[]
  methods: readonly string[]
  timeoutMs: number
  maxResponseBytes: number
  /** The integrator's HTTP client, or undefined for the engine's own (pinned to checked addresses). */
  fetch: typeof fetch | undefined
  /** Where a redirect may lead: any allowed URL, the same origin only, or nowhere. */
  redirects: 'follow' | 'same-origin' | 'error'
  /** IPs and CIDR ranges names may resolve to besides public unicast addresses. */
  allowAddresses: readonly string[]
  /** Name resolution of the engine's own transport; undefined: the system's. */
  lookup: Resolver | undefined
  maxConcurrentRequests: number
  maxRequests: number
}

interface AllowEntry {
  /** A canonical host (as the URL parser writes it), or the suffix of a `*.` entry, with its dot. */
  host: string
  wildcard: boolean
  port: string | undefined
}

/**
 * The tenant's Management API served in this process (engine option `auth0.managementApi`): every
 * https request to `origin` whose path is `/api/v2` or below, and a POST to its `/oauth/token` (the
 * client-credentials exchange node-auth0's ManagementClient makes before its first call), goes to
 * `handler`, never the network.
 */
export interface InProcessApi {
  /** `https://<auth0.domain>`. */
  origin: string
  handler: (request: Request) => Promise<Response>
}

/** The in-process route of engine option `auth0` (resolved), when it has a `managementApi`. */
export function inProcessApi(auth0: { domain: string | undefined; managementApi: InProcessApi['handler'] | undefined }): InProcessApi | undefined {
  if (auth0.managementApi === undefined || auth0.domain === undefined) return undefined
  return { origin: new URL(`https://${auth0.domain}/`).origin, handler: auth0.managementApi }
}

/** The Management API's path prefix below the tenant's origin. */
const MANAGEMENT_PATH = '/api/v2'
/** The tenant's token endpoint: served in-process for POST only (a Management API token by client credentials). */
const TOKEN_PATH = '/oauth/token'

interface CompiledPolicy extends HttpPolicy {
  entries: readonly AllowEntry[]
  ranges: readonly AddressRange[]
  resolver: Resolver
  inProcess: InProcessApi | undefined
}

const MAX_REDIRECTS = 5

/** Headers a redirect to another origin keeps; the rest (Authorization, Cookie, API keys) may be credentials. */
const CROSS_ORIGIN_HEADERS = new Set(['accept', 'accept-encoding', 'accept-language', 'content-language', 'content-type', 'user-agent'])

/** Headers that describe a body, dropped with it when a redirect turns the request into a GET (Fetch standard). */
const BODY_HEADERS = new Set(['content-encoding', 'content-language', 'content-location', 'content-type', 'content-length'])

/** One HTTP bridge for `fetch`, `node-fetch`, `axios` and `request`, behind the policy. */
export function registerHttp(registry: HostRegistry, policy: HttpPolicy, inProcess?: InProcessApi): void {
  const compiled: CompiledPolicy = {
    ...policy,
    inProcess,
    entries: policy.allow.map(allowEntry),
    ranges: policy.allowAddresses.map((entry) => {
      const range = parseAddressRange(entry)
      // The options schema refused these already; an engine built another way must not widen the policy.
      if (typeof range === 'string') throw new TypeError(`modules.http.allowAddresses: '${entry}' ${range}`)
      return range
    }),
    resolver: policy.lookup ?? systemResolver,
  }
  registry.register('$http', ([spec], context) => httpRequest(spec, compiled, context))
}

/** 'host', 'host:port', '[v6]', '[v6]:port', '*.suffix', '*.suffix:port'; a bare IPv6 address has no port. */
function allowEntry(raw: string): AllowEntry {
  const entry = raw.toLowerCase()
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry)
  const host = (m === null ? entry : (m[1] as string)).replace(/^\[|\]$/g, '')
  const port = m === null ? undefined : m[2]
  if (host.startsWith('*.')) return { host: host.slice(1), wildcard: true, port }
  return { host: canonicalHost(host), wildcard: false, port }
}

/** A host as the URL parser writes it (`127.1` is `127.0.0.1`, `[::ffff:127.0.0.1]` is `::ffff:7f00:1`), brackets stripped. */
function canonicalHost(host: string): string {
  try {
    return new URL(`http://${host.includes(':') ? `[${host}]` : host}/`).hostname.replace(/^\[|\]$/g, '')
  } catch {
    return host
  }
}

/** Whether `url`'s host (and port) is on the allow-list. An IP-literal host matches only an entry that is that address. */
function hostAllowed(url: URL, entries: readonly AllowEntry[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '')
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port
  const literal = isIP(host) !== 0
  return entries.some((entry) => {
    if (entry.port !== undefined && entry.port !== port) return false
    if (entry.wildcard) return !literal && host.endsWith(entry.host)
    return host === entry.host
  })
}

async function httpRequest(spec: HttpRequestSpec, policy: CompiledPolicy, context: CallContext): Promise<HttpResponseData> {
  const method = String(spec.method ?? 'GET').toUpperCase()
  if (!policy.methods.includes(method)) throw new HttpError('ERR_HTTP_NOT_ALLOWED', `HTTP method ${method} is not allowed for rules.`)
  let url = checkedUrl(String(spec.url), policy, method)
  const run = runRequests(context, policy)
  run.count()
  const release = await run.slot()
  // The request's own timeout, from when it is sent; the run's budget is enforced by the run itself
  // (its end aborts `context.signal`), so a request cut short by the budget fails the run with
  // ERR_RULE_TIMEOUT.
  const budget = Math.min(policy.timeoutMs, spec.timeoutMs ?? Infinity)
  const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(budget)))
  const signal = AbortSignal.any([timeout, context.signal])
  let currentMethod = method
  let headers: Record<string, string> = { ...spec.headers }
  let body = spec.body
  try {
    for (let hop = 0; ; hop++) {
      if (hop > 0) run.count()
      const sent = await send(
        url,
        {
          method: currentMethod,
          headers,
          ...(body === undefined || currentMethod === 'GET' || currentMethod === 'HEAD' ? {} : { body }),
          redirect: 'manual',
          signal,
        },
        policy,
        run,
        signal,
      )
      try {
        const { response } = sent
        const location = response.headers.get('location')
        if (response.status >= 300 && response.status < 400 && location !== null && spec.redirect !== 'manual') {
          await response.body?.cancel().catch(() => undefined)
          if (hop >= MAX_REDIRECTS) throw new HttpError('ERR_TOO_MANY_REDIRECTS', `More than ${MAX_REDIRECTS} redirects from ${url.host}.`)
          const toGet = response.status === 303 || ((response.status === 301 || response.status === 302) && currentMethod === 'POST')
          const nextMethod = toGet ? (currentMethod === 'HEAD' ? 'HEAD' : 'GET') : currentMethod
          const next = redirectTarget(url, location, policy, nextMethod)
          if (next.origin !== url.origin) headers = keepHeaders(headers, CROSS_ORIGIN_HEADERS, true)
          if (toGet) {
            currentMethod = nextMethod
            body = undefined
            headers = keepHeaders(headers, BODY_HEADERS, false)
          }
          url = next
          continue
        }
        const data = await readCapped(response, policy.maxResponseBytes, url)
        return {
          status: response.status,
          statusText: response.statusText,
          url: url.href,
          redirected: hop > 0,
          headers: Object.fromEntries(response.headers),
          setCookie: response.headers.getSetCookie(),
          body: data,
        }
      } finally {
        await sent.close()
      }
    }
  } catch (error) {
    throw failure(error, url, timeout, budget)
  } finally {
    release()
  }
}

/** The engine's transport over checked addresses, or the integrator's `fetch` (which resolves and connects as it likes). */
async function send(url: URL, init: SendInit, policy: CompiledPolicy, run: RunRequests, signal: AbortSignal): Promise<Sent> {
  if (policy.inProcess !== undefined && servedInProcess(url, init.method, policy.inProcess)) return sendInProcess(url, init, policy.inProcess.handler, signal)
  if (policy.fetch !== undefined) {
    const response = await policy.fetch(url, init)
    return { response, close: async () => void (response.bodyUsed ? undefined : await response.body?.cancel().catch(() => undefined)) }
  }
  const host = url.hostname.replace(/^\[|\]$/g, '')
  // An IP-literal host passed the allow-list only as an entry naming that address: nothing to resolve.
  const addresses = isIP(host) !== 0 ? [host] : await checkedAddresses(host, policy.resolver, policy.ranges, signal)
  return sendPinned(url, init, addresses, run)
}

/**
 * Whether a request is the in-process Management API's: https, the tenant's origin, and `/api/v2`
 * or below (after the URL parser resolved dot segments), or a POST to exactly `/oauth/token`.
 */
function servedInProcess(url: URL, method: string, api: InProcessApi): boolean {
  if (url.protocol !== 'https:' || url.origin !== api.origin) return false
  if (url.pathname === TOKEN_PATH) return method === 'POST'
  return url.pathname === MANAGEMENT_PATH || url.pathname.startsWith(`${MANAGEMENT_PATH}/`)
}

/**
 * Hand the request to the in-process handler, as a Fetch `Request` (credentials in the URL
 * dropped: a `Request` refuses them), bounded by the same signal as a network request: a handler
 * that never answers, or a body that never ends, is cut off at the request's timeout or the run's
 * end. A handler that rejects, or answers something that is not a `Response`, fails the run: the
 * tenant's store could not answer, and a login must not go on as if a write had happened.
 */
async function sendInProcess(url: URL, init: SendInit, handler: InProcessApi['handler'], signal: AbortSignal): Promise<Sent> {
  const target = new URL(url.href)
  target.username = ''
  target.password = ''
  const request = new Request(target, {
    method: init.method,
    headers: init.headers,
    ...(init.body === undefined ? {} : { body: init.body }),
    redirect: 'manual',
    signal,
  })
  let answer: unknown
  try {
    answer = await abortable(
      Promise.resolve().then(() => handler(request)),
      signal,
    )
  } catch (error) {
    if (signal.aborted) throw error
    const reason = error instanceof Error ? error.message : typeof error === 'string' ? error : 'it threw a value that is not an Error'
    throw new RunFailure('ERR_METADATA_UPDATE_FAILED', `auth0.managementApi failed for ${init.method} ${target.pathname}: ${reason}`)
  }
  if (!(answer instanceof Response)) {
    throw new RunFailure('ERR_METADATA_UPDATE_FAILED', `auth0.managementApi answered ${init.method} ${target.pathname} with something that is not a Response.`)
  }
  const response = abortableBody(answer, signal)
  return { response, close: async () => void (response.bodyUsed ? undefined : await response.body?.cancel().catch(() => undefined)) }
}

/** The same response, with a body whose reads stop when `signal` aborts (and then cancel the handler's stream). */
function abortableBody(response: Response, signal: AbortSignal): Response {
  const source = response.body
  if (source === null) return response
  const reader = source.getReader()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await abortable(reader.read(), signal)
        if (chunk.done) controller.close()
        else controller.enqueue(chunk.value)
      } catch (error) {
        void reader.cancel(error).catch(() => undefined)
        controller.error(error)
      }
    },
    cancel: (reason) => reader.cancel(reason),
  })
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
}

/** What the rule sees when a request fails: the policy's own errors as they are, the rest with a system code. */
function failure(error: unknown, url: URL, timeout: AbortSignal, budget: number): unknown {
  if (error instanceof HttpError || error instanceof RunFailure) return error
  if (timeout.aborted) return new HttpError('ETIMEDOUT', `HTTP request to ${url.host} timed out after ${Math.round(budget)} ms.`)
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause
  if (typeof cause?.code === 'string') return new HttpError(cause.code, `HTTP request to ${url.host} failed: ${cause.code}`)
  // The request could not even be built (a header that is not a ByteString, say).
  const reason = cause?.message ?? (error as Error | null)?.message ?? String(error)
  return new HttpError('ERR_INVALID_REQUEST', `HTTP request to ${url.host} could not be sent: ${reason}`)
}

/** Where a redirect leads, if the policy lets it: checked like the first URL, and against `modules.http.redirects`. */
function redirectTarget(from: URL, location: string, policy: CompiledPolicy, method: string): URL {
  let text: string
  try {
    text = new URL(location, from).href
  } catch {
    throw new HttpError('ERR_INVALID_URL', `Invalid redirect location from ${from.host}: ${location}`)
  }
  const next = checkedUrl(text, policy, method)
  if (policy.redirects === 'error') {
    throw new HttpError(
      'ERR_HTTP_NOT_ALLOWED',
      `${from.host} answered with a redirect; redirects are not followed for rules (modules.http.redirects: 'error').`,
    )
  }
  if (policy.redirects === 'same-origin' && next.origin !== from.origin) {
    throw new HttpError(
      'ERR_HTTP_NOT_ALLOWED',
      `${from.host} redirected to another origin (${next.host}); rules follow same-origin redirects only (modules.http.redirects: 'same-origin').`,
    )
  }
  return next
}

/** `headers` with only the names in `names` (keep) or without them (drop). */
function keepHeaders(headers: Record<string, string>, names: ReadonlySet<string>, keep: boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => names.has(name.toLowerCase()) === keep))
}

function checkedUrl(text: string, policy: CompiledPolicy, method: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new HttpError('ERR_INVALID_URL', `Invalid URL: ${text}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HttpError('ERR_HTTP_NOT_ALLOWED', `Only http and https URLs are allowed, not ${url.protocol}`)
  }
  if (policy.inProcess !== undefined && servedInProcess(url, method, policy.inProcess)) return url
  if (!hostAllowed(url, policy.entries)) {
    throw new HttpError('ERR_HTTP_NOT_ALLOWED', `HTTP requests to ${url.host} are not allowed for rules (modules.http.allow).`)
  }
  return url
}

async function readCapped(response: Response, max: number, url: URL): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => undefined)
    throw new HttpError('ERR_RESPONSE_TOO_LARGE', `The response from ${url.host} is larger than ${max} bytes.`)
  }
  if (response.body === null) return Buffer.alloc(0)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > max) {
      await response.body.cancel().catch(() => undefined)
      throw new HttpError('ERR_RESPONSE_TOO_LARGE', `The response from ${url.host} is larger than ${max} bytes.`)
    }
    chunks.push(Buffer.from(chunk))
  }
  return Buffer.concat(chunks)
}
