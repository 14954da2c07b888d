import type { HttpRequestSpec } from '../../guest/contract.js'
import type { CallContext, HostRegistry } from '../host-bridge.js'

/** An HTTP failure the rule sees as an Error with `code` (ECONNREFUSED, ETIMEDOUT, ERR_HTTP_NOT_ALLOWED…). */
class HttpError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
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
