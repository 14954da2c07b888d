/**
 * One piece of the guest runtime in a bare isolate, without an engine: primordials.js and the
 * files named, bound to inert bootstrap inputs, with named functions of theirs callable from the
 * host through JSON.
 */
import ivm from 'isolated-vm'
import { guestClosure } from '../../src/lib/guest-source.js'
import type { SandboxSettings } from '../../src/guest/contract.js'

export const SETTINGS: SandboxSettings = {
  configuration: {},
  noBrowserProtocols: [],
  maxLogEntries: 100,
  maxTimers: 10,
  maxClaimsBytes: 1_000,
  maxUserBytes: 10_000,
  caps: { maxWarnings: 5, maxMetadataUpdates: 3, maxPendingHostOperations: 5, maxCallbacks: 5 },
  maxHostCallChars: 2 * 1024 * 1024,
  offHeapBytes: 32 * 1024 * 1024,
  webAssembly: false,
  modules: {},
  globals: {},
  process: { env: {} },
  auth0: { domain: undefined, baseUrl: undefined, accessToken: false },
  fetch: false,
  clock: false,
  random: false,
  remote: false,
  actions: [],
  ruleIds: {},
}

/** What a guest function did: its value (as JSON), or what it threw. */
export type GuestOutcome = { value: unknown } | { thrown: { message: unknown; path: unknown } }

export interface GuestPiece extends AsyncDisposable {
  /** Call the guest function `name` with `args` (JSON data); bytes come back as number arrays. */
  call(name: string, ...args: unknown[]): GuestOutcome
  /** The same, with the arguments written as guest source (`'{ a: NaN }, "path"'`). */
  callWith(name: string, argsSource: string): GuestOutcome
}

/** Load primordials.js, then `files`, exposing the functions `names`. */
export async function loadGuest(files: readonly string[], names: readonly string[], settings: Partial<SandboxSettings> = {}): Promise<GuestPiece> {
  const isolate = new ivm.Isolate({ memoryLimit: 32 })
  const context = await isolate.createContext()
  const exposed = `{ ${names.join(', ')} }`
  // Test code, not guest code: it may call built-ins as it likes.
  const returns = `function probe(name, argsSource) {
    const fn = (${exposed})[name];
    try {
      const v = fn.apply(undefined, (0, eval)('[' + argsSource + ']'));
      return JSON.stringify({ value: ArrayBuffer.isView(v) ? Array.from(v) : v === undefined ? '<undefined>' : v });
    } catch (e) {
      return JSON.stringify({ thrown: { message: e === null || e === undefined ? String(e) : e.message, path: e === null || e === undefined ? undefined : e.path } });
    }
  }`
  const noop = new ivm.Callback(() => undefined)
  const probe = (await context.evalClosure(
    guestClosure(['primordials.js', ...files], returns),
    [
      noop,
      JSON.stringify({ ...SETTINGS, ...settings }),
      new ivm.Callback(() => '{"e":{"name":"Error","message":"no host here","props":{}}}'),
      '',
      new ivm.ExternalCopy(new SharedArrayBuffer(4)).copyInto({ release: true }),
      '',
      new ivm.Reference(() => '{"e":{"name":"Error","message":"no host here","props":{}}}'),
    ],
    { result: { reference: true }, timeout: 1_000 },
  )) as ivm.Reference<(name: string, argsSource: string) => string>
  const callWith = (name: string, argsSource: string) =>
    JSON.parse(probe.applySync(undefined, [name, argsSource], { timeout: 1_000 }) as string) as GuestOutcome
  return {
    call: (name, ...args) => callWith(name, JSON.stringify(args).slice(1, -1)),
    callWith,
    async [Symbol.asyncDispose]() {
      probe.release()
      if (!isolate.isDisposed) isolate.dispose()
    },
  }
}
