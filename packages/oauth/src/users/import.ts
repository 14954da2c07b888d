/**
 * Importing an Auth0 tenant's users: its bulk-import JSON (an array of users in the documented
 * schema) and the NDJSON of a user export job or of a password-hash export (one JSON object a
 * line). Every record is checked before anything is written; then the store adds them in one
 * all-or-nothing {@link UserStore.importUsers}.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { JsonValue } from '@tokenrules/engine'
import { randomId } from '../lib/random.js'
import { NO_PASSWORD, PasswordHashImportError, importedPasswordHash } from '../passwords/imported.js'
import { StoreConflictError } from '../stores/conflict.js'
import { loginKey } from '../stores/lib/metadata.js'
import type { UserProfile, UserRecord, UserStore } from '../stores/types.js'

/** Where a record is in its file. */
interface ImportLocation {
  file: string
  line: number
  index?: number | undefined
}

/**
 * One bad record of a refused import ({@link UserImportError.problems}): where it is (the NDJSON
 * line; for a JSON array, the element's index and the line it starts on), which field, and why.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { UserImportError, createMemoryStores, importAuth0Users, type ImportProblem } from '@tokenrules/oauth'
 *
 * const text = '[\n  { "email": "ada@example.com" },\n  { "email": "bob@example.com", "app_metadata": { "email": "x" } }\n]'
 * const error = await importAuth0Users(createMemoryStores().users, { directory: 'Employees', files: [{ name: 'users.json', text }] }).catch((e: unknown) => e)
 * assert.ok(error instanceof UserImportError)
 * const [problem] = error.problems as [ImportProblem]
 * assert.deepEqual(problem, { file: 'users.json', line: 3, index: 1, path: 'app_metadata.email', message: 'Auth0 reserves this name' })
 * ```
 */
export interface ImportProblem {
  /** The file's name as given. */
  file: string
  /** The line the record starts on, 1-based. */
  line: number
  /** The record's index in a JSON array, 0-based; absent for NDJSON. */
  index?: number | undefined
  /** The field at fault (`custom_password_hash.hash.value`), or `''` for the record as a whole. */
  path: string
  /** What is wrong. */
  message: string
}

/**
 * The import was refused and nothing was written: every bad record, by line.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { UserImportError, createMemoryStores, importAuth0Users } from '@tokenrules/oauth'
 *
 * const { users } = createMemoryStores()
 * const file = ['{"user_id":"auth0|1","email":"ada@example.com"}', '{"user_id":"auth0|2","email":"not an email"}'].join('\n')
 * const error = await importAuth0Users(users, { directory: 'Employees', files: [{ name: 'users.ndjson', text: file }] }).catch((e: unknown) => e)
 * assert.ok(error instanceof UserImportError)
 * assert.deepEqual(error.problems.map((p) => [p.line, p.path]), [[2, 'email']])
 * assert.equal(await users.getUser('auth0|1'), undefined) // not half-imported
 * ```
 */
export class UserImportError extends Error {
  /** Stable across versions: `ERR_USER_IMPORT`. */
  readonly code = 'ERR_USER_IMPORT'
  /** Every bad record found, in file order. */
  readonly problems: ImportProblem[]

  /** Made by {@link importAuth0Users} with every problem it found. */
  constructor(problems: ImportProblem[]) {
    super(`${problems.length} bad record${problems.length === 1 ? '' : 's'}, nothing imported:\n${problems.map(describeProblem).join('\n')}`)
    this.name = 'UserImportError'
    this.problems = problems
  }
}

/** `users.json:14 (record 3): custom_password_hash.hash.value: is not hex` */
function describeProblem(problem: ImportProblem): string {
  return `${where(problem)}: ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`
}

/** `users.json:14 (record 3)`, or `export.ndjson:7`. */
function where(location: ImportLocation): string {
  return `${location.file}:${location.line}${location.index === undefined ? '' : ` (record ${location.index})`}`
}

/** A file to import: its name (for messages) and its text. */
interface ImportFile {
  name: string
  text: string
}

/**
 * Options of {@link importAuth0Users}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, importAuth0Users, type ImportAuth0UsersOptions } from '@tokenrules/oauth'
 *
 * // A user export (NDJSON, as Auth0's export job writes it) and the password-hash export of the same tenant.
 * const options: ImportAuth0UsersOptions = {
 *   directory: 'Username-Password-Authentication',
 *   files: [
 *     { name: 'tenant.json', text: '{"user_id":"auth0|60425dc43519d90068f82973","email":"ada@example.com","email_verified":true,"logins_count":7}\n' },
 *     { name: 'hashes.json', text: '{"_id":{"$oid":"60425dc43519d90068f82973"},"email":"ada@example.com","passwordHash":"$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"}\n' },
 *   ],
 *   dryRun: true,
 * }
 * const { users } = createMemoryStores()
 * const summary = await importAuth0Users(users, options)
 * assert.deepEqual([summary.created, summary.withoutPassword, summary.dryRun], [['auth0|60425dc43519d90068f82973'], [], true])
 * assert.equal(await users.getUser('auth0|60425dc43519d90068f82973'), undefined) // a dry run writes nothing
 * ```
 */
export interface ImportAuth0UsersOptions {
  /** The directory (realm) the users go to; created when missing. */
  directory: string
  /**
   * The files, in order: bulk-import JSON arrays, user-export NDJSON, password-hash-export NDJSON
   * (`passwordHash` lines, joined to the export's users by `user_id`, else by email).
   */
  files: readonly ImportFile[]
  /** Check everything and report, but write nothing. Default `false`. */
  dryRun?: boolean | undefined
  /** The clock (ms), for `created_at` of records without one. Default `Date.now`. */
  now?: (() => number) | undefined
}

/**
 * What {@link importAuth0Users} did, user by user.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, importAuth0Users, type ImportSummary } from '@tokenrules/oauth'
 *
 * const text = ['{"user_id":"auth0|1","email":"ada@example.com"}', '{"user_id":"google-oauth2|42","email":"bob@example.com","identities":[{"provider":"google-oauth2"}]}'].join('\n')
 * const summary: ImportSummary = await importAuth0Users(createMemoryStores().users, { directory: 'Employees', files: [{ name: 'export.ndjson', text }] })
 * assert.deepEqual(summary.created, ['auth0|1'])
 * assert.deepEqual(summary.withoutPassword, ['auth0|1']) // no hash in an export: a password reset sets one
 * assert.deepEqual(summary.ignored, [{ file: 'export.ndjson', line: 2, reason: 'a google-oauth2 identity, not a database user' }])
 * assert.equal(summary.createdDirectory, true)
 * ```
 */
export interface ImportSummary {
  /** Users added. */
  created: string[]
  /**
   * Users left as they were: the same `user_id` (or, for a record without one, the same email or
   * username in the directory) is there already. A re-run of an import skips every user.
   */
  skipped: string[]
  /** Users added without a password (none in the file): they set one with a password reset. */
  withoutPassword: string[]
  /** Records not for this directory's kind of user (a social or enterprise identity of an export). */
  ignored: Array<{ file: string; line: number; index?: number | undefined; reason: string }>
  /** Whether the directory was created by the import. */
  createdDirectory: boolean
  /** `true` when nothing was written (`dryRun`). */
  dryRun: boolean
}

// The bulk import's user schema (additionalProperties: false); the export's profile fields besides.
const IMPORT_FIELDS = new Set([
  'email',
  'email_verified',
  'user_id',
  'username',
  'given_name',
  'family_name',
  'name',
  'nickname',
  'picture',
  'blocked',
  'password_hash',
  'custom_password_hash',
  'app_metadata',
  'user_metadata',
  'mfa_factors',
  'phone_number',
  'phone_verified',
])
const STRING_FIELDS = ['username', 'given_name', 'family_name', 'name', 'nickname', 'picture', 'phone_number'] as const
const BOOLEAN_FIELDS = ['email_verified', 'blocked', 'phone_verified'] as const
// Auth0: app_metadata must not hold these.
const RESERVED_APP_METADATA = new Set([
  '__tenant',
  '_id',
  'blocked',
  'clientID',
  'created_at',
  'email_verified',
  'email',
  'globalClientID',
  'global_client_id',
  'identities',
  'lastIP',
  'lastLogin',
  'loginsCount',
  'metadata',
  'multifactor_last_modified',
  'multifactor',
  'updated_at',
  'user_id',
])
const EMAIL = /^[^\s@]+@[^\s@]+$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/

/** One record of a file, parsed, with where it came from. */
interface Located {
  location: ImportLocation
  kind: 'bulk' | 'export' | 'hash'
  value: Record<string, unknown>
}

/** A record checked and made into what the store keeps (`user_id` undefined until matched). */
interface Candidate {
  location: ImportLocation
  userId: string | undefined
  record: UserRecord
  hasPassword: boolean
  /** The user is in the directory already: left as it is. */
  skip: boolean
}

/**
 * Imports Auth0 users into `directory` of a user store: checks every record of every file first
 * (the schema, the password hashes, duplicates within the files, logins taken by other users of the
 * store), then writes them all in one {@link UserStore.importUsers}, or writes nothing and rejects
 * with a {@link UserImportError} naming each bad record by line. Ids keep Auth0's form: a bulk
 * import's `user_id` gets the `auth0|` prefix as Auth0 gives it (an id that has it keeps it), a
 * record without one is matched to the directory's user of the same email or username, or gets a
 * new `auth0|` id. Users already there are skipped, so a re-run is idempotent.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createMemoryStores, importAuth0Users } from '@tokenrules/oauth'
 *
 * const { users } = createMemoryStores()
 * // Auth0's bulk-import format; the bcrypt hash is Auth0's documented example for the password `hello`.
 * const file = JSON.stringify([
 *   { user_id: '2000', email: 'ada@example.com', email_verified: true, app_metadata: { roles: ['admin'] },
 *     custom_password_hash: { algorithm: 'bcrypt', hash: { value: '$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K' } } },
 * ])
 * const summary = await importAuth0Users(users, { directory: 'Employees', files: [{ name: 'users.json', text: file }] })
 * assert.deepEqual(summary.created, ['auth0|2000'])
 * assert.deepEqual((await users.getUser('auth0|2000'))?.profile.app_metadata, { roles: ['admin'] })
 * // Again: nothing new.
 * const again = await importAuth0Users(users, { directory: 'Employees', files: [{ name: 'users.json', text: file }] })
 * assert.deepEqual([again.created, again.skipped], [[], ['auth0|2000']])
 * ```
 */
export async function importAuth0Users(store: UserStore, options: ImportAuth0UsersOptions): Promise<ImportSummary> {
  const now = options.now ?? Date.now
  const at = new Date(now()).toISOString()
  const problems: ImportProblem[] = []
  const ignored: ImportSummary['ignored'] = []
  const located: Located[] = []
  for (const file of options.files) located.push(...readFile(file, problems))

  // Hash-export lines are joined to the users of the other records; alone, each is a user of its own.
  const hashes = located.filter((item) => item.kind === 'hash')
  const users = located.filter((item) => item.kind !== 'hash')
  const candidates: Candidate[] = []
  for (const item of users) {
    const candidate = toCandidate(item, options.directory, at, problems, ignored)
    if (candidate !== undefined) candidates.push(candidate)
  }
  for (const item of hashes) joinHash(item, candidates, options.directory, at, problems)

  checkDuplicates(candidates, problems)
  const directory = await store.getDirectory(options.directory)
  if (directory !== undefined) await checkAgainstStore(store, options.directory, candidates, problems)
  if (problems.length > 0) throw new UserImportError(sortProblems(problems))

  // Records without a user_id and no user of their login: a new id, as Auth0 gives one.
  for (const candidate of candidates) {
    if (!candidate.skip && candidate.userId === undefined) {
      candidate.record.profile.user_id = `auth0|${randomBytes(12).toString('hex')}`
    }
  }
  const summary: ImportSummary = { created: [], skipped: [], withoutPassword: [], ignored, createdDirectory: false, dryRun: options.dryRun === true }
  const toWrite = candidates.filter((candidate) => !candidate.skip)
  for (const candidate of candidates) if (candidate.skip) summary.skipped.push(candidate.record.profile.user_id)
  if (options.dryRun === true) {
    summary.created = toWrite.map((candidate) => candidate.record.profile.user_id)
    summary.withoutPassword = toWrite.filter((candidate) => !candidate.hasPassword).map((candidate) => candidate.record.profile.user_id)
    summary.createdDirectory = directory === undefined
    return summary
  }
  if (directory === undefined) {
    try {
      await store.createDirectory({ id: randomId('con'), name: options.directory, metadata: {} })
      summary.createdDirectory = true
    } catch (error) {
      if (!(StoreConflictError.is(error) && error.reason === 'duplicate_directory')) throw error
    }
  }
  let outcomes: Array<'created' | 'exists'>
  try {
    outcomes = await store.importUsers(toWrite.map((candidate) => candidate.record))
  } catch (error) {
    if (!StoreConflictError.is(error)) throw error
    // Written meanwhile by someone else: nothing of this import was written; a re-run says which.
    throw new UserImportError([
      { file: options.files[0]?.name ?? '', line: 0, path: '', message: `${error.message} (the store changed during the import; run it again)` },
    ])
  }
  toWrite.forEach((candidate, index) => {
    const id = candidate.record.profile.user_id
    if (outcomes[index] === 'created') {
      summary.created.push(id)
      if (!candidate.hasPassword) summary.withoutPassword.push(id)
    } else summary.skipped.push(id)
  })
  return summary
}

function sortProblems(problems: ImportProblem[]): ImportProblem[] {
  return problems.sort((a, b) => (a.file === b.file ? a.line - b.line : 0))
}

/** The records of one file: a JSON array (the bulk import) or NDJSON (an export), by line. */
function readFile(file: ImportFile, problems: ImportProblem[]): Located[] {
  const text = file.text.replace(/^\uFEFF/, '')
  const start = text.search(/\S/)
  if (start === -1) {
    problems.push({ file: file.name, line: 1, path: '', message: 'the file is empty' })
    return []
  }
  if (text[start] === '[') return readArray(file.name, text, problems)
  const out: Located[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '')
    if (line.trim() === '') return
    const location = { file: file.name, line: i + 1 }
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (error) {
      problems.push({ ...location, path: '', message: `not JSON: ${(error as Error).message}` })
      return
    }
    if (!isObject(value)) {
      problems.push({ ...location, path: '', message: 'a line must be one JSON object (a user)' })
      return
    }
    out.push({ location, kind: 'passwordHash' in value && '_id' in value ? 'hash' : 'export', value })
  })
  return out
}

function readArray(name: string, text: string, problems: ImportProblem[]): Located[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    const line = position === undefined ? 1 : lineAt(text, Number(position))
    problems.push({ file: name, line, path: '', message: `not JSON: ${(error as Error).message}` })
    return []
  }
  if (!Array.isArray(value)) {
    problems.push({ file: name, line: 1, path: '', message: 'the bulk-import file must be a JSON array of users' })
    return []
  }
  const starts = elementStarts(text)
  return value.flatMap((item: unknown, index): Located[] => {
    const location = { file: name, line: lineAt(text, starts[index] ?? 0), index }
    if (!isObject(item)) {
      problems.push({ ...location, path: '', message: 'a user must be a JSON object' })
      return []
    }
    return [{ location, kind: 'bulk', value: item }]
  })
}

/** Offsets where each element of the top-level JSON array starts (the text parsed already). */
function elementStarts(text: string): number[] {
  const starts: number[] = []
  let depth = 0
  let inString = false
  let expecting = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t') continue
    if (expecting && depth === 1 && c !== ']') {
      starts.push(i)
      expecting = false
    }
    if (c === '"') inString = true
    else if (c === '[' || c === '{') {
      depth++
      if (depth === 1) expecting = true
    } else if (c === ']' || c === '}') depth--
    else if (c === ',' && depth === 1) expecting = true
  }
  return starts
}

function lineAt(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++
  return line
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isJson(value: unknown, depth = 0): value is JsonValue {
  if (depth > 64) return false
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1))
  return isObject(value) && Object.values(value).every((item) => isJson(item, depth + 1))
}

/** The user of a bulk-import or export record, or undefined (problems noted, or ignored). */
function toCandidate(item: Located, directory: string, at: string, problems: ImportProblem[], ignored: ImportSummary['ignored']): Candidate | undefined {
  const { value, location, kind } = item
  const before = problems.length
  const problem = (path: string, message: string) => problems.push({ ...location, path, message })

  if (kind === 'export') {
    // An export holds every connection's users: only database (auth0) identities come along.
    const identities = value['identities']
    const primary = Array.isArray(identities) && isObject(identities[0]) ? identities[0] : undefined
    const provider = primary?.['provider']
    const userId = value['user_id']
    const social = provider !== undefined ? provider !== 'auth0' : typeof userId === 'string' && userId.includes('|') && !userId.startsWith('auth0|')
    if (social) {
      ignored.push({ ...location, reason: `a ${String(provider ?? String(userId).split('|')[0])} identity, not a database user` })
      return undefined
    }
  } else {
    for (const key of Object.keys(value)) if (!IMPORT_FIELDS.has(key)) problem(key, 'not a field of the bulk-import user schema')
  }

  const email = value['email']
  if (email !== undefined && (typeof email !== 'string' || !EMAIL.test(email))) problem('email', 'must be an email address')
  for (const field of STRING_FIELDS) {
    if (value[field] !== undefined && value[field] !== null && typeof value[field] !== 'string') problem(field, 'must be a string')
  }
  for (const field of BOOLEAN_FIELDS) {
    if (value[field] !== undefined && value[field] !== null && typeof value[field] !== 'boolean') problem(field, 'must be true or false')
  }
  if (typeof email !== 'string' && typeof value['username'] !== 'string') problem('email', 'a user needs an email (or a username)')
  const rawId = value['user_id']
  if (rawId !== undefined && (typeof rawId !== 'string' || rawId === '' || rawId.length > 255)) problem('user_id', 'must be a non-empty string')
  const metadata: Record<'app_metadata' | 'user_metadata', Record<string, JsonValue>> = { app_metadata: {}, user_metadata: {} }
  for (const field of ['app_metadata', 'user_metadata'] as const) {
    const raw = value[field]
    if (raw === undefined || raw === null) continue
    if (!isObject(raw) || !isJson(raw)) problem(field, 'must be a JSON object')
    else metadata[field] = raw as Record<string, JsonValue>
  }
  for (const key of Object.keys(metadata.app_metadata)) if (RESERVED_APP_METADATA.has(key)) problem(`app_metadata.${key}`, 'Auth0 reserves this name')
  if (value['mfa_factors'] !== undefined) problem('mfa_factors', 'MFA enrollments are not imported; users enroll again')

  let passwordHash: string | undefined
  try {
    passwordHash = importedPasswordHash({
      password_hash: value['password_hash'] ?? undefined,
      custom_password_hash: value['custom_password_hash'] ?? undefined,
    })
  } catch (error) {
    if (!(error instanceof PasswordHashImportError)) throw error
    problem(error.path, error.message.startsWith(`${error.path}: `) ? error.message.slice(error.path.length + 2) : error.message)
  }
  if (problems.length > before) return undefined

  const userId = typeof rawId === 'string' ? (rawId.startsWith('auth0|') ? rawId : `auth0|${rawId}`) : undefined
  const profile: UserProfile = {
    user_id: userId ?? '',
    created_at: kind === 'export' && typeof value['created_at'] === 'string' && ISO_DATE.test(value['created_at']) ? value['created_at'] : at,
    updated_at: at,
    logins_count:
      kind === 'export' && Number.isSafeInteger(value['logins_count']) && (value['logins_count'] as number) >= 0 ? (value['logins_count'] as number) : 0,
    app_metadata: structuredClone(metadata.app_metadata),
    user_metadata: structuredClone(metadata.user_metadata),
  }
  if (typeof email === 'string') {
    profile.email = email
    profile.email_verified = value['email_verified'] === true
  }
  for (const field of STRING_FIELDS) if (typeof value[field] === 'string') profile[field] = value[field]
  if (typeof value['blocked'] === 'boolean') profile.blocked = value['blocked']
  if (typeof value['phone_verified'] === 'boolean') profile.phone_verified = value['phone_verified']
  if (kind === 'export') {
    if (typeof value['last_login'] === 'string' && ISO_DATE.test(value['last_login'])) profile.last_login = value['last_login']
    if (typeof value['last_ip'] === 'string') profile.last_ip = value['last_ip']
  }
  // As Auth0 defaults them: the login, and the part of it before `@`.
  const login = profile.email ?? profile.username ?? ''
  profile.name ??= login
  profile.nickname ??= login.split('@')[0] ?? login
  return {
    location,
    userId,
    hasPassword: passwordHash !== undefined,
    skip: false,
    record: { directory, profile, passwordHash: passwordHash ?? NO_PASSWORD, roles: [] },
  }
}

/** A password-hash export line: its bcrypt hash goes to the user of the same id (`auth0|<_id>`), else of the same email. */
function joinHash(item: Located, candidates: Candidate[], directory: string, at: string, problems: ImportProblem[]): void {
  const { value, location } = item
  const problem = (path: string, message: string) => problems.push({ ...location, path, message })
  const rawId = value['_id']
  const oid = isObject(rawId) ? rawId['$oid'] : rawId
  if (typeof oid !== 'string' || !/^[0-9a-fA-F]{24}$/.test(oid))
    return void problem('_id', 'must be { "$oid": <24 hex digits> } as the password-hash export writes it')
  let hash: string | undefined
  try {
    hash = importedPasswordHash({ password_hash: value['passwordHash'] })
  } catch (error) {
    if (!(error instanceof PasswordHashImportError)) throw error
    return void problem('passwordHash', 'must be a bcrypt hash ($2a$, $2b$ or $2y$)')
  }
  const email = value['email']
  if (email !== undefined && (typeof email !== 'string' || !EMAIL.test(email))) return void problem('email', 'must be an email address')
  const userId = `auth0|${oid}`
  const match =
    candidates.find((candidate) => candidate.record.profile.user_id === userId) ??
    (typeof email === 'string'
      ? candidates.find((candidate) => candidate.record.profile.email !== undefined && loginKey(candidate.record.profile.email) === loginKey(email))
      : undefined)
  if (match !== undefined) {
    if (match.hasPassword) return void problem('passwordHash', `the user of ${where(match.location)} has a password hash already`)
    match.record.passwordHash = hash ?? NO_PASSWORD
    match.hasPassword = hash !== undefined
    return
  }
  if (typeof email !== 'string') return void problem('email', 'a user needs an email')
  const profile: UserProfile = {
    user_id: userId,
    email,
    email_verified: value['email_verified'] === true || value['emailVerified'] === true,
    name: email,
    nickname: email.split('@')[0] ?? email,
    created_at: at,
    updated_at: at,
    logins_count: 0,
    app_metadata: {},
    user_metadata: {},
  }
  candidates.push({
    location,
    userId,
    hasPassword: hash !== undefined,
    skip: false,
    record: { directory, profile, passwordHash: hash ?? NO_PASSWORD, roles: [] },
  })
}

/** The same user_id, email or username twice in the files. */
function checkDuplicates(candidates: Candidate[], problems: ImportProblem[]): void {
  const seen = new Map<string, Candidate>()
  for (const candidate of candidates) {
    const { profile } = candidate.record
    const keys: Array<[string, string, string]> = []
    if (candidate.userId !== undefined) keys.push([`id:${candidate.userId}`, 'user_id', candidate.userId])
    if (profile.email !== undefined) keys.push([`login:${loginKey(profile.email)}`, 'email', profile.email])
    if (profile.username !== undefined) keys.push([`login:${loginKey(profile.username)}`, 'username', profile.username])
    for (const [key, path, shown] of keys) {
      const first = seen.get(key)
      if (first !== undefined && first !== candidate) {
        problems.push({ ...candidate.location, path, message: `${shown} is also at ${where(first.location)}` })
      } else seen.set(key, candidate)
    }
  }
}

/**
 * Against the directory as it is: a user of the same id is skipped (another directory's: a
 * problem); a record without an id takes the id of the user of its login; a login taken by
 * another user is a problem.
 */
async function checkAgainstStore(store: UserStore, directory: string, candidates: Candidate[], problems: ImportProblem[]): Promise<void> {
  for (const candidate of candidates) {
    const { profile } = candidate.record
    const problem = (path: string, message: string) => problems.push({ ...candidate.location, path, message })
    if (candidate.userId !== undefined) {
      const existing = await store.getUser(candidate.userId)
      if (existing !== undefined) {
        if (existing.directory !== directory) problem('user_id', `${candidate.userId} is a user of directory '${existing.directory}'`)
        else candidate.skip = true
        continue
      }
    }
    for (const [path, login] of [
      ['email', profile.email],
      ['username', profile.username],
    ] as const) {
      if (login === undefined) continue
      const holder = await store.findUser(directory, login)
      if (holder === undefined) continue
      if (candidate.userId === undefined) {
        // The same user, imported before without an id: skipped.
        profile.user_id = holder.profile.user_id
        candidate.skip = true
        break
      }
      problem(path, `${login} is taken in '${directory}' by ${holder.profile.user_id}`)
    }
  }
}
