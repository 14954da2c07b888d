import { readFileSync } from 'node:fs'
import { builtinModules, createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** A pure-JavaScript package, bundled once to run inside the sandbox. */
export interface BundledPackage {
  name: string
  /** The installed version (from its package.json). */
  version: string
  /** `(function (module, exports, require) { … })`, evaluated in the sandbox on first `require`. */
  source: string
}

// Bundles are kept for the life of the process, keyed by the resolved entry file: engines of many
// tenants that allow the same package share one bundle.
const bundles = new Map<string, Promise<BundledPackage>>()

const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)]

/** Resolve `name` from `resolveFrom` and bundle it (cached). Rejects with a readable Error. */
export function bundlePackage(name: string, resolveFrom: string): Promise<BundledPackage> {
  const require = createRequire(join(resolveFrom, '__tokenrules_resolve__.js'))
  let entry: string
  try {
    // 'events/' resolves the npm package where 'events' would name Node's built-in module.
    entry = require.resolve(builtinModules.includes(name) ? `${name}/` : name)
  } catch {
    return Promise.reject(new Error(`cannot resolve package '${name}' from ${resolveFrom}: install it there or set modules.resolveFrom`))
  }
  let cached = bundles.get(entry)
  if (cached === undefined) {
    cached = bundle(name, entry, resolveFrom)
    bundles.set(entry, cached)
    cached.catch(() => bundles.delete(entry))
  }
  return cached
}

async function bundle(name: string, entry: string, resolveFrom: string): Promise<BundledPackage> {
  const version = installedVersion(name, entry)
  // esbuild resolves the package itself, so that its browser build (no Node built-ins) is chosen.
  const specifier = builtinModules.includes(name) ? `${name}/` : name
  const result = await build({
    stdin: { contents: `module.exports = require(${JSON.stringify(specifier)})`, resolveDir: resolveFrom, loader: 'js' },
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'browser',
    target: 'es2022',
    // Node built-ins stay require() calls, answered by the sandbox's shims; not the package itself.
    external: NODE_BUILTINS.filter((m) => m !== name && m !== `node:${name}`),
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  })
  const text = result.outputFiles[0]?.text
  if (text === undefined) throw new Error(`bundling '${name}' produced no output`)
  return { name, version, source: `(function (module, exports, require) {\n${text}\n})` }
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
