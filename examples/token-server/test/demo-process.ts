import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

export { freePort } from '../../../packages/engine/test/loopback-server.js'

export interface Demo {
  origin: string
  stdout: () => string
  stop: () => Promise<void>
  /** Kills the process group at once (SIGKILL), as a node that dies: no shutdown, nothing flushed. */
  kill: () => Promise<void>
}

/** The `start` script's command, run directly (no pnpm wrapper between the test and the server's process). */
const [command = 'node', ...args] = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ')

/** How {@link startDemo} changes the `start` script's command: other flags after `src/main.ts`, more environment. */
export interface DemoOptions {
  /** The flags after `src/main.ts` instead of the script's own (e.g. `[]`: no `--playground`). */
  flags?: string[]
  env?: Record<string, string>
}

/** The `start` script's arguments with `flags` after the entry point instead of its own. */
export function demoArgs(flags?: string[]): string[] {
  if (flags === undefined) return args
  const entry = args.indexOf('src/main.ts')
  return [...args.slice(0, entry + 1), ...flags]
}

export { command as demoCommand, root as demoRoot }

/** The demo server in its own process group, on `port` and `dataDir`; resolves once it listens. */
export async function startDemo(port: number, dataDir: string, options: DemoOptions = {}): Promise<Demo> {
  const child: ChildProcess = spawn(command, demoArgs(options.flags), {
    cwd: root,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
    const exited = once(child, 'exit')
    process.kill(-child.pid, name)
    await exited
  }
  const stop = () => signal('SIGTERM')
  const deadline = Date.now() + 45_000
  while (!out.includes('Press Ctrl+C to stop.')) {
    if (child.exitCode !== null) throw new Error(`the demo exited early:\n${out}\n${err}`)
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`the demo did not start within 45 s:\n${out}\n${err}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { origin: `http://localhost:${port}`, stdout: () => out, stop, kill: () => signal('SIGKILL') }
}
