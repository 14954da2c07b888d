/**
 * Host functions that rules may call across the sandbox boundary: the integrator's stubs
 * (`globals`, `modules.host`) and the engine's own capabilities (HTTP, crypto, `auth0`).
 *
 * Only data crosses. The guest calls one synchronous entry with JSON text naming a target id and
 * the arguments; a host function's plain result comes straight back, a promise comes back as a
 * pending operation that the host settles later by entering the guest. Functions the guest passes
 * as arguments (callbacks) become host functions that, when called, enter the guest again with the
 * copied arguments. No host object, and no isolated-vm object, is ever handed to rules.
 */

/** What the guest learns about a host value: its shape, with functions replaced by ids. */
export type HostDescriptor =
  | { kind: 'function'; id: string }
  | { kind: 'object'; props: Record<string, HostDescriptor> }
  | { kind: 'value'; json: string }

/** The run a host call belongs to. */
export interface CallContext {
  /** Milliseconds left of the run's budget. */
  remainingMs(): number
  /** Abort signal that fires when the run ends (done, failed or timed out). */
  readonly signal: AbortSignal
  /** Record something the result must report (e.g. a metadata update that was persisted). */
  record(kind: 'metadataUpdate', value: unknown): void
}

/** A function the guest can call; receives decoded arguments. */
export type HostEntry = (args: unknown[], context: CallContext) => unknown

/** Marker key of encoded non-JSON values: `{ "\u0000": "u" }` is undefined, `"f"` a guest function, `"b"` bytes. */
export const MARK = '\u0000'

/** Error reported to the guest when a host function throws; becomes an Error there. */
export interface EncodedError {
  name: string
  message: string
  props: Record<string, unknown>
}

/** All host functions of one engine, by id. */
export class HostRegistry {
  readonly #entries = new Map<string, HostEntry>()
  #next = 0

  /** Register an engine capability under a fixed id. */
  register(id: string, entry: HostEntry): void {
    this.#entries.set(id, entry)
  }

  get(id: string): HostEntry | undefined {
    return this.#entries.get(id)
  }

  /**
   * Describe an integrator's value for the guest: functions (called with their owner as `this`),
   * objects of functions (recursively), and JSON data. Throws a TypeError for anything else.
   */
  describe(value: unknown, path: string, owner?: object): HostDescriptor {
    if (typeof value === 'function') {
      const id = `stub:${this.#next++}:${path}`
      const fn = value as (...args: unknown[]) => unknown
      this.#entries.set(id, (args) => Reflect.apply(fn, owner, args))
      return { kind: 'function', id }
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && containsFunction(value)) {
      const props: Record<string, HostDescriptor> = {}
      for (const key of Object.keys(value)) {
        props[key] = this.describe((value as Record<string, unknown>)[key], `${path}.${key}`, value)
      }
      return { kind: 'object', props }
    }
    let json: string | undefined
    try {
      json = JSON.stringify(value)
    } catch (error) {
      throw new TypeError(`${path} is neither a function, an object of functions, nor JSON data: ${(error as Error).message}`)
    }
    if (json === undefined) throw new TypeError(`${path} is neither a function, an object of functions, nor JSON data`)
    return { kind: 'value', json }
  }
}

function containsFunction(value: object, seen = new Set<object>()): boolean {
  if (seen.has(value)) return false
  seen.add(value)
  return Object.values(value).some(
    (v) => typeof v === 'function' || (v !== null && typeof v === 'object' && containsFunction(v, seen)),
  )
}

/**
 * Decode arguments from the guest. Guest functions become host functions that call back into the
 * guest through `callGuest` (asynchronously, after the current call returns).
 */
export function decodeFromGuest(text: string, callGuest: (fnId: number, args: unknown[]) => void): unknown {
  const revive = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(revive)
    if (value === null || typeof value !== 'object') return value
    const record = value as Record<string, unknown>
    if (Object.hasOwn(record, MARK)) {
      switch (record[MARK]) {
        case 'u':
          return undefined
        case 'b':
          return Buffer.from(String(record['d']), 'base64')
        case 'f': {
          const fnId = Number(record['id'])
          return (...args: unknown[]) => callGuest(fnId, args)
        }
      }
      return undefined
    }
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(record)) {
      Object.defineProperty(out, key, { value: revive(record[key]), enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  return revive(JSON.parse(text))
}

/** Encode a host value for the guest: JSON, with undefined and bytes marked. Functions are refused. */
export function encodeForGuest(value: unknown): string {
  const seen = new Set<object>()
  const walk = (v: unknown, path: string): unknown => {
    if (v === undefined) return { [MARK]: 'u' }
    if (typeof v === 'function') throw new TypeError(`A host function returned a function at ${path}; only data can cross into the sandbox.`)
    if (typeof v === 'bigint') return v.toString()
    if (typeof v === 'symbol') return { [MARK]: 'u' }
    if (v === null || typeof v !== 'object') return v
    if (v instanceof Uint8Array) return { [MARK]: 'b', d: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }
    if (v instanceof ArrayBuffer) return { [MARK]: 'b', d: Buffer.from(v).toString('base64') }
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString()
    if (seen.has(v)) throw new TypeError(`A host function returned a circular value at ${path}.`)
    seen.add(v)
    let out: unknown
    if (Array.isArray(v)) out = v.map((item, i) => walk(item, `${path}[${i}]`))
    else if (v instanceof Map) out = Object.fromEntries([...v].map(([k, item]) => [String(k), walk(item, `${path}.${String(k)}`)]))
    else if (v instanceof Error) out = { name: v.name, message: v.message, ...walkProps(v, path) }
    else out = walkProps(v, path)
    seen.delete(v)
    return out
  }
  const walkProps = (v: object, path: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(v)) {
      const item = (v as Record<string, unknown>)[key]
      if (typeof item === 'function') continue
      Object.defineProperty(out, key, { value: walk(item, `${path}.${key}`), enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  return JSON.stringify(walk(value, 'result'))
}

/** A thrown host value as data for the guest (name, message, and JSON-safe own properties). */
export function encodeError(error: unknown): EncodedError {
  if (error instanceof Error) {
    const props: Record<string, unknown> = {}
    for (const key of Object.keys(error)) {
      const value = (error as unknown as Record<string, unknown>)[key]
      try {
        props[key] = JSON.parse(encodeForGuest(value))
      } catch {
        // Leave out what cannot cross.
      }
    }
    return { name: error.name, message: error.message, props }
  }
  return { name: 'Error', message: typeof error === 'string' ? error : 'A host function failed.', props: {} }
}
