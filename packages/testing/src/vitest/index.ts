/**
 * `@tokenrules/testing/vitest`: everything of `@tokenrules/testing`, plus its matchers registered
 * on vitest's `expect` (with types), and `closeAll()` after each test file so no isolate outlives
 * its tests. Import it in a test file or in a vitest `setupFiles` entry.
 *
 * @example
 * ```ts
 * import { expect, it } from 'vitest'
 * import { runRules } from '@tokenrules/testing/vitest'
 *
 * it('adds the plan claim', async () => {
 *   const result = await runRules({
 *     rules: [`function (user, context, callback) {
 *       context.accessToken['https://acme.example/plan'] = user.app_metadata.plan;
 *       callback(null, user, context);
 *     }`],
 *     user: { app_metadata: { plan: 'gold' } },
 *   })
 *   expect(result).toHaveClaim('accessToken', 'https://acme.example/plan', 'gold')
 * })
 * ```
 *
 * @module @tokenrules/testing/vitest
 */
import { afterAll, expect } from 'vitest'
import { closeAll } from '../resources.js'
import { tokenRulesMatchers, type TokenRulesMatchers } from './matchers.js'

expect.extend(tokenRulesMatchers)

try {
  afterAll(closeAll)
} catch {
  // Imported outside a test file's collection (e.g. by a tool): nothing to clean up after.
}

export * from '../index.js'
export { tokenRulesMatchers }
export type { TokenRulesMatchers, TokenName } from './matchers.js'

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends TokenRulesMatchers<T> {}
}
