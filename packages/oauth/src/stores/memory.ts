import type { JsonValue } from '@tokenrules/engine'
import { StoreConflictError } from './conflict.js'
import { fullAt, refilled, type GuessState } from './lib/guess-budget.js'
import { changedRoles, loginKey, mergeMetadata } from './lib/metadata.js'
import type {
  AttemptKey,
  AttemptOutcome,
  AttemptStore,
  Directory,
  GuessBudget,
  GuessKey,
  GuessOutcome,
  KeyStore,
  MfaEnrollment,
  MfaStore,
  MfaTransaction,
  RefreshTokenRecord,
  RefreshTokenStore,
  RefreshTokenUse,
  SigningKeyRecord,
  TokenServerStores,
  UserProfile,
  UserRecord,
  UserStore,
  UserinfoRecord,
  UserinfoStore,
} from './types.js'

/**
 * Every store in memory: the default, for tests and single-process demos. Nothing survives a
 * restart; use {@link createSqliteStores} for that.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { randomBytes } from 'node:crypto'
 * import { createMemoryStores, createTokenServer, type TokenServerOptions } from '@tokenrules/oauth'
 *
 * // Stores outlive the server that uses them: a hot reload keeps users and signing keys.
 * const stores = createMemoryStores()
 * const options: TokenServerOptions = {
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   passwords: { scryptCost: 2 ** 12 },
 *   stores,
 *   encryptionKey: randomBytes(32), // servers that share stores need the same key
 * }
 * const before = await createTokenServer(options)
 * const { user_id } = await before.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const kid = before.keys.jwks().keys[0]?.kid
 * await before.close()
 *
 * await using after = await createTokenServer(options)
 * assert.equal(after.keys.jwks().keys[0]?.kid, kid)
 * assert.equal((await stores.users.findUser('Employees', 'ALICE@example.com'))?.profile.user_id, user_id)
 * ```
 */
export function createMemoryStores(): TokenServerStores {
  return {
    users: new MemoryUserStore(),
    refreshTokens: new MemoryRefreshTokenStore(),
    mfa: new MemoryMfaStore(),
    attempts: new MemoryAttemptStore(),
    keys: new MemoryKeyStore(),
    userinfo: new MemoryUserinfoStore(),
  }
}

const copy = <T>(value: T): T => structuredClone(value)

/** Whether a store keeps nothing beyond the process (so a per-process encryption key is enough). */
export function isMemoryStore(store: unknown): boolean {
  return (
    store instanceof MemoryUserStore ||
    store instanceof MemoryRefreshTokenStore ||
    store instanceof MemoryMfaStore ||
    store instanceof MemoryAttemptStore ||
    store instanceof MemoryKeyStore ||
    store instanceof MemoryUserinfoStore
  )
}

/** Users and directories in memory. */
export class MemoryUserStore implements UserStore {
  readonly #directories = new Map<string, Directory>()
  readonly #users = new Map<string, UserRecord>()

  async getDirectory(name: string) {
    const found = this.#directories.get(name)
    return found === undefined ? undefined : copy(found)
  }
  async listDirectories() {
    return [...this.#directories.values()].map(copy)
  }
  async createDirectory(directory: Directory) {
    if (this.#directories.has(directory.name) || [...this.#directories.values()].some((d) => d.id === directory.id)) {
      throw new StoreConflictError('duplicate_directory', `Directory '${directory.name}' exists.`)
    }
    this.#directories.set(directory.name, copy(directory))
  }
  async findUser(directory: string, login: string) {
    const key = loginKey(login)
    for (const user of this.#users.values()) {
      if (user.directory !== directory) continue
      const { email, username } = user.profile
      if ((email !== undefined && loginKey(email) === key) || (username !== undefined && loginKey(username) === key)) return copy(user)
    }
    return undefined
  }
  async getUser(userId: string) {
    const found = this.#users.get(userId)
    return found === undefined ? undefined : copy(found)
  }
  async createUser(user: UserRecord) {
    if (this.#users.has(user.profile.user_id)) throw new StoreConflictError('duplicate_user', `User '${user.profile.user_id}' exists.`)
    for (const login of [user.profile.email, user.profile.username]) {
      if (login !== undefined && (await this.findUser(user.directory, login)) !== undefined) {
        throw new StoreConflictError('duplicate_login', `'${login}' is taken in directory '${user.directory}'.`)
      }
    }
    this.#users.set(user.profile.user_id, copy(user))
  }
  async recordLogin(userId: string, login: { at: number; ip: string }) {
    return this.#update(userId, login.at, (profile) => {
      profile.logins_count += 1
      profile.last_login = new Date(login.at).toISOString()
      profile.last_ip = login.ip
    })
  }
  async setPasswordHash(userId: string, passwordHash: string, change: { at: number; reset: boolean }) {
    const user = this.#users.get(userId)
    if (user === undefined) return
    user.passwordHash = passwordHash
    if (change.reset) {
      this.#update(userId, change.at, (profile) => {
        profile.last_password_reset = new Date(change.at).toISOString()
      })
    }
  }
  async setBlocked(userId: string, blocked: boolean, at: number) {
    await this.#update(userId, at, (profile) => {
      profile.blocked = blocked
    })
  }
  async setEmailVerified(userId: string, verified: boolean, at: number) {
    await this.#update(userId, at, (profile) => {
      profile.email_verified = verified
    })
  }
  async linkUser(primaryId: string, secondaryId: string, at: number) {
    const primary = this.#users.get(primaryId)
    const secondary = this.#users.get(secondaryId)
    if (primary === undefined || secondary === undefined || primaryId === secondaryId) return undefined
    this.#users.delete(secondaryId)
    primary.linked = [...(primary.linked ?? []), secondary]
    primary.profile.updated_at = new Date(at).toISOString()
    return copy(primary)
  }
  async unlinkUser(primaryId: string, secondaryId: string, at: number) {
    const primary = this.#users.get(primaryId)
    const linked = primary?.linked?.find((record) => record.profile.user_id === secondaryId)
    if (primary === undefined || linked === undefined) return undefined
    await this.createUser(linked)
    const rest = (primary.linked ?? []).filter((record) => record !== linked)
    if (rest.length === 0) delete primary.linked
    else primary.linked = rest
    primary.profile.updated_at = new Date(at).toISOString()
    return copy(primary)
  }
  async updateAppMetadata(userId: string, metadata: Record<string, JsonValue>, at: number) {
    await this.#update(userId, at, (profile) => {
      profile.app_metadata = mergeMetadata(profile.app_metadata, metadata)
    })
  }
  async updateUserMetadata(userId: string, metadata: Record<string, JsonValue>, at: number) {
    await this.#update(userId, at, (profile) => {
      profile.user_metadata = mergeMetadata(profile.user_metadata, metadata)
    })
  }
  async updateRoles(userId: string, change: { add: readonly string[]; remove: readonly string[] }) {
    const user = this.#users.get(userId)
    if (user === undefined) return undefined
    user.roles = changedRoles(user.roles, change)
    return [...user.roles]
  }
  async listUsers(query: { directory?: string | undefined; offset: number; limit: number }) {
    const ids = [...this.#users.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const users = ids.map((id) => this.#users.get(id) as UserRecord).filter((user) => query.directory === undefined || user.directory === query.directory)
    return users.slice(Math.max(0, query.offset), Math.max(0, query.offset) + Math.max(0, query.limit)).map(copy)
  }
  async deleteUser(userId: string) {
    return this.#users.delete(userId)
  }
  async importUsers(users: readonly UserRecord[]) {
    // Every check before the first write: the batch lands whole or not at all.
    const taken = new Set<string>()
    for (const user of this.#users.values()) {
      for (const login of [user.profile.email, user.profile.username]) if (login !== undefined) taken.add(`${user.directory}\u0000${loginKey(login)}`)
    }
    const ids = new Set(this.#users.keys())
    const outcomes: Array<'created' | 'exists'> = []
    for (const user of users) {
      if (ids.has(user.profile.user_id)) {
        outcomes.push('exists')
        continue
      }
      const keys = [user.profile.email, user.profile.username]
        .filter((login) => login !== undefined)
        .map((login) => `${user.directory}\u0000${loginKey(login)}`)
      const clash = keys.find((key) => taken.has(key))
      if (clash !== undefined) {
        throw new StoreConflictError('duplicate_login', `'${clash.split('\u0000')[1]}' is taken in directory '${user.directory}'; nothing was imported.`)
      }
      for (const key of keys) taken.add(key)
      ids.add(user.profile.user_id)
      outcomes.push('created')
    }
    users.forEach((user, index) => {
      if (outcomes[index] === 'created') this.#users.set(user.profile.user_id, copy(user))
    })
    return outcomes
  }
  #update(userId: string, at: number, change: (profile: UserProfile) => void): UserProfile | undefined {
    const user = this.#users.get(userId)
    if (user === undefined) return undefined
    change(user.profile)
    user.profile.updated_at = new Date(at).toISOString()
    return copy(user.profile)
  }
}

/** Refresh tokens in memory. */
export class MemoryRefreshTokenStore implements RefreshTokenStore {
  readonly #tokens = new Map<string, { record: RefreshTokenRecord; usedAt: number | undefined }>()
  readonly #revokedFamilies = new Set<string>()

  async save(record: RefreshTokenRecord) {
    if (this.#tokens.has(record.id)) throw new StoreConflictError('duplicate_refresh_token', 'A refresh token with this id is stored.')
    this.#tokens.set(record.id, { record: copy(record), usedAt: undefined })
  }
  async get(id: string) {
    const entry = this.#tokens.get(id)
    return entry === undefined ? undefined : copy(entry.record)
  }
  async state(id: string) {
    const entry = this.#tokens.get(id)
    if (entry === undefined) return undefined
    if (this.#revokedFamilies.has(entry.record.familyId)) return 'revoked' as const
    return entry.usedAt === undefined ? ('active' as const) : ('used' as const)
  }
  async use(id: string, at: number): Promise<RefreshTokenUse | undefined> {
    const entry = this.#tokens.get(id)
    if (entry === undefined) return undefined
    const record = copy(entry.record)
    if (this.#revokedFamilies.has(record.familyId)) return { outcome: 'revoked', record }
    if (entry.usedAt !== undefined) return { outcome: 'reused', record }
    entry.usedAt = at
    return { outcome: 'rotated', record }
  }
  async revokeFamily(familyId: string) {
    this.#revokedFamilies.add(familyId)
  }
}

/** MFA transactions and enrollments in memory. */
export class MemoryMfaStore implements MfaStore {
  readonly #transactions = new Map<string, MfaTransaction>()
  readonly #enrollments = new Map<string, MfaEnrollment>()

  async saveTransaction(transaction: MfaTransaction) {
    this.#transactions.set(transaction.id, copy(transaction))
  }
  async getTransaction(id: string) {
    const found = this.#transactions.get(id)
    return found === undefined ? undefined : copy(found)
  }
  async takeTransaction(id: string) {
    const found = this.#transactions.get(id)
    this.#transactions.delete(id)
    return found
  }
  async getEnrollment(userId: string) {
    const found = this.#enrollments.get(userId)
    return found === undefined ? undefined : copy(found)
  }
  async saveEnrollment(enrollment: MfaEnrollment) {
    this.#enrollments.set(enrollment.userId, copy(enrollment))
  }
  async useOtpStep(userId: string, step: number) {
    const found = this.#enrollments.get(userId)
    if (found === undefined || step <= found.lastStep) return false
    found.lastStep = step
    found.confirmed = true
    return true
  }
  async useRecoveryCode(userId: string, codeDigest: string) {
    const found = this.#enrollments.get(userId)
    const index = found?.recoveryCodes.indexOf(codeDigest) ?? -1
    if (found === undefined || index === -1) return false
    found.recoveryCodes.splice(index, 1)
    return true
  }
  async deleteEnrollment(userId: string) {
    this.#enrollments.delete(userId)
  }
}

/** Attempt counters and guess budgets in memory. */
export class MemoryAttemptStore implements AttemptStore {
  readonly #counts = new Map<string, { failures: number; expiresAt: number }>()
  readonly #guesses = new Map<string, GuessState & { fullAt: number }>()
  #writes = 0

  async attempt(key: AttemptKey, settings: { now: number; windowMs: number; threshold: number }): Promise<AttemptOutcome> {
    const id = pairId(key)
    let entry = this.#counts.get(id)
    if (entry !== undefined && entry.expiresAt <= settings.now) entry = undefined
    if (entry !== undefined && entry.failures >= settings.threshold) return { blocked: true, ...entry }
    const next = { failures: (entry?.failures ?? 0) + 1, expiresAt: settings.now + settings.windowMs }
    this.#counts.set(id, next)
    return { blocked: false, ...next }
  }
  async reset(key: AttemptKey) {
    this.#counts.delete(pairId(key))
  }
  async resetSubject(subject: string) {
    const prefix = `${JSON.stringify(subject)}|`
    for (const id of this.#counts.keys()) if (id.startsWith(prefix)) this.#counts.delete(id)
    for (const id of this.#guesses.keys()) if (id.startsWith(prefix)) this.#guesses.delete(id)
  }
  async takeGuess(key: GuessKey, settings: GuessBudget & { now: number }): Promise<GuessOutcome> {
    const state = refilled(this.#guesses.get(budgetId(key)), settings)
    const allowed = state.guesses >= 1
    if (allowed) state.guesses -= 1
    this.#keep(key, state, settings)
    return { allowed, remaining: state.guesses, nextAt: state.at + settings.refillMs }
  }
  async returnGuess(key: GuessKey, settings: GuessBudget & { now: number }) {
    const state = refilled(this.#guesses.get(budgetId(key)), settings)
    state.guesses = Math.min(settings.capacity, state.guesses + 1)
    if (state.guesses >= settings.capacity) state.at = settings.now
    this.#keep(key, state, settings)
  }
  #keep(key: GuessKey, state: GuessState, settings: GuessBudget & { now: number }) {
    // A full budget is the same as none: drop it, and now and then every budget that has refilled
    // since (those of mfa_tokens nobody presents again), so they do not pile up.
    const full = fullAt(state, settings)
    if (full <= settings.now) this.#guesses.delete(budgetId(key))
    else this.#guesses.set(budgetId(key), { ...state, fullAt: full })
    if (++this.#writes % 1024 === 0) for (const [id, entry] of this.#guesses) if (entry.fullAt <= settings.now) this.#guesses.delete(id)
  }
}

function pairId(key: AttemptKey): string {
  return `${JSON.stringify(key.subject)}|${key.ip}`
}

function budgetId(key: GuessKey): string {
  return `${JSON.stringify(key.subject)}|${key.budget}`
}

/** Signing keys in memory. */
export class MemoryKeyStore implements KeyStore {
  #keys: SigningKeyRecord[] = []
  async list() {
    return [...this.#keys]
      .reverse()
      .sort((a, b) => b.createdAt - a.createdAt)
      .map(copy)
  }
  async add(key: SigningKeyRecord) {
    if (this.#keys.some((stored) => stored.kid === key.kid)) throw new StoreConflictError('duplicate_signing_key', `A signing key '${key.kid}' is stored.`)
    this.#keys.push(copy(key))
  }
  async addFirst(key: SigningKeyRecord) {
    if (this.#keys.length > 0) return false
    this.#keys.push(copy(key))
    return true
  }
  async remove(kid: string) {
    this.#keys = this.#keys.filter((key) => key.kid !== kid)
  }
}

/** Smallest size at which the userinfo records are swept for expired ones. */
const USERINFO_SWEEP_MIN = 1024

/**
 * The userinfo records of unexpired access tokens in memory. Expired records are deleted when the
 * map has doubled since the last sweep (at least {@link USERINFO_SWEEP_MIN}): amortized constant
 * work per save, and never more than twice the live records plus the minimum.
 */
export class MemoryUserinfoStore implements UserinfoStore {
  readonly #records = new Map<string, UserinfoRecord>()
  #sweepAt = USERINFO_SWEEP_MIN

  async save(record: UserinfoRecord, now: number) {
    this.#records.set(record.jti, copy(record))
    if (this.#records.size < this.#sweepAt) return
    for (const [jti, kept] of this.#records) if (kept.expiresAt <= now) this.#records.delete(jti)
    this.#sweepAt = Math.max(USERINFO_SWEEP_MIN, this.#records.size * 2)
  }
  async get(jti: string, now: number) {
    const found = this.#records.get(jti)
    if (found === undefined) return undefined
    if (found.expiresAt <= now) {
      this.#records.delete(jti)
      return undefined
    }
    return copy(found)
  }
}
