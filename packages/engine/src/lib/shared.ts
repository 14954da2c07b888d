import { hostBudgetBytes } from './budget.js'
import { ConfigInvalidError, formatIssuePath, RuleCompileError } from '../errors.js'
import type { ResolvedOptions, RuleDefinition } from '../options.js'
import { registerAccessToken, registerAuth0 } from './capabilities/auth0.js'
import { registerBasics } from './capabilities/basics.js'
import { registerActionCache } from './capabilities/action-cache.js'
import { registerJwtOffThread } from './capabilities/jwt-off-thread.js'
import { inProcessApi, registerHttp } from './capabilities/http.js'
import { HostRegistry } from './host-bridge.js'
import { RUN_CAPS } from './run-caps.js'
import { requiredModules } from '../modules.js'
import { BRIDGE_CLIENTS, bufferSource, bundlePackage, cryptoSource, majorOf, NODE_PORT_NAMES, nodePortsSource } from './packages.js'
import { HOST_BOUNDS } from './capabilities/bounds.js'
import type { SandboxSettings, SandboxShared } from './sandbox.js'

/**
 * Node's built-ins any rule set may list in `modules.packages` for its rules' own `require`: pure
 * functions of data, the sandbox's own (guest/modules.js) or its ports (guest/node.js). Bundled
 * packages get them whatever the list says.
 */
const BUILTIN_PACKAGES = new Set(['url', 'querystring', 'buffer', ...NODE_PORT_NAMES])
/** Modules served by a capability, with the option that grants it. */
const CAPABILITY_MODULES: Record<string, string> = {
  crypto: 'modules.crypto',
  ...BRIDGE_CLIENTS,
}

type ModuleTable = SandboxSettings['modules']

/**
 * Everything the sandboxes of one rule set share: the guest settings, the host functions rules may
 * call, and the bundles of the allowed packages. Bundling is cached per process, so this is cheap
 * after the first engine that allows a package.
 */
export async function prepareShared(
  options: ResolvedOptions,
  rules: readonly RuleDefinition[],
  limits: { noBrowserProtocols: readonly string[]; maxTimers: number; maxClaimsBytes: number },
): Promise<SandboxShared> {
  const registry = new HostRegistry(hostBudgetBytes(options.limits.memoryLimitMb))
  registerBasics(registry, options.random)
  if (options.clock !== undefined) {
    const clock = options.clock
    registry.register('$clock', () => clock())
  }
  registerAuth0(
    registry,
    { app: options.hooks.updateAppMetadata, user: options.hooks.updateUserMetadata },
    { maxBytes: options.limits.maxUserBytes, maxUpdates: RUN_CAPS.maxMetadataUpdates },
  )
  if (options.auth0.accessToken !== undefined) registerAccessToken(registry, options.auth0.accessToken)
  if (options.actions.length > 0) registerActionCache(registry, options.clock)
  const modules: ModuleTable = {}

  const sources = new Map<string, string>()
  const packages = options.modules.packages
  // The ports of Node's built-ins, for bundled packages, rules that list one, and the http module:
  // bundled once per process (beside the packages' own bundles), only for engines that may need them.
  const needsPorts =
    packages.some((p) => !BUILTIN_PACKAGES.has(p.name) || NODE_PORT_NAMES.includes(p.name)) ||
    options.modules.http !== undefined ||
    options.auth0.managementApi !== undefined
  const portsBundle = needsPorts ? nodePortsSource() : undefined
  // Settled here if bundling a package fails first (the error that fails createEngine is that one).
  portsBundle?.catch(() => undefined)
  const bundled: { index: number; name: string; version: string }[] = []
  await Promise.all(
    packages.map(async (entry, index) => {
      const name = entry.name
      if (BUILTIN_PACKAGES.has(name) && entry.version === undefined && entry.from === undefined) {
        modules[name] = { kind: 'builtin' }
        return
      }
      const option = CAPABILITY_MODULES[name]
      if (option !== undefined || BUILTIN_PACKAGES.has(name)) {
        const message =
          option !== undefined ? `'${name}' is not bundled: it is served by ${option}` : `'${name}' is the sandbox's built-in: it takes no version or 'from'`
        throw new ConfigInvalidError(`Invalid engine options: modules.packages[${index}]: ${message}`, [
          { path: ['modules', 'packages', index], code: 'custom', message },
        ])
      }
      try {
        const bundle = await bundlePackage(entry, options.modules.resolveFrom)
        sources.set(`${name}@${bundle.version}`, bundle.source)
        bundled.push({ index, name, version: bundle.version })
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        throw new ConfigInvalidError(
          `Invalid engine options: modules.packages[${index}]: ${message}`,
          [{ path: ['modules', 'packages', index], code: 'custom', message }],
          error,
        )
      }
    }),
  )
  // Every version of a package, in the order modules.packages lists them: the first is what a
  // require without a version loads. Two entries that installed the same version are one mistake.
  bundled.sort((a, b) => a.index - b.index)
  const firstOf = new Map<string, number>()
  for (const { index, name, version } of bundled) {
    const key = `${name}@${version}`
    const first = firstOf.get(key)
    if (first !== undefined) {
      const message = `installs ${key} again, as modules.packages[${first}] does`
      throw new ConfigInvalidError(`Invalid engine options: modules.packages[${index}]: ${message}`, [
        { path: ['modules', 'packages', index], code: 'custom', message },
      ])
    }
    firstOf.set(key, index)
    const def = modules[name]
    if (def === undefined) modules[name] = { kind: 'package', version, versions: [version] }
    else def.versions?.push(version)
  }
  registry.register('$moduleSource', ([name, version]) => {
    const source = sources.get(`${String(name)}@${String(version)}`)
    if (source === undefined) throw new Error(`No bundle for '${String(name)}@${String(version)}'.`)
    return source
  })
  const nodeSource = await portsBundle
  registry.register('$nodeSource', () => {
    if (nodeSource === undefined) throw new Error("This engine has no ports of Node's built-ins.")
    return nodeSource
  })
  // Signatures are pure computations: bundled packages may use them internally (a package's own
  // require('crypto')); rules reach them only when modules.crypto allows it. They run on the worker
  // pool (hashes run in the isolate itself, see guest/crypto.js).
  registerJwtOffThread(registry)
  if (options.modules.crypto) {
    modules['crypto'] = { kind: 'builtin' }
    modules['jsonwebtoken'] = { kind: 'builtin' }
  }
  if (options.modules.http !== undefined) {
    registerHttp(registry, options.modules.http, inProcessApi(options.auth0))
    for (const [name, option] of Object.entries(BRIDGE_CLIENTS)) if (option === 'modules.http') modules[name] = { kind: 'builtin' }
    // Node's own client, over the same bridge (guest/node-http.js).
    modules['http'] = { kind: 'builtin' }
    modules['https'] = { kind: 'builtin' }
  }
  for (const [name, value] of Object.entries(options.modules.host)) {
    modules[name] = { kind: 'host', descriptor: describe(registry, value, ['modules', 'host', name]) }
  }
  const globals: SandboxSettings['globals'] = {}
  for (const [name, value] of Object.entries(options.globals)) globals[name] = describe(registry, value, ['globals', name])

  checkRequiredVersions(rules, modules)
  checkActionDependencies(options, modules)
  const domain = options.auth0.domain
  return {
    registry,
    bufferSource: bufferSource(),
    cryptoSource: await cryptoSource(),
    settings: {
      configuration: options.configuration,
      noBrowserProtocols: limits.noBrowserProtocols,
      maxLogEntries: options.limits.maxLogEntries,
      maxTimers: limits.maxTimers,
      maxClaimsBytes: limits.maxClaimsBytes,
      maxUserBytes: options.limits.maxUserBytes,
      maxHostCallChars: HOST_BOUNDS.maxCallChars,
      caps: { ...RUN_CAPS },
      offHeapBytes: options.limits.memoryLimitMb * 1024 * 1024,
      webAssembly: options.webAssembly,
      modules,
      globals,
      process: { env: options.process.env },
      auth0: { domain, baseUrl: domain === undefined ? undefined : `https://${domain}/api/v2`, accessToken: options.auth0.accessToken !== undefined },
      fetch: options.modules.http !== undefined,
      clock: options.clock !== undefined,
      random: options.random !== undefined,
      remote: options.isolation === 'process',
      actions: options.actions.map((action) => ({
        name: action.name,
        secrets: pairs(action.secrets),
        configuration: pairs(action.configuration),
        dependencies: Object.fromEntries((action.dependencies ?? []).map((dep) => [dep.name, dep.version.replace(/^v/, '')])),
      })),
      ruleIds: Object.fromEntries(rules.flatMap((rule) => (typeof rule.id === 'string' ? [[rule.name, rule.id]] : []))),
    },
    actionSources: options.actions.map((action) => ({ name: action.name, code: action.code })),
  }
}

/** An action's `secrets` or `configuration` list as the object the action reads. */
function pairs(list: readonly { name: string; value: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const { name, value } of list ?? []) Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true })
  return out
}

/**
 * Every dependency an action declares must be an allowed module; a bundled package at exactly the
 * declared version (two actions may need two versions: `modules.packages` entries with `from`).
 */
function checkActionDependencies(options: ResolvedOptions, modules: ModuleTable): void {
  options.actions.forEach((action, index) => {
    ;(action.dependencies ?? []).forEach((dep, at) => {
      const version = dep.version.replace(/^v/, '')
      const def = Object.hasOwn(modules, dep.name) ? modules[dep.name] : undefined
      let message: string | undefined
      if (def === undefined) {
        message = `'${dep.name}', which is not an allowed module: list { name: '${dep.name}', version: '${version}' } in modules.packages (with 'from' for an npm alias when another version is listed too)`
      } else if (def.kind === 'package' && !(def.versions ?? []).includes(version)) {
        const have = (def.versions ?? []).map((v) => `${dep.name}@${v}`).join(', ')
        message = `${dep.name}@${version}, which is not installed (modules.packages gives ${have}): add { name: '${dep.name}', version: '${version}', from: '<its npm alias>' }`
      }
      if (message !== undefined) {
        const path = ['actions', index, 'dependencies', at]
        const text = `action '${action.name}' depends on ${message}`
        throw new ConfigInvalidError(`Invalid engine options: ${formatIssuePath(path)}: ${text}`, [{ path, code: 'custom', message: text }])
      }
    })
  })
}

function describe(registry: HostRegistry, value: unknown, path: readonly (string | number)[]) {
  try {
    return registry.describe(value, formatIssuePath(path))
  } catch (error) {
    const message = (error as Error).message
    throw new ConfigInvalidError(`Invalid engine options: ${message}`, [{ path, code: 'custom', message }], error)
  }
}

/** `require('name@version')` with another major than the installed one is an error at load. */
function checkRequiredVersions(rules: readonly RuleDefinition[], modules: ModuleTable): void {
  for (const rule of rules) {
    for (const { name, version } of requiredModules(rule.script)) {
      const def = modules[name]
      const installed = def?.versions ?? (def?.version === undefined ? [] : [def.version])
      if (version === undefined || installed.length === 0) continue
      if (!installed.some((v) => majorOf(v) === majorOf(version))) {
        const have = installed.map((v) => `${name}@${v}`).join(', ')
        throw new RuleCompileError(
          `Rule '${rule.name}' requires ${name}@${version}, but ${have} ${installed.length === 1 ? 'is' : 'are'} installed (another major version).`,
          {
            rule: rule.name,
          },
        )
      }
    }
  }
}
