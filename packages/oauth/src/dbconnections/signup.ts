import type { JsonValue } from '@tokenrules/engine'
import type { Core, RequestInfo } from '../lib/core.js'
import { isUsableSecret } from '../passwords/hash.js'
import { StoreConflictError } from '../stores/conflict.js'
import { userAdmin } from '../users/admin.js'
import { readDbConnectionBody } from './body.js'
import { DbConnectionError, badRequest } from './errors.js'
import { checkPassword, policyText, resolvePolicy } from './password-policy.js'
import { countDbConnectionAttempt, looksLikeEmail, namedClient, namedDirectory } from './shared.js'

/** Sign-ups counted per (directory, IP) within `bruteForce.blockSeconds` before 429. */
export const SIGNUPS_PER_IP = 50

const PROFILE_FIELDS = ['username', 'given_name', 'family_name', 'name', 'nickname', 'picture'] as const

/** 400 `PasswordStrengthError` as Auth0 answers it: the rules checked, and the policy as text. */
export function passwordTooWeak(description: JsonValue, policy: string): DbConnectionError {
  return new DbConnectionError(400, 'PasswordStrengthError', 'invalid_password', description, {
    extra: { message: 'Password is too weak', policy },
    detail: 'password_policy',
  })
}

/**
 * `POST /dbconnections/signup` (JSON or form), as Auth0's database connections serve it: the
 * directory (`connection`) must allow sign-ups by the client (`client_id`), the password must meet
 * the directory's policy, and the user is created with `logins_count` 0, so the rules of the first
 * login see `context.stats.loginsCount === 1`. An email or username already taken answers
 * `invalid_signup` "Invalid sign up" like every other refused sign-up, after the same work
 * (the password is hashed either way); sign-ups are counted per (directory, IP).
 */
export async function signup(core: Core, info: RequestInfo): Promise<Record<string, JsonValue>> {
  const body = await readDbConnectionBody(info.request, core.maxBodyBytes)
  const client = namedClient(core, info, body)
  const { directory, options } = await namedDirectory(core, body)
  const allowed = options?.signup?.enabled === true && (options.signup.clients === undefined || options.signup.clients.includes(client.clientId))
  if (!allowed) throw badRequest('operation_not_supported', 'public signup is disabled', 'signup_disabled')
  const email = body.string('email')
  const password = body.string('password')
  if (email === undefined) throw badRequest('invalid_parameter', 'Missing required parameter: email')
  if (password === undefined) throw badRequest('invalid_parameter', 'Missing required parameter: password')
  if (!looksLikeEmail(email)) throw badRequest('invalid_parameter', 'email must be an email address.')
  const fields: Partial<Record<(typeof PROFILE_FIELDS)[number], string>> = {}
  for (const name of PROFILE_FIELDS) {
    const value = body.string(name)
    if (value !== undefined && (value.length > 300 || !isUsableSecret(value))) throw badRequest('invalid_parameter', `${name} is not valid.`)
    if (value !== undefined) fields[name] = value
  }
  if (fields.picture !== undefined && !/^https?:\/\//i.test(fields.picture)) throw badRequest('invalid_parameter', 'picture must be an http(s) URL.')
  const userMetadata = body.userMetadata()
  await countDbConnectionAttempt(core, { subject: `signup:${directory.id}`, ip: info.socketIp }, SIGNUPS_PER_IP)

  const policy = resolvePolicy(options?.passwordPolicy)
  const checked = checkPassword(policy, password)
  if (!checked.ok || !isUsableSecret(password)) {
    throw passwordTooWeak(checked.ok ? { rules: [], verified: false } : checked.description, policyText(policy))
  }
  let created
  try {
    created = await userAdmin(core).create({
      directory: directory.name,
      email,
      password,
      email_verified: false,
      ...fields,
      ...(userMetadata === undefined ? {} : { user_metadata: userMetadata }),
    })
  } catch (error) {
    if (StoreConflictError.is(error) && error.reason === 'duplicate_login') throw badRequest('invalid_signup', 'Invalid sign up', 'signup_login_taken')
    throw error
  }
  const answer: Record<string, JsonValue> = {
    _id: created.user_id.startsWith('auth0|') ? created.user_id.slice('auth0|'.length) : created.user_id,
    email_verified: false,
    email,
  }
  for (const [name, value] of Object.entries(fields)) answer[name] = value
  if (userMetadata !== undefined) answer['user_metadata'] = userMetadata
  return answer
}
