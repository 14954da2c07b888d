#!/usr/bin/env node
// The `tokenrules` CLI. isolated-vm needs `node --no-node-snapshot` (Node >= 20): run the CLI in a
// child node with that flag. Installed from the registry, the package runs its build (dist/, made
// by `prepack`); in a checkout of the workspace (this file's real path is not inside a
// node_modules folder), the TypeScript source runs through tsx, so the CLI is never a stale build.
import { spawn } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = realpathSync(fileURLToPath(import.meta.url))
const installed = here.split(sep).includes('node_modules')
const built = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))
const source = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url))
const nodeArgs = ['--no-node-snapshot']
if (installed) {
  if (!existsSync(built)) {
    process.stderr.write(`tokenrules: ${built} is missing: this copy of @tokenrules/testing was packed without its build (pnpm pack runs it)\n`)
    process.exit(2)
  }
  nodeArgs.push(built)
} else {
  nodeArgs.push('--conditions=@tokenrules/source', '--import', import.meta.resolve('tsx'), source)
}

// Through this package's own script (`pnpm --filter @tokenrules/testing tokenrules …`), paths are
// the caller's: pnpm runs scripts in the package folder but says where it was called from.
const cwd = process.env.npm_lifecycle_event === 'tokenrules' && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd()

const child = spawn(process.execPath, [...nodeArgs, ...process.argv.slice(2)], { stdio: 'inherit', cwd })
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal))
}
child.on('error', (error) => {
  process.stderr.write(`tokenrules: cannot start node: ${error.message}\n`)
  process.exit(2)
})
child.on('exit', (code, signal) => {
  if (signal !== null) process.kill(process.pid, signal)
  else process.exit(code ?? 2)
})
