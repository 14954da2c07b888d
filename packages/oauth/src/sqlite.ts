/**
 * `@tokenrules/oauth/sqlite`: every store of the token server in one SQLite file, on
 * [better-sqlite3](https://github.com/WiseLibs/better-sqlite3), an optional peer dependency that
 * only this entry point loads (`npm install better-sqlite3`).
 *
 * @packageDocumentation
 * @module @tokenrules/oauth/sqlite
 */
export { createSqliteStores } from './stores/sqlite.js'
export type { SqliteStores, SqliteStoresOptions } from './stores/sqlite.js'
