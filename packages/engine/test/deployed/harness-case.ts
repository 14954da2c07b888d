/**
 * A deployed rule and its case (README.md): loading, checking and preparing them for a run (the
 * fixture's origin put in place of the case's literal hosts and of `{{origin}}`, scenarios merged
 * over the default login).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules, createRequire } from 'node:module'
import { join } from 'node:path'
import type { Route } from './harness-fixture.js'
import { ENGINE_DIR } from './harness-reference.js'

export const DEPLOYED_DIR = new URL('./', import.meta.url)
const RULES_DIR = new URL('./rules/', DEPLOYED_DIR)
const CASES_DIR = new URL('./cases/', DEPLOYED_DIR)

/** A Management API user both sides hold (the reference's fixture, the engine's in-process API). */
export type TenantUser = Record<string, unknown> & { user_id: string }

export interface Scenario {
  name: string
  user?: Record<string, unknown>
  context?: Record<string, unknown>
  /** Routes tried before the case's own (first match wins). */
  routes?: Route[]
  /** Configuration entries over the case's. */
  configuration?: Record<string, string>
  /** Only when this scenario alone knowingly differs (see {@link Case.differs}). */
  differs?: string
}

/**
 * A `modules.packages` entry: `"lodash"` / `"lodash@4.17.21"`, or the engine's object form for a
 * version installed under an npm alias (`{ name: '@octokit/rest', version: '17.1.4', from:
 * 'octokit-rest-17' }`): both sides run `from` when the rule requires `name` (at that version).
 */
export type PackageSpec = string | { name: string; version: string; from: string }

export interface Case {
  modules?: { packages?: PackageSpec[]; crypto?: boolean; http?: boolean }
  configuration?: Record<string, string>
  hosts?: string[]
  /**
   * Host names (`api.example.com`, `api.example.com:8443`) the fixture answers for while the rule's
   * URLs stay as written (`'https://' + configuration.DOMAIN + '/x'`): the reference's clients and
   * the engine's transport send their requests to the fixture, over http or https alike.
   */
  served?: string[]
  routes?: Route[]
  tenantUsers?: TenantUser[]
  scenarios: Scenario[]
  /** Why the engine knowingly differs (every scenario must then differ). */
  differs?: string
  /** Fields of the diff the known difference shows in (e.g. `["outcome"]`); checked when given. */
  differsIn?: DiffField[]
  /** The time both sides see, as an ISO date (`Date.now()`, `new Date()`, moment). Default: the real clock. */
  now?: string
  /**
   * Values that differ from run to run whatever the runtime (random ids, signatures over them):
   * dotted paths into the observation (`outcome.idToken.https://example.com/trace_id`,
   * `requests.*.body.nonce`) compared by type only. `*` stands for any array index or key.
   */
  volatile?: string[]
  /** `optional` (default, Auth0 since July 2022) or `required` (non-namespaced claims dropped). */
  claimsNamespace?: 'optional' | 'required'
  /** The pipeline's budget on both sides, in milliseconds. Default 5000. */
  timeoutMs?: number
}

export type DiffField = 'outcome' | 'requests' | 'metadata' | 'background'

export interface LoadedRule {
  slug: string
  /** The file's text as committed. */
  source: string
  /** The Origin header's parts. */
  origin: { repository: string; path: string; commit: string } | undefined
  testCase: Case
}

const ORIGIN = /Origin:\s*(?:https?:\/\/)?github\.com\/([\w.-]+\/[\w.-]+)\s+(\S+)\s+@\s*([0-9a-f]{40})\b/

/** The Origin header of a rule file: `Origin: github.com/<owner>/<repo> <path> @ <commit>`. */
export function parseOrigin(source: string): LoadedRule['origin'] {
  const match = ORIGIN.exec(source.slice(0, 4000))
  if (match === null) return undefined
  return { repository: match[1] as string, path: match[2] as string, commit: match[3] as string }
}

/** Slugs of the committed rules (`rules/<slug>.js`), sorted. */
export function deployedSlugs(): string[] {
  if (!existsSync(RULES_DIR)) return []
  return readdirSync(RULES_DIR)
    .filter((file) => file.endsWith('.js'))
    .map((file) => file.slice(0, -3))
    .sort()
}

/** Whether `cases/<slug>.json` exists. */
export function hasCase(slug: string): boolean {
  return existsSync(new URL(`${slug}.json`, CASES_DIR))
}

export class CaseFormatError extends Error {
  override name = 'CaseFormatError'
}

function checkCase(slug: string, value: unknown): Case {
  const fail = (what: string): never => {
    throw new CaseFormatError(`cases/${slug}.json: ${what}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not a JSON object')
  const c = value as Case
  if (!Array.isArray(c.scenarios) || c.scenarios.length === 0) fail('"scenarios" must be a non-empty array')
  const names = new Set<string>()
  for (const [i, s] of c.scenarios.entries()) {
    if (typeof s?.name !== 'string' || s.name === '') fail(`scenarios[${i}] has no "name"`)
    if (names.has(s.name)) fail(`scenario name "${s.name}" is used twice`)
    names.add(s.name)
  }
  if (c.hosts !== undefined) {
    for (const host of c.hosts) {
      if (!/^https?:\/\/[^/]+$/.test(host)) fail(`hosts entry "${host}" is not an origin (scheme://host[:port], no path)`)
    }
  }
  if (c.differs !== undefined && (typeof c.differs !== 'string' || c.differs.trim() === '')) fail('"differs" must be a non-empty string')
  return c
}

export function loadRule(slug: string): LoadedRule {
  const source = readFileSync(new URL(`${slug}.js`, RULES_DIR), 'utf8')
  const testCase = checkCase(slug, JSON.parse(readFileSync(new URL(`${slug}.json`, CASES_DIR), 'utf8')))
  return { slug, source, origin: parseOrigin(source), testCase }
}

/** Put the fixture's origin in place of every literal host and of `{{origin}}`. */
export function withFixtureOrigin(text: string, hosts: readonly string[], origin: string): string {
  let out = text.split('{{origin}}').join(origin)
  // Longest first, so that `https://a.example.com` is not half-replaced by `https://a.example`.
  for (const host of [...hosts].sort((a, b) => b.length - a.length)) out = out.split(host).join(origin)
  return out
}

/** The default login a scenario is merged over: a password grant on the database connection. */
export function defaultInput(): { user: Record<string, unknown>; context: Record<string, unknown> } {
  return {
    user: {
      user_id: 'auth0|1',
      email: 'ada@example.com',
      email_verified: true,
      name: 'Ada Lovelace',
      nickname: 'ada',
      given_name: 'Ada',
      family_name: 'Lovelace',
      picture: 'https://s.gravatar.com/avatar/ada.png',
      created_at: '2021-03-04T10:00:00.000Z',
      updated_at: '2024-05-01T09:00:00.000Z',
      last_login: '2024-05-01T09:00:00.000Z',
      logins_count: 3,
      app_metadata: {},
      user_metadata: {},
      identities: [{ connection: 'Username-Password-Authentication', provider: 'auth0', user_id: '1', isSocial: false }],
    },
    context: {
      tenant: 'example-tenant',
      clientID: 'app',
      clientName: 'App',
      clientMetadata: {},
      connection: 'Username-Password-Authentication',
      connectionStrategy: 'auth0',
      connectionID: 'con_1',
      protocol: 'oauth2-password',
      request: {
        ip: '203.0.113.7',
        userAgent: 'Mozilla/5.0',
        hostname: 'example-tenant.us.auth0.com',
        query: {},
        body: {},
        geoip: { country_code: 'GB', country_name: 'United Kingdom' },
      },
      stats: { loginsCount: 3 },
      sso: { with_auth0: false, with_dbconn: false, current_clients: [] },
      authentication: { methods: [{ name: 'pwd', timestamp: 1714554000000 }] },
      accessToken: {},
      idToken: {},
      sessionID: 'sess_1',
    },
  }
}

/** The scenario's user and context over the defaults (one level deep: a key the scenario names replaces the default's). */
export function scenarioInput(
  scenario: Scenario,
  hosts: readonly string[],
  origin: string,
): { user: Record<string, unknown>; context: Record<string, unknown> } {
  const base = defaultInput()
  const text = JSON.stringify({ user: { ...base.user, ...scenario.user }, context: { ...base.context, ...scenario.context } })
  return JSON.parse(withFixtureOrigin(text, hosts, origin)) as { user: Record<string, unknown>; context: Record<string, unknown> }
}

/** The routes of a scenario: its own, then the case's, with origins in place. */
export function scenarioRoutes(testCase: Case, scenario: Scenario, origin: string): Route[] {
  const routes = [...(scenario.routes ?? []), ...(testCase.routes ?? [])]
  return JSON.parse(withFixtureOrigin(JSON.stringify(routes), testCase.hosts ?? [], origin)) as Route[]
}

/** The configuration of a scenario, with origins in place. */
export function scenarioConfiguration(testCase: Case, scenario: Scenario, origin: string): Record<string, string> {
  const merged = { ...testCase.configuration, ...scenario.configuration }
  return JSON.parse(withFixtureOrigin(JSON.stringify(merged), testCase.hosts ?? [], origin)) as Record<string, string>
}

const engineRequire = createRequire(join(ENGINE_DIR, 'package.json'))

/**
 * Packages of a case that are not installed in packages/engine (neither side can run the rule
 * as deployed until they are). A pinned version of another major than the installed one counts
 * too: the reference would run the wrong code, the engine refuses it.
 */
export function missingPackages(testCase: Case): string[] {
  const missing: string[] = []
  for (const spec of testCase.modules?.packages ?? []) {
    if (typeof spec !== 'string') {
      let installed: string | undefined
      try {
        installed = (engineRequire(`${spec.from}/package.json`) as { version: string }).version
      } catch {
        missing.push(`${spec.name}@${spec.version} (as ${spec.from})`)
        continue
      }
      if (installed !== spec.version) missing.push(`${spec.name}@${spec.version} (${spec.from} is ${installed})`)
      continue
    }
    const entry = spec
    const match = /^(@[^/@]+\/[^@]+|[^@]+)(?:@(.+))?$/.exec(entry)
    const name = match?.[1] ?? entry
    const version = match?.[2]
    if (builtinModules.includes(name)) continue
    let installed: string | undefined
    try {
      engineRequire.resolve(name)
      try {
        installed = (engineRequire(`${name}/package.json`) as { version: string }).version
      } catch {
        installed = ''
      }
    } catch {
      missing.push(entry)
      continue
    }
    const major = (v: string) => v.split('.')[0]
    if (version !== undefined && installed !== '' && /^\d/.test(version) && major(version) !== major(installed))
      missing.push(`${entry} (${installed} installed)`)
  }
  return missing
}
