/**
 * What the host and the guest runtime (the `.js` files beside this one, which run inside the
 * isolate) agree on: the inputs the guest gets at bootstrap, the settings it reads, and every host
 * call it may make, with its arguments and result. The host side imports these types; the guest
 * side reads them through `guest.d.ts`, so that a host call that does not exist, or is made with
 * the wrong arguments, is a type error on both sides.
 *
 * Types only, and only the ECMAScript library: the guest is checked without Node's types.
 */

/** What the guest learns about a host value: its shape, with functions replaced by ids. */
export type HostDescriptor =
  | { kind: 'function'; id: string; props?: Record<string, HostDescriptor> }
  | { kind: 'object'; props: Record<string, HostDescriptor> }
  | { kind: 'value'; json: string }

/** What the guest runtime needs to know; passed in as JSON at bootstrap. */
export interface SandboxSettings {
  configuration: Record<string, string>
  noBrowserProtocols: readonly string[]
  maxLogEntries: number
  maxTimers: number
  maxClaimsBytes: number
  maxUserBytes: number
  /** What `require` may load, by name. */
  modules: Record<string, { kind: 'package' | 'builtin' | 'host'; version?: string | undefined; descriptor?: HostDescriptor | undefined }>
  /** The integrator's extra globals. */
  globals: Record<string, HostDescriptor>
  auth0: { domain: string | undefined; baseUrl: string | undefined }
  /** Whether rules get a global `fetch` (HTTP allowed). */
  fetch: boolean
  /** Whether `Date` reads the integrator's clock, and `Math.random` its random source. */
  clock: boolean
  random: boolean
}

/** Messages the guest sends the host through `notify`. */
export type GuestNotice = 'done' | 'timer' | 'immediate' | 'clear'

/**
 * The guest runtime's inputs, by name, as the guest sees them. The host binds them in this order
 * (see `GUEST_INPUTS` in lib/guest-source.ts); `guest.d.ts` declares each for the guest code.
 */
export interface GuestInputs {
  /** Tells the host that a run is done, or to start or clear a timer (an ignored callback). */
  notify: (kind: GuestNotice, runId: number, a: string | number, b?: number) => void
  /** {@link SandboxSettings} as JSON. */
  settingsJson: string
  /** Calls a host function synchronously: `(runId, id, argsJson) → answerJson`. */
  hostInvoke: (runId: number, id: string, argsJson: string) => string
  /** The `buffer` package's bundle, evaluated on first use of `Buffer`. */
  bufferSource: string
  /** Four bytes shared with the host: 1 + the index of the rule running now, 0 for none. */
  runningRuleBuffer: ArrayBuffer
}

/** The URL parts the host parses for the guest's `URL`. */
export interface UrlParts {
  href: string
  origin: string
  protocol: string
  username: string
  password: string
  host: string
  hostname: string
  port: string
  pathname: string
  search: string
  hash: string
}

/** One HTTP request of a rule, as the guest's shims (fetch, axios, request) describe it. */
export interface HttpRequestSpec {
  url: string
  method: string
  headers: Record<string, string>
  body?: string | Uint8Array | undefined
  timeoutMs?: number | undefined
  redirect?: 'follow' | 'manual' | 'error' | undefined
}

/** The response the host hands back, body capped and read in full. */
export interface HttpResponseData {
  status: number
  statusText: string
  url: string
  redirected: boolean
  headers: Record<string, string>
  body: Uint8Array
}

/**
 * Every engine capability the guest may call, by id: its arguments and its result (a promise for
 * the ones the host settles later). Bytes cross as `Uint8Array` (a `Buffer` on either side).
 * Arguments a rule passes through unchanged are `unknown`: the host checks them.
 */
export interface HostCalls {
  '$url.parse': { args: [input: string, base: string | undefined]; result: UrlParts }
  '$url.set': { args: [href: string, part: string, value: string]; result: UrlParts }
  '$url.legacyParse': { args: [text: string, parseQuery: boolean]; result: Record<string, unknown> }
  '$url.format': { args: [value: unknown]; result: string }
  '$url.resolve': { args: [from: string, to: string]; result: string }
  '$querystring.parse': { args: [text: string, sep: unknown, eq: unknown]; result: Record<string, string | string[] | undefined> }
  '$querystring.stringify': { args: [value: unknown, sep: unknown, eq: unknown]; result: string }
  '$querystring.escape': { args: [text: string]; result: string }
  '$querystring.unescape': { args: [text: string]; result: string }
  '$crypto.randomBytes': { args: [size: number]; result: Uint8Array }
  '$crypto.randomUUID': { args: []; result: string }
  '$crypto.randomInt': { args: [min: unknown, max: unknown]; result: number }
  '$crypto.hash': { args: [algorithm: string, chunks: Uint8Array[]]; result: Uint8Array }
  '$crypto.hmac': { args: [algorithm: string, key: Uint8Array, chunks: Uint8Array[]]; result: Uint8Array }
  '$crypto.timingSafeEqual': { args: [a: Uint8Array, b: Uint8Array]; result: boolean }
  '$crypto.getHashes': { args: []; result: string[] }
  '$jwt.sign': { args: [algorithm: string, input: string, key: string | Uint8Array]; result: string }
  '$jwt.verify': { args: [algorithm: string, input: string, signature: string, key: string | Uint8Array]; result: boolean }
  $http: { args: [request: HttpRequestSpec]; result: Promise<HttpResponseData> }
  '$auth0.updateAppMetadata': { args: [userId: string, metadata: Record<string, unknown>]; result: Promise<undefined> }
  '$auth0.updateUserMetadata': { args: [userId: string, metadata: Record<string, unknown>]; result: Promise<undefined> }
  $moduleSource: { args: [name: string]; result: string }
  /** The integrator's clock (engine option `clock`), in epoch milliseconds. */
  $clock: { args: []; result: number }
  /** The integrator's random source (engine option `random`), in [0, 1). */
  $random: { args: []; result: number }
}

/** The id of an engine capability. */
export type HostCallId = keyof HostCalls
