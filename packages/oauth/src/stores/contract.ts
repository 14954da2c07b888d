import { describe, expect, it } from 'vitest'
import type {
  AttemptStore,
  KeyStore,
  MfaStore,
  RefreshTokenRecord,
  RefreshTokenStore,
  TokenServerStores,
  UserRecord,
  UserStore,
  UserinfoRecord,
  UserinfoStore,
} from './types.js'

/**
 * What {@link describeStoreContract} runs the contract on: for each kind of store, a function that
 * makes a fresh, empty store (and how to dispose of it). Leave out the kinds your package does not
 * implement.
 *
 * @example
 * ```ts
 * import { mkdtempSync, rmSync } from 'node:fs'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { createSqliteStores } from '@tokenrules/oauth/sqlite'
 * import { describeStoreContract, type StoreContractFactories } from '@tokenrules/oauth/testing'
 *
 * // Each test gets a database file of its own, removed afterwards.
 * const fresh = async () => {
 *   const dir = mkdtempSync(join(tmpdir(), 'store-contract-'))
 *   const stores = createSqliteStores({ path: join(dir, 'tokenrules.db') })
 *   return { stores, dispose: () => (stores.close(), rmSync(dir, { recursive: true, force: true })) }
 * }
 * const factories: StoreContractFactories = {
 *   users: async () => { const { stores, dispose } = await fresh(); return { store: stores.users, dispose } },
 *   keys: async () => { const { stores, dispose } = await fresh(); return { store: stores.keys, dispose } },
 * }
 * describeStoreContract('SQLite users and keys', factories)
 * ```
 */
export interface StoreContractFactories {
  /** Makes an empty {@link UserStore}. */
  users?: Make<UserStore> | undefined
  /** Makes an empty {@link RefreshTokenStore}. */
  refreshTokens?: Make<RefreshTokenStore> | undefined
  /** Makes an empty {@link MfaStore}. */
  mfa?: Make<MfaStore> | undefined
  /** Makes an empty {@link AttemptStore}. */
  attempts?: Make<AttemptStore> | undefined
  /** Makes an empty {@link KeyStore}. */
  keys?: Make<KeyStore> | undefined
  /** Makes an empty {@link UserinfoStore}. */
  userinfo?: Make<UserinfoStore> | undefined
}

/** A fresh store, and what disposes of it after its test. */
type Make<S> = () => Promise<{ store: S; dispose?: (() => Promise<void> | void) | undefined }>

/**
 * Declares the store contract as vitest tests (inside `describe(name)`): what the token server
 * relies on from each store it is given, the built-in ones included. Run it against a store you
 * write for your own database: it checks lookups, atomic check-and-set under concurrency (a refresh
 * token rotates once, attempt counters and guess budgets never pass their limit), and that every conflict rejects
 * with {@link StoreConflictError} and the right `reason`. Needs vitest (an optional peer dependency).
 *
 * @example
 * ```ts
 * import { createMemoryStores } from '@tokenrules/oauth'
 * import { describeStoreContract } from '@tokenrules/oauth/testing'
 *
 * // A store of your own is tested the same way; here, the built-in memory stores.
 * describeStoreContract('memory stores', {
 *   users: async () => ({ store: createMemoryStores().users }),
 *   refreshTokens: async () => ({ store: createMemoryStores().refreshTokens }),
 *   mfa: async () => ({ store: createMemoryStores().mfa }),
 *   attempts: async () => ({ store: createMemoryStores().attempts }),
 *   keys: async () => ({ store: createMemoryStores().keys }),
 *   userinfo: async () => ({ store: createMemoryStores().userinfo }),
 * })
 * ```
 */
export function describeStoreContract(name: string, factories: StoreContractFactories): void {
  describe(name, () => {
    const contracts: { [K in keyof TokenServerStores]: (make: Make<TokenServerStores[K]>) => void } = {
      users: userStoreContract,
      refreshTokens: refreshTokenStoreContract,
      mfa: mfaStoreContract,
      attempts: attemptStoreContract,
      keys: keyStoreContract,
      userinfo: userinfoStoreContract,
    }
    if (factories.users !== undefined) contracts.users(factories.users)
    if (factories.refreshTokens !== undefined) contracts.refreshTokens(factories.refreshTokens)
    if (factories.mfa !== undefined) contracts.mfa(factories.mfa)
    if (factories.attempts !== undefined) contracts.attempts(factories.attempts)
    if (factories.keys !== undefined) contracts.keys(factories.keys)
    if (factories.userinfo !== undefined) contracts.userinfo(factories.userinfo)
  })
}

/** What every conflict rejects with: checked by code and reason, so a store built on another copy of the package passes. */
const conflict = (reason: string) => expect.objectContaining({ code: 'ERR_STORE_CONFLICT', reason })

async function withStore<S>(make: Make<S>, use: (store: S) => Promise<void>): Promise<void> {
  const { store, dispose } = await make()
  try {
    await use(store)
  } finally {
    await dispose?.()
  }
}

const T = Date.UTC(2026, 0, 1)

function user(id: string, directory: string, email: string, extra: Partial<UserRecord['profile']> = {}): UserRecord {
  return {
    directory,
    passwordHash: '$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    roles: ['reader'],
    profile: {
      user_id: id,
      email,
      created_at: new Date(T).toISOString(),
      updated_at: new Date(T).toISOString(),
      logins_count: 0,
      app_metadata: { plan: 'gold', roles: ['admin'] },
      user_metadata: {},
      ...extra,
    },
  }
}

function userStoreContract(make: Make<UserStore>): void {
  it('users: keeps directories by name and refuses a duplicate', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: { region: 'eu' } })
      await store.createDirectory({ id: 'con_2', name: 'Customers', metadata: {} })
      expect(await store.getDirectory('Employees')).toEqual({ id: 'con_1', name: 'Employees', metadata: { region: 'eu' } })
      expect(await store.getDirectory('Nope')).toBeUndefined()
      expect((await store.listDirectories()).map((d) => d.name)).toEqual(['Employees', 'Customers'])
      await expect(store.createDirectory({ id: 'con_3', name: 'Employees', metadata: {} })).rejects.toEqual(conflict('duplicate_directory'))
      expect(await store.getDirectory('Employees')).toEqual({ id: 'con_1', name: 'Employees', metadata: { region: 'eu' } })
    })
  })

  it('users: finds a user by email or username, case-insensitively, within its directory', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      await store.createDirectory({ id: 'con_2', name: 'Customers', metadata: {} })
      await store.createUser(user('auth0|1', 'Employees', 'Ada@Example.com', { username: 'ada' }))
      expect((await store.findUser('Employees', 'ada@example.COM'))?.profile.user_id).toBe('auth0|1')
      expect((await store.findUser('Employees', 'ADA'))?.profile.user_id).toBe('auth0|1')
      expect(await store.findUser('Customers', 'ada@example.com')).toBeUndefined()
      expect(await store.getUser('auth0|1')).toEqual(user('auth0|1', 'Employees', 'Ada@Example.com', { username: 'ada' }))
      expect(await store.getUser('auth0|2')).toBeUndefined()
    })
  })

  it('users: refuses a duplicate id or email in one directory, allows it in another', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      await store.createDirectory({ id: 'con_2', name: 'Customers', metadata: {} })
      await store.createUser(user('auth0|1', 'Employees', 'ada@example.com'))
      await expect(store.createUser(user('auth0|1', 'Customers', 'x@example.com'))).rejects.toEqual(conflict('duplicate_user'))
      await expect(store.createUser(user('auth0|2', 'Employees', 'ADA@example.com'))).rejects.toEqual(conflict('duplicate_login'))
      expect(await store.getUser('auth0|2')).toBeUndefined()
      await store.createUser(user('auth0|3', 'Customers', 'ada@example.com'))
      expect((await store.findUser('Customers', 'ada@example.com'))?.profile.user_id).toBe('auth0|3')
    })
  })

  it('users: refuses a username taken in the directory, as an email or a username', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      await store.createUser(user('auth0|1', 'Employees', 'ada@example.com', { username: 'ada' }))
      await expect(store.createUser(user('auth0|2', 'Employees', 'bob@example.com', { username: 'ADA' }))).rejects.toEqual(conflict('duplicate_login'))
      expect(await store.findUser('Employees', 'bob@example.com')).toBeUndefined()
    })
  })

  it('users: records logins, password changes, blocks and metadata updates', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      await store.createUser(user('auth0|1', 'Employees', 'ada@example.com'))
      const profile = await store.recordLogin('auth0|1', { at: T + 1000, ip: '192.0.2.1' })
      expect(profile).toMatchObject({
        logins_count: 1,
        last_login: new Date(T + 1000).toISOString(),
        last_ip: '192.0.2.1',
        updated_at: new Date(T + 1000).toISOString(),
      })
      await store.setPasswordHash('auth0|1', 'rehashed', { at: T + 2000, reset: false })
      expect((await store.getUser('auth0|1'))?.passwordHash).toBe('rehashed')
      expect((await store.getUser('auth0|1'))?.profile.last_password_reset).toBeUndefined()
      await store.setPasswordHash('auth0|1', 'new', { at: T + 3000, reset: true })
      expect((await store.getUser('auth0|1'))?.profile.last_password_reset).toBe(new Date(T + 3000).toISOString())
      await store.setBlocked('auth0|1', true, T + 4000)
      expect((await store.getUser('auth0|1'))?.profile.blocked).toBe(true)
      await store.updateAppMetadata('auth0|1', { plan: null, visits: 3 }, T + 5000)
      await store.updateUserMetadata('auth0|1', { theme: 'dark' }, T + 5000)
      const after = await store.getUser('auth0|1')
      expect(after?.profile.app_metadata).toEqual({ roles: ['admin'], visits: 3 })
      expect(after?.profile.user_metadata).toEqual({ theme: 'dark' })
      expect(await store.recordLogin('auth0|nobody', { at: T, ip: '192.0.2.1' })).toBeUndefined()
      await store.setEmailVerified('auth0|1', false, T + 6000)
      expect((await store.getUser('auth0|1'))?.profile).toMatchObject({ email_verified: false, updated_at: new Date(T + 6000).toISOString() })
    })
  })

  it('users: links an account into another (it stops being a user, its logins are free) and unlinks it back', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      await store.createDirectory({ id: 'con_2', name: 'Customers', metadata: {} })
      await store.createUser(user('auth0|1', 'Employees', 'ada@example.com'))
      const secondary = user('auth0|2', 'Customers', 'ada@example.com', { username: 'ada' })
      await store.createUser(secondary)
      expect(await store.linkUser('auth0|1', 'auth0|nobody', T)).toBeUndefined()
      expect(await store.linkUser('auth0|1', 'auth0|1', T)).toBeUndefined()
      const linked = await store.linkUser('auth0|1', 'auth0|2', T + 1000)
      expect(linked?.linked).toEqual([secondary])
      expect(linked?.profile.updated_at).toBe(new Date(T + 1000).toISOString())
      expect(await store.getUser('auth0|2')).toBeUndefined()
      expect(await store.findUser('Customers', 'ada')).toBeUndefined()
      expect((await store.getUser('auth0|1'))?.linked).toEqual([secondary])
      expect(await store.unlinkUser('auth0|1', 'auth0|nobody', T)).toBeUndefined()

      // While linked, its login name was taken: unlinking is a conflict and the link stays.
      await store.createUser(user('auth0|3', 'Customers', 'other@example.com', { username: 'ada' }))
      await expect(store.unlinkUser('auth0|1', 'auth0|2', T)).rejects.toEqual(conflict('duplicate_login'))
      expect((await store.getUser('auth0|1'))?.linked).toEqual([secondary])
      expect(await store.getUser('auth0|2')).toBeUndefined()
    })
  })

  it('users: role names are added (once, in order) and removed; the rest of the user is unchanged', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      const before = user('auth0|1', 'Employees', 'ada@example.com')
      await store.createUser(before)
      expect(await store.updateRoles('auth0|1', { add: ['writer', 'reader', 'admin', 'writer'], remove: [] })).toEqual(['reader', 'writer', 'admin'])
      expect(await store.updateRoles('auth0|1', { add: [], remove: ['reader', 'unheld'] })).toEqual(['writer', 'admin'])
      const after = await store.getUser('auth0|1')
      expect(after?.roles).toEqual(['writer', 'admin'])
      expect(after?.profile).toEqual(before.profile)
      expect(await store.updateRoles('auth0|nobody', { add: ['admin'], remove: [] })).toBeUndefined()
      expect(await store.getUser('auth0|nobody')).toBeUndefined()
    })
  })

  it('users: concurrent role assignments to one user all persist', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      await store.createUser(user('auth0|1', 'Employees', 'ada@example.com'))
      const names = Array.from({ length: 20 }, (_, i) => `role-${i}`)
      await Promise.all(names.map((name) => store.updateRoles('auth0|1', { add: [name], remove: [] })))
      expect([...((await store.getUser('auth0|1'))?.roles ?? [])].sort()).toEqual(['reader', ...names].sort())
    })
  })

  it('users: unlinking gives the account back as it was linked', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      await store.createUser(user('auth0|1', 'Employees', 'ada@example.com'))
      const secondary = user('auth0|2', 'Employees', 'ada.l@example.com')
      await store.createUser(secondary)
      await store.linkUser('auth0|1', 'auth0|2', T)
      const primary = await store.unlinkUser('auth0|1', 'auth0|2', T + 2000)
      expect(primary?.linked).toBeUndefined()
      expect(await store.getUser('auth0|2')).toEqual(secondary)
      expect((await store.findUser('Employees', 'ada.l@example.com'))?.profile.user_id).toBe('auth0|2')
    })
  })

  it('users: lists users in user_id order, by directory, a page at a time', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      await store.createDirectory({ id: 'con_2', name: 'Customers', metadata: {} })
      for (const [id, directory] of [
        ['auth0|c', 'Employees'],
        ['auth0|a', 'Customers'],
        ['auth0|b', 'Employees'],
        ['auth0|d', 'Employees'],
      ] as const) {
        await store.createUser(user(id, directory, `${id.slice(6)}@example.com`))
      }
      const ids = (users: UserRecord[]) => users.map((record) => record.profile.user_id)
      expect(ids(await store.listUsers({ offset: 0, limit: 10 }))).toEqual(['auth0|a', 'auth0|b', 'auth0|c', 'auth0|d'])
      expect(ids(await store.listUsers({ directory: 'Employees', offset: 0, limit: 2 }))).toEqual(['auth0|b', 'auth0|c'])
      expect(ids(await store.listUsers({ directory: 'Employees', offset: 2, limit: 2 }))).toEqual(['auth0|d'])
      expect(await store.listUsers({ directory: 'Nope', offset: 0, limit: 10 })).toEqual([])
      expect((await store.listUsers({ directory: 'Customers', offset: 0, limit: 1 }))[0]).toEqual(user('auth0|a', 'Customers', 'a@example.com'))
    })
  })

  it('users: deletes a user (its logins are free again) and says whether it existed', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      await store.createUser(user('auth0|1', 'Employees', 'ada@example.com', { username: 'ada' }))
      await store.createUser(user('auth0|2', 'Employees', 'bob@example.com'))
      expect(await store.deleteUser('auth0|1')).toBe(true)
      expect(await store.deleteUser('auth0|1')).toBe(false)
      expect(await store.getUser('auth0|1')).toBeUndefined()
      expect(await store.findUser('Employees', 'ada')).toBeUndefined()
      await store.createUser(user('auth0|3', 'Employees', 'ada@example.com', { username: 'ada' }))
      expect((await store.findUser('Employees', 'ADA'))?.profile.user_id).toBe('auth0|3')
      expect(await store.getUser('auth0|2')).toEqual(user('auth0|2', 'Employees', 'bob@example.com'))
    })
  })

  it('users: imports a batch whole (existing ids left as they are) or, on a taken login, not at all', async () => {
    await withStore(make, async (store) => {
      await store.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
      const existing = user('auth0|1', 'Employees', 'ada@example.com')
      await store.createUser(existing)
      // An imported hash (bcrypt, or any format the server reads) is stored as it is given.
      const bcrypt = { ...user('auth0|2', 'Employees', 'bob@example.com'), passwordHash: '$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K' }
      const changed = { ...user('auth0|1', 'Employees', 'ada@example.com', { name: 'changed' }) }
      expect(await store.importUsers([bcrypt, changed, user('auth0|3', 'Employees', 'carol@example.com', { username: 'carol' })])).toEqual([
        'created',
        'exists',
        'created',
      ])
      expect(await store.getUser('auth0|1')).toEqual(existing)
      expect(await store.getUser('auth0|2')).toEqual(bcrypt)
      expect((await store.findUser('Employees', 'CAROL'))?.profile.user_id).toBe('auth0|3')
      // The first login replaces the imported hash; the old one is gone.
      await store.setPasswordHash('auth0|2', '$scrypt$v=2$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', {
        at: T + 1000,
        reset: false,
      })
      expect((await store.getUser('auth0|2'))?.passwordHash).toMatch(/^\$scrypt\$/)
      // Re-running the same batch changes nothing.
      expect(await store.importUsers([bcrypt, changed])).toEqual(['exists', 'exists'])
      expect((await store.getUser('auth0|2'))?.passwordHash).toMatch(/^\$scrypt\$/)

      // A login taken by a stored user, or twice within the batch: nothing of the batch is written.
      const fresh = user('auth0|4', 'Employees', 'dave@example.com')
      await expect(store.importUsers([fresh, user('auth0|5', 'Employees', 'ADA@example.com')])).rejects.toEqual(conflict('duplicate_login'))
      await expect(store.importUsers([fresh, user('auth0|6', 'Employees', 'Dave@Example.com')])).rejects.toEqual(conflict('duplicate_login'))
      expect(await store.getUser('auth0|4')).toBeUndefined()
      expect(await store.getUser('auth0|6')).toBeUndefined()
      expect(await store.findUser('Employees', 'dave@example.com')).toBeUndefined()
      expect(await store.importUsers([])).toEqual([])
    })
  })
}

function token(id: string, familyId: string, extra: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    id,
    familyId,
    clientId: 'app',
    userId: 'auth0|1',
    directory: 'Employees',
    audience: 'https://api.example.com',
    scope: ['offline_access', 'read:messages'],
    authTime: T / 1000,
    mfa: false,
    createdAt: T,
    expiresAt: T + 86_400_000,
    ...extra,
  }
}

function refreshTokenStoreContract(make: Make<RefreshTokenStore>): void {
  it('refresh tokens: a token is rotated once, then reported as reused', async () => {
    await withStore(make, async (store) => {
      await store.save(token('t1', 'f1'))
      expect(await store.get('t1')).toEqual(token('t1', 'f1'))
      expect(await store.use('t1', T + 1)).toEqual({ outcome: 'rotated', record: token('t1', 'f1') })
      expect(await store.use('t1', T + 2)).toEqual({ outcome: 'reused', record: token('t1', 'f1') })
    })
  })

  it('refresh tokens: an id saved before is a conflict, and the stored token is unchanged', async () => {
    await withStore(make, async (store) => {
      await store.save(token('t1', 'f1'))
      await expect(store.save(token('t1', 'f2', { clientId: 'other' }))).rejects.toEqual(conflict('duplicate_refresh_token'))
      expect(await store.get('t1')).toEqual(token('t1', 'f1'))
      expect((await store.use('t1', T + 1))?.outcome).toBe('rotated')
    })
  })

  it('refresh tokens: state tells active, used and revoked apart without changing anything', async () => {
    await withStore(make, async (store) => {
      expect(store.state).toBeTypeOf('function')
      const state = (id: string) => (store.state as NonNullable<RefreshTokenStore['state']>).call(store, id)
      expect(await state('nope')).toBeUndefined()
      await store.save(token('s1', 'sf1'))
      await store.save(token('s2', 'sf1'))
      expect(await state('s1')).toBe('active')
      expect(await state('s1')).toBe('active')
      expect((await store.use('s1', T + 1))?.outcome).toBe('rotated')
      expect(await state('s1')).toBe('used')
      expect(await state('s2')).toBe('active')
      await store.revokeFamily('sf1', T + 2)
      expect(await state('s1')).toBe('revoked')
      expect(await state('s2')).toBe('revoked')
    })
  })

  it('refresh tokens: an unknown token is undefined', async () => {
    await withStore(make, async (store) => {
      expect(await store.get('nope')).toBeUndefined()
      expect(await store.use('nope', T)).toBeUndefined()
    })
  })

  it('refresh tokens: revoking a family revokes every token of it, and no other family', async () => {
    await withStore(make, async (store) => {
      await store.save(token('t1', 'f1'))
      await store.save(token('t2', 'f1'))
      await store.save(token('t3', 'f2'))
      await store.use('t1', T)
      await store.revokeFamily('f1', T)
      expect((await store.use('t1', T))?.outcome).toBe('revoked')
      expect((await store.use('t2', T))?.outcome).toBe('revoked')
      expect((await store.use('t3', T))?.outcome).toBe('rotated')
    })
  })

  it('refresh tokens: of concurrent uses exactly one rotates', async () => {
    await withStore(make, async (store) => {
      await store.save(token('t1', 'f1'))
      const uses = await Promise.all(Array.from({ length: 8 }, () => store.use('t1', T)))
      expect(uses.filter((u) => u?.outcome === 'rotated')).toHaveLength(1)
      expect(uses.filter((u) => u?.outcome === 'reused')).toHaveLength(7)
    })
  })
}

function mfaStoreContract(make: Make<MfaStore>): void {
  it('mfa: a transaction can be taken once', async () => {
    await withStore(make, async (store) => {
      const transaction = { id: 'm1', clientId: 'app', userId: 'auth0|1', expiresAt: T + 600_000, issuance: { scope: ['openid'] } }
      await store.saveTransaction(transaction)
      expect(await store.getTransaction('m1')).toEqual(transaction)
      expect(await store.takeTransaction('m1')).toEqual(transaction)
      expect(await store.takeTransaction('m1')).toBeUndefined()
      expect(await store.getTransaction('m1')).toBeUndefined()
    })
  })

  it('mfa: an enrollment is replaced, confirmed by the first step, and steps only move forward', async () => {
    await withStore(make, async (store) => {
      const enrollment = { userId: 'auth0|1', sealedSecret: 'v1.a', confirmed: false, lastStep: -1, recoveryCodes: ['h1', 'h2'], createdAt: T }
      await store.saveEnrollment(enrollment)
      await store.saveEnrollment({ ...enrollment, sealedSecret: 'v1.b' })
      expect(await store.getEnrollment('auth0|1')).toEqual({ ...enrollment, sealedSecret: 'v1.b' })
      expect(await store.useOtpStep('auth0|1', 100)).toBe(true)
      expect(await store.useOtpStep('auth0|1', 100)).toBe(false)
      expect(await store.useOtpStep('auth0|1', 99)).toBe(false)
      expect(await store.getEnrollment('auth0|1')).toMatchObject({ confirmed: true, lastStep: 100 })
      expect(await store.useOtpStep('auth0|nobody', 1)).toBe(false)
    })
  })

  it('mfa: a recovery code works once; an enrollment can be deleted', async () => {
    await withStore(make, async (store) => {
      await store.saveEnrollment({ userId: 'auth0|1', sealedSecret: 'v1.a', confirmed: true, lastStep: 5, recoveryCodes: ['h1', 'h2'], createdAt: T })
      expect(await store.useRecoveryCode('auth0|1', 'h1')).toBe(true)
      expect(await store.useRecoveryCode('auth0|1', 'h1')).toBe(false)
      expect((await store.getEnrollment('auth0|1'))?.recoveryCodes).toEqual(['h2'])
      await store.deleteEnrollment('auth0|1')
      expect(await store.getEnrollment('auth0|1')).toBeUndefined()
      expect(await store.useRecoveryCode('auth0|1', 'h2')).toBe(false)
    })
  })
}

function attemptStoreContract(make: Make<AttemptStore>): void {
  const settings = { now: T, windowMs: 60_000, threshold: 3 }
  const key = { subject: 'auth0|1', ip: '192.0.2.1' }

  it('attempts: counts up to the threshold, then blocks without counting', async () => {
    await withStore(make, async (store) => {
      expect(await store.attempt(key, settings)).toEqual({ blocked: false, failures: 1, expiresAt: T + 60_000 })
      await store.attempt(key, settings)
      expect(await store.attempt(key, { ...settings, now: T + 10 })).toEqual({ blocked: false, failures: 3, expiresAt: T + 60_010 })
      expect(await store.attempt(key, { ...settings, now: T + 20 })).toEqual({ blocked: true, failures: 3, expiresAt: T + 60_010 })
      expect(await store.attempt(key, { ...settings, now: T + 30 })).toEqual({ blocked: true, failures: 3, expiresAt: T + 60_010 })
    })
  })

  it('attempts: the count expires windowMs after the last counted attempt', async () => {
    await withStore(make, async (store) => {
      for (let i = 0; i < 3; i++) await store.attempt(key, settings)
      expect((await store.attempt(key, { ...settings, now: T + 59_999 })).blocked).toBe(true)
      expect(await store.attempt(key, { ...settings, now: T + 60_000 })).toEqual({ blocked: false, failures: 1, expiresAt: T + 120_000 })
    })
  })

  it('attempts: pairs are separate; reset forgets one pair, resetSubject every pair of the subject', async () => {
    await withStore(make, async (store) => {
      const other = { subject: 'auth0|1', ip: '192.0.2.2' }
      const stranger = { subject: 'auth0|2', ip: '192.0.2.1' }
      for (const k of [key, other, stranger]) for (let i = 0; i < 3; i++) await store.attempt(k, settings)
      await store.reset(key)
      expect((await store.attempt(key, settings)).failures).toBe(1)
      expect((await store.attempt(other, settings)).blocked).toBe(true)
      await store.resetSubject('auth0|1')
      expect((await store.attempt(key, settings)).failures).toBe(1)
      expect((await store.attempt(other, settings)).failures).toBe(1)
      expect((await store.attempt(stranger, settings)).blocked).toBe(true)
    })
  })

  it('attempts: concurrent attempts never pass the threshold', async () => {
    await withStore(make, async (store) => {
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => store.attempt(key, settings)))
      expect(outcomes.filter((o) => !o.blocked)).toHaveLength(3)
      expect(outcomes.filter((o) => o.blocked)).toHaveLength(7)
    })
  })

  const budget = { now: T, capacity: 3, refillMs: 60_000 }
  const otp = { subject: 'auth0|1', budget: 'otp' }

  it('guesses: a budget starts full, spends one guess per take, then refuses without changing', async () => {
    await withStore(make, async (store) => {
      expect(await store.takeGuess(otp, budget)).toEqual({ allowed: true, remaining: 2, nextAt: T + 60_000 })
      expect(await store.takeGuess(otp, { ...budget, now: T + 10 })).toEqual({ allowed: true, remaining: 1, nextAt: T + 60_000 })
      expect(await store.takeGuess(otp, { ...budget, now: T + 20 })).toEqual({ allowed: true, remaining: 0, nextAt: T + 60_000 })
      expect(await store.takeGuess(otp, { ...budget, now: T + 30 })).toEqual({ allowed: false, remaining: 0, nextAt: T + 60_000 })
      expect(await store.takeGuess(otp, { ...budget, now: T + 59_999 })).toEqual({ allowed: false, remaining: 0, nextAt: T + 60_000 })
    })
  })

  it('guesses: one guess comes back per whole refillMs, never past the capacity', async () => {
    await withStore(make, async (store) => {
      for (let i = 0; i < 3; i++) await store.takeGuess(otp, budget)
      // Two refills and a half: two guesses back, the next one due at T + 180 000.
      expect(await store.takeGuess(otp, { ...budget, now: T + 150_000 })).toEqual({ allowed: true, remaining: 1, nextAt: T + 180_000 })
      expect(await store.takeGuess(otp, { ...budget, now: T + 150_000 })).toEqual({ allowed: true, remaining: 0, nextAt: T + 180_000 })
      expect((await store.takeGuess(otp, { ...budget, now: T + 150_000 })).allowed).toBe(false)
      // A long time later the budget is full, not fuller.
      const later = T + 100 * 60_000
      expect(await store.takeGuess(otp, { ...budget, now: later })).toEqual({ allowed: true, remaining: 2, nextAt: later + 60_000 })
    })
  })

  it('guesses: returnGuess gives one guess back, never past the capacity', async () => {
    await withStore(make, async (store) => {
      for (let i = 0; i < 3; i++) await store.takeGuess(otp, budget)
      await store.returnGuess(otp, budget)
      expect(await store.takeGuess(otp, budget)).toEqual({ allowed: true, remaining: 0, nextAt: T + 60_000 })
      expect((await store.takeGuess(otp, budget)).allowed).toBe(false)
      const fresh = { subject: 'auth0|1', budget: 'fresh' }
      await store.returnGuess(fresh, budget)
      await store.returnGuess(fresh, budget)
      expect((await store.takeGuess(fresh, budget)).remaining).toBe(2)
    })
  })

  it('guesses: budgets are separate; resetSubject forgets those of the subject, reset of a pair none', async () => {
    await withStore(make, async (store) => {
      const token = { subject: 'auth0|1', budget: 'mfa_token:abc' }
      const stranger = { subject: 'auth0|2', budget: 'otp' }
      for (const k of [otp, token, stranger]) for (let i = 0; i < 3; i++) await store.takeGuess(k, budget)
      expect((await store.takeGuess({ subject: 'auth0|1', budget: 'recovery-code' }, budget)).remaining).toBe(2)
      await store.reset(key)
      expect((await store.takeGuess(otp, budget)).allowed).toBe(false)
      await store.resetSubject('auth0|1')
      expect((await store.takeGuess(otp, budget)).remaining).toBe(2)
      expect((await store.takeGuess(token, budget)).remaining).toBe(2)
      expect((await store.takeGuess(stranger, budget)).allowed).toBe(false)
    })
  })

  it('guesses: concurrent takes never pass the capacity', async () => {
    await withStore(make, async (store) => {
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.takeGuess(otp, { ...budget, capacity: 4 })))
      expect(outcomes.filter((o) => o.allowed)).toHaveLength(4)
      expect(outcomes.filter((o) => !o.allowed)).toHaveLength(16)
    })
  })
}

function keyStoreContract(make: Make<KeyStore>): void {
  it('keys: lists newest first and removes by kid', async () => {
    await withStore(make, async (store) => {
      const key = (kid: string, createdAt: number) => ({ kid, alg: 'ES256' as const, sealedPrivateJwk: `v1.${kid}`, publicJwk: { kty: 'EC', kid }, createdAt })
      await store.add(key('a', T))
      await store.add(key('b', T + 1))
      await store.add(key('c', T + 1))
      expect((await store.list()).map((k) => k.kid)).toEqual(['c', 'b', 'a'])
      expect((await store.list())[0]).toEqual(key('c', T + 1))
      await store.remove('b')
      expect((await store.list()).map((k) => k.kid)).toEqual(['c', 'a'])
      await expect(store.add(key('a', T + 2))).rejects.toEqual(conflict('duplicate_signing_key'))
      expect((await store.list()).map((k) => k.kid)).toEqual(['c', 'a'])
    })
  })

  it('keys: addFirst stores a key only on an empty store, and exactly one of concurrent calls wins', async () => {
    await withStore(make, async (store) => {
      if (store.addFirst === undefined) return
      const key = (kid: string) => ({ kid, alg: 'ES256' as const, sealedPrivateJwk: `v1.${kid}`, publicJwk: { kty: 'EC', kid }, createdAt: T })
      const won = await Promise.all(['n1', 'n2', 'n3', 'n4', 'n5'].map((kid) => (store.addFirst as NonNullable<KeyStore['addFirst']>)(key(kid))))
      expect(won.filter(Boolean)).toHaveLength(1)
      const stored = await store.list()
      expect(stored).toHaveLength(1)
      expect(stored[0]?.kid).toBe(['n1', 'n2', 'n3', 'n4', 'n5'][won.indexOf(true)])
      expect(await store.addFirst(key('later'))).toBe(false)
      expect((await store.list()).map((k) => k.kid)).toEqual([stored[0]?.kid])
    })
  })
}

function userinfoStoreContract(make: Make<UserinfoStore>): void {
  const record = (jti: string, expiresAt: number, claims: UserinfoRecord['claims'] = { 'https://example.com/roles': ['admin'] }): UserinfoRecord => ({
    jti,
    userId: 'auth0|alice',
    clientId: 'mobile',
    claims,
    expiresAt,
  })

  it('userinfo: keeps a record by jti until it expires, and never answers it after', async () => {
    await withStore(make, async (store) => {
      await store.save(record('at_1', T + 60_000), T)
      await store.save(record('at_2', T + 120_000, { 'https://example.com/plan': 'gold' }), T)
      expect(await store.get('at_1', T)).toEqual(record('at_1', T + 60_000))
      expect(await store.get('at_1', T + 59_999)).toEqual(record('at_1', T + 60_000))
      expect(await store.get('at_1', T + 60_000)).toBeUndefined()
      expect(await store.get('at_2', T + 60_000)).toEqual(record('at_2', T + 120_000, { 'https://example.com/plan': 'gold' }))
      expect(await store.get('at_unknown', T)).toBeUndefined()
    })
  })

  it('userinfo: saving a jti again replaces its record', async () => {
    await withStore(make, async (store) => {
      await store.save(record('at_1', T + 60_000), T)
      await store.save(record('at_1', T + 90_000, {}), T)
      expect(await store.get('at_1', T + 70_000)).toEqual(record('at_1', T + 90_000, {}))
    })
  })

  it('userinfo: writes past many expired records (a store may prune them as it writes) keep every live one', async () => {
    await withStore(make, async (store) => {
      await store.save(record('at_live', T + 10_000), T)
      for (let i = 0; i < 1_500; i++) await store.save(record(`at_old_${i}`, T + 1_000), T)
      for (let i = 0; i < 1_500; i++) await store.save(record(`at_new_${i}`, T + 10_000), T + 2_000)
      expect(await store.get('at_old_0', T + 2_000)).toBeUndefined()
      expect(await store.get('at_live', T + 2_000)).toEqual(record('at_live', T + 10_000))
      expect(await store.get('at_new_0', T + 2_000)).toEqual(record('at_new_0', T + 10_000))
      expect(await store.get('at_new_1499', T + 2_000)).toEqual(record('at_new_1499', T + 10_000))
    })
  })
}
