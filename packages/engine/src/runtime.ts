import { installedIsolatedVmVersion } from './lib/runtime-check.js'

/**
 * The versions under the engine's sandboxes, as {@link sandboxRuntime} reads them.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { sandboxRuntime, type SandboxRuntime } from '@tokenrules/engine'
 *
 * // A health check's answer names what the rules run on.
 * const health = (runtime: SandboxRuntime) => ({ status: 'ok', node: runtime.node, isolatedVm: runtime.isolatedVm })
 * assert.equal(health(sandboxRuntime()).node, process.version)
 * ```
 */
export interface SandboxRuntime {
  /** The Node.js that runs this process, as `process.version` gives it (`'v24.22.3'`). */
  readonly node: string
  /** The version of the isolated-vm the engine loads, from its package.json (`'7.0.1'`). */
  readonly isolatedVm: string
}

/**
 * The Node.js and isolated-vm versions the engine's sandboxes run on, for a server's start-up line
 * or health check. `createEngine` refuses an isolated-vm affected by advisory GHSA-864f-rcv7-6rh4
 * (before 6.2.0, or 7.0.0), so in a process that has created an engine this names a patched one.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { sandboxRuntime } from '@tokenrules/engine'
 *
 * const { node, isolatedVm } = sandboxRuntime()
 * const startLine = `Node ${node}, isolated-vm ${isolatedVm}` // what a server prints at start
 * assert.ok(startLine.startsWith(`Node ${process.version}, isolated-vm `))
 * assert.equal(node, process.version)
 * assert.match(isolatedVm, /^(6\.(\d{2,}|[2-9])|7|[89]|\d{2,})\./)
 * ```
 */
export function sandboxRuntime(): SandboxRuntime {
  return { node: process.version, isolatedVm: installedIsolatedVmVersion() }
}
