import type { JsonValue } from '@tokenrules/engine'

/** Auth0's metadata update: top-level keys merge, a `null` value removes the key. */
export function mergeMetadata(current: Record<string, JsonValue>, update: Record<string, JsonValue>): Record<string, JsonValue> {
  const next: Record<string, JsonValue> = { ...current }
  for (const [key, value] of Object.entries(update)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue
    if (value === null) delete next[key]
    else next[key] = value
  }
  return next
}

/** Lower-cased login name, the key users are found by. */
export function loginKey(value: string): string {
  return value.normalize('NFC').toLowerCase()
}

/** `roles` with each of `add` it lacks appended, then without each of `remove` (role assignment, as `UserStore.updateRoles` defines it). */
export function changedRoles(roles: readonly string[], change: { add: readonly string[]; remove: readonly string[] }): string[] {
  const out = [...roles]
  for (const name of change.add) if (!out.includes(name)) out.push(name)
  const removed = new Set(change.remove)
  return out.filter((name) => !removed.has(name))
}
