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
  const inBuild = pathToFileURL(join(dir, 'node_modules')).href + '/'
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
      // Files of the build resolve as they are (a build's own file may load another by path).
      if (found.url.startsWith(inBuild) || context.parentURL?.startsWith(inBuild)) return found
      // A file of a mapped package reached by path (vitest resolves dependencies itself and imports
      // the workspace's file by its path): the same file in the build.
      for (const name of names) {
        const at = found.url.lastIndexOf(`/node_modules/${name}/`)
        if (at !== -1) return resolveInBuild(`${name}/${decodeURIComponent(found.url.slice(at + `/node_modules/${name}/`.length))}`)
      }
      return found
    },
  })
}
