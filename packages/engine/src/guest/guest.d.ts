/**
 * The guest runtime's view of its world, for TypeScript's checkJs (tsconfig.json beside this file).
 * The `.js` files of this folder are scripts: the host concatenates them, in the order of
 * `GUEST_FILES` in lib/guest-source.ts, into the body of one strict function, so their top-level
 * declarations share one scope, the bootstrap inputs below are that function's named parameters,
 * and nothing they declare is a global of the sandbox.
 */

type GuestInputs = import('./contract.js').GuestInputs
type SandboxSettings = import('./contract.js').SandboxSettings
type HostDescriptor = import('./contract.js').HostDescriptor
type ActionSettings = import('./contract.js').ActionSettings
type HostCalls = import('./contract.js').HostCalls
type HostCallId = import('./contract.js').HostCallId
type HttpRequestSpec = import('./contract.js').HttpRequestSpec
type HttpResponseData = import('./contract.js').HttpResponseData

// ---- the bootstrap inputs (GuestInputs), bound by name by the host --------------------------------
declare const notify: GuestInputs['notify']
declare const settingsJson: GuestInputs['settingsJson']
declare const hostInvoke: GuestInputs['hostInvoke']
declare const bufferSource: GuestInputs['bufferSource']
declare const runningRuleBuffer: GuestInputs['runningRuleBuffer']
declare const cryptoSource: GuestInputs['cryptoSource']
declare const hostAwait: GuestInputs['hostAwait']

// ---- what the isolate has beyond TypeScript's ECMAScript library -------------------------------
interface ErrorConstructor {
  /** V8's: sets `target.stack`, leaving out the frames above `constructorOpt`. */
  captureStackTrace(target: object, constructorOpt?: Function): void
}
/** V8's WebAssembly namespace (the guest only wraps `Memory`). */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number
    maximum?: number
    shared?: boolean
  }
  interface Memory {
    readonly buffer: ArrayBuffer
  }
  var Memory: { prototype: Memory; new (descriptor: MemoryDescriptor): Memory }
}

// ---- the instance state of the guest's constructor functions (set with define()) -----------------
/** @noble/hashes' incremental state of a hash or an HMAC. */
interface NobleHasher {
  update(data: Uint8Array): NobleHasher
  digest(): Uint8Array
  clone(): NobleHasher
}
interface Hash {
  _hasher: NobleHasher
  _key: Uint8Array | undefined
  _done: boolean
}
interface ResultError {
  message: string
  path: string
  /** The same path as keys, its string root first. */
  keys: (string | number)[]
}
interface TooLargeError {
  path: string
}
interface TextDecoder {
  encoding: string
  fatal: boolean
  ignoreBOM: boolean
}
interface URLSearchParams {
  _list: [string, string][]
  _url: URL | null
  _update(): void
  toString(): string
}
interface URL extends UrlPartsOfGuest {
  _parts: import('./contract.js').UrlParts
  _params: URLSearchParams
  _setSearch(search: string): void
}
type UrlPartsOfGuest = import('./contract.js').UrlParts
interface Headers {
  _map: Record<string, string>
}
interface Response {
  _res: HttpResponseData
  _used: boolean
  _consume(): Promise<Uint8Array>
  text(): Promise<string>
}
