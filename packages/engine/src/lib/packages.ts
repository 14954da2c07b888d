import { readFileSync } from 'node:fs'
import { builtinModules, createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'

/** A pure-JavaScript package, bundled once to run inside the sandbox. */
export interface BundledPackage {
  name: string
  /** The installed version (from its package.json). */
  version: string
  /** `(function (module, exports, require) { … })`, evaluated in the sandbox on first `require`. */
  source: string
}

/** One entry of `modules.packages`: a package, optionally a version it must have and the directory it is installed under. */
export interface PackageSpec {
  name: string
  /** What the installed version must satisfy (`0.1.0`, `^4.17.0`, `~1.2`); checked at createEngine. */
  version?: string | undefined
  /** The name it is installed under when that is not `name`, e.g. an npm alias `lib-0.1.0@npm:lib@0.1.0`. */
  from?: string | undefined
}

/**
 * The clients the engine's shims serve (the HTTP and crypto capabilities), by the option that
 * grants them. A package that bundles one of them (axios inside an SDK, `request` inside a helper)
 * gets the shim too, through the same bridge and policy as a rule's own `require`.
 */
export const BRIDGE_CLIENTS: Readonly<Record<string, 'modules.http' | 'modules.crypto'>> = {
  axios: 'modules.http',
  request: 'modules.http',
  'request-promise': 'modules.http',
  'request-promise-native': 'modules.http',
  'node-fetch': 'modules.http',
  jsonwebtoken: 'modules.crypto',
}

/**
 * How a bundle names what it could not contain, as the specifier of a `require` it keeps: the guest's
 * package `require` (guest/bridge.js) reads these prefixes. A Node built-in stays its own name.
 */
export const BRIDGE_PREFIX = 'tokenrules:bridge:'
export const MISSING_PREFIX = 'tokenrules:missing:'

// Bundles are kept for the life of the process, keyed by the resolved entry file: engines of many
// tenants that allow the same package share one bundle.
const bundles = new Map<string, Promise<BundledPackage>>()

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)])

/** Resolve a package from `resolveFrom` and bundle it (cached). Rejects with a readable Error. */
export function bundlePackage(spec: string | PackageSpec, resolveFrom: string): Promise<BundledPackage> {
  const { name, version: wanted, from } = typeof spec === 'string' ? { name: spec, version: undefined, from: undefined } : spec
  const installedAs = from ?? name
  const require = createRequire(join(resolveFrom, '__tokenrules_resolve__.js'))
  let entry: string
  try {
    // 'events/' resolves the npm package where 'events' would name Node's built-in module.
    entry = require.resolve(builtinModules.includes(installedAs) ? `${installedAs}/` : installedAs)
  } catch {
    const where = from === undefined ? `package '${name}'` : `'${from}' (the installed directory of ${name})`
    return Promise.reject(new Error(`cannot resolve ${where} from ${resolveFrom}: install it there or set modules.resolveFrom`))
  }
  let cached = bundles.get(entry)
  if (cached === undefined) {
    cached = bundle(name, installedAs, entry, resolveFrom)
    bundles.set(entry, cached)
    cached.catch(() => bundles.delete(entry))
  }
  if (wanted === undefined) return cached
  return cached.then((b) => {
    if (!satisfiesVersion(b.version, wanted)) {
      const hint = from === undefined ? ` (install ${name}@${wanted} under an alias and name it with 'from')` : ''
      throw new Error(`'${installedAs}' holds ${name}@${b.version}, which does not satisfy the version ${wanted} asked for${hint}`)
    }
    return b
  })
}

/**
 * The esbuild plugin of package bundles: the bridge clients stay `require`s the guest answers with
 * its shims, and a `require` that resolves to nothing (an optional dependency, such as rest-facade's
 * `superagent-proxy`) stays one that fails when it runs, with MODULE_NOT_FOUND, instead of failing
 * the bundle (and createEngine) for a package that only needs its common path.
 */
function sandboxRequires(top: string): Plugin {
  const RESOLVING = Symbol('tokenrules-resolving')
  return {
    name: 'tokenrules-sandbox-requires',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point' || (args.pluginData as { [RESOLVING]?: true } | undefined)?.[RESOLVING]) return undefined
        if (NODE_BUILTINS.has(args.path)) return { path: args.path, external: true }
        if (args.importer !== '<stdin>' && Object.hasOwn(BRIDGE_CLIENTS, args.path) && args.path !== top) {
          return { path: BRIDGE_PREFIX + args.path, external: true }
        }
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          namespace: args.namespace,
          pluginData: { [RESOLVING]: true },
        })
        if (resolved.errors.length > 0) return { path: MISSING_PREFIX + args.path, external: true }
        return undefined
      })
    },
  }
}

async function bundle(name: string, installedAs: string, entry: string, resolveFrom: string): Promise<BundledPackage> {
  const version = installedVersion(name, entry)
  const specifier = builtinModules.includes(installedAs) ? `${installedAs}/` : installedAs
  const result = await build({
    stdin: { contents: `module.exports = require(${JSON.stringify(specifier)})`, resolveDir: resolveFrom, loader: 'js' },
    bundle: true,
    write: false,
    format: 'cjs',
    // What the package publishes for Node (its main field and 'node' conditions): superagent's
    // node/index.js over the sandbox's http, not its browser XHR client. Node's built-ins stay
    // require() calls, answered by the sandbox's ports (guest/node.js).
    platform: 'node',
    target: 'es2022',
    plugins: [sandboxRequires(specifier)],
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  })
  const text = result.outputFiles[0]?.text
  if (text === undefined) throw new Error(`bundling '${name}' produced no output`)
  return { name, version, source: `(function (module, exports, require) {\n${text}\n})` }
}

/** Whether installed x.y.z satisfies `wanted`: '4', '4.17', '^4.17.0', '~4.17.1', '4.17.19' (as the guest's require). */
export function satisfiesVersion(installed: string, wanted: string): boolean {
  const have = /^(\d+)\.(\d+)\.(\d+)/.exec(installed)
  const want = /^([~^=v]*)(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(wanted)
  if (have === null || want === null) return installed === wanted
  const h = [Number(have[1]), Number(have[2]), Number(have[3])] as const
  const op = (want[1] ?? '').replace(/[=v]/g, '')
  const w = [Number(want[2]), want[3] === undefined ? undefined : Number(want[3]), want[4] === undefined ? undefined : Number(want[4])] as const
  if (h[0] !== w[0]) return false
  if (op === '^') return w[1] === undefined || h[1] > w[1] || (h[1] === w[1] && (w[2] === undefined || h[2] >= w[2]))
  if (w[1] === undefined) return true
  if (op === '~') return h[1] === w[1] && (w[2] === undefined || h[2] >= w[2])
  if (h[1] !== w[1]) return false
  return w[2] === undefined || h[2] === w[2]
}

/** The version in the package.json that owns `entry` and is named `name`. */
function installedVersion(name: string, entry: string): string {
  let dir = dirname(entry)
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === name && typeof pkg.version === 'string') return pkg.version
    } catch {
      // keep walking up
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`cannot find the package.json of '${name}' above ${entry}`)
    dir = parent
  }
}

/** The sandbox's ports of Node's built-in modules, by the name guest/node.js loads them under, and the npm package of each. */
const NODE_PORTS: Readonly<Record<string, string>> = {
  events: 'events/',
  stream: 'stream-browserify',
  util: 'util/',
  path: 'path-browserify',
  string_decoder: 'string_decoder/',
  assert: 'assert/',
  os: 'os-browserify/browser.js',
  zlib: 'browserify-zlib',
  punycode: 'punycode/',
}
/** The built-ins ported by {@link nodePortsSource} (guest/node.js adds timers, tty, process and the sandbox's own url, querystring, buffer, crypto). */
export const NODE_PORT_NAMES: readonly string[] = [...Object.keys(NODE_PORTS), 'timers', 'tty']
let nodePortsBundle: Promise<string> | undefined

/**
 * The ports of Node's built-ins that need no host (browserify's events, stream, util, path,
 * string_decoder, assert, os, zlib, punycode), as one source evaluated inside the isolate the first
 * time a rule or package requires one of them; each port is initialised on first access. Their own
 * requires of each other resolve inside the bundle (one `util`, one `events`, one `stream`), `buffer`
 * and `process` are the sandbox's. Bundled once per process, only for engines that may need them.
 */
export function nodePortsSource(): Promise<string> {
  if (nodePortsBundle !== undefined) return nodePortsBundle
  const here = dirname(fileURLToPath(import.meta.url))
  const getters = Object.entries(NODE_PORTS)
    .map(
      ([port, pkg]) =>
        `Object.defineProperty(exports, ${JSON.stringify(port)}, { enumerable: true, get: function () { return require(${JSON.stringify(pkg)}) } })`,
    )
    .join('\n')
  nodePortsBundle = build({
    stdin: { contents: getters, resolveDir: here, loader: 'js' },
    absWorkingDir: here,
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'browser',
    target: 'es2022',
    // A port's require('stream') or require('util') is the port (resolved from this package).
    alias: {
      stream: 'stream-browserify',
      util: 'util/',
      events: 'events/',
      path: 'path-browserify',
      assert: 'assert/',
      string_decoder: 'string_decoder/',
      zlib: 'browserify-zlib',
      os: 'os-browserify/browser.js',
      punycode: 'punycode/',
    },
    external: ['buffer', 'process'],
    keepNames: true,
    minifyWhitespace: true,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  }).then((result) => {
    const text = result.outputFiles[0]?.text
    if (text === undefined) throw new Error("bundling the ports of Node's built-ins produced no output")
    return `(function (module, exports, require) {\n${text}\n})`
  })
  nodePortsBundle.catch(() => {
    nodePortsBundle = undefined
  })
  return nodePortsBundle
}

let bufferBundle: string | undefined

/**
 * The `buffer` package (with its two dependencies, base64-js and ieee754) as the sandbox's
 * `Buffer`, wrapped by hand: three CommonJS files need no bundler, and engines that allow no
 * packages then never start esbuild. Read once per process.
 */
export function bufferSource(): string {
  if (bufferBundle !== undefined) return bufferBundle
  const here = createRequire(fileURLToPath(import.meta.url))
  const entry = here.resolve('buffer/')
  const fromBuffer = createRequire(entry)
  const wrap = (file: string) => `function (module, exports, require) {\n${readFileSync(file, 'utf8')}\n}`
  bufferBundle = `(function (module, exports, require) {
  var factories = { 'base64-js': ${wrap(fromBuffer.resolve('base64-js'))}, 'ieee754': ${wrap(fromBuffer.resolve('ieee754'))} };
  var cache = {};
  function load(name) {
    if (!Object.prototype.hasOwnProperty.call(factories, name)) throw new Error('buffer: unknown dependency ' + name);
    if (!cache[name]) { var m = { exports: {} }; cache[name] = m; factories[name](m, m.exports, load); }
    return cache[name].exports;
  }
  (${wrap(entry)})(module, exports, load);
})`
  return bufferBundle
}

let cryptoBundle: Promise<string> | undefined

/**
 * The hashes the sandbox's `crypto` computes itself, from `@noble/hashes` (audited, dependency-free,
 * pure JavaScript): MD5, SHA-1, RIPEMD-160, SHA-2, SHA-3 and HMAC over any of them, evaluated inside
 * the isolate on first use, so that a rule's hashing costs its own time and memory and never the
 * host's main thread. Bundled once per process (esbuild, asynchronously: the package is ES modules).
 */
export function cryptoSource(): Promise<string> {
  if (cryptoBundle !== undefined) return cryptoBundle
  const here = dirname(fileURLToPath(import.meta.url))
  cryptoBundle = build({
    stdin: {
      contents: `
const { md5, sha1, ripemd160 } = require('@noble/hashes/legacy.js')
const { sha224, sha256, sha384, sha512, sha512_224, sha512_256 } = require('@noble/hashes/sha2.js')
const { sha3_224, sha3_256, sha3_384, sha3_512 } = require('@noble/hashes/sha3.js')
const { hmac } = require('@noble/hashes/hmac.js')
module.exports = { md5, sha1, ripemd160, sha224, sha256, sha384, sha512, sha512_224, sha512_256, sha3_224, sha3_256, sha3_384, sha3_512, hmac }
`,
      resolveDir: here,
      loader: 'js',
    },
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'neutral',
    target: 'es2022',
    logLevel: 'silent',
  }).then((result) => {
    const text = result.outputFiles[0]?.text
    if (text === undefined) throw new Error('bundling @noble/hashes produced no output')
    return `(function (module, exports, require) {\n${text}\n})`
  })
  cryptoBundle.catch(() => {
    cryptoBundle = undefined
  })
  return cryptoBundle
}

/** The major version of a semver-ish string (`^4.17.0` → `4`). */
export function majorOf(version: string): string | undefined {
  return /^[~^=v]*(\d+)/.exec(version)?.[1]
}
