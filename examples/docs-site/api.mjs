// The API reference's single definition: which entry points are public and how typedoc reads them.
// Used by build.mjs (the site) and test/api-reference.test.ts (every public symbol has a summary and
// an example, and every example compiles and runs).
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Application } from 'typedoc'

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** The packages' public entry points, as their package.json `exports` name them. */
export const entryPoints = [
  'packages/engine/src/index.ts',
  'packages/engine/src/node/index.ts',
  'packages/oauth/src/index.ts',
  'packages/oauth/src/sqlite.ts',
  'packages/oauth/src/redis.ts',
  'packages/oauth/src/testing.ts',
  'packages/testing/src/index.ts',
  'packages/testing/src/vitest/index.ts',
].map((path) => join(repo, path))

/** Converts the public API with typedoc (`options`: typedoc's options for the site's pages); resolves to `{ app, project }`. */
export async function convertApi(options = {}) {
  const app = await Application.bootstrapWithPlugins({
    entryPoints,
    tsconfig: join(repo, 'tsconfig.json'),
    name: 'tokenrules API',
    readme: 'none',
    excludePrivate: true,
    excludeInternal: true,
    skipErrorChecking: true,
    logLevel: 'Error',
    ...options,
  })
  const project = await app.convert()
  if (project === undefined) throw new Error('typedoc could not convert the packages')
  return { app, project }
}
