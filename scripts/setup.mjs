#!/usr/bin/env node
// `npm run setup`: everything a fresh machine needs to run the workspace, safe to run again.
//
// 1. The workspace's Node.js. The workspace pins isolated-vm 7.x (the patched line for Node >= 24,
//    GHSA-864f-rcv7-6rh4), so it runs on Node >= 24. The machine's own Node is used when it is new
//    enough; otherwise Node 24, with its headers, comes from the npm registry (the node-<os>-<cpu>
//    package) into tools/node/runtime. Either way tools/node/runtime/bin/node is the workspace's
//    Node, and the `node` bin of @tokenrules/workspace-node puts it first on the PATH of every
//    `pnpm <script>` and `pnpm exec`.
// 2. pnpm 10, unless it is already on the PATH.
// 3. `pnpm install --frozen-lockfile`, run by the workspace's Node with its headers, so node-gyp
//    builds the native addons (isolated-vm, better-sqlite3) for that Node and no other.
// 4. Each package's `setup:system` (redis-server, chromium from the system's packages).
//
// This file runs on whatever Node the machine has (Node >= 18), so it uses nothing newer.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The Node.js major the workspace downloads when the machine's is older than MIN_MAJOR. */
const NODE_MAJOR = 24
/** The oldest Node.js major the workspace runs on (isolated-vm 7.x needs Node >= 24). */
const MIN_MAJOR = 24
const PNPM_MAJOR = 10

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const runtime = join(root, 'tools', 'node', 'runtime')
const runtimeNode = join(runtime, 'bin', 'node')

function say(line) {
  process.stdout.write(`setup: ${line}\n`)
}

function fail(line) {
  process.stderr.write(`setup: ${line}\n`)
  process.exit(1)
}

function majorOf(version) {
  return Number(String(version).replace(/^v/, '').split('.')[0])
}

function versionOf(node) {
  const found = spawnSync(node, ['--version'], { encoding: 'utf8' })
  return found.status === 0 ? found.stdout.trim() : undefined
}

/** The node-<os>-<cpu> package name for this machine, as the npm registry publishes Node.js. */
function nodePackageName() {
  const os = { linux: 'linux', darwin: 'darwin' }[process.platform]
  const cpu = { x64: 'x64', arm64: 'arm64' }[process.arch]
  if (os === undefined || cpu === undefined) {
    fail(
      `no Node.js ${NODE_MAJOR} package for ${process.platform}-${process.arch} on the npm registry; install Node.js >= ${MIN_MAJOR} yourself and run npm run setup again`,
    )
  }
  return `node-${os}-${cpu}`
}

/** Node `NODE_MAJOR` from the npm registry into tools/node/runtime (bin/node and include/node). */
function downloadNode(machineVersion) {
  const name = `${nodePackageName()}@${NODE_MAJOR}`
  const work = join(tmpdir(), `tokenrules-node-${process.pid}`)
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  say(`the machine's Node.js (${machineVersion ?? 'none found'}) is older than ${MIN_MAJOR}: fetching ${name} from the npm registry`)
  try {
    const tarball = execFileSync('npm', ['pack', name, '--silent'], { cwd: work, encoding: 'utf8' }).trim().split('\n').pop()
    execFileSync('tar', ['xzf', tarball], { cwd: work })
    rmSync(runtime, { recursive: true, force: true })
    mkdirSync(dirname(runtime), { recursive: true })
    renameSync(join(work, 'package'), runtime)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/**
 * The machine's own Node.js: the one that runs npm (or this script), else the first on the PATH,
 * never one inside this repository (once installed, `npm run setup` itself runs through
 * node_modules/.bin/node, the workspace's Node).
 */
function machineNode() {
  const path = (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => join(dir, 'node'))
  for (const candidate of [process.env.npm_node_execpath, process.execPath, ...path]) {
    if (candidate === undefined || candidate === '' || !existsSync(candidate)) continue
    const real = realpathSync(candidate)
    if (!real.startsWith(`${realpathSync(root)}/`)) return real
  }
  return undefined
}

/** tools/node/runtime/bin/node → the machine's own Node (no download). */
function linkMachineNode(target) {
  rmSync(runtime, { recursive: true, force: true })
  mkdirSync(join(runtime, 'bin'), { recursive: true })
  symlinkSync(target, runtimeNode)
  // Its headers, when they sit beside it (a standard install: <prefix>/bin/node, <prefix>/include/node).
  const headers = join(dirname(dirname(target)), 'include', 'node')
  if (existsSync(join(headers, 'node.h'))) symlinkSync(dirname(headers), join(runtime, 'include'))
}

function chooseNode() {
  // The machine's own Node wins whenever it is new enough (also over an earlier download, so a
  // machine that moved to Node >= 24 stops using the copy); a download is kept until then.
  const machine = machineNode()
  const machineVersion = machine === undefined ? undefined : versionOf(machine)
  if (machine !== undefined && machineVersion !== undefined && majorOf(machineVersion) >= MIN_MAJOR) {
    const linked = existsSync(runtimeNode) ? realpathSync(runtimeNode) : undefined
    if (linked !== machine) linkMachineNode(machine)
    say(`using the machine's Node.js ${machineVersion} (${machine}): no download`)
  } else {
    const current = versionOf(runtimeNode)
    if (current === undefined || majorOf(current) < MIN_MAJOR) downloadNode(machineVersion)
  }
  const chosen = versionOf(runtimeNode)
  if (chosen === undefined || majorOf(chosen) < MIN_MAJOR) fail(`${runtimeNode} does not run as Node.js >= ${MIN_MAJOR}`)
  say(`the workspace's Node.js is ${chosen} (tools/node/runtime)`)
}

/** Where setup notes the ABI (process.versions.modules) the native addons were last built for. */
const abiFile = join(root, 'node_modules', '.tokenrules-node-abi')

function runtimeAbi() {
  return execFileSync(runtimeNode, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim()
}

/**
 * `pnpm install` leaves an installed node_modules alone, addons included, so after the workspace's
 * Node changed major (a new machine Node, say) the addons are rebuilt for it here.
 */
function rebuildAddonsIfNodeChanged(pnpm, env) {
  const abi = runtimeAbi()
  const built = existsSync(abiFile) ? readFileSync(abiFile, 'utf8').trim() : abi
  if (built !== abi) {
    say(`the native addons were built for Node ABI ${built}, the workspace's Node is ABI ${abi}: rebuilding them`)
    run(pnpm.command, [...pnpm.prefix, '--recursive', 'rebuild', 'isolated-vm', 'better-sqlite3'], env)
  }
  return abi
}

/** The JavaScript file behind the `pnpm` on the PATH, installing pnpm 10 first if needed. */
function pnpmEntry() {
  const which = () => spawnSync('sh', ['-c', 'command -v pnpm'], { encoding: 'utf8' }).stdout.trim()
  let bin = which()
  const version = bin === '' ? undefined : spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()
  if (version === undefined || majorOf(version) !== PNPM_MAJOR) {
    say(`installing pnpm ${PNPM_MAJOR} (npm install -g pnpm@${PNPM_MAJOR})`)
    execFileSync('npm', ['install', '-g', `pnpm@${PNPM_MAJOR}`], { stdio: 'inherit' })
    bin = which()
    if (bin === '') fail(`pnpm is not on the PATH after npm install -g pnpm@${PNPM_MAJOR}`)
  }
  const real = realpathSync(bin)
  // npm's global bin is a link to pnpm/bin/pnpm.cjs; a standalone pnpm is a binary of its own.
  return /\.c?js$/.test(real) ? { command: runtimeNode, prefix: [real] } : { command: real, prefix: [] }
}

/** Environment in which pnpm, its lifecycle scripts and node-gyp all see the workspace's Node. */
function workspaceEnv() {
  const env = { ...process.env, PATH: `${join(runtime, 'bin')}:${process.env.PATH ?? ''}` }
  const headers = join(runtime, 'include', 'node', 'node.h')
  // node-gyp builds against these headers instead of downloading them (or using ~/.npmrc's nodedir,
  // which names the machine's own, older Node).
  if (existsSync(headers)) env.npm_config_nodedir = realpathSync(runtime)
  return env
}

function run(command, args, env, what = [command, ...args].join(' ')) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' })
  if (result.status !== 0) fail(`${what} failed (exit ${result.status ?? result.signal})`)
}

/** The isolated-vm and better-sqlite3 builds load in the workspace's Node. */
function verifyAddons(env) {
  const check = `
    const { createRequire } = require('node:module');
    const load = (from, name) => {
      const req = createRequire(from);
      return { module: req(name), version: req(name + '/package.json').version };
    };
    const ivm = load(process.argv[1], 'isolated-vm');
    new ivm.module.Isolate({ memoryLimit: 8 }).dispose();
    const sqlite = load(process.argv[2], 'better-sqlite3');
    new sqlite.module(':memory:').close();
    console.log('setup: Node.js ' + process.version + ', isolated-vm ' + ivm.version + ', better-sqlite3 ' + sqlite.version + ': both load');
  `
  const from = (name) => join(root, 'packages', name, 'package.json')
  run(runtimeNode, ['--no-node-snapshot', '-e', check, from('engine'), from('oauth')], env, 'loading isolated-vm and better-sqlite3')
}

// `npm run setup` puts node_modules/.bin first on the PATH, and there `node` is the workspace's own
// (tools/node/bin/node), which is what setup is about to bring; npm, pnpm and node-gyp run here on
// the machine's Node until it exists.
process.env.PATH = (process.env.PATH ?? '')
  .split(':')
  .filter((dir) => !dir.endsWith('/node_modules/.bin'))
  .join(':')

chooseNode()
const pnpm = pnpmEntry()
const env = workspaceEnv()
run(pnpm.command, [...pnpm.prefix, 'install', '--frozen-lockfile'], env)
const abi = rebuildAddonsIfNodeChanged(pnpm, env)
verifyAddons(env)
writeFileSync(abiFile, `${abi}\n`)
run(pnpm.command, [...pnpm.prefix, '-r', '--if-present', 'run', 'setup:system'], env)
say('done: pnpm start runs the token server, pnpm test runs every test')
