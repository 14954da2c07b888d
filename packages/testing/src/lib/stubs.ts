import { isPlainObject } from './merge.js'

/**
 * Host stubs as the engine can describe them to rules: functions, objects of functions, JSON data.
 * Class instances (a client whose methods live on its prototype) become plain objects of their
 * methods bound to the instance, so `new FakeClient()` works as a stub as well as an object literal.
 */
export function normalizeStub(value: unknown, seen = new Set<object>()): unknown {
  if (typeof value === 'function' || value === null || typeof value !== 'object') return value
  if (Array.isArray(value) || value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value
  if (seen.has(value)) return value
  seen.add(value)
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) out[key] = normalizeStub((value as Record<string, unknown>)[key], seen)
  if (!isPlainObject(value)) {
    for (let proto = Object.getPrototypeOf(value) as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        if (key === 'constructor' || Object.hasOwn(out, key)) continue
        const descriptor = Object.getOwnPropertyDescriptor(proto, key)
        if (descriptor !== undefined && typeof descriptor.value === 'function') {
          out[key] = (descriptor.value as (...args: unknown[]) => unknown).bind(value)
        }
      }
    }
  }
  seen.delete(value)
  return out
}

/** {@link normalizeStub} for every entry of a record. */
export function normalizeStubs(record: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | undefined {
  if (record === undefined) return undefined
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) out[key] = normalizeStub(value)
  return out
}
