import { openResources } from './lib/resources.js'

/**
 * Close every engine the kit has open: those of `createRuleRunner` runners and of rules loaded with
 * `loadRule` (a loaded rule stays usable and starts a fresh engine on its next call). The vitest
 * entry, `@tokenrules/testing/vitest`, calls it after each test file.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { closeAll, createRuleRunner, loadRule, makeContext, makeUser, openEngineCount } from '@tokenrules/testing'
 *
 * // In a test file: afterAll(closeAll)
 * const script = 'function (user, context, callback) { callback(null, user, context); }'
 * const before = openEngineCount()
 * const runner = await createRuleRunner({ rules: [script] })
 * const rule = loadRule(script)
 * await rule(makeUser(), makeContext())
 * assert.equal(openEngineCount(), before + 2)
 * await closeAll()
 * assert.equal(openEngineCount(), 0)
 * await rule(makeUser(), makeContext()) // a loaded rule starts a fresh engine
 * await rule.close()
 * await assert.rejects(runner.run(), { code: 'ERR_ENGINE_CLOSED' })
 * ```
 */
export async function closeAll(): Promise<void> {
  const open = openResources()
  const closing = [...open].map((resource) => resource.close())
  open.clear()
  await Promise.allSettled(closing)
}

/**
 * How many engines the kit has open now (for leak checks in tests): runners not closed yet, and
 * loaded rules that have run and were not closed.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createRuleRunner, openEngineCount } from '@tokenrules/testing'
 *
 * const before = openEngineCount()
 * {
 *   await using runner = await createRuleRunner({ rules: ['function (user, context, callback) { callback(null, user, context); }'] })
 *   await runner.run()
 *   assert.equal(openEngineCount(), before + 1)
 * }
 * assert.equal(openEngineCount(), before)
 * ```
 */
export function openEngineCount(): number {
  return openResources().size
}
