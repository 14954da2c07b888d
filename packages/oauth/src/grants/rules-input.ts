import type { Context, User } from '@tokenrules/engine'
import { identitiesOf } from '../management/user-view.js'
import type { Core, GrantRequest } from '../lib/core.js'
import type { Directory, UserRecord } from '../stores/types.js'

/** Parameters that are secrets: they never reach rules ([behaviour: the context object](../../../../docs/behaviour.md#the-context-object)), logs or errors. */
export const SECRET_PARAMETERS: ReadonlySet<string> = new Set([
  'password',
  'client_secret',
  'client_assertion',
  'refresh_token',
  'mfa_token',
  'otp',
  'recovery_code',
  'oob_code',
  'binding_code',
])

/** The `user` rules see: the stored profile, its identity, enrolled MFA providers; never the password hash. */
export function userForRules(record: UserRecord, mfaEnrolled: boolean): User {
  const { profile } = record
  const user: User = {
    ...structuredClone(profile),
    // Its own identity, then the accounts linked into it (the Management API's account linking).
    identities: identitiesOf(record) as unknown as NonNullable<User['identities']>,
  }
  if (mfaEnrolled) user['multifactor'] = ['google-authenticator']
  return user
}

/** The `context` rules see for a password or refresh exchange ([behaviour: the context object](../../../../docs/behaviour.md#the-context-object)). */
export function contextForRules(
  core: Core,
  grant: GrantRequest,
  input: { protocol: 'oauth2-password' | 'oauth2-refresh-token'; directory: Directory; user: UserRecord; authenticatedAt: number | undefined },
): Context {
  const { client, request, url } = grant
  const context: Context = {
    tenant: core.tenant,
    clientID: client.clientId,
    clientName: client.name ?? client.clientId,
    clientMetadata: { ...client.metadata },
    connection: input.directory.name,
    connectionID: input.directory.id,
    connectionStrategy: 'auth0',
    connectionOptions: {},
    connectionMetadata: { ...input.directory.metadata },
    protocol: input.protocol,
    stats: { loginsCount: input.user.profile.logins_count },
    sso: { with_auth0: false, with_dbconn: false, current_clients: [] },
    request: {
      userAgent: request.headers.get('user-agent') ?? '',
      ip: grant.ip,
      hostname: request.headers.get('host') ?? url.host,
      query: Object.fromEntries([...url.searchParams].filter(([name]) => !SECRET_PARAMETERS.has(name))),
      body: grant.params.toRecord(SECRET_PARAMETERS),
    },
    authorization: { roles: [...input.user.roles] },
    accessToken: {},
    idToken: {},
  }
  if (input.authenticatedAt !== undefined) context['authentication'] = { methods: [{ name: 'pwd', timestamp: input.authenticatedAt }] }
  return context
}
