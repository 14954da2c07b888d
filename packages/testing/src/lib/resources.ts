/** Something the kit opened that holds isolates until it is closed. */
export interface Closable {
  close(): Promise<void>
}

const open = new Set<Closable>()

export function track(resource: Closable): void {
  open.add(resource)
}

export function untrack(resource: Closable): void {
  open.delete(resource)
}

/**
 * Close every engine the kit has open: those of `createRuleRunner` runners and of rules loaded with
 * `loadRule` (a loaded rule stays usable and starts a fresh engine on its next call). The vitest
 * entry, `@tokenrules/testing/vitest`, calls it after each test file.
 *
 * @example
 * ```ts
 * import { afterAll } from 'vitest'
 * import { closeAll } from '@tokenrules/testing'
 *
 * afterAll(closeAll)
 * ```
 */
export async function closeAll(): Promise<void> {
  const closing = [...open].map((resource) => resource.close())
  open.clear()
  await Promise.allSettled(closing)
}

/** How many engines the kit has open now (for leak checks in tests). */
export function openEngineCount(): number {
  return open.size
}
