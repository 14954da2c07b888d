import { hostBudgetBytes } from './budget.js'
import { ConfigInvalidError, formatIssuePath, RuleCompileError } from '../errors.js'
import type { ResolvedOptions, RuleDefinition } from '../options.js'
import { registerAccessToken, registerAuth0 } from './capabilities/auth0.js'
import { registerBasics } from './capabilities/basics.js'
import { registerJwtOffThread } from './capabilities/jwt-off-thread.js'
import { inProcessApi, registerHttp } from './capabilities/http.js'
import { HostRegistry } from './host-bridge.js'
import { RUN_CAPS } from './run-caps.js'
import { requiredModules } from '../modules.js'
import { bufferSource, bundlePackage, cryptoSource, majorOf } from './packages.js'
import { HOST_BOUNDS } from './capabilities/bounds.js'
import type { SandboxSettings, SandboxShared } from './sandbox.js'

/** Built-in modules any rule set may list in `modules.packages`: pure functions of data. */
const BUILTIN_PACKAGES = new Set(['url', 'querystring', 'buffer'])
/** Modules served by a capability, with the option that grants it. */
const CAPABILITY_MODULES: Record<string, string> = {
  crypto: 'modules.crypto',
  jsonwebtoken: 'modules.crypto',
  request: 'modules.http',
  axios: 'modules.http',
  'node-fetch': 'modules.http',
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
  const modules: ModuleTable = {}

  const sources = new Map<string, string>()
  const packages = options.modules.packages
  await Promise.all(
    packages.map(async (name, index) => {
      if (BUILTIN_PACKAGES.has(name)) {
        modules[name] = { kind: 'builtin' }
        return
      }
      const option = CAPABILITY_MODULES[name]
      if (option !== undefined) {
        const message = `'${name}' is not bundled: it is served by ${option}`
        throw new ConfigInvalidError(`Invalid engine options: modules.packages[${index}]: ${message}`, [
          { path: ['modules', 'packages', index], code: 'custom', message },
        ])
      }
      try {
        const bundle = await bundlePackage(name, options.modules.resolveFrom)
        sources.set(name, bundle.source)
        modules[name] = { kind: 'package', version: bundle.version }
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
  registry.register('$moduleSource', ([name]) => {
    const source = sources.get(String(name))
    if (source === undefined) throw new Error(`No bundle for '${String(name)}'.`)
    return source
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
    for (const name of ['request', 'axios', 'node-fetch']) modules[name] = { kind: 'builtin' }
  }
  for (const [name, value] of Object.entries(options.modules.host)) {
    modules[name] = { kind: 'host', descriptor: describe(registry, value, ['modules', 'host', name]) }
  }
  const globals: SandboxSettings['globals'] = {}
  for (const [name, value] of Object.entries(options.globals)) globals[name] = describe(registry, value, ['globals', name])

  checkRequiredVersions(rules, modules)
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
      auth0: { domain, baseUrl: domain === undefined ? undefined : `https://${domain}/api/v2`, accessToken: options.auth0.accessToken !== undefined },
      fetch: options.modules.http !== undefined,
      clock: options.clock !== undefined,
      random: options.random !== undefined,
      remote: options.isolation === 'process',
    },
  }
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
      const installed = modules[name]?.version
      if (version === undefined || installed === undefined) continue
      if (majorOf(version) !== majorOf(installed)) {
        throw new RuleCompileError(`Rule '${rule.name}' requires ${name}@${version}, but ${name}@${installed} is installed (another major version).`, {
          rule: rule.name,
        })
      }
    }
  }
}
