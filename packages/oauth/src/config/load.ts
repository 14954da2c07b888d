import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { ConfigInvalidError, formatIssuePath, type EngineOptions } from '@tokenrules/engine'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml'
import type { ClientConfig, TokenServerOptions } from '../options.js'
import { validateOptions } from '../options.js'
import { hashSecret } from '../passwords/hash-secret.js'
import { serverConfigSchema, type ServerConfigFile } from './schema.js'

/** One problem of a config file: where (the keys down to it, and its line) and what. */
export interface ServerConfigIssue {
  /** The keys from the top of the file down to the problem, e.g. `['clients', 0, 'grants', 1]`. */
  path: (string | number)[]
  /** The line of the file (1-based) the problem is on, when the file has that spot. */
  line?: number | undefined
  /** What is wrong. Never holds a secret's value. */
  message: string
}

/**
 * A config file that cannot be used: every problem found, each naming its path in the file (and
 * its line). `code` is `ERR_SERVER_CONFIG`. The message never holds a secret or an environment
 * variable's value.
 */
export class ServerConfigError extends Error {
  /** Stable across versions: `ERR_SERVER_CONFIG`. */
  readonly code = 'ERR_SERVER_CONFIG'
  /** The config file's path. */
  readonly file: string
  /** Every problem, in file order. */
  readonly issues: readonly ServerConfigIssue[]

  /** Made by {@link loadServerConfig}. */
  constructor(file: string, issues: readonly ServerConfigIssue[]) {
    const lines = issues.map(
      (issue) =>
        `  ${file}${issue.line === undefined ? '' : `:${issue.line}`}: ${issue.path.length === 0 ? '' : `${formatIssuePath(issue.path)}: `}${issue.message}`,
    )
    super(`Invalid config file ${file} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`)
    this.name = 'ServerConfigError'
    this.file = file
    this.issues = issues
  }
}

/** Where the stores are, resolved (paths absolute, URLs from the environment). */
export interface ServerStoresConfig {
  /** Absolute path of the SQLite file. */
  sqlite?: string | undefined
  /** PostgreSQL connection URL. */
  postgres?: string | undefined
  /** Redis URL (attempts, refresh tokens, userinfo). */
  redis?: string | undefined
}

/** Where the rules are, resolved. */
export interface ServerRulesConfig {
  /** Absolute path of the folder, export or dump. */
  path: string
  format?: 'folder' | 'deploy-cli-directory' | 'deploy-cli-yaml' | 'management-api' | undefined
  /** The Deploy CLI keyword mappings, values resolved. */
  mappings?: Record<string, string> | undefined
  /** Reload when the rules or the config file change. */
  watch: boolean
}

/**
 * A config file read by {@link loadServerConfig}: checked, its environment references read, its
 * client secrets hashed, its paths absolute. Holds secrets (the encryption key, store URLs): log
 * {@link describeServerConfig}, never this object.
 */
export interface ServerConfig {
  /** The file's absolute path. */
  file: string
  /** Where the HTTP server listens. */
  listen: { host: string; port: number }
  /** The token server's options but for `engine`, `stores`, `hooks` and `clock`, which `serve` adds. */
  server: Omit<TokenServerOptions, 'engine' | 'stores' | 'hooks' | 'clock'>
  /** The stores. None given: in memory. */
  stores: ServerStoresConfig
  /** The rules. Left out: no rules. */
  rules?: ServerRulesConfig | undefined
  /** The rules' `configuration` from the file, over the export's `rules-configs`. */
  configuration: Record<string, string>
  /** Engine options but for the rules and their configuration. */
  engine: Omit<EngineOptions, 'rules' | 'configuration' | 'actions'>
}

/** Options of {@link loadServerConfig}. */
export interface LoadServerConfigOptions {
  /** Where `{ env: NAME }` references are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined
}

/**
 * Reads a `tokenrules.yaml` (or `.json`): checks it against {@link serverConfigSchema}, reads its
 * `{ env: NAME }` references, hashes the client secrets taken from the environment, resolves its
 * paths against the file's folder and checks what refers to what (default audience, directories,
 * sign-up clients). Throws a {@link ServerConfigError} listing every problem by path and line.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { loadServerConfig, ServerConfigError } from '@tokenrules/oauth/cli'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'tokenrules-config-'))
 * try {
 *   const file = join(dir, 'tokenrules.yaml')
 *   const lines = [
 *     'issuer: https://auth.example.com/',
 *     'clients:',
 *     '  - clientId: web',
 *     '    secret: { env: WEB_SECRET }',
 *     '    grants: [password, pasword]',
 *     'apis: [{ identifier: https://api.example.com, scopes: [read:messages] }]',
 *   ]
 *   await writeFile(file, lines.join('\n'))
 *   const error = await loadServerConfig(file, { env: { WEB_SECRET: 'a secret' } }).catch((e: unknown) => e)
 *   assert.ok(error instanceof ServerConfigError)
 *   assert.deepEqual(error.issues.map(({ path, line }) => [path.join('.'), line]), [['clients.0.grants.1', 5]])
 *
 *   await writeFile(file, lines.join('\n').replace('pasword', 'refresh_token'))
 *   const config = await loadServerConfig(file, { env: { WEB_SECRET: 'a secret' } })
 *   assert.ok(config.server.clients[0]?.secretHash?.startsWith('$scrypt$'))
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export async function loadServerConfig(file: string, options: LoadServerConfigOptions = {}): Promise<ServerConfig> {
  const env = options.env ?? process.env
  const path = resolve(file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new ServerConfigError(path, [{ path: [], message: `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }])
  }
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    throw new ServerConfigError(
      path,
      doc.errors.map((error) => ({ path: [], line: lineCounter.linePos(error.pos[0]).line, message: error.message.split('\n')[0] ?? error.code })),
    )
  }
  const located = (issues: ServerConfigIssue[]) => issues.map((issue) => ({ ...issue, line: issue.line ?? lineOf(doc, lineCounter, issue.path) }))
  const parsed = serverConfigSchema.safeParse(doc.toJS())
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((issue): ServerConfigIssue[] => {
      const at = issue.path.map((key) => (typeof key === 'number' ? key : String(key)))
      // An unknown key: name each, at its own line.
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...at, key], message: 'is not a setting of this file' }))
      return [{ path: at, message: issue.message }]
    })
    throw new ServerConfigError(path, sortByLine(located(issues)))
  }
  const issues: ServerConfigIssue[] = []
  const config = await resolveConfig(parsed.data, path, env, issues)
  // What the token server checks besides (origins, scopes, ids, what refers to what). A value of an
  // environment variable that is not set is left out, so only its own issue names it.
  try {
    validateOptions({ ...config.server, engine: { rules: [] } })
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error
    for (const issue of error.issues) issues.push({ path: fromOptionsPath(issue.path, parsed.data), message: issue.message })
  }
  if (issues.length > 0) throw new ServerConfigError(path, sortByLine(located(issues)))
  return config
}

async function resolveConfig(
  file: ServerConfigFile,
  path: string,
  env: LoadServerConfigOptions['env'] & object,
  issues: ServerConfigIssue[],
): Promise<ServerConfig> {
  const dir = dirname(path)
  const read = (value: string | { env: string }, at: (string | number)[]): string => {
    if (typeof value === 'string') return value
    const found = env[value.env]
    if (found === undefined || found === '') {
      issues.push({ path: at, message: `the environment variable ${value.env} is not set` })
      return ''
    }
    return found
  }
  const cost = file.passwords?.scryptCost
  const clients: ClientConfig[] = []
  for (const [index, client] of file.clients.entries()) {
    const { secret, ...rest } = client
    const resolved: ClientConfig = { ...rest }
    if (secret !== undefined) {
      const value = read(secret, ['clients', index, 'secret'])
      if (value !== '') resolved.secretHash = await hashSecret(value, cost === undefined ? {} : { cost })
    }
    clients.push(resolved)
  }
  const stores: ServerStoresConfig = {}
  if (file.stores?.sqlite !== undefined) stores.sqlite = resolve(dir, file.stores.sqlite)
  if (file.stores?.postgres !== undefined) stores.postgres = read(file.stores.postgres, ['stores', 'postgres'])
  if (file.stores?.redis !== undefined) stores.redis = read(file.stores.redis, ['stores', 'redis'])
  let encryptionKey: string | undefined
  if (file.encryptionKey !== undefined) encryptionKey = read(file.encryptionKey, ['encryptionKey'])
  else if (stores.sqlite !== undefined || stores.postgres !== undefined) {
    issues.push({ path: ['encryptionKey'], message: 'is required with stores.sqlite or stores.postgres: { env: NAME } of a 32-byte base64url key' })
  }
  const configuration: Record<string, string> = {}
  for (const [key, value] of Object.entries(file.configuration ?? {})) configuration[key] = read(value, ['configuration', key])
  let rules: ServerRulesConfig | undefined
  if (file.rules !== undefined) {
    const mappings: Record<string, string> = {}
    for (const [key, value] of Object.entries(file.rules.mappings ?? {})) mappings[key] = read(value, ['rules', 'mappings', key])
    rules = {
      path: resolve(dir, file.rules.path),
      format: file.rules.format,
      mappings: file.rules.mappings === undefined ? undefined : mappings,
      watch: file.rules.watch ?? true,
    }
  }
  const { engine = {} } = file
  const modules = engine.modules === undefined ? undefined : { ...engine.modules, resolveFrom: dir }
  const server: ServerConfig['server'] = {
    issuer: file.issuer,
    clients,
    apis: file.apis,
    directories: file.directories,
    defaultDirectory: file.defaultDirectory,
    defaultAudience: file.defaultAudience,
    encryptionKey: encryptionKey === '' ? undefined : encryptionKey,
    keys: file.keys,
    idToken: file.idToken,
    refreshTokens: file.refreshTokens,
    bruteForce: file.bruteForce,
    mfa: file.mfa,
    passwords: file.passwords,
    limits: file.limits,
    basePath: file.basePath,
    tenant: file.tenant,
    managementApi: file.managementApi,
  }
  return {
    file: path,
    listen: { host: file.listen?.host ?? '127.0.0.1', port: file.listen?.port ?? 3000 },
    server,
    stores,
    rules,
    configuration,
    engine: { ...engine, modules },
  }
}

/** Issues in file order (those without a line last, as found). */
function sortByLine(issues: ServerConfigIssue[]): ServerConfigIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.index - b.index)
    .map(({ issue }) => issue)
}

/** A path of the token server's options as the file writes it (a client's `secretHash` may be its `secret`). */
function fromOptionsPath(path: readonly (string | number)[], file: ServerConfigFile): (string | number)[] {
  const [top, index, key] = path
  if (top === 'clients' && typeof index === 'number' && key === 'secretHash' && file.clients[index]?.secret !== undefined) return ['clients', index, 'secret']
  return [...path]
}

/** The line of `path` in the file (the line of its key, or of its item in a list), or of the nearest enclosing node it has. */
function lineOf(doc: Document, lineCounter: LineCounter, path: readonly (string | number)[]): number | undefined {
  for (let length = path.length; length > 0; length--) {
    const parent = length === 1 ? doc.contents : doc.getIn(path.slice(0, length - 1), true)
    const key = path[length - 1]
    let start: number | undefined
    if (isMap(parent)) start = rangeStart(parent.items.find((item) => isScalar(item.key) && item.key.value === key)?.key)
    else if (isSeq(parent) && typeof key === 'number') start = rangeStart(parent.items[key])
    if (start !== undefined) return lineCounter.linePos(start).line
  }
  const start = rangeStart(doc.contents)
  return start === undefined ? undefined : lineCounter.linePos(start).line
}

function rangeStart(node: unknown): number | undefined {
  return (node as { range?: readonly number[] | null } | null | undefined)?.range?.[0]
}

/** What the server was configured with, for a start-up line: no secret, no password in a URL. */
export function describeServerConfig(config: ServerConfig): string[] {
  const lines = [`issuer ${config.server.issuer}`]
  if (config.stores.sqlite !== undefined) lines.push(`users, keys and tokens in SQLite ${config.stores.sqlite}`)
  if (config.stores.postgres !== undefined) lines.push(`users, keys and tokens in PostgreSQL ${redactedUrl(config.stores.postgres)}`)
  if (config.stores.redis !== undefined) lines.push(`attempt counters, refresh tokens and userinfo in Redis ${redactedUrl(config.stores.redis)}`)
  if (config.stores.sqlite === undefined && config.stores.postgres === undefined) lines.push('stores in memory: users and keys are lost when the server stops')
  lines.push(
    `${config.server.clients.length} client${config.server.clients.length === 1 ? '' : 's'}, ${config.server.apis.length} API${config.server.apis.length === 1 ? '' : 's'}`,
  )
  return lines
}

/** A URL for a log line: scheme, host, port and path; never the user name, password or query. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.username = ''
    parsed.password = ''
    parsed.search = ''
    return parsed.href
  } catch {
    return '(unparsable URL)'
  }
}
