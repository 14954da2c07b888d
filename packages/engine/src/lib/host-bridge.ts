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

import type { HostCallId, HostCalls, HostDescriptor } from '../guest/contract.js'
import { NO_CHARGE, type Charge, type RunBudget } from './budget.js'
import { HOST_BOUNDS, tooLarge } from './capabilities/bounds.js'

export type { HostDescriptor }

/** Whom a run is for: the login's user and client, as the run's input named them (rules cannot change these). */
export interface RunSubject {
  readonly userId: string
  readonly clientId: string | undefined
}

/** The run a host call belongs to. */
export interface CallContext {
  /** The run's user and client (engine runs; absent in a bare sandbox). */
  readonly subject?: RunSubject | undefined
  /** Milliseconds left of the run's budget. */
  remainingMs(): number
  /** Abort signal that fires when the run ends (done, failed or timed out). */
  readonly signal: AbortSignal
  /** Record something the result must report (e.g. a metadata update that was persisted). */
  record(kind: 'metadataUpdate', value: unknown): void
}

/**
 * The context of one host call: its run's, except that what the call records (a metadata update)
 * keeps the call's charge with the run until it is answered.
 */
export function withCharge(context: CallContext, charge: Charge): CallContext {
  return {
    subject: context.subject,
    remainingMs: () => context.remainingMs(),
    get signal() {
      return context.signal
    },
    record: (kind, value) => {
      charge.keep()
      context.record(kind, value)
    },
  }
}

/** A function the guest can call; receives decoded arguments. */
export type HostEntry = (args: unknown[], context: CallContext) => unknown

/**
 * An engine capability: what {@link HostCalls} says its id takes and gives. The arguments come
 * from the engine's guest code (their shape is the type), but their values from rules: check them.
 */
export type HostCapability<K extends HostCallId> = (args: HostCalls[K]['args'], context: CallContext) => HostCalls[K]['result']

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
  /** Bytes the host may hold for one run of these functions' engine (lib/budget.ts). */
  readonly runBudgetBytes: number

  constructor(runBudgetBytes = Infinity) {
    this.runBudgetBytes = runBudgetBytes
  }

  /**
   * Register an engine capability under its id. Capabilities take data only: a function among the
   * arguments (a rule's, which the host holds as a callback) is refused before the capability runs,
   * so no capability can call it, stringify it or hand it back.
   */
  register<K extends HostCallId>(id: K, entry: HostCapability<K>): void {
    const capability = entry as unknown as HostEntry
    this.#entries.set(id, (args, context) => {
      refuseFunctions(args, id)
      return capability(args, context)
    })
  }

  /**
   * Register an engine capability whose answer is a promise (work on the worker pool): the guest
   * waits for it through `hostAwait`, so it needs no result type of its own. It receives the
   * arguments as decoded and checks them itself.
   */
  registerAwaited(id: HostCallId, entry: (args: unknown[], context: CallContext) => Promise<unknown>): void {
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
      // A function with members (the shape of `request` and `axios`: callable, with .get/.post):
      // its methods and primitive members come along; other members (a mock's bookkeeping) do not.
      const members = fn as unknown as Record<string, unknown>
      const keys = Object.keys(fn).filter((key) => {
        const member = members[key]
        return typeof member === 'function' || typeof member === 'string' || typeof member === 'number' || typeof member === 'boolean'
      })
      if (keys.length === 0) return { kind: 'function', id }
      const props: Record<string, HostDescriptor> = {}
      for (const key of keys) props[key] = this.describe(members[key], `${path}.${key}`, fn)
      return { kind: 'function', id, props }
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && containsFunction(value)) {
      const props: Record<string, HostDescriptor> = {}
      for (const key of memberNames(value)) {
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

/** Own enumerable keys, plus the methods of a class instance's prototypes (not Object's). */
function memberNames(value: object): string[] {
  const names = new Set(Object.keys(value))
  for (let proto = Object.getPrototypeOf(value); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key)
      if (key !== 'constructor' && d !== undefined && typeof d.value === 'function') names.add(key)
    }
  }
  return [...names]
}

function containsFunction(value: object, seen = new Set<object>()): boolean {
  if (seen.has(value)) return false
  seen.add(value)
  return memberNames(value).some((key) => {
    const v = (value as Record<string, unknown>)[key]
    return typeof v === 'function' || (v !== null && typeof v === 'object' && containsFunction(v, seen))
  })
}

/** Throws a TypeError when a decoded argument holds a function anywhere (arrays and plain objects). */
function refuseFunctions(value: unknown, id: string, depth = 0): void {
  if (typeof value === 'function') throw new TypeError(`A function cannot be passed to the engine's ${id.slice(1)}; pass data.`)
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || depth > 64) return
  const items = Array.isArray(value) ? (value as unknown[]) : Object.values(value)
  for (const item of items) refuseFunctions(item, id, depth + 1)
}

/**
 * A host function that calls the guest function `fnId`. Bound, so that its source is V8's
 * `function () { [native code] }`: a stub that stringifies an argument (`'bad id ' + id`), or a
 * library that reads `Function.prototype.toString`, never hands the engine's source to the rule.
 */
function guestCallback(fnId: number, callGuest: (fnId: number, args: unknown[]) => void): (...args: unknown[]) => void {
  return Function.prototype.bind.call((...args: unknown[]) => callGuest(fnId, args), undefined) as (...args: unknown[]) => void
}

/**
 * Decode arguments from the guest. Guest functions become host functions that call back into the
 * guest through `callGuest` (asynchronously, after the current call returns). With a run's
 * `budget` (lib/budget.ts), the text is charged before it is parsed (a {@link HostMemoryError} past
 * the budget) and the charge comes back with the value: the caller releases it when the call is over.
 */
export function decodeFromGuest(
  text: string,
  callGuest: (fnId: number, args: unknown[]) => void,
  budget?: RunBudget,
): { value: unknown; callbacks: number; charge: Charge } {
  // The guest checks this bound before the text leaves the isolate; this is the host's own check.
  if (text.length > HOST_BOUNDS.maxCallChars) throw tooLarge("A host call's arguments", text.length, HOST_BOUNDS.maxCallChars)
  const charge = budget === undefined ? NO_CHARGE : budget.charge(text, "A host call's arguments")
  let callbacks = 0
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
          callbacks++
          return guestCallback(fnId, callGuest)
        }
      }
      return undefined
    }
    // An undefined member is left out, as JSON would; a key escaped with the marker loses one.
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(record)) {
      const item = revive(record[key])
      const name = key.startsWith(MARK) ? key.slice(1) : key
      if (item !== undefined) Object.defineProperty(out, name, { value: item, enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  let value: unknown
  try {
    value = revive(JSON.parse(text))
  } catch (error) {
    charge.release()
    throw error
  }
  return { value, callbacks, charge }
}

/**
 * Encode a host value for the guest: JSON, with undefined, bytes and errors marked, functions
 * members left out. A function or a cycle is a TypeError, unless `lenient`: a callback-style host
 * API often returns a handle (a Timeout, a request object) the rule never looks at, and that handle
 * then arrives as undefined.
 */
export function encodeForGuest(value: unknown, lenient = false): string {
  const refuse = (what: string, path: string) => {
    if (lenient) return { [MARK]: 'u' }
    throw new TypeError(`A host function returned ${what} at ${path}; only data can cross into the sandbox.`)
  }
  const seen = new Set<object>()
  const walk = (v: unknown, path: string): unknown => {
    if (v === undefined) return { [MARK]: 'u' }
    if (typeof v === 'function') return refuse('a function', path)
    if (typeof v === 'bigint') return v.toString()
    if (typeof v === 'symbol') return { [MARK]: 'u' }
    if (v === null || typeof v !== 'object') return v
    if (v instanceof Uint8Array) return { [MARK]: 'b', d: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }
    if (v instanceof ArrayBuffer) return { [MARK]: 'b', d: Buffer.from(v).toString('base64') }
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString()
    if (seen.has(v)) return refuse('a circular value', path)
    seen.add(v)
    let out: unknown
    if (Array.isArray(v)) out = Array.from({ length: v.length }, (_, i) => walk((v as unknown[])[i], `${path}[${i}]`))
    else if (v instanceof Map) out = walkMap(v, path)
    else if (v instanceof Error) out = { [MARK]: 'e', name: textOf(v.name, 'Error'), message: textOf(v.message, ''), props: walkProps(v, path) }
    else out = walkProps(v, path)
    seen.delete(v)
    return out
  }
  const walkProps = (v: object, path: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(v)) {
      const item = (v as Record<string, unknown>)[key]
      if (typeof item === 'function') continue
      const name = key.startsWith(MARK) ? MARK + key : key
      Object.defineProperty(out, name, { value: walk(item, `${path}.${key}`), enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  // A Map's keys become property names only when they are strings or numbers: String() of any
  // other key would run its toString (a host function's source, say).
  const walkMap = (v: Map<unknown, unknown>, path: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const [k, item] of v) {
      if (typeof k !== 'string' && typeof k !== 'number') continue
      const key = String(k)
      const name = key.startsWith(MARK) ? MARK + key : key
      Object.defineProperty(out, name, { value: walk(item, `${path}.${key}`), enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  return JSON.stringify(walk(value, 'result'))
}

/** A name or message for the guest: a string as it is, anything else (a function, an object with toJSON) as `fallback`. */
function textOf(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback
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
    return { name: textOf(error.name, 'Error'), message: textOf(error.message, ''), props }
  }
  return { name: 'Error', message: typeof error === 'string' ? error : 'A host function failed.', props: {} }
}
