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
  throw new ConfigInvalidError(message, [{ path: 'process.execArgv', code: 'runtime', message }])
}
