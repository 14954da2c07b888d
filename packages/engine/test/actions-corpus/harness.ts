/**
 * The actions differential harness: one public post-login action, one scenario of its case, run
 * in the real engine (`createEngine({ actions })`, no rules) and in the plain reference harness
 * (harness-reference.ts: the same login as Auth0's post-login `event`, a recording `api`) against
 * the same fixture server. The comparison is the deployed-rules corpus's (outcome: user, ID and
 * access token claims, scope, multifactor, or the error's kind and message; every HTTP request
 * the fixture received; every metadata write), so its diff reads the same. README.md has the format.
 */
import { MANAGEMENT_TOKEN, TENANT_DOMAIN, settle, type DifferentialResult, type FixtureServer } from '../deployed/harness.js'
import { closeEngine, engineKey, openEngine, runOnEngine, type EngineHandle, type EngineRun } from '../deployed/harness-engine.js'
import { ManagementFixture } from '../deployed/harness-management.js'
import { diffObservations, type DiffEntry, type Observation } from '../deployed/harness-observation.js'
import { withFixtureOrigin } from '../deployed/harness-case.js'
import { actionScenarioInput, actionScenarioRoutes, actionScenarioSecrets, type ActionCase, type ActionScenario, type LoadedAction } from './harness-case.js'
import { ReferenceActionsSession, runReferenceActions } from './harness-reference.js'

export { actionSlugs, hasActionCase, loadAction, type ActionCase, type ActionScenario, type LoadedAction } from './harness-case.js'
export { describeDiff, startFixtureServer, type DiffEntry, type DifferentialResult, type FixtureServer } from '../deployed/harness.js'

/** Auth0's protocols with no browser, where `api.redirect.sendUserTo` fails the login. */
const NO_BROWSER_PROTOCOLS = [
  'oauth2-password',
  'oauth2-refresh-token',
  'oauth2-resource-owner',
  'oauth2-resource-owner-jwt-bearer',
  'oauth2-token-exchange',
  'oauth2-device-code',
]

/** The hosts the fixture answers for at the network level: the case's `served` ones and those of its literal `hosts`. */
function servedHosts(testCase: ActionCase): string[] {
  return [...new Set([...(testCase.served ?? []), ...(testCase.hosts ?? []).map((origin) => new URL(origin).host)])]
}

const pairs = (record: Record<string, string>) => Object.entries(record).map(([name, value]) => ({ name, value }))

/**
 * The runs of one case: one engine per distinct set of secrets (made at its first scenario, kept
 * for the next as a token server keeps its engine, so `api.cache` and the action's module state
 * live on) and one reference session (one warm Actions container). Close it.
 */
export class ActionCaseRunner {
  readonly #action: LoadedAction
  readonly #fixture: FixtureServer
  readonly #isolation: 'process' | 'thread'
  readonly #engines = new Map<string, EngineHandle>()
  readonly #session: ReferenceActionsSession

  constructor(action: LoadedAction, fixture: FixtureServer, options: { isolation?: 'process' | 'thread' } = {}) {
    this.#action = action
    this.#fixture = fixture
    this.#isolation = options.isolation ?? 'process'
    this.#session = new ReferenceActionsSession({ hosts: [TENANT_DOMAIN, ...servedHosts(action.testCase)], origin: fixture.origin })
  }

  /** Run one scenario on both sides; the fixture is reset before each side. */
  async run(scenario: ActionScenario): Promise<DifferentialResult> {
    const { slug, testCase } = this.#action
    const fixture = this.#fixture
    const origin = fixture.origin
    const hosts = testCase.hosts ?? []
    const code = withFixtureOrigin(this.#action.source, hosts, origin)
    const secrets = actionScenarioSecrets(testCase, scenario, origin)
    const configuration = JSON.parse(withFixtureOrigin(JSON.stringify(testCase.configuration ?? {}), hosts, origin)) as Record<string, string>
    const routes = actionScenarioRoutes(testCase, scenario, origin)
    const { user, context } = actionScenarioInput(scenario, hosts, origin)
    const timeoutMs = testCase.timeoutMs ?? 5_000
    const now = testCase.now === undefined ? undefined : Date.parse(testCase.now)
    const claimsNamespace = testCase.claimsNamespace ?? 'optional'
    const dependencies = testCase.dependencies ?? []
    const action = { name: slug, code, secrets: pairs(secrets), configuration: pairs(configuration), dependencies }

    // The deployed harness's engine side with no rule and this one action: the same options a
    // token server sets (packages, HTTP to the fixture only, metadata hooks, exposed messages).
    const engineRun: EngineRun = {
      ruleName: slug,
      script: code,
      configuration: {},
      user,
      context,
      // By name: the engine reads the installed version and checks the action's pin against it.
      packages: dependencies.map((dep) => dep.name),
      // Auth0's Actions runtime offers Node's crypto to every action: the integrator turns on modules.crypto.
      crypto: true,
      httpHost: testCase.http === true ? fixture.host : undefined,
      served: servedHosts(testCase),
      auth0: { domain: TENANT_DOMAIN, accessToken: () => MANAGEMENT_TOKEN },
      timeoutMs,
      now,
      claimsNamespace,
      isolation: this.#isolation,
      extra: { rules: [], actions: [action] },
    }
    const key = `${engineKey(engineRun)}\n${JSON.stringify(action)}`
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
    const engineRequests = await settle(fixture, 100)

    fixture.reset()
    fixture.setRoutes(routes)
    fixture.setManagement(tenant())
    const referenceSide = await runReferenceActions(
      {
        actions: [{ name: slug, code, secrets, configuration }],
        user,
        context,
        timeoutMs,
        now,
        claimsNamespace,
        noBrowserProtocols: NO_BROWSER_PROTOCOLS,
      },
      this.#session,
    )
    const referenceRequests = await settle(fixture, 100)
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

/** Whether a diff is the known difference a case declares: non-empty, and in exactly the fields `differsIn` names when given. */
export function matchesDeclaredDifference(testCase: ActionCase, diff: readonly DiffEntry[]): boolean {
  if (diff.length === 0) return false
  if (testCase.differsIn === undefined) return true
  const fields = new Set(diff.map((d) => d.field))
  return testCase.differsIn.length === fields.size && testCase.differsIn.every((f) => fields.has(f))
}
