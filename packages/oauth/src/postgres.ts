/**
 * `@tokenrules/oauth/postgres`: every store of the token server in PostgreSQL, shared by many
 * token servers behind one name, on [pg](https://node-postgres.com) (a dependency of this
 * package, loaded only by this entry point), with versioned schema migrations.
 *
 * @packageDocumentation
 * @module @tokenrules/oauth/postgres
 */
export { createPostgresStores, migratePostgres, isPostgresOutage, POSTGRES_SCHEMA_VERSION } from './stores/postgres.js'
export type { PostgresStores, PostgresStoresOptions, PostgresMigration } from './stores/postgres.js'
