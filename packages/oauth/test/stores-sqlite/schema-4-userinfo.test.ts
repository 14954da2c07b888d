/**
 * SQLite schema 4 (GET /userinfo's claims records): a database written at schema 3, with no
 * `userinfo` table, is migrated when opened, keeps its users, and stores userinfo records that
 * purgeExpired deletes once expired.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, expect, it } from 'vitest'
import { createSqliteStores } from '@tokenrules/oauth/sqlite'

const root = mkdtempSync(join(tmpdir(), 'tokenrules-sqlite-4-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const T = Date.UTC(2026, 0, 1)

/** The schema version a new database is created at. */
function latestVersion(): number {
  const path = join(root, `fresh-${Math.random().toString(36).slice(2)}.db`)
  createSqliteStores({ path }).close()
  const reader = new Database(path, { readonly: true })
  try {
    return reader.pragma('user_version', { simple: true }) as number
  } finally {
    reader.close()
  }
}

it('a schema-3 database is migrated to 4 on open: directories kept, userinfo records stored and purged', async () => {
  const path = join(root, 'old.db')
  const first = createSqliteStores({ path })
  await first.users.createDirectory({ id: 'con_1', name: 'Employees', metadata: {} })
  first.close()

  // What a database of the previous release looks like.
  const raw = new Database(path)
  raw.exec('DROP TABLE userinfo')
  raw.pragma('user_version = 3')
  raw.close()

  const stores = createSqliteStores({ path })
  try {
    const reader = new Database(path, { readonly: true })
    // Every later migration runs too: the file ends at the latest version.
    expect(reader.pragma('user_version', { simple: true })).toBe(latestVersion())
    reader.close()
    expect((await stores.users.listDirectories()).map((d) => d.name)).toEqual(['Employees'])
    const record = { jti: 'at_1', userId: 'auth0|1', clientId: 'app', claims: { 'https://example.com/x': 1 }, expiresAt: T + 1_000 }
    await stores.userinfo.save(record, T)
    expect(await stores.userinfo.get('at_1', T)).toEqual(record)
    expect(stores.purgeExpired(T + 999)).toBe(0)
    expect(stores.purgeExpired(T + 1_000)).toBe(1)
    expect(await stores.userinfo.get('at_1', T)).toBeUndefined()
  } finally {
    stores.close()
  }
})
