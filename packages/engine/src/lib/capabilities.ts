import { createHash, createHmac, getHashes, randomBytes, randomInt, randomUUID, sign, timingSafeEqual, verify } from 'node:crypto'
import querystring from 'node:querystring'
import { format as formatUrl, parse as parseUrl, resolve as resolveUrl } from 'node:url'
import type { HttpRequestSpec, UrlParts } from '../guest/contract.js'
import type { CallContext, HostRegistry } from './host-bridge.js'

/** A failure that must end the run (no token), not just reject the rule's promise. */
export class RunFailure extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

/** An HTTP failure the rule sees as an Error with `code` (ECONNREFUSED, ETIMEDOUT, ERR_HTTP_NOT_ALLOWED…). */
class HttpError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

const URL_PARTS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'] as const

function urlParts(url: URL): UrlParts {
  return Object.fromEntries(URL_PARTS.map((p) => [p, url[p]])) as Record<(typeof URL_PARTS)[number], string>
}

function bytes(value: unknown, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  throw new TypeError(`${what} must be bytes or a string`)
}

/** URL parsing, querystring and the web crypto subset: always available, pure functions of data. */
export function registerBasics(registry: HostRegistry, random?: () => number): void {
  registry.register('$url.parse', ([input, base]) => {
    try {
      return urlParts(new URL(String(input), base === undefined ? undefined : String(base)))
    } catch {
      throw new TypeError(`Invalid URL: ${String(input)}`)
    }
  })
  registry.register('$url.set', ([href, part, value]) => {
    const url = new URL(String(href))
    const key = String(part) as (typeof URL_PARTS)[number]
    if (!URL_PARTS.includes(key) || key === 'origin') throw new TypeError(`Cannot set URL.${key}`)
    ;(url as unknown as Record<string, string>)[key] = String(value)
    return urlParts(url)
  })
  registry.register('$url.legacyParse', ([text, parseQuery]) => {
    const parsed = parseUrl(String(text), parseQuery === true)
    return JSON.parse(JSON.stringify({ ...parsed }))
  })
  registry.register('$url.format', ([value]) => formatUrl(value as string))
  registry.register('$url.resolve', ([from, to]) => resolveUrl(String(from), String(to)))
  registry.register('$querystring.parse', ([text, sep, eq]) => ({ ...querystring.parse(String(text), sep as string, eq as string) }))
  registry.register('$querystring.stringify', ([value, sep, eq]) =>
    querystring.stringify(value as querystring.ParsedUrlQueryInput, sep as string, eq as string),
  )
  registry.register('$querystring.escape', ([text]) => querystring.escape(String(text)))
  registry.register('$querystring.unescape', ([text]) => querystring.unescape(String(text)))
  const size = (n: unknown) => Math.max(0, Math.min(1 << 20, Number(n) | 0))
  if (random === undefined) {
    registry.register('$crypto.randomBytes', ([n]) => randomBytes(size(n)))
    registry.register('$crypto.randomUUID', () => randomUUID())
    registry.register('$crypto.randomInt', ([min, max]) => randomInt(Number(min), Number(max)))
    return
  }
  // The integrator's deterministic source, for tests.
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256) & 255))
  registry.register('$random', () => random())
  registry.register('$crypto.randomBytes', ([n]) => bytes(size(n)))
  registry.register('$crypto.randomUUID', () => {
    const b = bytes(16)
    b[6] = ((b[6] as number) & 0x0f) | 0x40
    b[8] = ((b[8] as number) & 0x3f) | 0x80
    const hex = b.toString('hex')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  })
  registry.register('$crypto.randomInt', ([min, max]) => Number(min) + Math.floor(random() * (Number(max) - Number(min))))
}

const HMAC_ALGS: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }
const RSA_ALGS: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' }

/** `crypto` and `jsonwebtoken`: hashes, HMAC, timing-safe comparison, JWT signatures. */
export function registerCrypto(registry: HostRegistry): void {
  registry.register('$crypto.hash', ([alg, chunks]) => {
    const hash = createHash(String(alg))
    for (const chunk of chunks as unknown[]) hash.update(bytes(chunk, 'data'))
    return hash.digest()
  })
  registry.register('$crypto.hmac', ([alg, key, chunks]) => {
    const hmac = createHmac(String(alg), bytes(key, 'key'))
    for (const chunk of chunks as unknown[]) hmac.update(bytes(chunk, 'data'))
    return hmac.digest()
  })
  registry.register('$crypto.timingSafeEqual', ([a, b]) => {
    const x = bytes(a, 'a')
    const y = bytes(b, 'b')
    if (x.length !== y.length) throw new RangeError('Input buffers must have the same byte length')
    return timingSafeEqual(x, y)
  })
  registry.register('$crypto.getHashes', () => getHashes())
  registry.register('$jwt.sign', ([alg, input, key]) => {
    const a = String(alg)
    const data = Buffer.from(String(input))
    if (HMAC_ALGS[a] !== undefined) return createHmac(HMAC_ALGS[a], bytes(key, 'secret')).update(data).digest('base64url')
    if (RSA_ALGS[a] !== undefined) return sign(RSA_ALGS[a], data, String(bytes(key, 'private key'))).toString('base64url')
    throw new Error(`"${a}" is not a supported algorithm (HS256/384/512, RS256/384/512)`)
  })
  registry.register('$jwt.verify', ([alg, input, signature, key]) => {
    const a = String(alg)
    const data = Buffer.from(String(input))
    const sig = Buffer.from(String(signature), 'base64url')
    if (HMAC_ALGS[a] !== undefined) {
      const expected = createHmac(HMAC_ALGS[a], bytes(key, 'secret')).update(data).digest()
      return expected.length === sig.length && timingSafeEqual(expected, sig)
    }
    if (RSA_ALGS[a] !== undefined) {
      try {
        return verify(RSA_ALGS[a], data, String(bytes(key, 'public key')), sig)
      } catch {
        return false
      }
    }
    return false
  })
}

/** The integrator's HTTP policy (engine option `modules.http`, resolved). */
export interface HttpPolicy {
  /** Host names, `*.suffix` wildcards, or `host:port` entries. */
  allow: readonly string[]
  methods: readonly string[]
  timeoutMs: number
  maxResponseBytes: number
  fetch: typeof fetch
}

/** Whether `url`'s host (and port) is on the allow-list. */
export function hostAllowed(url: URL, allow: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '')
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port
  return allow.some((raw) => {
    const entry = raw.toLowerCase()
    // 'host', 'host:port', '[v6]', '[v6]:port', '*.suffix', '*.suffix:port'; a bare IPv6 address has no port.
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry)
    const entryHost = (m === null ? entry : (m[1] as string)).replace(/^\[|\]$/g, '')
    const entryPort = m === null ? undefined : m[2]
    if (entryPort !== undefined && entryPort !== port) return false
    if (entryHost.startsWith('*.')) return host.endsWith(entryHost.slice(1))
    return host === entryHost
  })
}

const MAX_REDIRECTS = 5

/** One HTTP bridge for `fetch`, `node-fetch`, `axios` and `request`, behind the policy. */
export function registerHttp(registry: HostRegistry, policy: HttpPolicy): void {
  registry.register('$http', ([spec], context) => httpRequest(spec, policy, context))
}

async function httpRequest(spec: HttpRequestSpec, policy: HttpPolicy, context: CallContext) {
  const method = String(spec.method ?? 'GET').toUpperCase()
  if (!policy.methods.includes(method)) throw new HttpError('ERR_HTTP_NOT_ALLOWED', `HTTP method ${method} is not allowed for rules.`)
  // The request's own timeout; the run's budget is enforced by the run itself (its end aborts
  // `context.signal`), so a request cut short by the budget fails the run with ERR_RULE_TIMEOUT.
  const budget = Math.min(policy.timeoutMs, spec.timeoutMs ?? Infinity)
  const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(budget)))
  const signal = AbortSignal.any([timeout, context.signal])
  let url = checkedUrl(String(spec.url), policy)
  let currentMethod = method
  let body = spec.body
  for (let hop = 0; ; hop++) {
    let response: Response
    try {
      response = await policy.fetch(url, {
        method: currentMethod,
        headers: spec.headers,
        ...(body === undefined || currentMethod === 'GET' || currentMethod === 'HEAD' ? {} : { body }),
        redirect: 'manual',
        signal,
      })
    } catch (error) {
      if (timeout.aborted) throw new HttpError('ETIMEDOUT', `HTTP request to ${url.host} timed out after ${Math.round(budget)} ms.`)
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      if (typeof cause?.code === 'string') throw new HttpError(cause.code, `HTTP request to ${url.host} failed: ${cause.code}`)
      // The request could not even be built (a header that is not a ByteString, say).
      const reason = cause?.message ?? (error as Error).message
      throw new HttpError('ERR_INVALID_REQUEST', `HTTP request to ${url.host} could not be sent: ${reason}`)
    }
    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location !== null && spec.redirect !== 'manual') {
      await response.body?.cancel()
      if (hop >= MAX_REDIRECTS) throw new HttpError('ERR_TOO_MANY_REDIRECTS', `More than ${MAX_REDIRECTS} redirects from ${url.host}.`)
      url = checkedUrl(new URL(location, url).href, policy)
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && currentMethod === 'POST')) {
        currentMethod = 'GET'
        body = undefined
      }
      continue
    }
    const data = await readCapped(response, policy.maxResponseBytes, url)
    return {
      status: response.status,
      statusText: response.statusText,
      url: url.href,
      redirected: hop > 0,
      headers: Object.fromEntries(response.headers),
      body: data,
    }
  }
}

function checkedUrl(text: string, policy: HttpPolicy): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new HttpError('ERR_INVALID_URL', `Invalid URL: ${text}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HttpError('ERR_HTTP_NOT_ALLOWED', `Only http and https URLs are allowed, not ${url.protocol}`)
  }
  if (!hostAllowed(url, policy.allow)) {
    throw new HttpError('ERR_HTTP_NOT_ALLOWED', `HTTP requests to ${url.host} are not allowed for rules (modules.http.allow).`)
  }
  return url
}

async function readCapped(response: Response, max: number, url: URL): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel()
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

/** Host hooks that persist metadata (engine option `hooks.updateAppMetadata` / `updateUserMetadata`). */
export type MetadataHook = (userId: string, metadata: Record<string, unknown>) => Promise<void> | void

/** `auth0.users.updateAppMetadata` / `updateUserMetadata`: call the hook; a failure ends the run. */
export function registerAuth0(registry: HostRegistry, hooks: { app?: MetadataHook | undefined; user?: MetadataHook | undefined }): void {
  const updater = (kind: 'app_metadata' | 'user_metadata', hook: MetadataHook | undefined) => async (args: unknown[], context: CallContext) => {
    const [userId, metadata] = args as [string, Record<string, unknown>]
    const option = kind === 'app_metadata' ? 'updateAppMetadata' : 'updateUserMetadata'
    if (hook === undefined) {
      throw new RunFailure('ERR_METADATA_UPDATE_FAILED', `A rule updated ${kind}, but the engine has no hooks.${option} to persist it.`)
    }
    try {
      await hook(userId, metadata)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new RunFailure('ERR_METADATA_UPDATE_FAILED', `hooks.${option} failed for ${userId}: ${reason}`)
    }
    context.record('metadataUpdate', { userId, kind, metadata })
    return undefined
  }
  registry.register('$auth0.updateAppMetadata', updater('app_metadata', hooks.app))
  registry.register('$auth0.updateUserMetadata', updater('user_metadata', hooks.user))
}
