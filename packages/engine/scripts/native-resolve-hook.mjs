// Module-resolution hook for scripts/test-runtimes.sh: the native addons (isolated-vm,
// better-sqlite3) resolve from the build in $TOKENRULES_NATIVE_DIR, made for the Node.js that runs
// this process, instead of the workspace's build for its own Node. `registerHooks` runs in the
// thread that loads it and covers `import`, `require` and `require.resolve` alike, so the engine's
// version check reads the same package.json that its `import 'isolated-vm'` loads.
//
//   NODE_OPTIONS="--import ./native-resolve-hook.mjs" TOKENRULES_NATIVE_DIR=/path/to/build node …
//
// $TOKENRULES_NATIVE_DIR is a directory with a package.json whose node_modules hold the builds.
// $TOKENRULES_NATIVE_PACKAGES names the packages to redirect (default: isolated-vm,better-sqlite3).
import { createRequire, registerHooks } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const dir = process.env.TOKENRULES_NATIVE_DIR
if (dir !== undefined && dir !== '') {
  const names = (process.env.TOKENRULES_NATIVE_PACKAGES ?? 'isolated-vm,better-sqlite3').split(',').filter(Boolean)
  const fromBuild = createRequire(join(dir, 'package.json'))
  const buildURL = pathToFileURL(dir).href + '/'
  // This file is packages/engine/scripts/ of the workspace.
  const workspaceModules = new URL('../../../node_modules/', import.meta.url).href
  /** The mapped package a bare specifier names, with its subpath ('isolated-vm/package.json'). */
  const mapped = (specifier) => names.find((name) => specifier === name || specifier.startsWith(`${name}/`))
  let inner = false
  /** Where `specifier` resolves from the build's directory (the hook itself steps aside meanwhile). */
  const resolveInBuild = (specifier) => {
    inner = true
    try {
      return { url: pathToFileURL(fromBuild.resolve(specifier)).href, shortCircuit: true }
    } finally {
      inner = false
    }
  }
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (inner) return nextResolve(specifier, context)
      if (mapped(specifier) !== undefined) return resolveInBuild(specifier)
      const found = nextResolve(specifier, context)
      // A file of the workspace's own install of a mapped package, reached by path (vitest resolves
      // dependencies itself and imports their entry files by path): the same file in the build.
      // Left as they are: what the build's files load (a test's fake package there loads a real
      // one by path), a package's own files, and compiled addons (only their package loads them).
      if (!found.url.startsWith(workspaceModules) || found.url.endsWith('.node')) return found
      if (context.parentURL?.startsWith(buildURL)) return found
      for (const name of names) {
        const at = found.url.lastIndexOf(`/node_modules/${name}/`)
        if (at !== -1 && !context.parentURL?.includes(`/node_modules/${name}/`)) {
          return resolveInBuild(`${name}/${decodeURIComponent(found.url.slice(at + `/node_modules/${name}/`.length))}`)
        }
      }
      return found
    },
  })
}
