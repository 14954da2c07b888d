/**
 * The part of Auth0's Management API v2 that rules call, served to the token server's own engine
 * in-process (engine option `auth0.managementApi`): users by id (read; update of `app_metadata`,
 * `user_metadata`, `email_verified`, `blocked`), users by email, user search by email, linking
 * and unlinking accounts, a user's roles (list, assign, remove) and the tenant's roles (list, by
 * id). Auth0's JSON shapes and error bodies; a Management API route this subset does not serve
 * answers 501 naming it. The tenant's `POST /oauth/token` is answered here too
 * (token-endpoint.ts): a Management API token for client credentials.
 *
 * Every other request needs a bearer token minted for this tenant (management/tokens.ts). A
 * failure of the store rejects (the engine then fails the run: no token is issued on a write that
 * did not happen); every other failure is Auth0's error answer.
 */
import type { JsonValue } from '@tokenrules/engine'
import { StoreConflictError } from '../stores/conflict.js'
import { loginKey } from '../stores/lib/metadata.js'
import type { UserRecord, UserStore } from '../stores/types.js'
import { expiredToken, inexistentUser, invalidBody, invalidQuery, invalidToken, managementError, missingAuthentication } from './errors.js'
import type { ManagementTokens } from './tokens.js'
import type { RoleCatalogue } from './roles.js'
import { clientCredentialsToken } from './token-endpoint.js'
import { identitiesOf, userView, withFields } from './user-view.js'

/** What the Management API works on. */
export interface ManagementApiConfig {
  users: UserStore
  tokens: ManagementTokens
  /** Milliseconds since the epoch (the server's clock). */
  now: () => number
  /** Largest request body, in bytes (a PATCH's metadata). */
  maxBodyBytes: number
  /** The `sub` of an ID token this server issued and that is still valid (`link_with`), or undefined. */
  verifyIdToken: (token: string) => Promise<string | undefined>
  /** The tenant's declared roles (server option `managementApi.roles`). */
  roles: RoleCatalogue
}

const PREFIX = '/api/v2'
/** Deepest metadata accepted (as the engine bounds `auth0.users.update*`). */
const MAX_DEPTH = 64
const PATCH_FIELDS = new Set(['app_metadata', 'user_metadata', 'email_verified', 'blocked'])
const NOT_FOUND = (): Response => managementError(404, 'Not Found')
/** The token endpoint below the tenant's origin. */
const TOKEN_PATH = '/oauth/token'

/**
 * First path segments below /api/v2 that are Auth0 Management API resources: a route of theirs
 * this subset does not serve is a 501 that says so (a rule's `err.statusCode` is not mistaken for
 * "no such user"); any other path is Auth0's plain 404.
 */
const AUTH0_RESOURCES = new Set([
  'actions',
  'anomaly',
  'attack-protection',
  'blacklists',
  'branding',
  'client-grants',
  'clients',
  'connections',
  'custom-domains',
  'device-credentials',
  'email-templates',
  'emails',
  'grants',
  'guardian',
  'hooks',
  'jobs',
  'keys',
  'log-streams',
  'logs',
  'organizations',
  'prompts',
  'resource-servers',
  'roles',
  'rules',
  'rules-configs',
  'stats',
  'tenants',
  'tickets',
  'user-blocks',
  'users',
  'users-by-email',
])

/** 501 for an Auth0 route this subset does not serve, naming it (docs/token-endpoint.md lists what is served). */
function notServed(method: string, path: string): Response {
  return managementError(
    501,
    `${method} ${path} is not served: this server answers rules the Management API subset of users, users-by-email, user roles and identities, and roles (see docs/token-endpoint.md).`,
    'not_implemented',
  )
}

type Handler = (config: ManagementApiConfig, url: URL, request: Request, params: string[]) => Promise<Response>

/** Routes below /api/v2: a pattern of path segments (`*` is one segment, percent-decoded) and a handler per method. */
const ROUTES: { pattern: string[]; methods: Record<string, Handler> }[] = [
  { pattern: ['users'], methods: { GET: searchUsers } },
  { pattern: ['users-by-email'], methods: { GET: usersByEmail } },
  { pattern: ['users', '*'], methods: { GET: getUser, PATCH: patchUser } },
  { pattern: ['users', '*', 'roles'], methods: { GET: userRoles, POST: assignRoles, DELETE: removeRoles } },
  { pattern: ['roles'], methods: { GET: listRoles } },
  { pattern: ['roles', '*'], methods: { GET: getRole } },
  { pattern: ['users', '*', 'identities'], methods: { POST: linkIdentity } },
  { pattern: ['users', '*', 'identities', '*', '*'], methods: { DELETE: unlinkIdentity } },
]

/** The Fetch handler of the Management API subset. */
export function managementApi(config: ManagementApiConfig): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url)
    if (url.pathname === TOKEN_PATH) {
      if (url.origin !== config.tokens.origin) return NOT_FOUND()
      return clientCredentialsToken(config.tokens, config.tokens.origin, request)
    }
    const authorization = request.headers.get('authorization')
    if (authorization === null || authorization.trim() === '') return missingAuthentication()
    const bearer = /^Bearer +([^\s]+) *$/i.exec(authorization)
    if (bearer === null) return invalidToken()
    const check = config.tokens.check(bearer[1] as string, url.origin)
    if (!check.ok) return check.reason === 'expired' ? expiredToken() : invalidToken()
    if (url.pathname !== PREFIX && !url.pathname.startsWith(`${PREFIX}/`)) return NOT_FOUND()
    const segments = url.pathname.slice(PREFIX.length + 1).split('/')
    let decoded: string[]
    try {
      decoded = segments.map((segment) => decodeURIComponent(segment))
    } catch {
      return managementError(400, 'Path validation error: a path segment is not valid percent-encoding.', 'invalid_uri')
    }
    for (const route of ROUTES) {
      if (route.pattern.length !== decoded.length) continue
      const params: string[] = []
      if (!route.pattern.every((part, i) => (part === '*' ? (params.push(decoded[i] as string), decoded[i] !== '') : part === decoded[i]))) continue
      const handler = route.methods[request.method]
      return handler === undefined ? notServed(request.method, url.pathname) : handler(config, url, request, params)
    }
    return AUTH0_RESOURCES.has(decoded[0] as string) ? notServed(request.method, url.pathname) : NOT_FOUND()
  }
}

// ---- users by id ----------------------------------------------------------------------------------

async function getUser(config: ManagementApiConfig, url: URL, _request: Request, [id]: string[]): Promise<Response> {
  const record = await config.users.getUser(id as string)
  if (record === undefined) return inexistentUser()
  return Response.json(withFields(userView(record), url.searchParams.get('fields'), url.searchParams.get('include_fields')))
}

/** PATCH: `app_metadata` and `user_metadata` merge one level deep (a null value removes the key), as `auth0.users.update*` do; `email_verified`, `blocked` set. */
async function patchUser(config: ManagementApiConfig, _url: URL, request: Request, [id]: string[]): Promise<Response> {
  const body = await jsonBody(request, config.maxBodyBytes)
  if (body instanceof Response) return body
  const refusal = patchRefusal(body)
  if (refusal !== undefined) return invalidBody(refusal)
  const userId = id as string
  if ((await config.users.getUser(userId)) === undefined) return inexistentUser()
  const at = config.now()
  const fields = body as Record<string, JsonValue>
  if (fields['app_metadata'] !== undefined) await config.users.updateAppMetadata(userId, fields['app_metadata'] as Record<string, JsonValue>, at)
  if (fields['user_metadata'] !== undefined) await config.users.updateUserMetadata(userId, fields['user_metadata'] as Record<string, JsonValue>, at)
  if (typeof fields['email_verified'] === 'boolean') await config.users.setEmailVerified(userId, fields['email_verified'], at)
  if (typeof fields['blocked'] === 'boolean') await config.users.setBlocked(userId, fields['blocked'], at)
  const after = await config.users.getUser(userId)
  if (after === undefined) return inexistentUser()
  return Response.json(userView(after))
}

/** Why a PATCH body is refused (Auth0's payload validation text), or undefined. */
function patchRefusal(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return `'Expected type object but found type ${jsonType(body)}'.`
  const keys = Object.keys(body)
  if (keys.length === 0) return "'Too few properties defined (0), minimum 1'."
  const extra = keys.filter((key) => !PATCH_FIELDS.has(key))
  if (extra.length > 0) {
    return `'Additional properties not allowed: ${extra.join(',')}' (this server updates app_metadata, user_metadata, email_verified and blocked only).`
  }
  const fields = body as Record<string, unknown>
  for (const key of ['app_metadata', 'user_metadata']) {
    const value = fields[key]
    if (value === undefined) continue
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return `'Expected type object but found type ${jsonType(value)}' on property ${key}.`
    const issue = metadataIssue(value, [key], 0)
    if (issue !== undefined) return `'${issue}'.`
  }
  for (const key of ['email_verified', 'blocked']) {
    const value = fields[key]
    if (value !== undefined && typeof value !== 'boolean') return `'Expected type boolean but found type ${jsonType(value)}' on property ${key}.`
  }
  return undefined
}

/** Keys a store could not take as they are: dotted (Auth0 refuses them) or ones that pollute a prototype where merged. */
function metadataIssue(value: unknown, path: readonly string[], depth: number): string | undefined {
  if (value === null || typeof value !== 'object') return undefined
  if (depth > MAX_DEPTH) return `${path.join('.')} is nested more than ${MAX_DEPTH} levels deep`
  const entries = Array.isArray(value) ? value.map((item, i) => [String(i), item] as const) : Object.entries(value)
  for (const [key, item] of entries) {
    if (!Array.isArray(value)) {
      if (key.includes('.')) return `${path.join('.')}: the key ${JSON.stringify(key)} contains '.', which metadata keys may not`
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') return `${path.join('.')}: the key ${key} is not allowed in metadata`
    }
    const issue = metadataIssue(item, [...path, key], depth + 1)
    if (issue !== undefined) return issue
  }
  return undefined
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value
}

/** The body as JSON, or Auth0's answer to one that is too large or not JSON. */
async function jsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) return managementError(413, `The request body is larger than ${maxBytes} bytes.`)
  const bytes = new Uint8Array(await request.arrayBuffer())
  if (bytes.byteLength > maxBytes) return managementError(413, `The request body is larger than ${maxBytes} bytes.`)
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown
  } catch {
    return managementError(400, 'Invalid request payload JSON format')
  }
}

// ---- users by email, search -----------------------------------------------------------------------

/** Users of every directory whose email is `email` (case-insensitively: stores keep login names that way). */
async function byEmail(users: UserStore, email: string): Promise<UserRecord[]> {
  const key = loginKey(email)
  const found: UserRecord[] = []
  for (const directory of await users.listDirectories()) {
    const record = await users.findUser(directory.name, email)
    if (record?.profile.email !== undefined && loginKey(record.profile.email) === key) found.push(record)
  }
  return found
}

async function usersByEmail(config: ManagementApiConfig, url: URL): Promise<Response> {
  const email = url.searchParams.get('email')
  if (email === null) return invalidQuery("'Missing required property: email'.")
  if (email === '') return invalidQuery("'String is too short (0 chars), minimum 1' on property email.")
  const fields = url.searchParams.get('fields')
  const include = url.searchParams.get('include_fields')
  return Response.json((await byEmail(config.users, email)).map((record) => withFields(userView(record), fields, include)))
}

/** `q=email:"…"` (or `email:…` unquoted), Lucene syntax as `search_engine=v3` takes it; nothing else is searchable here. */
const EMAIL_QUERY = /^\s*email\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"():]+))\s*$/

async function searchUsers(config: ManagementApiConfig, url: URL): Promise<Response> {
  const engine = url.searchParams.get('search_engine')
  if (engine !== null && engine !== 'v3' && engine !== 'v2') return invalidQuery(`'No enum match for: "${engine}"' on property search_engine.`)
  const q = url.searchParams.get('q')
  const match = q === null ? null : EMAIL_QUERY.exec(q)
  if (match === null) {
    return invalidQuery(
      q === null
        ? '\'Missing required property: q\' (this server searches users by email only: q=email:"…").'
        : `'Unsupported query: ${q.slice(0, 200)}' (this server searches users by email only: q=email:"…").`,
    )
  }
  const email = match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] as string)
  const fields = url.searchParams.get('fields')
  const include = url.searchParams.get('include_fields')
  const users = (await byEmail(config.users, email)).map((record) => withFields(userView(record), fields, include))
  const page = pageOf(url)
  if (page instanceof Response) return page
  const slice = users.slice(page.start, page.start + page.limit)
  if (url.searchParams.get('include_totals') === 'true')
    return Response.json({ start: page.start, limit: page.limit, length: slice.length, users: slice, total: users.length })
  return Response.json(slice)
}

/** `page` (from 0) and `per_page` (at most 100, default 50), as Auth0's list endpoints take them. */
function pageOf(url: URL): { start: number; limit: number } | Response {
  const number = (name: string, fallback: number, max: number): number | string => {
    const raw = url.searchParams.get(name)
    if (raw === null) return fallback
    const n = Number(raw)
    return Number.isInteger(n) && n >= 0 && n <= max ? n : `'Expected an integer from 0 to ${max}' on property ${name}.`
  }
  const page = number('page', 0, 1_000)
  const perPage = number('per_page', 50, 100)
  if (typeof page === 'string') return invalidQuery(page)
  if (typeof perPage === 'string') return invalidQuery(perPage)
  return { start: page * perPage, limit: perPage }
}

// ---- roles ----------------------------------------------------------------------------------------

async function userRoles(config: ManagementApiConfig, url: URL, _request: Request, [id]: string[]): Promise<Response> {
  const record = await config.users.getUser(id as string)
  if (record === undefined) return inexistentUser()
  const page = pageOf(url)
  if (page instanceof Response) return page
  const roles = record.roles.map((name) => config.roles.view(name))
  const slice = roles.slice(page.start, page.start + page.limit)
  if (url.searchParams.get('include_totals') === 'true') return Response.json({ roles: slice, start: page.start, limit: page.limit, total: roles.length })
  return Response.json(slice)
}

/** `{ roles: [id, …] }`: a non-empty list of role ids (Auth0's body of assign and remove), or Auth0's 400. */
async function roleIdsBody(config: ManagementApiConfig, request: Request): Promise<string[] | Response> {
  const body = await jsonBody(request, config.maxBodyBytes)
  if (body instanceof Response) return body
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return invalidBody(`'Expected type object but found type ${jsonType(body)}'.`)
  const extra = Object.keys(body).filter((key) => key !== 'roles')
  if (extra.length > 0) return invalidBody(`'Additional properties not allowed: ${extra.join(',')}'.`)
  const roles = (body as { roles?: unknown }).roles
  if (roles === undefined) return invalidBody("'Missing required property: roles'.")
  if (!Array.isArray(roles)) return invalidBody(`'Expected type array but found type ${jsonType(roles)}' on property roles.`)
  if (roles.length === 0) return invalidBody("'Array is too short (0), minimum 1' on property roles.")
  if (roles.length > 1_000) return invalidBody(`'Array is too long (${roles.length}), maximum 1000' on property roles.`)
  for (const [i, id] of roles.entries()) {
    if (typeof id !== 'string') return invalidBody(`'Expected type string but found type ${jsonType(id)}' on property roles[${i}].`)
    if (id === '') return invalidBody(`'String is too short (0 chars), minimum 1' on property roles[${i}].`)
  }
  return [...new Set(roles as string[])]
}

/** 404 for role ids the tenant has not (Auth0's answer to assigning one), naming them. */
function inexistentRoles(ids: readonly string[]): Response {
  const named = ids.slice(0, 10).map((id) => JSON.stringify(id.slice(0, 100)))
  return managementError(
    404,
    `One or more of the roles do not exist: ${named.join(', ')}${ids.length > 10 ? ', …' : ''} (roles are declared in the server's managementApi.roles).`,
    'inexistent_role',
  )
}

/** POST users/{id}/roles: assign declared roles by id (already held: unchanged). 204. */
async function assignRoles(config: ManagementApiConfig, _url: URL, request: Request, [id]: string[]): Promise<Response> {
  const ids = await roleIdsBody(config, request)
  if (ids instanceof Response) return ids
  const userId = id as string
  if ((await config.users.getUser(userId)) === undefined) return inexistentUser()
  const unknown = ids.filter((roleId) => config.roles.byId(roleId) === undefined)
  if (unknown.length > 0) return inexistentRoles(unknown)
  const names = ids.map((roleId) => (config.roles.byId(roleId) as { name: string }).name)
  if ((await config.users.updateRoles(userId, { add: names, remove: [] })) === undefined) return inexistentUser()
  return new Response(null, { status: 204 })
}

/** DELETE users/{id}/roles: remove roles by id (declared ones, or the derived id of one the user holds; not held: unchanged). 204. */
async function removeRoles(config: ManagementApiConfig, _url: URL, request: Request, [id]: string[]): Promise<Response> {
  const ids = await roleIdsBody(config, request)
  if (ids instanceof Response) return ids
  const userId = id as string
  const record = await config.users.getUser(userId)
  if (record === undefined) return inexistentUser()
  const held = new Map(record.roles.map((name) => [config.roles.view(name).id, name]))
  const unknown = ids.filter((roleId) => config.roles.byId(roleId) === undefined && !held.has(roleId))
  if (unknown.length > 0) return inexistentRoles(unknown)
  const names = ids.map((roleId) => config.roles.byId(roleId)?.name ?? (held.get(roleId) as string))
  if ((await config.users.updateRoles(userId, { add: [], remove: names })) === undefined) return inexistentUser()
  return new Response(null, { status: 204 })
}

/** GET roles: the declared roles; `name_filter` keeps those whose name contains it, case-insensitively. */
async function listRoles(config: ManagementApiConfig, url: URL): Promise<Response> {
  const filter = url.searchParams.get('name_filter')
  const page = pageOf(url)
  if (page instanceof Response) return page
  const wanted = filter === null ? undefined : filter.toLowerCase()
  const roles = config.roles.list().filter((role) => wanted === undefined || role.name.toLowerCase().includes(wanted))
  const slice = roles.slice(page.start, page.start + page.limit)
  if (url.searchParams.get('include_totals') === 'true') return Response.json({ roles: slice, start: page.start, limit: page.limit, total: roles.length })
  return Response.json(slice)
}

/** GET roles/{id}: one declared role. */
async function getRole(config: ManagementApiConfig, _url: URL, _request: Request, [id]: string[]): Promise<Response> {
  const role = config.roles.byId(id as string)
  return role === undefined ? managementError(404, 'The role does not exist.', 'inexistent_role') : Response.json(role)
}

// ---- account linking ------------------------------------------------------------------------------

/** POST identities: `{ provider, user_id }` (the secondary's id without its provider prefix, or a `connection_id`) or `{ link_with: <ID token> }`. Answers the primary's identities. */
async function linkIdentity(config: ManagementApiConfig, _url: URL, request: Request, [id]: string[]): Promise<Response> {
  const body = await jsonBody(request, config.maxBodyBytes)
  if (body instanceof Response) return body
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return invalidBody(`'Expected type object but found type ${jsonType(body)}'.`)
  const fields = body as Record<string, unknown>
  const extra = Object.keys(fields).filter((key) => !['provider', 'user_id', 'connection_id', 'link_with'].includes(key))
  if (extra.length > 0) return invalidBody(`'Additional properties not allowed: ${extra.join(',')}'.`)
  let secondaryId: string
  if (fields['link_with'] !== undefined) {
    if (typeof fields['link_with'] !== 'string' || fields['link_with'] === '') return invalidBody("'Expected type string' on property link_with.")
    const sub = await config.verifyIdToken(fields['link_with'])
    if (sub === undefined) return managementError(400, 'The link_with token is not a valid ID token of this tenant.', 'invalid_body')
    secondaryId = sub
  } else {
    const { provider, user_id: userId } = fields
    if (typeof provider !== 'string' || provider === '') return invalidBody("'Missing required property: provider'.")
    if (typeof userId !== 'string' && typeof userId !== 'number') return invalidBody("'Missing required property: user_id'.")
    const raw = String(userId)
    secondaryId = raw.startsWith(`${provider}|`) ? raw : `${provider}|${raw}`
  }
  const primaryId = id as string
  const primary = await config.users.getUser(primaryId)
  if (primary === undefined) return inexistentUser()
  if (secondaryId === primaryId) return managementError(400, 'Main identity and the new one are the same.', 'invalid_body')
  const secondary = await config.users.getUser(secondaryId)
  if (secondary === undefined) return managementError(400, 'The user to link does not exist.', 'inexistent_user')
  if ((secondary.linked ?? []).length > 0) return managementError(400, 'The secondary account has accounts linked to it; unlink them first.', 'invalid_body')
  const connection = fields['connection_id']
  if (connection !== undefined) {
    const directories = await config.users.listDirectories()
    if (directories.find((directory) => directory.id === connection)?.name !== secondary.directory) {
      return managementError(400, 'The connection_id is not the connection of the user to link.', 'invalid_body')
    }
  }
  const linked = await config.users.linkUser(primaryId, secondaryId, config.now())
  if (linked === undefined) return inexistentUser()
  return Response.json(identitiesOf(linked), { status: 201 })
}

/** DELETE identities/{provider}/{user_id}: the linked account becomes a user of its own again. Answers the primary's identities. */
async function unlinkIdentity(config: ManagementApiConfig, _url: URL, _request: Request, [id, provider, userId]: string[]): Promise<Response> {
  const primaryId = id as string
  if ((await config.users.getUser(primaryId)) === undefined) return inexistentUser()
  const secondaryId = `${provider as string}|${userId as string}`
  let after: UserRecord | undefined
  try {
    after = await config.users.unlinkUser(primaryId, secondaryId, config.now())
  } catch (error) {
    if (error instanceof StoreConflictError) return managementError(409, 'The user already exists.', 'user_exists')
    throw error
  }
  if (after === undefined) return managementError(400, `The identity ${provider as string}|${userId as string} is not linked to this user.`, 'invalid_body')
  return Response.json(identitiesOf(after))
}
