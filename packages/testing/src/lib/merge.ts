/** Whether `value` is a plain object (not an array, a Date, a class instance, …). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/**
 * A fresh deep copy of `base` with `overrides` merged in: plain objects merge key by key, anything
 * else (arrays included) replaces, and an `undefined` value removes the key.
 */
export function deepMerge<T>(base: T, overrides: unknown): T {
  if (overrides === undefined) return clone(base)
  if (!isPlainObject(base) || !isPlainObject(overrides)) return clone(overrides) as T
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(base)) define(out, key, clone(base[key]))
  for (const key of Object.keys(overrides)) {
    const value = overrides[key]
    if (value === undefined) delete out[key]
    else define(out, key, Object.hasOwn(base, key) ? deepMerge(base[key], value) : clone(value))
  }
  return out as T
}

/** A deep copy of plain data: plain objects and arrays are copied, anything else is shared. */
export function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => clone(item)) as T
  if (!isPlainObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) define(out, key, clone(value[key]))
  return out as T
}

/** Set an own property even when it is named `__proto__`. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}
