/**
 * The differential harness: one deployed rule, one scenario of its case, run in the real engine and
 * in the reference emulation of Auth0's runtime against the same fixture server; the structured
 * diff names what differed (outcome, requests received, metadata writes). README.md has the format.
 */
import type { EngineOptions } from '@tokenrules/engine'
import { scenarioConfiguration, scenarioInput, scenarioRoutes, withFixtureOrigin, type Case, type LoadedRule, type Scenario } from './harness-case.js'
import { closeEngine, engineKey, openEngine, runOnEngine, type EngineHandle, type EngineRun } from './harness-engine.js'
import type { FixtureServer, ReceivedRequest } from './harness-fixture.js'
import { diffObservations, type DiffEntry, type Observation } from './harness-observation.js'
import { ManagementFixture } from './harness-management.js'
import { ReferenceSession, runReference } from './harness-reference.js'

export { startFixtureServer, type FixtureServer, type Route } from './harness-fixture.js'
export { deployedSlugs, hasCase, loadRule, parseOrigin, type Case, type LoadedRule, type Scenario } from './harness-case.js'
export { describeDiff, type DiffEntry, type Observation } from './harness-observation.js'

/** `auth0.domain` on both sides. */
export const TENANT_DOMAIN = 'example-tenant.us.auth0.com'
/** The Management API token both sides give rules as `auth0.accessToken`. */
export const MANAGEMENT_TOKEN = 'mgmt-token-for-the-differential-harness'
/** Auth0's protocols with no browser, where a rule's redirect fails the login. */
const NO_BROWSER_PROTOCOLS = [
  'oauth2-password',
  'oauth2-refresh-token',
  'oauth2-resource-owner',
  'oauth2-resource-owner-jwt-bearer',
  'oauth2-token-exchange',
  'oauth2-device-code',
]

export interface DifferentialResult {
  engine: Observation
  reference: Observation
  diff: DiffEntry[]
}

export interface DifferentialOptions {
  isolation?: 'process' | 'thread'
  /** What runs the rule against the reference: the engine (default), or @tokenrules/testing's loadRule. */
  side?: 'engine' | 'loadRule'
  /** Engine options added for this run (the Management API's). */
  engineExtra?: Partial<EngineOptions>
  /** How long to wait for requests a rule sends after calling back. Default 150 ms of quiet, 2 s at most. */
  quietMs?: number
}

/**
 * The engine's `auth0.managementApi`: the fixture's Management API, reached in-process by the
 * engine's HTTP bridge for `https://<domain>/api/v2`. (@tokenrules/oauth's own in-process
 * Management API takes its place once it serves a tenant's users; see README.md.)
 */
function forwardTo(origin: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url)
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer()
    return fetch(`${origin}${url.pathname}${url.search}`, { method: request.method, headers: request.headers, ...(body === undefined ? {} : { body }) })
  }
}

/** Wait until the fixture has received nothing new for `quietMs` (requests sent in the background), at most 2 s. */
export async function settle(fixture: FixtureServer, quietMs: number): Promise<ReceivedRequest[]> {
  const deadline = Date.now() + 2_000
  let seen = -1
  while (seen !== fixture.requests.length && Date.now() < deadline) {
    seen = fixture.requests.length
    await new Promise((resolve) => setTimeout(resolve, quietMs))
  }
  return [...fixture.requests]
}

/**
 * The runs of one case: one engine per distinct configuration (made at its first scenario, kept
 * for the next, as a token server keeps its engine) and one reference session (one webtask
 * container), so that `global` lives from one scenario to the next on both sides. Close it.
 */
/**
 * The hosts the fixture answers for at the network level on both sides: the case's `served` ones,
 * and those of its literal `hosts` too, for the URLs a rule or a package builds at run time
 * (Octokit's built-in `https://api.github.com`, an origin put together from configuration) that
 * the textual replacement of `hosts` cannot reach.
 */
function servedHosts(testCase: Case): string[] {
  return [...new Set([...(testCase.served ?? []), ...(testCase.hosts ?? []).map((origin) => new URL(origin).host)])]
}

export class CaseRunner {
  readonly #rule: LoadedRule
  readonly #fixture: FixtureServer
  readonly #options: DifferentialOptions
  readonly #engines = new Map<string, EngineHandle>()
  readonly #session: ReferenceSession

  constructor(rule: LoadedRule, fixture: FixtureServer, options: DifferentialOptions = {}) {
    this.#rule = rule
    this.#fixture = fixture
    this.#options = options
    this.#session = new ReferenceSession({ hosts: [TENANT_DOMAIN, ...servedHosts(rule.testCase)], origin: fixture.origin })
  }

  /** Run one scenario on both sides; the fixture is reset before each side. */
  async run(scenario: Scenario): Promise<DifferentialResult> {
    const rule = this.#rule
    const fixture = this.#fixture
    const testCase: Case = rule.testCase
    const hosts = testCase.hosts ?? []
    const origin = fixture.origin
    const script = withFixtureOrigin(rule.source, hosts, origin)
    const configuration = scenarioConfiguration(testCase, scenario, origin)
    const routes = scenarioRoutes(testCase, scenario, origin)
    const { user, context } = scenarioInput(scenario, hosts, origin)
    const timeoutMs = testCase.timeoutMs ?? 5_000
    const now = testCase.now === undefined ? undefined : Date.parse(testCase.now)
    const claimsNamespace = testCase.claimsNamespace ?? 'optional'
    const quietMs = this.#options.quietMs ?? 100

    const engineRun: EngineRun = {
      ruleName: rule.slug,
      script,
      configuration,
      user,
      context,
      packages: testCase.modules?.packages ?? [],
      crypto: testCase.modules?.crypto ?? false,
      httpHost: testCase.modules?.http === true ? fixture.host : undefined,
      auth0: { domain: TENANT_DOMAIN, accessToken: () => MANAGEMENT_TOKEN, managementApi: forwardTo(fixture.origin) },
      timeoutMs,
      now,
      claimsNamespace,
      isolation: this.#options.isolation ?? 'process',
      // Not the tenant's host: the engine reaches only its /api/v2, in-process (auth0.managementApi), as a token server's
      // engine does; the reference's tenant also answers /oauth/token (from the fixture), as Auth0 did.
      served: servedHosts(testCase),
      extra: this.#options.engineExtra,
      side: this.#options.side ?? 'engine',
    }
    const key = engineKey(engineRun)
    let handle = this.#engines.get(key)
    if (handle === undefined) {
      handle = await openEngine(engineRun)
      this.#engines.set(key, handle)
    }
    const tenant = () => new ManagementFixture(testCase.tenantUsers ?? [], MANAGEMENT_TOKEN)
    fixture.reset()
    fixture.setRoutes(routes)
    fixture.setManagement(tenant())
    const engineSide = await runOnEngine(handle, { user, context })
    const engineRequests = await settle(fixture, quietMs)

    fixture.reset()
    fixture.setRoutes(routes)
    fixture.setManagement(tenant())
    const referenceSide = await runReference(
      {
        ruleName: rule.slug,
        script,
        configuration,
        user,
        context,
        auth0: { domain: TENANT_DOMAIN, baseUrl: `https://${TENANT_DOMAIN}/api/v2`, accessToken: MANAGEMENT_TOKEN },
        timeoutMs,
        now,
        claimsNamespace,
        noBrowserProtocols: NO_BROWSER_PROTOCOLS,
        aliases: (testCase.modules?.packages ?? []).filter((entry) => typeof entry !== 'string'),
      },
      this.#session,
    )
    const referenceRequests = await settle(fixture, quietMs)
    fixture.reset()

    const engine: Observation = { ...engineSide, requests: engineRequests }
    const reference: Observation = { outcome: referenceSide.outcome, metadata: referenceSide.metadata, notes: referenceSide.notes, requests: referenceRequests }
    return { engine, reference, diff: diffObservations(engine, reference, testCase.volatile ?? []) }
  }

  async close(): Promise<void> {
    this.#session.end()
    await Promise.all([...this.#engines.values()].map(closeEngine))
    this.#engines.clear()
  }
}

/** One scenario on both sides with fresh state (its own engine and reference session). */
export async function runScenario(
  rule: LoadedRule,
  scenario: Scenario,
  fixture: FixtureServer,
  options: DifferentialOptions = {},
): Promise<DifferentialResult> {
  const runner = new CaseRunner(rule, fixture, options)
  try {
    return await runner.run(scenario)
  } finally {
    await runner.close()
  }
}

/** Whether a diff is the known difference a case (or scenario) describes: non-empty, and in the fields named by `differsIn` when given. */
export function matchesKnownDifference(testCase: Case, diff: readonly DiffEntry[]): boolean {
  if (diff.length === 0) return false
  if (testCase.differsIn === undefined) return true
  const fields = new Set(diff.map((d) => d.field))
  return testCase.differsIn.length === fields.size && testCase.differsIn.every((f) => fields.has(f as DiffEntry['field']))
}
