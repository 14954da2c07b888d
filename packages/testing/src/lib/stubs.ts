import { isPlainObject } from './merge.js'

/**
 * Host stubs as the engine can describe them to rules (functions, objects of functions, JSON
 * data), made "live": each function is a forwarder that looks its target up in the test's object
 * when the rule calls it. So a test may replace a stub after the rule was loaded
 * (`stubs.request.get = vi.fn(…)`, `mockImplementation`) and the rule calls the new one, as with
 * classic harnesses that `require` stubs at call time. Class instances (methods on the prototype)
 * work like object literals, with `this` bound to the instance.
 */
export function liveStubs(root: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | undefined {
  if (root === undefined) return undefined
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(root)) out[key] = live(root, [key], new Set())
  return out
}

/** One stub (not inside a record), live in the same way. */
export function liveStub(value: unknown): unknown {
  return live({ value }, ['value'], new Set())
}

function live(root: unknown, path: readonly string[], seen: Set<object>): unknown {
  const value = lookup(root, path)
  if (typeof value === 'function') {
    const fallback = value as (...args: unknown[]) => unknown
    return function stub(...args: unknown[]): unknown {
      const current = lookup(root, path)
      const owner = path.length > 1 ? lookup(root, path.slice(0, -1)) : undefined
      return Reflect.apply(typeof current === 'function' ? (current as (...a: unknown[]) => unknown) : fallback, owner, args)
    }
  }
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    value instanceof Date ||
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer
  ) {
    return value
  }
  if (seen.has(value)) return undefined
  seen.add(value)
  const out: Record<string, unknown> = {}
  for (const key of methodNames(value)) out[key] = live(root, [...path, key], seen)
  seen.delete(value)
  return out
}

/** Own enumerable keys, plus the methods of a class instance's prototypes. */
function methodNames(value: object): string[] {
  const names = Object.keys(value)
  if (isPlainObject(value)) return names
  for (
    let proto = Object.getPrototypeOf(value) as object | null;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || names.includes(key)) continue
      const descriptor = Object.getOwnPropertyDescriptor(proto, key)
      if (descriptor !== undefined && typeof descriptor.value === 'function') names.push(key)
    }
  }
  return names
}

function lookup(root: unknown, path: readonly string[]): unknown {
  let current = root
  for (const key of path) {
    if (current === null || (typeof current !== 'object' && typeof current !== 'function')) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/** Properties test frameworks put on mock functions (vitest, jest): not part of the stubbed API. */
function isMockMachinery(key: string): boolean {
  return key.startsWith('mock') || key.startsWith('_') || key === 'getMockName' || key === 'getMockImplementation' || key === 'withImplementation'
}

/**
 * The properties of top-level stubs that are functions *with* properties, like `request` (callable,
 * with `get` and `post`) or `axios`: the engine passes only the function, so these are sent beside
 * it (live, like every stub) and put back on it inside the sandbox by the prelude.
 */
export function callableProps(root: Readonly<Record<string, unknown>> | undefined): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {}
  if (root === undefined) return out
  for (const [name, value] of Object.entries(root)) {
    if (typeof value !== 'function') continue
    const keys = Object.keys(value).filter((key) => !isMockMachinery(key))
    if (keys.length === 0) continue
    const props: Record<string, unknown> = {}
    for (const key of keys) props[key] = live(root, [name, key], new Set())
    out[name] = props
  }
  return out
}
