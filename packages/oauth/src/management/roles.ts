/**
 * The tenant's RBAC roles as the Management API shows them. A user's roles are names in the user
 * store (`UserRecord.roles`, what rules see as `context.authorization.roles`); a role's id is the
 * one the integrator declared for it (server option `managementApi.roles`: a migrating tenant
 * keeps the `rol_…` ids its rules were written with), or else one derived from its name, stable
 * across restarts and servers.
 */
import { createHash } from 'node:crypto'

/** A role of the tenant, as the server's `managementApi.roles` option declares it. */
export interface RoleDefinition {
  /** The name users hold (`context.authorization.roles`). */
  name: string
  /** Auth0's id of the role (`rol_…`). Default: derived from the name. */
  id?: string | undefined
  /** Default: the name. */
  description?: string | undefined
}

/** A role as the Management API answers it. */
export interface RoleView {
  id: string
  name: string
  description: string
}

/** Auth0's role ids: `rol_` and letters or digits. */
export const ROLE_ID = /^rol_[A-Za-z0-9]{1,64}$/

/** The id a role gets when none is declared: `rol_` and 16 characters of its name's SHA-256. */
export function derivedRoleId(name: string): string {
  const digest = createHash('sha256').update(name, 'utf8').digest('base64url').replace(/[-_]/g, '').slice(0, 16)
  return `rol_${digest}`
}

/** Why a list of role definitions cannot be used (a duplicate name or id, a malformed id), or undefined. */
export function roleDefinitionsIssue(definitions: readonly RoleDefinition[]): string | undefined {
  const names = new Set<string>()
  const ids = new Set<string>()
  for (const definition of definitions) {
    if (definition.id !== undefined && !ROLE_ID.test(definition.id))
      return `the id of role '${definition.name}' is not rol_ followed by 1 to 64 letters or digits`
    const id = definition.id ?? derivedRoleId(definition.name)
    if (names.has(definition.name)) return `the role name '${definition.name}' is declared twice`
    if (ids.has(id)) return `the role id '${id}' is declared twice`
    names.add(definition.name)
    ids.add(id)
  }
  return undefined
}

/** The declared roles, looked up by id or name; a name nobody declared still has its derived id. */
export class RoleCatalogue {
  readonly #byName = new Map<string, RoleView>()
  readonly #byId = new Map<string, RoleView>()

  constructor(definitions: readonly RoleDefinition[] = []) {
    const issue = roleDefinitionsIssue(definitions)
    if (issue !== undefined) throw new TypeError(`managementApi.roles: ${issue}`)
    for (const definition of definitions) {
      const view = { id: definition.id ?? derivedRoleId(definition.name), name: definition.name, description: definition.description ?? definition.name }
      this.#byName.set(view.name, view)
      this.#byId.set(view.id, view)
    }
  }

  /** Every declared role, in declaration order. */
  list(): RoleView[] {
    return [...this.#byName.values()].map((view) => ({ ...view }))
  }

  /** The declared role with this id, or undefined. */
  byId(id: string): RoleView | undefined {
    const view = this.#byId.get(id)
    return view === undefined ? undefined : { ...view }
  }

  /** How a role a user holds is shown: as declared, or with its derived id. */
  view(name: string): RoleView {
    const view = this.#byName.get(name)
    return view === undefined ? { id: derivedRoleId(name), name, description: name } : { ...view }
  }
}
