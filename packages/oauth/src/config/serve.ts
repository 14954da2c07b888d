import { watch, type FSWatcher } from 'node:fs'
import { stat } from 'node:fs/promises'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isDeepStrictEqual } from 'node:util'
import type { EngineOptions } from '@tokenrules/engine'
import { postLoginActions, readTenantRules } from '@tokenrules/engine/node'
import { toNodeListener } from '../node.js'
import { createTokenServer, type TokenServer } from '../server.js'
import { describeServerConfig, loadServerConfig, type LoadServerConfigOptions, type ServerConfig } from './load.js'
import { openServerStores, type OpenStores } from './stores.js'

/** Options of {@link serve}. */
export interface ServeOptions extends LoadServerConfigOptions {
  /** The config file (`tokenrules.yaml`). */
  config: string
  /** Where the server's lines go (start, reloads, errors). Default: standard error. Never given a secret. */
  log?: ((line: string) => void) | undefined
  /** Overrides the file's `listen.port` (`0`: a free port). */
  port?: number | undefined
  /** Overrides the file's `listen.host`. */
  host?: string | undefined
  /** Overrides the file's `rules.watch`. */
  watch?: boolean | undefined
}

/** What a reload did. */
export type ReloadOutcome =
  | { reloaded: true; rules: number }
  /** The new config or rules did not load: the previous set keeps serving; `reason` says why. */
  | { reloaded: false; reason: string }

/** A running server of {@link serve}. */
export interface RunningServer extends AsyncDisposable {
  /** `http://host:port`, where it listens. */
  url: string
  /** The config in use (holds secrets: do not log it). */
  readonly config: ServerConfig
  /** Reads the config file and the rules again and swaps them in; what file watching does. */
  reload(): Promise<ReloadOutcome>
  /** Stops watching and listening, lets requests in flight finish, closes the stores. */
  close(): Promise<void>
}

interface Built {
  server: TokenServer
  rules: number
  actions: number
  watch: string[]
}

/** `2 rules`, `2 rules, 1 action`. */
function counted(built: Built): string {
  const rules = `${built.rules} rule${built.rules === 1 ? '' : 's'}`
  return built.actions === 0 ? rules : `${rules}, ${built.actions} action${built.actions === 1 ? '' : 's'}`
}

/**
 * Runs the token server a config file describes (what `tokenrules serve --config tokenrules.yaml`
 * does): opens its stores, reads its rules from where the tenant keeps them (a folder, a Deploy
 * CLI export, a Management API dump; `@tokenrules/engine/node`'s readTenantRules), builds the
 * createTokenServer options and listens. While it runs, a change of the rules or of the file
 * reloads them: a new server (its engine holding the new rule set) is built beside the running
 * one and swapped in at once; if the new rules or config do not load, the running one keeps
 * serving and the log says why. Changes of `stores` and `listen` take a restart.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { serve } from '@tokenrules/oauth/cli'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'tokenrules-serve-'))
 * try {
 *   await mkdir(join(dir, 'rules'))
 *   await writeFile(join(dir, 'rules', '01-plan.js'), `function (user, context, callback) {
 *     context.accessToken['https://example.com/plan'] = configuration.PLAN;
 *     callback(null, user, context);
 *   }`)
 *   await writeFile(join(dir, 'tokenrules.yaml'), [
 *     'issuer: https://auth.example.com/',
 *     'clients: [{ clientId: app, allowPublic: true, grants: [password] }]',
 *     'apis: [{ identifier: https://api.example.com, scopes: [] }]',
 *     'directories: [{ name: Employees }]',
 *     'passwords: { scryptCost: 4096 }',
 *     'rules: { path: rules, watch: false }',
 *     'configuration: { PLAN: gold }',
 *   ].join('\n'))
 *   await using server = await serve({ config: join(dir, 'tokenrules.yaml'), port: 0, log: () => {} })
 *   const health = await fetch(`${server.url}/.well-known/openid-configuration`)
 *   assert.equal(((await health.json()) as { issuer: string }).issuer, 'https://auth.example.com/')
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`))
  let config = await loadServerConfig(options.config, options)
  const opened = await openServerStores(config.stores)
  let current: Built
  try {
    current = await build(config, opened, log)
  } catch (error) {
    await opened.close()
    throw error
  }
  const http: Server = createServer(toNodeListener((request, connection) => current.server.handler(request, connection)))
  try {
    http.listen(options.port ?? config.listen.port, options.host ?? config.listen.host)
    await Promise.race([once(http, 'listening'), once(http, 'error').then(([error]) => Promise.reject(error as Error))])
  } catch (error) {
    await current.server.close()
    await opened.close()
    throw error
  }
  const address = http.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`
  for (const line of describeServerConfig(config)) log(`tokenrules serve: ${line}`)
  log(`tokenrules serve: ${counted(current)}; listening on ${url}`)

  let closed = false
  let reloading: Promise<unknown> = Promise.resolve()
  const reload = (): Promise<ReloadOutcome> => {
    const next = reloading.then(async (): Promise<ReloadOutcome> => {
      if (closed) return { reloaded: false, reason: 'the server is closed' }
      let built: Built
      let nextConfig: ServerConfig
      try {
        nextConfig = await loadServerConfig(options.config, options)
        built = await build(nextConfig, opened, log)
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error)
        log(`tokenrules serve: the new rules or config did not load, the previous ones keep serving: ${reason}`)
        return { reloaded: false, reason }
      }
      if (closed) {
        await built.server.close()
        return { reloaded: false, reason: 'the server is closed' }
      }
      if (!isDeepStrictEqual(nextConfig.stores, config.stores) || !isDeepStrictEqual(nextConfig.listen, config.listen)) {
        log('tokenrules serve: stores and listen changed in the file take a restart; the running ones stay')
      }
      const old = current
      current = built
      config = { ...nextConfig, stores: config.stores, listen: config.listen }
      await old.server.close()
      await watching.update(built.watch)
      log(`tokenrules serve: reloaded, ${counted(built)}`)
      return { reloaded: true, rules: built.rules }
    })
    reloading = next.catch(() => undefined)
    return next
  }

  const watching = watchFiles(options.config, options.watch ?? config.rules?.watch ?? false, () => void reload())
  // Watching before serve returns: a change made right after it is seen.
  await watching.update(current.watch)

  const close = async () => {
    if (closed) return
    closed = true
    watching.close()
    await reloading
    await new Promise<void>((resolve) => {
      http.close(() => resolve())
      http.closeIdleConnections()
    })
    await current.server.close()
    await opened.close()
  }
  return {
    url,
    get config() {
      return config
    },
    reload,
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** A token server for `config` on the open stores, its engine holding the rules the config names. */
async function build(config: ServerConfig, opened: OpenStores, log: (line: string) => void): Promise<Built> {
  const tenant =
    config.rules === undefined ? undefined : await readTenantRules({ path: config.rules.path, format: config.rules.format, mappings: config.rules.mappings })
  const configuration = { ...tenant?.configuration, ...config.configuration }
  // The post-login actions run after the rules; a secret the export has no value for is the
  // configuration value of that name (from the file or the environment).
  const actions = tenant === undefined ? [] : postLoginActions(tenant, { secrets: configuration })
  const engine: EngineOptions = {
    ...config.engine,
    rules: tenant?.rules ?? [],
    actions,
    configuration,
  }
  const server = await createTokenServer({
    ...config.server,
    engine,
    stores: opened.stores,
    hooks: {
      onError: (event) => log(`tokenrules serve: ${event.path}: ${event.error instanceof Error ? event.error.message : String(event.error)}`),
    },
  })
  const enabled = engine.rules.filter((rule) => rule.enabled !== false).length
  return { server, rules: enabled, actions: actions.length, watch: [config.file, ...(tenant?.watch ?? [])] }
}

/** Watches the config file and the rule set's files; `changed` is called once per burst of changes. */
function watchFiles(configFile: string, enabled: boolean, changed: () => void): { update(paths: string[]): Promise<void>; close(): void } {
  const watchers = new Map<string, FSWatcher>()
  let wanted = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let closed = false
  const fire = () => {
    if (timer !== undefined) clearTimeout(timer)
    // Editors write a file in several steps: one reload for the burst.
    timer = setTimeout(() => {
      timer = undefined
      if (closed) return
      for (const path of wanted) void add(path)
      changed()
    }, 150)
    timer.unref()
  }
  const drop = (path: string) => {
    watchers.get(path)?.close()
    watchers.delete(path)
  }
  const add = async (path: string) => {
    try {
      const isDir = (await stat(path)).isDirectory()
      if (closed || watchers.has(path) || !wanted.has(path)) return
      const watcher = watch(path, { recursive: isDir, persistent: false }, (event) => {
        // A file replaced by an editor (written beside, renamed over) is a new file: watch that one.
        if (event === 'rename' && !isDir) drop(path)
        fire()
      })
      watcher.on('error', () => drop(path))
      watchers.set(path, watcher)
    } catch {
      // Gone meanwhile: the next reload says what is missing.
    }
  }
  return {
    async update(paths) {
      if (!enabled || closed) return
      wanted = new Set([configFile, ...paths])
      for (const path of [...watchers.keys()]) if (!wanted.has(path)) drop(path)
      await Promise.all([...wanted].map(add))
    },
    close() {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      for (const path of [...watchers.keys()]) drop(path)
    },
  }
}
