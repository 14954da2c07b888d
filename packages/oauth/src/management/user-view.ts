import type { JsonValue } from '@tokenrules/engine'
import type { UserRecord } from '../stores/types.js'

/** One entry of a user's `identities`, as Auth0 lists them. */
export interface Identity {
  connection: string
  provider: string
  user_id: string
  isSocial: boolean
  /** A linked account's profile (Auth0 puts the secondary's attributes here). */
  profileData?: Record<string, JsonValue>
}

/** `auth0|abc` → provider `auth0`, id `abc`; an id without a provider prefix is a database user's. */
export function splitUserId(userId: string): { provider: string; id: string } {
  const bar = userId.indexOf('|')
  return bar <= 0 ? { provider: 'auth0', id: userId } : { provider: userId.slice(0, bar), id: userId.slice(bar + 1) }
}

/** The identity a user record stands for (its directory is a database connection). */
function identityOf(record: UserRecord): Identity {
  const { provider, id } = splitUserId(record.profile.user_id)
  return { connection: record.directory, provider, user_id: id, isSocial: false }
}

/** Fields of a linked profile that are not `profileData` in Auth0's answers. */
const NOT_PROFILE_DATA = new Set([
  'user_id',
  'identities',
  'app_metadata',
  'user_metadata',
  'created_at',
  'updated_at',
  'last_login',
  'last_ip',
  'logins_count',
  'last_password_reset',
  'blocked',
])

/** The primary identity, then one per linked account (with its profile as `profileData`). */
export function identitiesOf(record: UserRecord): Identity[] {
  return [
    identityOf(record),
    ...(record.linked ?? []).map((linked) => {
      const profileData: Record<string, JsonValue> = {}
      for (const [key, value] of Object.entries(linked.profile)) if (value !== undefined && !NOT_PROFILE_DATA.has(key)) profileData[key] = value
      return { ...identityOf(linked), profileData }
    }),
  ]
}

/** A user as the Management API answers it: the profile and its identities; never the password hash. */
export function userView(record: UserRecord): Record<string, JsonValue> {
  const view: Record<string, JsonValue> = {}
  for (const [key, value] of Object.entries(structuredClone(record.profile))) if (value !== undefined) view[key] = value
  view['identities'] = identitiesOf(record) as unknown as JsonValue
  return view
}

/** Only the fields asked for (`fields=a,b`), or all but them (`include_fields=false`), as Auth0's `fields` parameter. */
export function withFields(view: Record<string, JsonValue>, fields: string | null, include: string | null): Record<string, JsonValue> {
  if (fields === null || fields === '') return view
  const names = new Set(fields.split(',').map((name) => name.trim()))
  const keep = include !== 'false'
  return Object.fromEntries(Object.entries(view).filter(([key]) => names.has(key) === keep))
}
