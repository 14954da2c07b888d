// Module-resolution hook for scripts/test-runtimes.sh: maps 'isolated-vm' (by name, or the path the
// workspace's install resolves it to) to the build in $TOKENRULES_ISOLATED_VM, for that Node major.
import { register } from 'node:module'

if (process.env.TOKENRULES_ISOLATED_VM) {
  register(
    `data:text/javascript,${encodeURIComponent(`
      import { pathToFileURL } from 'node:url';
      const target = pathToFileURL(${JSON.stringify(process.env.TOKENRULES_ISOLATED_VM)} + '/isolated-vm.js').href;
      export async function resolve(specifier, context, next) {
        if (specifier === 'isolated-vm') return { url: target, format: 'commonjs', shortCircuit: true };
        const found = await next(specifier, context);
        if (/\\/node_modules\\/(?:\\.pnpm\\/isolated-vm@[^/]+\\/node_modules\\/)?isolated-vm\\/isolated-vm\\.js$/.test(found.url) && found.url !== target) {
          return { ...found, url: target, shortCircuit: true };
        }
        return found;
      }
    `)}`,
  )
}
