/**
 * The REFERENCE side of the actions differential harness: post-login actions run in plain Node,
 * as Auth0's Actions runtime ran them, with the same login the engine gets.
 *
 * - The action's code is a CommonJS module (`exports.onExecutePostLogin = async (event, api) =>
 *   …`), compiled with `Function` in this realm (as the rules reference does, so that the real
 *   modules it requires share its built-ins) once per session: Auth0 kept a warm action's module
 *   between executions, so top-level code runs once.
 * - `event` is built from the rules' `user` and `context` by Auth0's post-login event reference
 *   ({@link eventFor}); `api` is a recording object with exactly the post-login methods the
 *   engine offers ({@link recordingApi}), anything else absent (calling it is a TypeError).
 * - The actions run in order, each awaited; the first `api.access.deny` ends the flow after its
 *   action returns (its reason is the error); metadata set with `api.user.*` is merged and written
 *   once when the flow ends, also after a denial, never after an exception.
 */
import { builtinModules, createRequire } from 'node:module'
import { ReferenceSession } from '../deployed/harness-reference.js'
import { auth0Claims, jsonCopy, type MetadataWrite, type Observation, type Outcome } from '../deployed/harness-observation.js'

const hostRequire = createRequire(new URL('../../package.json', import.meta.url))

export interface ReferenceAction {
  name: string
  code: string
  secrets: Record<string, string>
  configuration?: Record<string, string> | undefined
}

export interface ReferenceActionsRun {
  actions: readonly ReferenceAction[]
  user: Record<string, unknown>
  context: Record<string, unknown>
  timeoutMs: number
  now?: number | undefined
  claimsNamespace: 'optional' | 'required'
  noBrowserProtocols: readonly string[]
  /** The ids of the rules that ran before the actions (`api.rules.wasExecuted`). */
  executedRules?: readonly string[] | undefined
}

/** Actions' geoip field names for the rules' snake_case ones. */
const GEOIP: Record<string, string> = {
  city_name: 'cityName',
  continent_code: 'continentCode',
  country_code: 'countryCode',
  country_code3: 'countryCode3',
  country_name: 'countryName',
  latitude: 'latitude',
  longitude: 'longitude',
  subdivision_code: 'subdivisionCode',
  subdivision_name: 'subdivisionName',
  time_zone: 'timeZone',
}

/** Profile fields Rules had on `user` that Actions moved elsewhere (`event.stats`) or dropped. */
const RULES_ONLY_USER_FIELDS = ['logins_count', 'last_login', 'last_ip']

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined

/**
 * The post-login `event` for a login given as the rules' `user` and `context`, as Auth0's
 * post-login event reference documents it; what the login does not tell is absent.
 */
export function eventFor(
  user: Record<string, unknown>,
  context: Record<string, unknown>,
  secrets: Record<string, string>,
  configuration: Record<string, string> = {},
): Record<string, unknown> {
  const request = asRecord(context['request']) ?? {}
  const body = asRecord(request['body']) ?? {}
  const query = asRecord(request['query']) ?? {}
  const eventUser: Record<string, unknown> = structuredClone(user)
  for (const field of RULES_ONLY_USER_FIELDS) delete eventUser[field]
  const eventRequest: Record<string, unknown> = {}
  if (request['ip'] !== undefined) eventRequest['ip'] = request['ip']
  if (request['hostname'] !== undefined) eventRequest['hostname'] = request['hostname']
  if (request['userAgent'] !== undefined) eventRequest['user_agent'] = request['userAgent']
  eventRequest['query'] = structuredClone(query)
  eventRequest['body'] = structuredClone(body)
  const geoip = asRecord(request['geoip'])
  if (geoip !== undefined) {
    eventRequest['geoip'] = Object.fromEntries(
      Object.entries(geoip)
        .filter(([key]) => GEOIP[key] !== undefined)
        .map(([key, value]) => [GEOIP[key] as string, value]),
    )
  }
  const scope = body['scope'] ?? query['scope']
  const audience = body['audience'] ?? query['audience']
  const event: Record<string, unknown> = {
    user: eventUser,
    client: { client_id: context['clientID'], name: context['clientName'], metadata: structuredClone(context['clientMetadata'] ?? {}) },
    connection: {
      id: context['connectionID'],
      name: context['connection'],
      strategy: context['connectionStrategy'],
      ...(context['connectionMetadata'] === undefined ? {} : { metadata: structuredClone(context['connectionMetadata']) }),
    },
    request: eventRequest,
    transaction: {
      protocol: context['protocol'],
      requested_scopes: typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : [],
    },
    stats: { logins_count: (asRecord(context['stats']) ?? {})['loginsCount'] },
    tenant: { id: context['tenant'] },
    secrets: { ...secrets },
    configuration: { ...configuration },
  }
  const authentication = asRecord(context['authentication'])
  if (authentication !== undefined) {
    const methods = Array.isArray(authentication['methods']) ? (authentication['methods'] as Record<string, unknown>[]) : []
    event['authentication'] = {
      methods: methods.map((m) => ({ ...m, ...(typeof m['timestamp'] === 'number' ? { timestamp: new Date(m['timestamp']).toISOString() } : {}) })),
      // Adaptive MFA's assessment, when the login has one (event.authentication.riskAssessment).
      ...(asRecord(authentication['riskAssessment']) === undefined ? {} : { riskAssessment: structuredClone(authentication['riskAssessment']) }),
    }
  }
  const authorization = asRecord(context['authorization'])
  if (authorization !== undefined) event['authorization'] = { roles: structuredClone(authorization['roles'] ?? []) }
  const organization = asRecord(context['organization'])
  if (organization !== undefined) event['organization'] = structuredClone(organization)
  if (typeof audience === 'string' && audience !== '') event['resource_server'] = { identifier: audience }
  return event
}

/** Auth0's documented limits of `api.cache` for one trigger. */
const CACHE = { entries: 20, keyBytes: 64, valueBytes: 4 * 1024, totalBytes: 8 * 1024, maxLifetimeMs: 24 * 3600_000, defaultLifetimeMs: 15 * 60_000 }

/** One session's `api.cache` store: entries live across executions, as a warm Auth0 trigger kept them. */
export class ReferenceCache {
  readonly #entries = new Map<string, { value: string; expires_at: number }>()
  constructor(private readonly clock: () => number) {}

  get(key: string): { value: string; expires_at: number } | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expires_at <= this.clock()) {
      this.#entries.delete(key)
      return undefined
    }
    return { ...entry }
  }

  set(key: unknown, value: unknown, options?: { ttl?: number; expires_at?: number }): { type: 'success' } | { type: 'error'; code: string } {
    if (typeof key !== 'string' || typeof value !== 'string') return { type: 'error', code: 'invalid_argument' }
    if (Buffer.byteLength(key) > CACHE.keyBytes || Buffer.byteLength(value) > CACHE.valueBytes) return { type: 'error', code: 'invalid_argument' }
    const now = this.clock()
    const wanted = options?.expires_at !== undefined ? options.expires_at : options?.ttl !== undefined ? now + options.ttl : now + CACHE.defaultLifetimeMs
    const expires_at = Math.min(wanted, now + CACHE.maxLifetimeMs)
    for (const [k, entry] of this.#entries) if (entry.expires_at <= now) this.#entries.delete(k)
    const others = [...this.#entries].filter(([k]) => k !== key)
    if (others.length >= CACHE.entries) return { type: 'error', code: 'max_entries_reached' }
    const total = others.reduce((sum, [k, e]) => sum + Buffer.byteLength(k) + Buffer.byteLength(e.value), 0)
    if (total + Buffer.byteLength(key) + Buffer.byteLength(value) > CACHE.totalBytes) return { type: 'error', code: 'max_size_reached' }
    this.#entries.set(key, { value, expires_at })
    return { type: 'success' }
  }

  delete(key: unknown): { type: 'success' } {
    if (typeof key === 'string') this.#entries.delete(key)
    return { type: 'success' }
  }
}

/** What the actions asked of the login, recorded by {@link recordingApi}. */
export interface Recorded {
  idToken: Record<string, unknown>
  accessToken: Record<string, unknown>
  scopeAdded: string[]
  scopeRemoved: string[]
  scopeTouched: boolean
  deny: string | undefined
  multifactor: { provider: string; allowRememberBrowser: boolean } | undefined
  redirect: { url: string } | undefined
  appMetadata: Record<string, unknown> | undefined
  userMetadata: Record<string, unknown> | undefined
}

export function newRecord(): Recorded {
  return {
    idToken: {},
    accessToken: {},
    scopeAdded: [],
    scopeRemoved: [],
    scopeTouched: false,
    deny: undefined,
    multifactor: undefined,
    redirect: undefined,
    appMetadata: undefined,
    userMetadata: undefined,
  }
}

/** The post-login `api` of one action, writing into `record`. An ordinary object: actions may add to it. */
export function recordingApi(record: Recorded, cache: ReferenceCache, executedRules: readonly string[]): Record<string, unknown> {
  const claim = (target: Record<string, unknown>) => (name: string, value: unknown) => {
    target[name] = value
  }
  return {
    accessToken: {
      setCustomClaim: claim(record.accessToken),
      addScope(scope: string) {
        record.scopeTouched = true
        record.scopeRemoved = record.scopeRemoved.filter((s) => s !== scope)
        if (!record.scopeAdded.includes(scope)) record.scopeAdded.push(scope)
      },
      removeScope(scope: string) {
        record.scopeTouched = true
        record.scopeAdded = record.scopeAdded.filter((s) => s !== scope)
        if (!record.scopeRemoved.includes(scope)) record.scopeRemoved.push(scope)
      },
    },
    idToken: { setCustomClaim: claim(record.idToken) },
    access: {
      deny(reason: string) {
        if (record.deny === undefined) record.deny = String(reason)
      },
    },
    multifactor: {
      enable(provider: string, options?: { allowRememberBrowser?: boolean }) {
        record.multifactor = { provider: String(provider), allowRememberBrowser: options?.allowRememberBrowser === true }
      },
    },
    user: {
      setAppMetadata(key: string, value: unknown) {
        record.appMetadata = { ...record.appMetadata, [key]: value }
      },
      setUserMetadata(key: string, value: unknown) {
        record.userMetadata = { ...record.userMetadata, [key]: value }
      },
    },
    cache: {
      get: (key: string) => cache.get(key),
      set: (key: string, value: string, options?: { ttl?: number; expires_at?: number }) => cache.set(key, value, options),
      delete: (key: string) => cache.delete(key),
    },
    redirect: {
      sendUserTo(url: string) {
        record.redirect = { url: String(url) }
      },
    },
    rules: { wasExecuted: (id: string) => executedRules.includes(id) },
  }
}

/** Auth0's `require` for an action: Node built-ins and the packages installed in packages/engine. */
function actionRequire(id: string): unknown {
  if (typeof id !== 'string') throw new TypeError('The "id" argument must be of type string')
  const match = /^(@[^/@]+\/[^@]+|[^@]+)@(.+)$/.exec(id)
  const name = match === null ? id : (match[1] as string)
  if (builtinModules.includes(name.replace(/^node:/, ''))) return hostRequire(name)
  return hostRequire(name)
}

const quietConsole = (logs: string[]) => {
  const line =
    (level: string) =>
    (...args: unknown[]) =>
      void logs.push(`${level} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`)
  return { log: line('log'), info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug'), dir: line('dir'), trace: line('trace') }
}

type Handler = (event: unknown, api: unknown) => unknown

/**
 * One Actions container: the compiled modules (top-level code ran once), the cache, and the hosts
 * the fixture plays (see the rules reference's {@link ReferenceSession}). Call {@link end}.
 */
export class ReferenceActionsSession {
  readonly #session: ReferenceSession
  readonly #modules = new Map<string, { handler: Handler | undefined; error: unknown }>()
  readonly logs: string[] = []
  #clock: () => number = Date.now
  readonly cache = new ReferenceCache(() => this.#clock())

  constructor(intercept?: { hosts: readonly string[]; origin: string }) {
    this.#session = new ReferenceSession(intercept)
  }

  setClock(clock: () => number): void {
    this.#clock = clock
  }

  /** The action's `onExecutePostLogin`, its module compiled and run on first use. */
  handler(action: ReferenceAction): { handler: Handler | undefined; error: unknown } {
    const key = `${action.name}\n${action.code}`
    let compiled = this.#modules.get(key)
    if (compiled === undefined) {
      compiled = { handler: undefined, error: undefined }
      try {
        const module = { exports: {} as Record<string, unknown> }
        const body = new Function('exports', 'require', 'module', 'console', `${action.code}\n//# sourceURL=reference-action:${action.name}`) as (
          ...args: unknown[]
        ) => void
        body(module.exports, actionRequire, module, quietConsole(this.logs))
        const handler = module.exports['onExecutePostLogin']
        if (typeof handler === 'function') compiled.handler = handler as Handler
        else compiled.error = new TypeError(`action ${action.name} does not export onExecutePostLogin`)
      } catch (error) {
        compiled.error = error
      }
      this.#modules.set(key, compiled)
    }
    return compiled
  }

  get inFlight(): { count: number } {
    return this.#session.inFlight
  }

  end(): void {
    this.#session.end()
  }
}

function applyMetadata(current: unknown, changes: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...asRecord(current) }
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete out[key]
    else out[key] = value
  }
  return jsonCopy(out) as Record<string, unknown>
}

/** The granted scopes after `addScope` / `removeScope`: the requested ones, less the removed, plus the added. */
function finalScope(requested: readonly string[], record: Recorded): string[] | null {
  if (!record.scopeTouched) return null
  const kept = requested.filter((s) => !record.scopeRemoved.includes(s))
  return [...new Set([...kept, ...record.scopeAdded])]
}

/** Run the post-login actions of one login as Auth0 did. */
export async function runReferenceActions(
  run: ReferenceActionsRun,
  session: ReferenceActionsSession,
): Promise<Omit<Observation, 'requests'> & { logs: string[] }> {
  const notes: string[] = []
  const metadata: MetadataWrite[] = []
  const record = newRecord()
  const RealDate = globalThis.Date
  session.setClock(() => (run.now === undefined ? RealDate.now() : run.now))
  if (run.now !== undefined) {
    const now = run.now
    const Fixed = function (this: unknown, ...args: unknown[]) {
      if (!new.target) return new RealDate(now).toString()
      return args.length === 0 ? new RealDate(now) : new (RealDate as unknown as new (...a: unknown[]) => Date)(...args)
    } as unknown as DateConstructor
    Object.setPrototypeOf(Fixed, RealDate)
    Object.defineProperty(Fixed, 'prototype', { value: RealDate.prototype })
    Object.defineProperty(Fixed, 'now', { value: () => now, configurable: true, writable: true })
    globalThis.Date = Fixed
  }
  const userId = String(run.user['user_id'])
  let outcome: Outcome | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), run.timeoutMs)))
  try {
    for (const action of run.actions) {
      const event = eventFor(run.user, run.context, action.secrets, action.configuration)
      const api = recordingApi(record, session.cache, run.executedRules ?? [])
      const { handler, error } = session.handler(action)
      let result: unknown
      try {
        if (handler === undefined) throw error
        result = await Promise.race([Promise.resolve().then(() => handler(event, api)), timeout])
      } catch (thrown) {
        outcome = { ok: false, kind: 'exception', message: thrown instanceof Error ? thrown.message : String(thrown) }
        notes.push(`reference: action ${action.name} failed: ${outcome.message}`)
        break
      }
      if (result === 'timeout') {
        outcome = { ok: false, kind: 'timeout', message: `the pipeline did not finish within ${run.timeoutMs} ms` }
        break
      }
      if (record.deny !== undefined) {
        outcome = { ok: false, kind: 'denied', message: record.deny }
        break
      }
      if (record.redirect !== undefined && run.noBrowserProtocols.includes(String(run.context['protocol']))) {
        outcome = { ok: false, kind: 'redirect_unsupported', message: `protocol ${String(run.context['protocol'])}` }
        break
      }
    }
  } finally {
    clearTimeout(timer)
    globalThis.Date = RealDate
  }
  // Metadata set with api.user.* is written once when the flow ends, after a denial too, never after an exception.
  if (outcome === undefined || (!outcome.ok && outcome.kind === 'denied')) {
    if (record.appMetadata !== undefined) metadata.push({ userId, kind: 'app_metadata', metadata: applyMetadata(run.user['app_metadata'], record.appMetadata) })
    if (record.userMetadata !== undefined)
      metadata.push({ userId, kind: 'user_metadata', metadata: applyMetadata(run.user['user_metadata'], record.userMetadata) })
  }
  if (outcome === undefined) {
    const body = asRecord(asRecord(run.context['request'])?.['body']) ?? {}
    const requested = typeof body['scope'] === 'string' ? body['scope'].split(' ').filter((s) => s !== '') : []
    const user = structuredClone(run.user)
    if (record.appMetadata !== undefined) user['app_metadata'] = applyMetadata(user['app_metadata'], record.appMetadata)
    if (record.userMetadata !== undefined) user['user_metadata'] = applyMetadata(user['user_metadata'], record.userMetadata)
    outcome = {
      ok: true,
      user: jsonCopy(user),
      idToken: jsonCopy(auth0Claims(record.idToken, 'idToken', run.claimsNamespace)) as Record<string, unknown>,
      accessToken: jsonCopy(auth0Claims(record.accessToken, 'accessToken', run.claimsNamespace)) as Record<string, unknown>,
      scope: finalScope(requested, record),
      multifactor: record.multifactor ?? null,
      redirect: null,
      primaryUser: null,
    }
  }
  return { outcome, metadata, notes, logs: [...session.logs] }
}
