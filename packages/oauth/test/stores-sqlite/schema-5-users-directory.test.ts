/**
 * SQLite schema 5 (an operator's `tokenrules users list`): a database written at schema 4, without
 * the `users_directory` index, is migrated when opened, keeps its users, and lists them.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, expect, it } from 'vitest'
import { createSqliteStores } from '@tokenrules/oauth/sqlite'
import type { UserRecord } from '@tokenrules/oauth'

const root = mkdtempSync(join(tmpdir(), 'tokenrules-sqlite-5-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const T = Date.UTC(2026, 0, 1)
const user = (id: string, email: string): UserRecord => ({
  directory: 'Employees',
  passwordHash: '$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K',
  roles: [],
  profile: {
    user_id: id,
    email,
    created_at: new Date(T).toISOString(),
    updated_at: new Date(T).toISOString(),
    logins_count: 0,
    app_metadata: {},
    user_metadata: {},
  },
})

it('a schema-4 database is migrated to 5 on open: users kept, listed through the new index', async () => {
  const path = join(root, 'old.db')
  const first = createSqliteStores({ path })
  await first.users.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
  await first.users.createUser(user('auth0|2', 'bob@example.com'))
  await first.users.createUser(user('auth0|1', 'ada@example.com'))
  first.close()

  // What a database of schema 4 looks like: no users_directory index.
  const raw = new Database(path)
  raw.exec('DROP INDEX users_directory')
  raw.pragma('user_version = 4')
  raw.close()

  const stores = createSqliteStores({ path })
  try {
    const reader = new Database(path, { readonly: true })
    expect(reader.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(5)
    const plan = reader.prepare('EXPLAIN QUERY PLAN SELECT profile FROM users WHERE directory = ? ORDER BY user_id').all('Employees') as { detail: string }[]
    reader.close()
    expect(plan.map((step) => step.detail).join('\n')).toContain('users_directory')
    expect((await stores.users.listUsers({ directory: 'Employees', offset: 0, limit: 10 })).map((u) => u.profile.user_id)).toEqual(['auth0|1', 'auth0|2'])
  } finally {
    stores.close()
  }
})
