/**
 * SQLite schema 3 (the Management API's account linking): a database written at schema 2, with no
 * `users.linked` column, is migrated when opened, keeps its users, and links and unlinks them.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, expect, it } from 'vitest'
import { createSqliteStores } from '@tokenrules/oauth/sqlite'
import type { UserRecord } from '@tokenrules/oauth'

const root = mkdtempSync(join(tmpdir(), 'tokenrules-sqlite-3-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const T = Date.UTC(2026, 0, 1)
const SCHEMA_2_TABLES = new Set([
  'directories',
  'users',
  'refresh_tokens',
  'refresh_families',
  'mfa_transactions',
  'mfa_enrollments',
  'attempts',
  'signing_keys',
  'guesses',
])
const user = (id: string, email: string): UserRecord => ({
  directory: 'Employees',
  passwordHash: '$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
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

it('a schema-2 database is migrated to 3 on open: users kept, linking works', async () => {
  const path = join(root, 'old.db')
  const first = createSqliteStores({ path })
  await first.users.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
  await first.users.createUser(user('auth0|1', 'ada@example.com'))
  await first.users.createUser(user('auth0|2', 'ada.l@example.com'))
  first.close()

  // What a database of schema 2 looks like: no users.linked, none of the tables later schemas add.
  const raw = new Database(path)
  raw.exec('ALTER TABLE users DROP COLUMN linked')
  const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
  for (const { name } of tables) if (!SCHEMA_2_TABLES.has(name)) raw.exec(`DROP TABLE ${name}`)
  raw.pragma('user_version = 2')
  raw.close()

  const stores = createSqliteStores({ path })
  try {
    const reader = new Database(path, { readonly: true })
    const columns = (reader.pragma('table_info(users)') as { name: string }[]).map((column) => column.name)
    reader.close()
    expect(columns).toContain('linked')
    expect(await stores.users.getUser('auth0|1')).toEqual(user('auth0|1', 'ada@example.com'))
    expect((await stores.users.linkUser('auth0|1', 'auth0|2', T + 1000))?.linked).toEqual([user('auth0|2', 'ada.l@example.com')])
    expect(await stores.users.getUser('auth0|2')).toBeUndefined()
    expect((await stores.users.unlinkUser('auth0|1', 'auth0|2', T + 2000))?.linked).toBeUndefined()
    expect(await stores.users.getUser('auth0|2')).toEqual(user('auth0|2', 'ada.l@example.com'))
  } finally {
    stores.close()
  }
})
