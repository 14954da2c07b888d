/**
 * jsonwebtoken's host half (jwt.ts: key parsing, which may run a passphrase's key derivation, and
 * HS/RS/PS/ES signatures) runs on the worker pool, never on the main thread: a 4096-bit RSA
 * signature costs milliseconds, a 16384-bit one or an encrypted key with a large iteration count
 * far more. The guest calls these through `awaitHost`, so that jsonwebtoken's synchronous
 * `sign`/`verify` stay synchronous for the rule while only the rule's own thread waits.
 *
 * Before a job is queued, its sizes are checked here (signing input, key material), so that no
 * job is unbounded either.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HostRegistry } from '../host-bridge.js'
import { registerOffThread, type OffThreadContext } from '../worker-pool.js'
import { HOST_BOUNDS, tooLarge } from './bounds.js'

/** jwt.ts beside this file when the engine runs from src (Node strips its types in the worker), jwt.js when built. */
export const JWT_MODULE = new URL(`./jwt${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href

/** Characters of strings and bytes of Buffers in a decoded argument (a key material object's fields). */
function dataSize(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length
  if (Buffer.isBuffer(value)) return value.length
  if (value === null || typeof value !== 'object' || depth > 4) return 0
  let size = 0
  for (const item of Object.values(value)) size += dataSize(item, depth + 1)
  return size
}

/** Where each capability has its signing input and its key material, by argument index. */
const SHAPES = {
  '$jwt.key': { input: -1, signature: -1, key: 1 },
  '$jwt.sign': { input: 1, signature: -1, key: 2 },
  '$jwt.verify': { input: 1, signature: 2, key: 3 },
} as const

/**
 * Register `$jwt.key`, `$jwt.sign` and `$jwt.verify` as jobs on the worker pool. HostCalls types
 * their results as jwt.ts computes them; on the main thread each is a promise of that result,
 * which the guest waits for through `hostAwait` (HostRegistry.registerAwaited).
 */
export function registerJwtOffThread(registry: HostRegistry): void {
  const bounded = {
    register: (id: string, entry: (args: unknown[], context: OffThreadContext) => unknown) => {
      const shape = SHAPES[id as keyof typeof SHAPES]
      const check = async (args: unknown[], context: OffThreadContext) => {
        for (const at of [shape.input, shape.signature]) {
          const size = at < 0 ? 0 : dataSize(args[at])
          if (size > HOST_BOUNDS.maxJwtInputChars)
            throw tooLarge(at === shape.input ? "The JWT's signing input" : "The JWT's signature", size, HOST_BOUNDS.maxJwtInputChars)
        }
        const key = dataSize(args[shape.key])
        if (key > HOST_BOUNDS.maxJwtKeyChars) throw tooLarge('The JWT key', key, HOST_BOUNDS.maxJwtKeyChars)
        return entry(args, context)
      }
      registry.registerAwaited(id as keyof typeof SHAPES, check)
    },
  }
  registerOffThread(bounded, JWT_MODULE, 'registerJwt', Object.keys(SHAPES))
}
