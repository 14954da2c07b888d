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
  /** Characters of one host call's encoded arguments (lib/capabilities/bounds.ts). */
  maxHostCallChars: number
  /** The per-run caps of the engine's own lists (lib/run-caps.ts). */
  caps: RunCaps
  /** Bytes the isolate may hold outside its heap (resizable ArrayBuffers, WebAssembly memories, Intl objects): see guest/memory.js. */
  offHeapBytes: number
  /** Whether rules get `WebAssembly` (engine option `webAssembly`). */
  webAssembly: boolean
  /** What `require` may load, by name; a package's `versions` are every bundled version, `version` (the first) what a require without a version loads. */
  modules: Record<
    string,
    { kind: 'package' | 'builtin' | 'host'; version?: string | undefined; versions?: string[] | undefined; descriptor?: HostDescriptor | undefined }
  >
  /** The global `process`'s `env` (engine option `process.env`). */
  process: { env: Record<string, string> }
  /** The integrator's extra globals. */
  globals: Record<string, HostDescriptor>
  /** `accessToken`: whether the host mints `auth0.accessToken` (engine option `auth0.accessToken`). */
  auth0: { domain: string | undefined; baseUrl: string | undefined; accessToken: boolean }
  /** Whether rules get a global `fetch` (HTTP allowed). */
  fetch: boolean
  /** Whether `Date` reads the integrator's clock, and `Math.random` its random source. */
  clock: boolean
  random: boolean
  /** The post-login actions, in order (engine option `actions`); their code is compiled apart. */
  actions: ActionSettings[]
  /** Auth0's id of each rule that has one, by rule name (for `api.rules.wasExecuted`). */
  ruleIds: Record<string, string>
  /**
   * Whether the host functions live in another process (engine option `isolation: 'process'`):
   * every host call then waits through `hostAwait`, whose answer may come from across a pipe.
   */
  remote: boolean
}

/** What the guest knows of one post-login action besides its code. */
export interface ActionSettings {
  name: string
  /** `event.secrets`: name → value. */
  secrets: Record<string, string>
  /** `event.configuration`: name → value. */
  configuration: Record<string, string>
  /** The exact version each declared dependency loads, by package name. */
  dependencies: Record<string, string>
}

/** A post-login action's cache record (`api.cache.get`), as Auth0 documents it. */
export interface ActionCacheRecord {
  value: string
  /** Epoch milliseconds after which the record is gone. */
  expires_at: number
}

/** What `api.cache.set` / `api.cache.delete` answer, as Auth0 documents it. */
export type ActionCacheWriteResult = { type: 'success'; record?: ActionCacheRecord | undefined } | { type: 'error'; code: string }

/** How many of each thing one run may leave with the engine at once (see lib/run-caps.ts). */
export interface RunCaps {
  /** Distinct warnings kept per run; past it one `WARNINGS_TRUNCATED`. */
  maxWarnings: number
  /** `auth0.users.update*Metadata` calls per run. */
  maxMetadataUpdates: number
  /** Host operations (promises the host settles later) pending at once. */
  maxPendingHostOperations: number
  /** Functions a run passes to host functions (callbacks the host may call). */
  maxCallbacks: number
}

/** Messages the guest sends the host through `notify`. */
export type GuestNotice = 'done' | 'timer' | 'immediate' | 'clear' | 'memory' | 'background'

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
  /** `@noble/hashes`' bundle (lib/packages.ts), evaluated on first use of a hash or HMAC. */
  cryptoSource: string
  /**
   * Calls a host function whose work is asynchronous (another thread's) and waits for its answer:
   * an isolated-vm Reference whose `applySyncPromise` blocks this isolate's thread, never the host's
   * main thread. Same protocol as `hostInvoke`; the answer is never a pending operation.
   */
  hostAwait: HostAwait
  /** Four bytes shared with the host: 1 + the index of the rule running now, 0 for none. */
  runningRuleBuffer: ArrayBuffer
}

/** The guest's view of the `hostAwait` Reference: only the one method it calls. */
export interface HostAwait {
  /** `style` 1: a synchronous host call (its answer may be a pending operation), as through `hostInvoke`; 2: the same, made again after the host answered it with yield (lib/turn-budget.ts). */
  applySyncPromise(receiver: undefined, args: [runId: number, id: string, argsJson: string, style?: 1 | 2]): string
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
  /** Header values by lower-case name; repeated headers joined with ', ' as Fetch does (but see `setCookie`). */
  headers: Record<string, string>
  /** Each Set-Cookie header on its own (Fetch's getSetCookie), which `headers` cannot keep apart. */
  setCookie?: string[] | undefined
  body: Uint8Array
}

/** Whether jsonwebtoken wants the key to sign (private or secret) or to verify (public or secret). */
export type JwtKeyUse = 'sign' | 'verify'

/**
 * A key a rule hands jsonwebtoken, as the guest copies it (each field read once): a string, bytes
 * (any ArrayBuffer or view), or an object's `key`/`format`/`type`/`passphrase`/`encoding` (a JWK
 * `key` as plain JSON data, a non-JSON field as `{}`); anything else (a number, `true`) is unusable.
 */
export type JwtKeyMaterial =
  | { kind: 'string'; value: string }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'object'; key: unknown; format: unknown; type: unknown; passphrase: unknown; encoding: unknown }
  | { kind: 'unusable' }

/** What jsonwebtoken reads of a KeyObject. */
export interface JwtKeyInfo {
  type: 'secret' | 'public' | 'private'
  asymmetricKeyType?: string
  details?: { modulusLength?: number; namedCurve?: string; hashAlgorithm?: string; mgf1HashAlgorithm?: string; saltLength?: number }
}

/** A signature step's value, or the error node:crypto threw (jsonwebtoken passes it on as it is). */
export type JwtCryptoOutcome<T> = { ok: true; value: T } | { ok: false; name: 'Error' | 'TypeError'; message: string }

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
  '$crypto.randomBytes': { args: [size: number]; result: Uint8Array }
  '$crypto.randomUUID': { args: []; result: string }
  '$crypto.randomInt': { args: [min: unknown, max: unknown]; result: number }
  /** What node:crypto makes of a jsonwebtoken key (`createPrivateKey`/`createPublicKey`, else `createSecretKey`), or null: not key material. */
  '$jwt.key': { args: [use: JwtKeyUse, material: JwtKeyMaterial]; result: JwtKeyInfo | null }
  '$jwt.sign': { args: [algorithm: string, input: string, material: JwtKeyMaterial]; result: JwtCryptoOutcome<string> }
  '$jwt.verify': { args: [algorithm: string, input: string, signature: string, material: JwtKeyMaterial]; result: JwtCryptoOutcome<boolean> }
  $http: { args: [request: HttpRequestSpec]; result: Promise<HttpResponseData> }
  /** The metadata crosses as JSON text (copied and checked in the guest, parsed and checked again on the host). */
  '$auth0.updateAppMetadata': { args: [userId: string, metadataJson: string]; result: Promise<undefined> }
  '$auth0.updateUserMetadata': { args: [userId: string, metadataJson: string]; result: Promise<undefined> }
  /** The run's `auth0.accessToken`, minted by the host once per run (awaited: the guest's thread waits). */
  '$auth0.accessToken': { args: []; result: Promise<string> }
  /** The bundle of one version of an allowed package (lib/packages.ts). */
  $moduleSource: { args: [name: string, version: string]; result: string }
  /** The ports of Node's built-ins (lib/packages.ts's nodePortsSource), evaluated on first use. */
  $nodeSource: { args: []; result: string }
  /** The post-login actions' cache (`api.cache`), shared by every action and isolate of the engine. */
  '$actions.cache.get': { args: [key: string]; result: ActionCacheRecord | undefined }
  '$actions.cache.set': { args: [key: string, value: string, ttl: number | undefined, expiresAt: number | undefined]; result: ActionCacheWriteResult }
  '$actions.cache.delete': { args: [key: string]; result: ActionCacheWriteResult }
  /** The integrator's clock (engine option `clock`), in epoch milliseconds. */
  $clock: { args: []; result: number }
  /** The integrator's random source (engine option `random`), in [0, 1). */
  $random: { args: []; result: number }
}

/** The id of an engine capability. */
export type HostCallId = keyof HostCalls
