/**
 * A public post-login action and its case (README.md): loading, checking and preparing them for a
 * run. The login is the deployed-rules harness's (`defaultInput()`: a password grant on the
 * database connection), given to both sides as the rules' `user` and `context`; each side makes
 * the action's `event` from it (the engine itself, the reference by Auth0's post-login reference).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { defaultInput, parseOrigin, withFixtureOrigin, type LoadedRule, type TenantUser } from '../deployed/harness-case.js'
import type { Route } from '../deployed/harness-fixture.js'

export const ACTIONS_CORPUS_DIR = new URL('./', import.meta.url)
const ACTIONS_DIR = new URL('./actions/', ACTIONS_CORPUS_DIR)
const CASES_DIR = new URL('./cases/', ACTIONS_CORPUS_DIR)

export interface ActionScenario {
  name: string
  /** Merged over the default login's user (one level: a key given replaces the default's). */
  user?: Record<string, unknown>
  /** Merged over the default login's context (one level). */
  context?: Record<string, unknown>
  /** Routes tried before the case's own (first match wins). */
  routes?: Route[]
  /** Secrets over the case's. */
  secrets?: Record<string, string>
  /** Fields removed from the merged login (`user.email`, `context.authentication`): JSON cannot say `undefined`. */
  omit?: string[]
  /** Only when this scenario alone knowingly differs. */
  differs?: string
}

export interface ActionCase {
  /** The action's secrets (`event.secrets`), as the Deploy CLI / Terraform declare them. */
  secrets?: Record<string, string>
  /** Marketplace integrations' `event.configuration`. */
  configuration?: Record<string, string>
  /** The action's npm dependencies (Deploy CLI `dependencies`), exact versions installed in packages/engine. */
  dependencies?: { name: string; version: string }[]
  /** The action's HTTP clients reach the network (the engine's `modules.http`, allowed to the fixture only). */
  http?: boolean
  /** Origins written literally in the action, served by the fixture (replaced by its origin on both sides). */
  hosts?: string[]
  /** Host names the fixture answers for while the action's URLs stay as written (built from secrets). */
  served?: string[]
  routes?: Route[]
  tenantUsers?: TenantUser[]
  scenarios: ActionScenario[]
  /** Why the engine knowingly differs (every scenario must then differ). */
  differs?: string
  differsIn?: ('outcome' | 'requests' | 'metadata')[]
  /** ISO time both sides see. */
  now?: string
  /** Dotted paths compared by type only (random ids). */
  volatile?: string[]
  /** `optional` (default, Auth0 since July 2022) or `required`. */
  claimsNamespace?: 'optional' | 'required'
  timeoutMs?: number
}

export interface LoadedAction {
  slug: string
  /** The file's text as committed: a CommonJS module exporting `onExecutePostLogin`. */
  source: string
  origin: LoadedRule['origin']
  testCase: ActionCase
}

export class ActionCaseFormatError extends Error {
  override name = 'ActionCaseFormatError'
}

/** Slugs of the committed actions (`actions/<slug>.js`), sorted. */
export function actionSlugs(): string[] {
  if (!existsSync(ACTIONS_DIR)) return []
  return readdirSync(ACTIONS_DIR)
    .filter((file) => file.endsWith('.js'))
    .map((file) => file.slice(0, -3))
    .sort()
}

export function hasActionCase(slug: string): boolean {
  return existsSync(new URL(`${slug}.json`, CASES_DIR))
}

function checkCase(slug: string, value: unknown): ActionCase {
  const fail = (what: string): never => {
    throw new ActionCaseFormatError(`cases/${slug}.json: ${what}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not a JSON object')
  const c = value as ActionCase
  if (!Array.isArray(c.scenarios) || c.scenarios.length === 0) fail('"scenarios" must be a non-empty array')
  const names = new Set<string>()
  for (const [i, s] of c.scenarios.entries()) {
    if (typeof s?.name !== 'string' || s.name === '') fail(`scenarios[${i}] has no "name"`)
    if (names.has(s.name)) fail(`scenario name "${s.name}" is used twice`)
    names.add(s.name)
  }
  for (const host of c.hosts ?? []) if (!/^https?:\/\/[^/]+$/.test(host)) fail(`hosts entry "${host}" is not an origin`)
  for (const [key, value] of Object.entries({ ...c.secrets, ...c.configuration }))
    if (typeof value !== 'string') fail(`secret or configuration "${key}" is not a string`)
  for (const dep of c.dependencies ?? [])
    if (typeof dep?.name !== 'string' || typeof dep.version !== 'string') fail('"dependencies" entries are { name, version }')
  if (c.differs !== undefined && (typeof c.differs !== 'string' || c.differs.trim() === '')) fail('"differs" must be a non-empty string')
  return c
}

export function loadAction(slug: string): LoadedAction {
  const source = readFileSync(new URL(`${slug}.js`, ACTIONS_DIR), 'utf8')
  const testCase = checkCase(slug, JSON.parse(readFileSync(new URL(`${slug}.json`, CASES_DIR), 'utf8')))
  return { slug, source, origin: parseOrigin(source), testCase }
}

/** The login of a scenario, with the fixture's origin in place of the case's hosts. */
export function actionScenarioInput(
  scenario: ActionScenario,
  hosts: readonly string[],
  origin: string,
): { user: Record<string, unknown>; context: Record<string, unknown> } {
  const base = defaultInput()
  const merged: Record<string, Record<string, unknown>> = structuredClone({
    user: { ...base.user, ...scenario.user },
    context: { ...base.context, ...scenario.context },
  })
  for (const path of scenario.omit ?? []) {
    const [root, ...rest] = path.split('.')
    let target: Record<string, unknown> | undefined = merged[root as string]
    for (const part of rest.slice(0, -1)) target = target?.[part] as Record<string, unknown> | undefined
    if (target === undefined || rest.length === 0) throw new ActionCaseFormatError(`omit "${path}" does not name a field of user or context`)
    delete target[rest[rest.length - 1] as string]
  }
  const text = JSON.stringify(merged)
  return JSON.parse(withFixtureOrigin(text, hosts, origin)) as { user: Record<string, unknown>; context: Record<string, unknown> }
}

export function actionScenarioRoutes(testCase: ActionCase, scenario: ActionScenario, origin: string): Route[] {
  const routes = [...(scenario.routes ?? []), ...(testCase.routes ?? [])]
  return JSON.parse(withFixtureOrigin(JSON.stringify(routes), testCase.hosts ?? [], origin)) as Route[]
}

export function actionScenarioSecrets(testCase: ActionCase, scenario: ActionScenario, origin: string): Record<string, string> {
  const merged = { ...testCase.secrets, ...scenario.secrets }
  return JSON.parse(withFixtureOrigin(JSON.stringify(merged), testCase.hosts ?? [], origin)) as Record<string, string>
}
