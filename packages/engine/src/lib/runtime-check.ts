import { createRequire } from 'node:module'
import { ConfigInvalidError } from '../errors.js'

const FLAG = '--no-node-snapshot'

/**
 * isolated-vm's README: on Node ≥ 20 the process must run with `--no-node-snapshot` (V8's shared
 * read-only heap and the snapshot do not mix with other isolates). Without it things may work for a
 * while and then crash the process, so the engine refuses to start instead.
 */
export function assertNodeSnapshotDisabled(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
  nodeMajor: number = Number(process.versions.node.split('.')[0]),
): void {
  if (nodeMajor < 20) return
  if (execArgv.includes(FLAG) || (nodeOptions ?? '').split(/\s+/).includes(FLAG)) return
  const message = `Node.js ${nodeMajor} must run isolated-vm with ${FLAG}: start node with it, or set NODE_OPTIONS=${FLAG}.`
  throw new ConfigInvalidError(message, [{ path: ['process', 'execArgv'], code: 'runtime', message }])
}

/** The isolated-vm advisory the engine refuses to run under. */
export const ISOLATED_VM_ADVISORY = 'GHSA-864f-rcv7-6rh4'

/**
 * The patched isolated-vm line for each Node.js major: 6.2.0 fixed the advisory for Node 22, 7.0.1
 * for Node ≥ 24 (isolated-vm's majors follow Node's). Every version before them, 7.0.0 included, is
 * affected.
 */
const PATCHED: readonly { major: number; minimum: readonly [number, number, number]; nodes: string }[] = [
  { major: 6, minimum: [6, 2, 0], nodes: 'Node.js 22' },
  { major: 7, minimum: [7, 0, 1], nodes: 'Node.js 24 and 26' },
]

/** The version in the package.json of the isolated-vm this module loads (through any resolve hooks). */
export function installedIsolatedVmVersion(): string {
  const manifest: unknown = createRequire(import.meta.url)('isolated-vm/package.json')
  const version = typeof manifest === 'object' && manifest !== null ? (manifest as { version?: unknown }).version : undefined
  return typeof version === 'string' ? version : 'unknown'
}

/** `major.minor.patch`, and whether a pre-release tag follows (which sorts before the release). */
function parseVersion(version: string): { parts: [number, number, number]; prerelease: boolean } | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(version.trim())
  if (match === null) return undefined
  return { parts: [Number(match[1]), Number(match[2]), Number(match[3])], prerelease: match[4] !== undefined }
}

function atLeast(parts: readonly [number, number, number], prerelease: boolean, minimum: readonly [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) {
    if (parts[i]! !== minimum[i]!) return parts[i]! > minimum[i]!
  }
  return !prerelease
}

/** What to install on this Node.js major. */
function advice(nodeMajor: number): string {
  return nodeMajor >= 24 ? 'isolated-vm@^7.0.1' : 'isolated-vm@^6.2.0'
}

/**
 * Refuses an isolated-vm that GHSA-864f-rcv7-6rh4 affects (a type confusion in `ExternalCopy`'s
 * `transferList` handling that lets guest code corrupt host memory): anything before 6.2.0, and
 * 7.0.0. A version it cannot read, or a major it does not know yet (8.x and later), it lets through
 * only when it is newer than every affected line.
 */
export function assertPatchedIsolatedVm(version: string = installedIsolatedVmVersion(), nodeMajor: number = Number(process.versions.node.split('.')[0])): void {
  const parsed = parseVersion(version)
  const line = parsed === undefined ? undefined : PATCHED.find((entry) => entry.major === parsed.parts[0])
  const newer = parsed !== undefined && parsed.parts[0] > PATCHED[PATCHED.length - 1]!.major
  if (parsed !== undefined && (newer || (line !== undefined && atLeast(parsed.parts, parsed.prerelease, line.minimum)))) return
  const fix = PATCHED.map((entry) => `${entry.minimum.join('.')} (${entry.nodes})`).join(' or ')
  const message =
    parsed === undefined
      ? `isolated-vm's version could not be read ("${version}"), so the engine cannot rule out ${ISOLATED_VM_ADVISORY}: install ${advice(nodeMajor)}.`
      : `isolated-vm ${version} is affected by ${ISOLATED_VM_ADVISORY} (guest code can corrupt host memory through ExternalCopy's transferList); the fixes are ${fix}: install ${advice(nodeMajor)}.`
  throw new ConfigInvalidError(message, [{ path: ['isolated-vm'], code: 'runtime', message }])
}
