import { z } from 'zod'
import { InputInvalidError } from './errors.js'
import { describeIssues, toIssues } from './lib/validation.js'

const identity = z.looseObject({
  connection: z.string().optional(),
  provider: z.string().optional(),
  user_id: z.union([z.string(), z.number()]).optional(),
  isSocial: z.boolean().optional(),
})

const metadata = z.record(z.string(), z.unknown())

const userSchema = z.looseObject({
  user_id: z.string().min(1, 'is required'),
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
  app_metadata: metadata.optional(),
  user_metadata: metadata.optional(),
  identities: z.array(identity).optional(),
  logins_count: z.number().optional(),
  blocked: z.boolean().optional(),
})

const tokenClaims = z.record(z.string(), z.unknown())

const contextSchema = z.looseObject({
  protocol: z.string().min(1, 'is required'),
  clientID: z.string().min(1, 'is required'),
  clientName: z.string().optional(),
  clientMetadata: z.record(z.string(), z.string()).optional(),
  connection: z.string().optional(),
  accessToken: tokenClaims.optional(),
  idToken: tokenClaims.optional(),
  primaryUser: z.string().optional(),
})

/** The specification of a run's input; {@link readRunInput} is its fast reader. */
export const runInputSchema = z.strictObject({ user: userSchema, context: contextSchema }).superRefine((input, ctx) => {
  if (input.context.protocol === 'oauth2-client-credentials') {
    ctx.addIssue({ code: 'custom', path: ['context', 'protocol'], message: 'rules never run for the client credentials grant' })
  }
})

/**
 * The normalized Auth0 user profile ([behaviour: the user object](../../../docs/behaviour.md#the-user-object)). Unknown fields pass through to rules.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type User } from '@tokenrules/engine'
 *
 * // The host's user record, in Auth0's profile shape.
 * const user: User = {
 *   user_id: 'auth0|5f7c8ec7c33c6c004bbafe82',
 *   email: 'ada@example.com',
 *   email_verified: true,
 *   app_metadata: { roles: ['admin'] },
 *   identities: [{ connection: 'Employees', provider: 'auth0', user_id: '5f7c8ec7c33c6c004bbafe82', isSocial: false }],
 *   department: 'R&D', // a field of your own: rules see it too
 * }
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'add-department',
 *     script: `function (user, context, callback) {
 *       if (!user.identities[0].isSocial) context.idToken['https://example.com/department'] = user.department;
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user, context: { clientID: 'app', protocol: 'oauth2-password' } })
 * assert.deepEqual(result.idToken.claims, { 'https://example.com/department': 'R&D' })
 * ```
 */
export type User = z.infer<typeof userSchema>
/**
 * The Auth0 `context` ([behaviour: the context object](../../../docs/behaviour.md#the-context-object)). `protocol` and `clientID` are required; the rest passes through.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type Context } from '@tokenrules/engine'
 *
 * const context: Context = {
 *   clientID: 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6',
 *   clientName: 'Admin Dashboard',
 *   clientMetadata: { require_mfa: 'true' },
 *   connection: 'Employees',
 *   protocol: 'oauth2-password',
 *   request: { ip: '203.0.113.7', userAgent: 'curl/8.5.0' }, // passed through as it is
 * }
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'mfa-per-client',
 *     script: `function (user, context, callback) {
 *       if (context.clientMetadata.require_mfa === 'true') context.multifactor = { provider: 'any', allowRememberBrowser: false };
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42' }, context })
 * assert.deepEqual(result.multifactor, { provider: 'any', allowRememberBrowser: false })
 * ```
 */
export type Context = z.infer<typeof contextSchema>
/**
 * What {@link Engine.run} takes.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type RunInput, type User } from '@tokenrules/engine'
 *
 * // The token endpoint builds the input from the request and the user it authenticated.
 * function passwordLogin(body: URLSearchParams, user: User): RunInput {
 *   return {
 *     user,
 *     context: {
 *       clientID: body.get('client_id') ?? '',
 *       protocol: 'oauth2-password',
 *       connection: body.get('realm') ?? 'Username-Password-Authentication',
 *     },
 *   }
 * }
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'add-connection',
 *     script: `function (user, context, callback) {
 *       context.accessToken['https://example.com/connection'] = context.connection;
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const body = new URLSearchParams({ grant_type: 'http://auth0.com/oauth/grant-type/password-realm', client_id: 'app', realm: 'Employees' })
 * const result = await engine.run(passwordLogin(body, { user_id: 'auth0|42', email: 'ada@example.com' }))
 * assert.deepEqual(result.accessToken.claims, { 'https://example.com/connection': 'Employees' })
 * ```
 */
export interface RunInput {
  /** The user who is logging in, as rules receive it. */
  user: User
  /** The login's context, as rules receive it. */
  context: Context
}

/**
 * Validate a run's input and turn it into the JSON text the sandbox parses, with whom the run is
 * for (read from the validated copy, so a getter of the host's input cannot answer twice).
 */
export function encodeRunInput(input: unknown, maxBytes: number): { text: string; subject: { userId: string; clientId: string | undefined } } {
  const data = readRunInput(input) ?? parseRunInput(input)
  let text: string
  try {
    text = JSON.stringify(data)
  } catch (error) {
    let found: ReturnType<typeof findNotJson>
    try {
      found = findNotJson(input, [])
    } catch {
      found = undefined
    }
    const issues = [{ path: found?.path ?? [], code: 'not_json', message: found?.message ?? 'is not JSON-serializable' }]
    throw new InputInvalidError(`Invalid run input: ${describeIssues(issues)}`, issues, error)
  }
  if (text.length > maxBytes) {
    const issues = [{ path: [], code: 'too_big', message: `is ${text.length} characters as JSON; the limit is ${maxBytes}` }]
    throw new InputInvalidError(`Invalid run input: larger than ${maxBytes} characters`, issues)
  }
  const clientId: unknown = data.context.clientID
  return { text, subject: { userId: data.user.user_id, clientId: typeof clientId === 'string' ? clientId : undefined } }
}

/** The schema's parse of a run's input, or the typed error of what is wrong with it. */
function parseRunInput(input: unknown): z.infer<typeof runInputSchema> {
  let parsed: ReturnType<typeof runInputSchema.safeParse>
  try {
    parsed = runInputSchema.safeParse(input)
  } catch (error) {
    // A getter or a proxy trap of the host's own input threw while it was read.
    const reason = error instanceof Error ? error.message : String(error)
    const issues = [{ path: [], code: 'unreadable', message: `could not be read: ${reason}` }]
    throw new InputInvalidError(`Invalid run input: ${describeIssues(issues)}`, issues, error)
  }
  if (!parsed.success) {
    const issues = toIssues(parsed.error)
    throw new InputInvalidError(`Invalid run input: ${describeIssues(issues)}`, issues, parsed.error)
  }
  return parsed.data
}

/*
 * The hot path's reader of `runInputSchema`: it copies the host's input the way the schema's parse
 * does (declared keys first, in the schema's order, then the rest; `__proto__` left out; each value
 * read once) and checks what the schema checks, for the plain objects a host builds. It declines
 * (undefined) whatever it is not sure of, and the schema then parses that and reports what is
 * wrong. test/fuzz/run-input.test.ts proves it accepts only what the schema accepts and returns
 * what the schema returns.
 */

/** Marks a value the reader declines. */
const DECLINE: unique symbol = Symbol('decline')
type Read = (value: unknown) => unknown
type Plain = Record<string, unknown>

const readString: Read = (value) => (typeof value === 'string' ? value : DECLINE)
const readBoolean: Read = (value) => (typeof value === 'boolean' ? value : DECLINE)
const readNumber: Read = (value) => (Number.isFinite(value) ? value : DECLINE)
const readFilled: Read = (value) => (typeof value === 'string' && value.length > 0 ? value : DECLINE)
const readAny: Read = (value) => value

/** An object with the prototype a host's literal or `JSON.parse` gives it. */
function isPlain(value: unknown): value is Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** A `z.record(z.string(), value)`: own enumerable string keys; a symbol key or an own `constructor` declines. */
function recordOf(readValue: Read): Read {
  return (value) => {
    if (!isPlain(value) || Object.hasOwn(value, 'constructor') || Object.getOwnPropertySymbols(value).length > 0) return DECLINE
    const copy: Plain = {}
    for (const key of Object.keys(value)) {
      if (key === '__proto__') continue
      const item = readValue(value[key])
      if (item === DECLINE) return DECLINE
      copy[key] = item
    }
    return copy
  }
}

/** A `z.looseObject(shape)`: the declared keys (`required` ones must be there), then every other enumerable key as it is. */
function looseOf(shape: Readonly<Record<string, Read>>, required: readonly string[] = []): Read {
  const fields = Object.entries(shape)
  const declared = new Set(Object.keys(shape))
  return (value) => {
    if (!isPlain(value)) return DECLINE
    const copy: Plain = {}
    for (const [key, read] of fields) {
      const item = value[key]
      if (item === undefined) {
        if (required.includes(key)) return DECLINE
        continue
      }
      const checked = read(item)
      if (checked === DECLINE) return DECLINE
      copy[key] = checked
    }
    for (const key in value) {
      if (declared.has(key) || key === '__proto__') continue
      copy[key] = value[key]
    }
    return copy
  }
}

function arrayOf(readItem: Read): Read {
  return (value) => {
    if (!Array.isArray(value)) return DECLINE
    const length = value.length
    const copy: unknown[] = new Array(length)
    for (let index = 0; index < length; index++) {
      const item = readItem(value[index])
      if (item === DECLINE) return DECLINE
      copy[index] = item
    }
    return copy
  }
}

const readIdentity = looseOf({
  connection: readString,
  provider: readString,
  user_id: (value) => (typeof value === 'string' ? value : readNumber(value)),
  isSocial: readBoolean,
})
const readMetadata = recordOf(readAny)
const readUser = looseOf(
  {
    user_id: readFilled,
    email: readString,
    email_verified: readBoolean,
    app_metadata: readMetadata,
    user_metadata: readMetadata,
    identities: arrayOf(readIdentity),
    logins_count: readNumber,
    blocked: readBoolean,
  },
  ['user_id'],
)
const readContext = looseOf(
  {
    protocol: readFilled,
    clientID: readFilled,
    clientName: readString,
    clientMetadata: recordOf(readString),
    connection: readString,
    accessToken: readMetadata,
    idToken: readMetadata,
    primaryUser: readString,
  },
  ['protocol', 'clientID'],
)

/**
 * The run input as `runInputSchema` parses it, read fast; undefined when the input is not one the
 * reader is sure of (the schema then judges it). Never throws: a getter that throws declines.
 */
export function readRunInput(input: unknown): z.infer<typeof runInputSchema> | undefined {
  try {
    if (!isPlain(input)) return undefined
    const user = readUser(input.user)
    if (user === DECLINE) return undefined
    const context = readContext(input.context)
    if (context === DECLINE) return undefined
    for (const key in input) if (key !== 'user' && key !== 'context') return undefined
    if ((context as Plain).protocol === 'oauth2-client-credentials') return undefined
    return { user, context } as z.infer<typeof runInputSchema>
  } catch {
    return undefined
  }
}

/** Where `value` stops being JSON (a cycle, a BigInt), for the error's path. */
function findNotJson(
  value: unknown,
  path: readonly (string | number)[],
  ancestors: unknown[] = [],
): { path: (string | number)[]; message: string } | undefined {
  if (typeof value === 'bigint') return { path: [...path], message: 'is a BigInt, which is not JSON' }
  if (value === null || typeof value !== 'object') return undefined
  if (ancestors.includes(value)) return { path: [...path], message: 'is a circular reference' }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined
  const inner = [...ancestors, value]
  for (const [key, item] of Object.entries(value)) {
    const found = findNotJson(item, [...path, Array.isArray(value) ? Number(key) : key], inner)
    if (found !== undefined) return found
  }
  return undefined
}
