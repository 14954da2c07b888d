/**
 * Packages a template needs that are not on the npm registry (Auth0 served `@auth0/rule-utilities`
 * to rules from its own runtime) or not installed in packages/engine, for one measurement only:
 *
 * - `--package <git directory or checkout>[#<ref>]`: the package at `ref` (default `HEAD`), its
 *   own dependencies installed beside it from the registry, in its package.json's ranges;
 * - `--npm <name@version>`: a package from the registry.
 *
 * They go into a temporary folder whose node_modules also links every package of packages/engine,
 * and both sides of the harness resolve from it (`TOKENRULES_COMPAT_MODULES`, read by
 * test/deployed/harness-reference.ts). Nothing is written into this repository; the folder is
 * removed when the process exits. Imported first by the compat scripts, before the harness.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
const values = (flag: string) => args.flatMap((arg, i) => (arg === flag && args[i + 1] !== undefined ? [args[i + 1] as string] : []))
const gitPackages = values('--package')
const npmPackages = values('--npm')

/** What the overlay holds, for the script's summary line (empty without --package / --npm). */
export const overlayPackages: string[] = []

if (gitPackages.length > 0 || npmPackages.length > 0) {
  const engineModules = fileURLToPath(new URL('../node_modules', import.meta.url))
  const root = mkdtempSync(join(tmpdir(), 'tokenrules-compat-'))
  process.once('exit', () => rmSync(root, { recursive: true, force: true }))
  const modules = join(root, 'node_modules')
  const store = join(root, 'store')
  mkdirSync(modules, { recursive: true })
  mkdirSync(store)
  writeFileSync(join(root, 'package.json'), '{ "name": "tokenrules-compat-overlay", "private": true }\n')
  const link = (name: string, target: string) => {
    const at = join(modules, name)
    if (existsSync(at)) rmSync(at, { recursive: true, force: true })
    mkdirSync(dirname(at), { recursive: true })
    symlinkSync(target, at)
  }
  for (const entry of readdirSync(engineModules)) {
    if (entry.startsWith('.')) continue
    if (entry.startsWith('@')) for (const scoped of readdirSync(join(engineModules, entry))) link(`${entry}/${scoped}`, join(engineModules, entry, scoped))
    else link(entry, join(engineModules, entry))
  }
  const npm = (cwd: string, ...rest: string[]) =>
    execFileSync('npm', [...rest, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd, stdio: ['ignore', 'ignore', 'inherit'] })
  for (const given of gitPackages) {
    const [dir, ref = 'HEAD'] = given.split('#') as [string, string | undefined]
    const source = resolve(dir)
    const target = join(store, `git-${overlayPackages.length}`)
    mkdirSync(target)
    if (existsSync(join(source, 'package.json'))) {
      cpSync(source, target, { recursive: true, filter: (path) => !/[\\/](?:\.git|node_modules)(?:[\\/]|$)/.test(path.slice(source.length)) })
    } else {
      const archive = execFileSync('git', ['--git-dir', source, 'archive', '--format=tar', ref], { maxBuffer: 256 * 1024 * 1024 })
      execFileSync('tar', ['-x', '-C', target], { input: archive })
    }
    const manifest = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as { name?: string; version?: string }
    if (manifest.name === undefined) throw new Error(`${given}: its package.json has no name`)
    // Its package.json's ranges, from the public registry (a lockfile may name a private one).
    rmSync(join(target, 'package-lock.json'), { force: true })
    npm(target, 'install', '--no-package-lock', '--omit=dev')
    link(manifest.name, target)
    overlayPackages.push(`${manifest.name}@${manifest.version ?? '?'} (${given})`)
  }
  for (const spec of npmPackages) {
    const target = join(store, `npm-${overlayPackages.length}`)
    mkdirSync(target)
    writeFileSync(join(target, 'package.json'), '{ "private": true }\n')
    npm(target, 'install', '--no-package-lock', '--omit=dev', spec)
    const name = /^(@[^/@]+\/[^@]+|[^@]+)/.exec(spec)?.[1] ?? spec
    const manifest = JSON.parse(readFileSync(join(target, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
    link(name, join(target, 'node_modules', name))
    overlayPackages.push(`${name}@${manifest.version} (npm)`)
  }
  process.env['TOKENRULES_COMPAT_MODULES'] = root
}
