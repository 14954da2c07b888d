/**
 * What one side of the differential harness observed for one scenario, in a form that compares:
 * the outcome, the requests the fixture server received, and the metadata writes.
 */
import type { ReceivedRequest } from './harness-fixture.js'

export type Outcome =
  | {
      ok: true
      user: unknown
      idToken: Record<string, unknown>
      accessToken: Record<string, unknown>
      /** The scopes the rule granted (de-duplicated, in order), `null` when it left them alone. */
      scope: string[] | null
      multifactor: { provider: string; allowRememberBrowser: boolean } | null
      redirect: { url: string } | null
      primaryUser: string | null
    }
  | {
      ok: false
      /** `unauthorized` (UnauthorizedError), `denied` (an error or a string), `exception` (thrown or rejected), `timeout`, or the engine's other codes. */
      kind: string
      message: string
    }

export interface MetadataWrite {
  userId: string
  kind: 'app_metadata' | 'user_metadata'
  metadata: unknown
}

export interface Observation {
  outcome: Outcome
  /** In arrival order; compared as a multiset (sorted), since parallel requests arrive in any order. */
  requests: ReceivedRequest[]
  metadata: MetadataWrite[]
  /** What this side noticed about itself that is not compared (versions substituted, warnings). */
  notes: string[]
}

export interface DiffEntry {
  /** `outcome`, `requests` or `metadata`. */
  field: 'outcome' | 'requests' | 'metadata'
  /** Dotted path of the first difference inside the field. */
  path: string
  engine: unknown
  reference: unknown
}

/** Registered claims a rule cannot set on either token (Auth0 sets them itself). */
const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'azp', 'scope', 'gty'])
const REGISTERED_ID = new Set(['nonce', 'at_hash', 'auth_time'])
/** Auth0's restricted claim names under the optional namespace policy (Auth0 docs, "Create custom claims"). */
const RESTRICTED = new Set(
  'acr act active amr at_hash ath attest aud auth_time authorization_details azp c_hash client_id cnf cty dest entitlements events exp groups gty htm htu iat internalService iss jcard jku jti jwe jwk kid may_act mky nbf nonce object_id org_id org_name orig origid permissions roles rph s_hash sid sip_callid sip_cseq_num sip_date sip_from_tag sip_via_branch sub sub_jwk toe txn typ uuid vot vtm x5t#S256'.split(
    ' ',
  ),
)
const FORBIDDEN_HOSTS = ['auth0.com', 'webtask.io', 'webtask.run']

function namespaceHost(name: string): string | undefined | null {
  if (!/^https?:\/\//i.test(name)) return null
  try {
    const host = new URL(name).hostname.toLowerCase()
    return host === '' ? undefined : host
  } catch {
    return undefined
  }
}

/** Auth0's custom-claims rules, applied to what the rule left in `context.idToken` / `context.accessToken`. */
export function auth0Claims(claims: Record<string, unknown>, token: 'idToken' | 'accessToken', policy: 'optional' | 'required'): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') continue
    if (REGISTERED.has(name) || (token === 'idToken' && REGISTERED_ID.has(name))) continue
    const host = namespaceHost(name)
    if (host === undefined) continue
    if (host === null) {
      if (policy === 'required') continue
      if (RESTRICTED.has(name) || /^urn:auth0/i.test(name)) continue
    } else if (FORBIDDEN_HOSTS.some((h) => host === h || host.endsWith(`.${h}`))) continue
    out[name] = value
  }
  return out
}

/** Scopes as Auth0 grants them from `context.accessToken.scope`: a string or an array of strings, split at spaces, de-duplicated. */
export function normaliseScope(scope: unknown): string[] | null {
  if (scope === undefined || scope === null) return null
  const parts = (Array.isArray(scope) ? scope.map(String) : [String(scope)]).flatMap((s) => s.split(/\s+/)).filter((s) => s !== '')
  return [...new Set(parts)]
}

/** A JSON copy (what reaches a token or a store): Dates as ISO strings, functions and undefined dropped. */
export function jsonCopy(value: unknown): unknown {
  if (value === undefined) return undefined
  try {
    const text = JSON.stringify(value)
    return text === undefined ? undefined : JSON.parse(text)
  } catch (error) {
    return { unserialisable: String(error) }
  }
}

function matchesVolatile(path: string[], patterns: readonly string[][]): boolean {
  return patterns.some((p) => p.length === path.length && p.every((part, i) => part === '*' || part === path[i]))
}

/** Replace volatile values by their type, so that only presence and type are compared. */
export function maskVolatile(value: unknown, volatile: readonly string[], prefix: string[] = []): unknown {
  const patterns = volatile.map(splitPath)
  const walk = (v: unknown, path: string[]): unknown => {
    if (matchesVolatile(path, patterns)) return `<volatile ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}>`
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, String(i)]))
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])]))
    return v
  }
  return walk(value, prefix)
}

/** `outcome.idToken.https://example.com/x` → its parts; a claim name with dots is written inside brackets: `outcome.idToken.[https://a.b/c]`. */
export function splitPath(path: string): string[] {
  const parts: string[] = []
  const re = /\[([^\]]*)\]|([^.[\]]+)/g
  for (let m = re.exec(path); m !== null; m = re.exec(path)) parts.push((m[1] ?? m[2]) as string)
  return parts
}

function stableKey(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

function firstDifference(a: unknown, b: unknown, path: string[]): { path: string[]; a: unknown; b: unknown } | undefined {
  if (Object.is(a, b)) return undefined
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], [...path, String(i)])
      if (d !== undefined) return d
    }
    return undefined
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...path, k])
      if (d !== undefined) return d
    }
    return undefined
  }
  return { path, a, b }
}

/** Compare what the engine and the reference observed; empty when they behaved identically. */
export function diffObservations(engine: Observation, reference: Observation, volatile: readonly string[] = []): DiffEntry[] {
  const sortRequests = (list: Observation['requests']) => [...list].sort((x, y) => (stableKey(x) < stableKey(y) ? -1 : stableKey(x) > stableKey(y) ? 1 : 0))
  const view = (o: Observation) => maskVolatile({ outcome: o.outcome, requests: o.requests, metadata: o.metadata }, volatile) as Record<string, unknown>
  const e = view(engine)
  const r = view(reference)
  const out: DiffEntry[] = []
  for (const field of ['outcome', 'requests', 'metadata'] as const) {
    const a = field === 'requests' ? sortRequests(e[field] as Observation['requests']) : e[field]
    const b = field === 'requests' ? sortRequests(r[field] as Observation['requests']) : r[field]
    // One side failed and the other did not: the whole outcomes are the difference.
    const okDiffers = field === 'outcome' && (a as Outcome).ok !== (b as Outcome).ok
    const d = okDiffers ? { path: ['ok'], a, b } : firstDifference(a, b, [])
    if (d !== undefined) out.push({ field, path: d.path.join('.'), engine: d.a, reference: d.b })
  }
  return out
}

/** One line per difference, for test messages and the compat scripts. */
export function describeDiff(diff: readonly DiffEntry[]): string {
  const show = (v: unknown) => {
    const text = JSON.stringify(v)
    return text === undefined ? 'undefined' : text.length > 300 ? `${text.slice(0, 300)}…` : text
  }
  return diff.map((d) => `${d.field}${d.path === '' ? '' : `.${d.path}`}: engine ${show(d.engine)} ≠ reference ${show(d.reference)}`).join('\n')
}
