/**
 * `@tokenrules/oauth/testing`: the store contract as vitest tests, for anyone writing a store for
 * their own database. Needs vitest, an optional peer dependency that only this entry point loads.
 *
 * @packageDocumentation
 * @module @tokenrules/oauth/testing
 */
export { describeStoreContract } from './stores/contract.js'
export type { StoreContractFactories } from './stores/contract.js'
