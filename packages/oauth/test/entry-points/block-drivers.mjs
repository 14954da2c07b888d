// Preloaded into a child process: better-sqlite3 and @redis/client cannot be resolved, as in an
// application that installed neither. Every attempt to resolve one is recorded in
// globalThis.driverLookups, so a test can tell "never looked for" from "looked for and missed".
import { registerHooks } from 'node:module'

const drivers = ['better-sqlite3', '@redis/client']
globalThis.driverLookups = []
registerHooks({
  resolve(specifier, context, next) {
    if (drivers.some((name) => specifier === name || specifier.startsWith(`${name}/`))) {
      globalThis.driverLookups.push(specifier)
      throw Object.assign(new Error(`Cannot find package '${specifier}' imported from ${context.parentURL}`), { code: 'ERR_MODULE_NOT_FOUND' })
    }
    return next(specifier, context)
  },
})
