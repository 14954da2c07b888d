/**
 * `pnpm compat:templates -- --from <auth0/rules checkout, or its git directory>`: Auth0's rule
 * templates (src/rules/*.js) through the differential harness, measured like the deployed corpus
 * but with generic fixtures, and nothing of them written into this repository:
 *
 * - every literal `http(s)://host` in a template and every configuration value it reads that
 *   names a place (`…URL`, `…URI`, `…ENDPOINT`, `…HOST`, `…API…`, webhooks) point at one fixture
 *   server, which answers any path with the canned JSON of `--json` (default `{}`);
 * - other configuration keys get fixture secrets (`fixture-<KEY>`);
 * - the modules a template requires are allowed (HTTP to the fixture, crypto);
 * - two logins: the default password login, and a social login with metadata.
 *
 * Each template is classified: identical, differs (the diff), or needs a live database or service
 * that cannot be faked (a database driver it requires, a module that is not installed here).
 * Options: `--json '<canned answer>'`, `--only <name,…>`, `--thread`, `--verbose`, and
 * `--package <git dir>[#ref]` / `--npm <name@version>` for packages not installed in packages/engine
 * (scripts/compat-overlay.ts; Auth0 served `@auth0/rule-utilities`, which npm never had).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire, builtinModules } from 'node:module'
import { join } from 'node:path'
import { overlayPackages } from './compat-overlay.js'
import type { Case, LoadedRule } from '../test/deployed/harness.js'
import { ENGINE_DIR } from '../test/deployed/harness-reference.js'
import { guardMeasurement, measure, percent } from './compat-run.js'

const args = process.argv.slice(2)
const run = guardMeasurement()
const option = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i === -1 ? undefined : args[i + 1]
}
const from = option('--from')
if (from === undefined) {
  process.stderr.write(
    'usage: pnpm compat:templates -- --from <auth0/rules checkout or git directory> [--json <canned JSON>] [--only a,b] [--thread] [--verbose]\n',
  )
  process.exit(2)
}
const canned: unknown = JSON.parse(option('--json') ?? '{}')
const only = option('--only')?.split(',')

/** The templates' sources, from a work tree (src/rules/*.js) or from a git directory (HEAD). */
function readTemplates(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  const tree = join(dir, 'src', 'rules')
  if (existsSync(tree) && statSync(tree).isDirectory()) {
    for (const file of readdirSync(tree)
      .filter((f) => f.endsWith('.js'))
      .sort())
      out.set(file.slice(0, -3), readFileSync(join(tree, file), 'utf8'))
    return out
  }
  const git = (...a: string[]) => execFileSync('git', ['--git-dir', dir, ...a], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  for (const path of git('ls-tree', '--name-only', 'HEAD', 'src/rules/')
    .split('\n')
    .filter((p) => p.endsWith('.js'))
    .sort()) {
    out.set(path.slice('src/rules/'.length, -3), git('show', `HEAD:${path}`))
  }
  if (out.size === 0) throw new Error(`${dir}: neither a checkout with src/rules/*.js nor a git directory with them at HEAD`)
  return out
}

/** Drivers of databases and services a fixture cannot stand in for. */
const LIVE_SERVICES: Record<string, string> = {
  mongodb: 'a MongoDB database',
  tedious: 'a SQL Server database',
  mysql: 'a MySQL database',
  pg: 'a PostgreSQL database',
}
const hostRequire = createRequire(join(ENGINE_DIR, 'package.json'))
const packageName = (spec: string) => /^(@[^/@]+\/[^@]+|[^@]+)/.exec(spec)?.[1] ?? spec

function installed(name: string): boolean {
  if (builtinModules.includes(name)) return true
  try {
    hostRequire.resolve(name)
    return true
  } catch {
    return false
  }
}

const PLACE = /URL|URI|ENDPOINT|HOST|DOMAIN|WEBHOOK|API_BASE|SERVER|BASE/i

/** The generic case of a template, or why it cannot be measured here. */
function genericCase(source: string): { testCase: Case } | { blocked: string } {
  const requires = [...source.matchAll(/require\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] as string)
  for (const spec of requires) {
    const name = packageName(spec)
    if (LIVE_SERVICES[name] !== undefined) return { blocked: `needs ${LIVE_SERVICES[name]} (require('${spec}'))` }
  }
  const missing = requires.map(packageName).filter((name) => !installed(name))
  if (missing.length > 0) return { blocked: `module not installed here: ${[...new Set(missing)].join(', ')}` }
  // The template's own URLs stay as written: the fixture answers for their hosts on both sides.
  // A default port written out (`:443`) is the same origin: served bare as well.
  const served = new Set(
    [...source.matchAll(/https?:\/\/([A-Za-z0-9.-]+(?::\d+)?)/g)].flatMap((m) => [m[1] as string, (m[1] as string).replace(/:(?:443|80)$/, '')]),
  )
  const keys = new Set([...source.matchAll(/configuration\.([A-Za-z_$][\w$]*)|configuration\[\s*['"]([^'"]+)['"]\s*\]/g)].map((m) => (m[1] ?? m[2]) as string))
  const configuration: Record<string, string> = {}
  for (const key of keys) {
    const name = `${key.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.fixture.example`
    const escaped = key.replace(/[$]/g, '\\$')
    // Used as a host: 'https://' + configuration.X, `https://${configuration.X}`, '@' + configuration.X.
    const asHost = new RegExp(`(?:https?://|@)['"\`]?\\s*\\+\\s*configuration\\.${escaped}\\b|(?:https?://|@)\\$\\{\\s*configuration\\.${escaped}\\s*\\}`).test(
      source,
    )
    if (asHost) {
      configuration[key] = name
      served.add(name)
    } else if (PLACE.test(key)) {
      configuration[key] = /DOMAIN|HOST/i.test(key) && !/URL|URI/i.test(key) ? name : `https://${name}`
      served.add(name)
    } else configuration[key] = `fixture-${key}`
  }
  const builtins = requires.map(packageName).filter((n) => builtinModules.includes(n) && n !== 'crypto')
  return {
    testCase: {
      modules: { packages: [...new Set([...requires.filter((s) => !builtinModules.includes(packageName(s))), ...builtins])], crypto: true, http: true },
      configuration,
      // Only names an allow-list takes (a template's placeholder such as `https://{yourDomain}` is no host).
      served: [...served].filter((host) => /^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d{1,5})?$/i.test(host)),
      routes: [{ json: canned }],
      // One fixed time on both sides, so that timestamps and signatures over them compare.
      now: '2024-05-01T12:00:00.000Z',
      scenarios: [
        { name: 'password login' },
        {
          name: 'social login with metadata',
          user: {
            user_id: 'google-oauth2|1093',
            email: 'ada@example.com',
            app_metadata: { roles: ['admin'], plan: 'pro' },
            user_metadata: { locale: 'en' },
            identities: [{ provider: 'google-oauth2', connection: 'google-oauth2', user_id: '1093', isSocial: true }],
          },
          context: { connection: 'google-oauth2', connectionStrategy: 'google-oauth2' },
        },
      ],
    },
  }
}

const templates = readTemplates(from)
const rules: LoadedRule[] = []
const blocked: { slug: string; why: string }[] = []
for (const [slug, source] of templates) {
  if (only !== undefined && !only.includes(slug)) continue
  const prepared = genericCase(source)
  if ('blocked' in prepared) blocked.push({ slug, why: prepared.blocked })
  else rules.push({ slug, source, origin: undefined, testCase: prepared.testCase })
}
const verbose = args.includes('--verbose')
const verdicts = await measure(rules, {
  isolation: args.includes('--thread') ? 'thread' : 'process',
  onRule: (v) => {
    if (v.identical) return void process.stdout.write(`identical  ${v.slug}\n`)
    process.stdout.write(`DIFFERS    ${v.slug}\n`)
    for (const d of v.differences) {
      process.stdout.write(`    ${d.scenario}:\n      ${d.diff.split('\n').join('\n      ')}\n`)
      if (verbose) process.stdout.write(`      engine notes: ${d.engineNotes.join('; ')}\n      reference notes: ${d.referenceNotes.join('; ')}\n`)
    }
  },
})
for (const b of blocked) process.stdout.write(`NOT RUN    ${b.slug}: ${b.why}\n`)
if (overlayPackages.length > 0) process.stdout.write(`\nadded for this measurement (not installed in packages/engine): ${overlayPackages.join(', ')}\n`)
const identical = verdicts.filter((v) => v.identical).length
const live = blocked.filter((b) => b.why.startsWith('needs ')).length
const notInstalled = blocked.length - live
process.stdout.write(
  `\nauth0/rules templates: ${templates.size} in the checkout${only === undefined ? '' : ` (${verdicts.length + blocked.length} selected)`}; ` +
    `${live} need a live database; ${notInstalled} use a module not installed here; ` +
    `${identical} / ${verdicts.length} measured identical (${percent(identical, verdicts.length)}); ` +
    `${identical} / ${verdicts.length + notInstalled} of those that need no live database (${percent(identical, verdicts.length + notInstalled)})\n`,
)
run.measured()
