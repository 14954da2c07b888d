/**
 * The fixture that plays Auth0's Management API v2 over a case's `tenantUsers`, for the part rules
 * call: users by id (get, patch), users by email, user search by email, link and unlink
 * identities, a user's roles. Auth0's JSON shapes and error bodies. Authorised by the harness's
 * Management token; every other token is `401 Invalid token`.
 */
import type { TenantUser } from './harness-case.js'

export interface ManagementAnswer {
  status: number
  json: unknown
}

function error(statusCode: number, message: string, errorCode?: string): ManagementAnswer {
  const names: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 409: 'Conflict' }
  return { status: statusCode, json: { statusCode, error: names[statusCode] ?? 'Error', message, ...(errorCode === undefined ? {} : { errorCode }) } }
}

const notFound = () => error(404, 'The user does not exist.', 'inexistent_user')

/** Auth0 merges `app_metadata` / `user_metadata` one level deep; a `null` value removes the key. */
function mergeMetadata(current: unknown, patch: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(current as Record<string, unknown> | undefined) }
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete out[key]
    else out[key] = value
  }
  return out
}

/** The users of one side's run: a fresh copy of the case's, changed by the rule's writes. */
export class ManagementFixture {
  readonly #users: TenantUser[]
  readonly #token: string

  constructor(users: readonly TenantUser[], token: string) {
    this.#users = structuredClone([...users])
    this.#token = token
  }

  #find(id: string): TenantUser | undefined {
    return this.#users.find((u) => u.user_id === id)
  }

  #byEmail(email: string): TenantUser[] {
    const wanted = email.toLowerCase()
    return this.#users.filter((u) => typeof u['email'] === 'string' && (u['email'] as string).toLowerCase() === wanted)
  }

  /** Answer one request under `/api/v2` (`path` without that prefix, percent-encoded as sent). */
  answer(method: string, path: string, query: Record<string, string | string[]>, authorization: string | null, body: unknown): ManagementAnswer {
    if (authorization === null) return error(401, 'Missing authentication')
    if (authorization !== `Bearer ${this.#token}`) return error(401, 'Invalid token')
    const parts = path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent)
    const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)

    if (parts[0] === 'users-by-email' && parts.length === 1 && method === 'GET') {
      const email = one(query['email'])
      if (email === undefined) return error(400, "Query validation error: 'Missing required property: email'.", 'invalid_query_string')
      return { status: 200, json: this.#byEmail(email) }
    }
    if (parts[0] !== 'users') return error(404, 'Not Found')
    if (parts.length === 1 && method === 'GET') {
      const q = one(query['q']) ?? ''
      const match = /^email:(?:"([^"]*)"|(\S+))$/.exec(q.trim())
      if (q === '') return { status: 200, json: this.#users }
      if (match === null) return error(400, `Query validation error: unsupported query '${q}' for this fixture.`, 'invalid_query_string')
      return { status: 200, json: this.#byEmail((match[1] ?? match[2]) as string) }
    }
    const user = parts[1] === undefined ? undefined : this.#find(parts[1])
    if (user === undefined) return notFound()
    if (parts.length === 2 && method === 'GET') return { status: 200, json: user }
    if (parts.length === 2 && method === 'PATCH') {
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        return error(400, "Payload validation error: 'Expected type object but found type null'.", 'invalid_body')
      for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
        if (key === 'app_metadata' || key === 'user_metadata') user[key] = mergeMetadata(user[key], value)
        else user[key] = value
      }
      return { status: 200, json: user }
    }
    if (parts[2] === 'roles' && parts.length === 3 && method === 'GET') return { status: 200, json: (user['roles'] as unknown[] | undefined) ?? [] }
    if (parts[2] === 'identities' && parts.length === 3 && method === 'POST') {
      const link = (body ?? {}) as { provider?: string; user_id?: string | number }
      const secondaryId = link.provider === undefined || link.user_id === undefined ? undefined : `${link.provider}|${String(link.user_id)}`
      const secondary =
        secondaryId === undefined
          ? undefined
          : (this.#find(secondaryId) ?? this.#users.find((u) => u.user_id.endsWith(`|${String(link.user_id)}`) && u.user_id.startsWith(`${link.provider}|`)))
      if (secondary === undefined) return error(400, 'Payload validation error: the secondary account does not exist.', 'invalid_body')
      const identities = (user['identities'] as Record<string, unknown>[] | undefined) ?? []
      const secondaryIdentities = (secondary['identities'] as Record<string, unknown>[] | undefined) ?? []
      user['identities'] = [
        ...identities,
        ...secondaryIdentities.map((i) => ({ ...i, profileData: { email: secondary['email'], email_verified: secondary['email_verified'] } })),
      ]
      this.#users.splice(this.#users.indexOf(secondary), 1)
      return { status: 201, json: user['identities'] }
    }
    if (parts[2] === 'identities' && parts.length === 5 && method === 'DELETE') {
      const identities = (user['identities'] as Record<string, unknown>[] | undefined) ?? []
      user['identities'] = identities.filter((i) => !(i['provider'] === parts[3] && String(i['user_id']) === parts[4]))
      return { status: 200, json: user['identities'] }
    }
    return error(404, 'Not Found')
  }
}
