import { existsSync, readdirSync, statSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { reason, RuleSourceError } from './errors.js'
import type { ActionDefinition as EngineActionDefinition } from '../options.js'
import { byFileName, readRuleFolder, ruleNameOf, toPath, type RuleFile } from './folder.js'
import { replaceKeywords, type KeywordMappings } from './keywords.js'
import { actionEntry, parseShape, ruleEntry, rulesConfigEntry } from './shapes.js'

/**
 * Where tenants keep their rules:
 * - `folder`: a folder of `*.js` rules (optional Deploy CLI `<rule>.json` beside each);
 * - `deploy-cli-directory`: an Auth0 Deploy CLI export in directory format (`rules/*.json` with
 *   `rules/*.js`, `rules-configs/*.json`, `actions/`);
 * - `deploy-cli-yaml`: a Deploy CLI export in YAML format (`tenant.yaml` with `rules:`,
 *   `rulesConfigs:` and `actions:`, scripts beside it);
 * - `management-api`: a Management API dump, the JSON of `GET /api/v2/rules` (an array), or an
 *   object `{ "rules": […], "rules_configs": [{ "key", "value" }], "actions": […] }`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { detectRuleSourceFormat, type RuleSourceFormat } from '@tokenrules/engine/node'
 *
 * // A .json file is a Management API dump, a .yaml file a Deploy CLI YAML export (read from the name alone).
 * const formats: RuleSourceFormat[] = ['tenant/rules.json', 'tenant/tenant.yaml'].map((path) => detectRuleSourceFormat(path))
 * assert.deepEqual(formats, ['management-api', 'deploy-cli-yaml'])
 * ```
 */
export type RuleSourceFormat = 'folder' | 'deploy-cli-directory' | 'deploy-cli-yaml' | 'management-api'

/**
 * What {@link readTenantRules} reads: a path, its format when it should not be detected, and the
 * Deploy CLI's keyword replacement.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { readTenantRules, type TenantRuleSource } from '@tokenrules/engine/node'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'dump-'))
 * try {
 *   const script = "function (user, context, callback) { context.idToken['https://##DOMAIN##/x'] = 1; callback(null, user, context); }"
 *   await writeFile(join(dir, 'export.txt'), JSON.stringify([{ id: 'rul_1', name: 'x', script, order: 1, enabled: true, stage: 'login_success' }]))
 *   const source: TenantRuleSource = { path: join(dir, 'export.txt'), format: 'management-api', mappings: { DOMAIN: 'example.com' } }
 *   const tenant = await readTenantRules(source)
 *   assert.equal(tenant.rules[0]?.id, 'rul_1')
 *   assert.match(tenant.rules[0]?.script ?? '', /##DOMAIN##/) // a dump is read as Auth0 returned it: mappings are for Deploy CLI exports
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export interface TenantRuleSource {
  /** A folder, a `tenant.yaml`, a folder holding one, or a `.json` dump. Relative paths resolve against `process.cwd()`. */
  path: string | URL
  /** The format; detected from `path` when left out (see {@link detectRuleSourceFormat}). */
  format?: RuleSourceFormat | undefined
  /** The Deploy CLI's keyword replacement (`AUTH0_KEYWORD_REPLACE_MAPPINGS`), applied to every file of an export. */
  mappings?: KeywordMappings | undefined
}

/**
 * An Auth0 Action as the export has it, read as data: secret values are usually not exported and
 * Auth0 binds actions to triggers elsewhere, so an engine's `ActionDefinition` is the caller's to make
 * from it (secrets filled in, post-login ones only).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { readTenantRules, type TenantAction } from '@tokenrules/engine/node'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'dump-'))
 * try {
 *   const code = 'exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim("https://example.com/k", event.secrets.KEY); };'
 *   const action = { name: 'add-key', code, secrets: [{ name: 'KEY' }], supported_triggers: [{ id: 'post-login', version: 'v3' }] }
 *   await writeFile(join(dir, 'tenant.json'), JSON.stringify({ rules: [], actions: [action] }))
 *   const [read] = (await readTenantRules(join(dir, 'tenant.json'))).actions
 *   const postLogin: TenantAction[] = read !== undefined && read.supportedTriggers.some((trigger) => trigger.id === 'post-login') ? [read] : []
 *   assert.deepEqual(postLogin.map((item) => [item.name, item.secrets]), [['add-key', [{ name: 'KEY' }]]])
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export interface TenantAction {
  /** The action's name. */
  name: string
  /** Its source (`exports.onExecutePostLogin = async (event, api) => { … }`). */
  code: string
  /** Its id at Auth0, when the source had it. */
  id?: string | undefined
  /** Auth0's runtime, e.g. `node18`. */
  runtime?: string | undefined
  /** Auth0's build status, e.g. `built`. */
  status?: string | undefined
  /** Whether it was deployed. */
  deployed?: boolean | undefined
  /** npm dependencies it declares. */
  dependencies: { name: string; version?: string | undefined }[]
  /** Its secrets: names always, values when the export had them. */
  secrets: { name: string; value?: string | undefined }[]
  /** The triggers it supports, e.g. `[{ id: 'post-login', version: 'v3' }]`. */
  supportedTriggers: { id: string; version?: string | undefined }[]
  /** The file its code came from, when it came from one. */
  file?: string | undefined
}

/**
 * A tenant's rule set as {@link readTenantRules} read it: the rules in run order, their
 * `configuration`, the Actions as data, and what to watch for a reload.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { readTenantRules, type TenantRules } from '@tokenrules/engine/node'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'dump-'))
 * try {
 *   const rule = (name: string, order: number) => ({ name, order, script: 'function (user, context, callback) { callback(null, user, context); }' })
 *   const file = join(dir, 'tenant.json')
 *   await writeFile(file, JSON.stringify({ rules: [rule('second', 2), rule('first', 1)], rules_configs: [{ key: 'PLAN', value: 'gold' }] }))
 *   const tenant: TenantRules = await readTenantRules(file)
 *   assert.deepEqual(tenant.rules.map((item) => item.name), ['first', 'second'])
 *   assert.deepEqual([tenant.format, tenant.configuration, tenant.watch], ['management-api', { PLAN: 'gold' }, [file]])
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export interface TenantRules {
  /** The format that was read. */
  format: RuleSourceFormat
  /** The source's absolute path. */
  path: string
  /** Every rule, in the order they run (`order`, then as listed); disabled rules are kept, with `enabled: false`, and never run. */
  rules: RuleFile[]
  /** The rules' `configuration`, from `rules-configs` / `rulesConfigs` / `rules_configs`. */
  configuration: Record<string, string>
  /** The tenant's Actions, as data. */
  actions: TenantAction[]
  /**
   * The names of the actions bound to the post-login trigger, in the order they run, when the
   * source has the bindings (the Deploy CLI's `triggers/triggers.json` or `triggers:`, a dump's
   * `triggers`; a folder of rules: its `actions/*.js` in file-name order). `undefined` when it has
   * none; {@link postLoginActions} then takes every action that supports post-login.
   */
  postLogin?: string[] | undefined
  /** Folders and files whose change changes this rule set (what a server watches to reload). */
  watch: string[]
}

const TENANT_YAML = ['tenant.yaml', 'tenant.yml']
const EXPORT_FOLDERS = ['rules', 'rules-configs', 'actions']

/**
 * The format of the source at `path`: a `.json` file is a Management API dump, a `.yaml`/`.yml`
 * file (or a folder holding `tenant.yaml`) a Deploy CLI YAML export, a folder with no `.js` file of
 * its own and a `rules/`, `rules-configs/` or `actions/` folder a Deploy CLI directory export, any
 * other folder a folder of rules.
 * Throws {@link RuleSourceError} when nothing is at `path`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdir, mkdtemp, rm } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { detectRuleSourceFormat } from '@tokenrules/engine/node'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'tenant-'))
 * try {
 *   assert.equal(detectRuleSourceFormat(dir), 'folder')
 *   await mkdir(join(dir, 'rules'))
 *   assert.equal(detectRuleSourceFormat(dir), 'deploy-cli-directory')
 *   assert.equal(detectRuleSourceFormat(join(dir, 'tenant.yaml')), 'deploy-cli-yaml')
 *   assert.equal(detectRuleSourceFormat(join(dir, 'rules.json')), 'management-api')
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export function detectRuleSourceFormat(path: string | URL): RuleSourceFormat {
  const at = toPath(path)
  const ext = extname(at).toLowerCase()
  if (ext === '.json') return 'management-api'
  if (ext === '.yaml' || ext === '.yml') return 'deploy-cli-yaml'
  let isDir: boolean
  try {
    isDir = statSync(at).isDirectory()
  } catch (error) {
    throw new RuleSourceError(`Cannot read the rule source ${at}: ${reason(error)}`, at, error)
  }
  if (!isDir) throw new RuleSourceError(`The rule source ${at} is neither a folder nor a .json, .yaml or .yml file`, at)
  if (TENANT_YAML.some((name) => existsSync(join(at, name)))) return 'deploy-cli-yaml'
  // Rule files of its own make a folder of rules, whatever its subfolders (the demo keeps its
  // actions in `actions/` beside its rules); an export's root holds folders only.
  if (readdirSync(at).some((name) => extname(name).toLowerCase() === '.js')) return 'folder'
  if (EXPORT_FOLDERS.some((name) => isFolder(join(at, name)))) return 'deploy-cli-directory'
  return 'folder'
}

/**
 * A tenant's rules, `configuration` and Actions from where the tenant keeps them (see
 * {@link RuleSourceFormat}). Every problem throws a {@link RuleSourceError} naming the file.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { createEngine } from '@tokenrules/engine'
 * import { readTenantRules } from '@tokenrules/engine/node'
 *
 * // An Auth0 Deploy CLI export, directory format.
 * const dir = await mkdtemp(join(tmpdir(), 'tenant-'))
 * try {
 *   await mkdir(join(dir, 'rules'))
 *   await mkdir(join(dir, 'rules-configs'))
 *   await writeFile(join(dir, 'rules', 'Add plan.js'), `function (user, context, callback) {
 *     context.accessToken['https://##DOMAIN##/plan'] = configuration.PLAN;
 *     callback(null, user, context);
 *   }`)
 *   await writeFile(join(dir, 'rules', 'Add plan.json'), JSON.stringify({ name: 'Add plan', script: './Add plan.js', order: 1, enabled: true, stage: 'login_success' }))
 *   await writeFile(join(dir, 'rules-configs', 'PLAN.json'), JSON.stringify({ key: 'PLAN', value: 'gold' }))
 *
 *   const tenant = await readTenantRules({ path: dir, mappings: { DOMAIN: 'example.com' } })
 *   assert.equal(tenant.format, 'deploy-cli-directory')
 *   assert.deepEqual(tenant.configuration, { PLAN: 'gold' })
 *   await using engine = await createEngine({ rules: tenant.rules, configuration: tenant.configuration })
 *   const result = await engine.run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   assert.deepEqual(result.accessToken.claims, { 'https://example.com/plan': 'gold' })
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export async function readTenantRules(source: TenantRuleSource | string | URL): Promise<TenantRules> {
  const options: TenantRuleSource = typeof source === 'string' || source instanceof URL ? { path: source } : source
  const path = toPath(options.path)
  const format = options.format ?? detectRuleSourceFormat(path)
  const read = await readers[format](path, options.mappings)
  checkNames(read.rules)
  checkNames(read.actions, 'action')
  const missing = (read.postLogin ?? []).filter((name) => !read.actions.some((action) => action.name === name))
  if (missing.length > 0) {
    throw new RuleSourceError(`${path}: the post-login trigger binds ${missing.map((name) => `'${name}'`).join(', ')}, which the export has no action of`, path)
  }
  return { format, path, ...read, rules: runOrder(read.rules) }
}

/**
 * The tenant's post-login actions as the engine takes them (`createEngine({ rules, actions })`):
 * the bound ones in binding order, or, when the source has no bindings, every action that
 * supports post-login, as listed. A secret the export has no value for (the Deploy CLI does not
 * export them) takes the value of `secrets[name]`; one with neither, or a dependency without a
 * version, is a {@link RuleSourceError} naming the action.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { createEngine } from '@tokenrules/engine'
 * import { postLoginActions, readTenantRules } from '@tokenrules/engine/node'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'tenant-'))
 * try {
 *   await mkdir(join(dir, 'actions', 'Add plan'), { recursive: true })
 *   await mkdir(join(dir, 'triggers'))
 *   await writeFile(join(dir, 'actions', 'Add plan', 'code.js'), "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/plan', event.secrets.PLAN) }")
 *   await writeFile(join(dir, 'actions', 'Add plan.json'), JSON.stringify({ name: 'Add plan', code: './actions/Add plan/code.js', secrets: [{ name: 'PLAN' }], supported_triggers: [{ id: 'post-login', version: 'v3' }] }))
 *   await writeFile(join(dir, 'triggers', 'triggers.json'), JSON.stringify({ 'post-login': [{ action_name: 'Add plan', display_name: 'Add plan' }] }))
 *   const tenant = await readTenantRules(dir)
 *   await using engine = await createEngine({ rules: tenant.rules, actions: postLoginActions(tenant, { secrets: { PLAN: 'gold' } }) })
 *   const result = await engine.run({ user: { user_id: 'auth0|1' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *   assert.deepEqual(result.idToken.claims, { 'https://example.com/plan': 'gold' })
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export function postLoginActions(tenant: TenantRules, options: { secrets?: Readonly<Record<string, string>> | undefined } = {}): EngineActionDefinition[] {
  const chosen =
    tenant.postLogin === undefined
      ? tenant.actions.filter((action) => action.supportedTriggers.some((trigger) => trigger.id === 'post-login'))
      : tenant.postLogin.map((name) => tenant.actions.find((action) => action.name === name) as TenantAction)
  return chosen.map((action) => {
    const where = action.file ?? tenant.path
    const secrets = action.secrets.map(({ name, value }) => {
      const given = value ?? options.secrets?.[name]
      if (given === undefined) {
        throw new RuleSourceError(
          `${where}: action '${action.name}' reads the secret ${name}, which has no value: the export has none, and none was given for it`,
          where,
        )
      }
      return { name, value: given }
    })
    const dependencies = action.dependencies.map(({ name, version }) => {
      if (version === undefined)
        throw new RuleSourceError(`${where}: action '${action.name}' depends on ${name} without a version (the engine runs exact versions)`, where)
      return { name, version }
    })
    return { name: action.name, code: action.code, secrets, dependencies }
  })
}

type Read = Omit<TenantRules, 'format' | 'path'>

const readers: Record<RuleSourceFormat, (path: string, mappings: KeywordMappings | undefined) => Promise<Read>> = {
  folder: readFolder,
  'deploy-cli-directory': readDirectoryExport,
  'deploy-cli-yaml': readYamlExport,
  'management-api': readManagementDump,
}

/** A folder of rules; its `actions/*.js` (the demo server's layout) are post-login actions, in file-name order. */
async function readFolder(path: string, mappings: KeywordMappings | undefined): Promise<Read> {
  const rules = await readRuleFolder(path, { mappings })
  const actionsDir = join(path, 'actions')
  if (!isFolder(actionsDir)) return { rules, configuration: {}, actions: [], watch: [path] }
  const actions: TenantAction[] = []
  for (const name of (await readdir(actionsDir)).filter((entry) => extname(entry).toLowerCase() === '.js').sort(byFileName)) {
    const file = join(actionsDir, name)
    actions.push({
      name: ruleNameOf(file),
      code: await readText(file, mappings),
      dependencies: [],
      secrets: [],
      supportedTriggers: [{ id: 'post-login' }],
      file,
    })
  }
  return { rules, configuration: {}, actions, postLogin: actions.map((action) => action.name), watch: [path, actionsDir] }
}

/** A trigger's bindings as the Deploy CLI writes them: `{ "post-login": [{ "action_name", "display_name" }] }`. */
const triggerBindings = z.record(z.string(), z.array(z.looseObject({ action_name: z.string().min(1), display_name: z.string().optional() })).nullish())

/** The post-login bindings' action names, or `undefined` without bindings. */
function postLoginOf(triggers: z.infer<typeof triggerBindings> | null | undefined): string[] | undefined {
  if (triggers === undefined || triggers === null) return undefined
  return (triggers['post-login'] ?? []).map((binding) => binding.action_name)
}

/** The Deploy CLI's directory format: `rules/*.json` name the rules and their `script`; `rules-configs/*.json` and `actions/*.json` beside. */
async function readDirectoryExport(base: string, mappings: KeywordMappings | undefined): Promise<Read> {
  const watch = [base]
  const rules: RuleFile[] = []
  const rulesDir = join(base, 'rules')
  for (const file of await jsonFiles(rulesDir)) {
    const entry = parseShape(ruleEntry, await readJson(file, mappings), file)
    const scriptFile = inside(resolve(rulesDir, entry.script.replace(/\\/g, '/')), base, file)
    rules.push(toRule(entry, await readText(scriptFile, mappings), scriptFile))
  }
  if (isFolder(rulesDir)) watch.push(rulesDir)
  const configuration: Record<string, string> = {}
  const configsDir = join(base, 'rules-configs')
  for (const file of await jsonFiles(configsDir)) {
    const value = await readJson(file, mappings)
    if (value !== null && typeof value === 'object' && Object.keys(value).length === 0) continue // the Deploy CLI skips empty ones
    const entry = parseShape(rulesConfigEntry, value, file)
    configuration[entry.key] = entry.value
  }
  if (isFolder(configsDir)) watch.push(configsDir)
  const actions: TenantAction[] = []
  const actionsDir = join(base, 'actions')
  for (const file of await jsonFiles(actionsDir)) {
    const entry = parseShape(actionEntry, await readJson(file, mappings), file)
    const codeFile = actionCodeFile(base, entry.name, entry.code, file)
    actions.push(toAction(entry, await readText(codeFile, mappings), codeFile))
  }
  if (isFolder(actionsDir)) watch.push(actionsDir, ...(await subfolders(actionsDir)))
  const triggersFile = join(base, 'triggers', 'triggers.json')
  const postLogin = existsSync(triggersFile) ? postLoginOf(parseShape(triggerBindings, await readJson(triggersFile, mappings), triggersFile)) : undefined
  if (isFolder(join(base, 'triggers'))) watch.push(join(base, 'triggers'))
  return { rules, configuration, actions, postLogin, watch }
}

const yamlExport = z.looseObject({
  rules: z.array(ruleEntry).nullish(),
  rulesConfigs: z.array(rulesConfigEntry).nullish(),
  actions: z.array(actionEntry).nullish(),
  triggers: triggerBindings.nullish(),
})

/** The Deploy CLI's YAML format: `tenant.yaml` lists the rules, their `script` a path relative to the file. */
async function readYamlExport(path: string, mappings: KeywordMappings | undefined): Promise<Read> {
  const file = isFolder(path) ? (TENANT_YAML.map((name) => join(path, name)).find((candidate) => existsSync(candidate)) ?? join(path, 'tenant.yaml')) : path
  const base = dirname(file)
  const text = await readText(file, mappings)
  let document: unknown
  try {
    document = parseYaml(text)
  } catch (error) {
    throw new RuleSourceError(`${file} is not valid YAML: ${(error as Error).message}`, file, error)
  }
  const tenant = parseShape(yamlExport, document ?? {}, file)
  const rules: RuleFile[] = []
  for (const entry of tenant.rules ?? []) {
    const scriptFile = inside(resolve(base, entry.script), base, file)
    rules.push(toRule(entry, await readText(scriptFile, mappings), scriptFile))
  }
  const configuration: Record<string, string> = {}
  for (const entry of tenant.rulesConfigs ?? []) configuration[entry.key] = entry.value
  const actions: TenantAction[] = []
  for (const entry of tenant.actions ?? []) {
    const codeFile = actionCodeFile(base, entry.name, entry.code, file)
    actions.push(toAction(entry, await readText(codeFile, mappings), codeFile))
  }
  const watch = [file, ...new Set([...rules, ...actions].map((item) => dirname(item.file ?? file)))]
  return { rules, configuration, actions, postLogin: postLoginOf(tenant.triggers), watch }
}

const managementDump = z.looseObject({
  rules: z.array(ruleEntry).optional(),
  rules_configs: z.array(rulesConfigEntry).optional(),
  rulesConfigs: z.array(rulesConfigEntry).optional(),
  actions: z.array(actionEntry).optional(),
  triggers: triggerBindings.optional(),
})

/** `GET /api/v2/rules` as JSON (scripts inline), or an object with `rules`, `rules_configs` and `actions`. */
async function readManagementDump(file: string): Promise<Read> {
  const value = await readJson(file, undefined)
  const dump = Array.isArray(value) ? { rules: parseShape(z.array(ruleEntry), value, file, ['rules']) } : parseShape(managementDump, value, file)
  const { rules = [], rules_configs = [], rulesConfigs = [], actions = [] } = dump
  const triggers = 'triggers' in dump ? (dump.triggers as z.infer<typeof triggerBindings> | undefined) : undefined
  const configuration: Record<string, string> = {}
  for (const entry of [...rulesConfigs, ...rules_configs]) configuration[entry.key] = entry.value
  return {
    rules: rules.map((entry) => toRule(entry, entry.script, undefined)),
    configuration,
    actions: actions.map((entry) => toAction(entry, entry.code, undefined)),
    postLogin: postLoginOf(triggers),
    watch: [file],
  }
}

function toRule(entry: z.infer<typeof ruleEntry>, script: string, file: string | undefined): RuleFile {
  const rule: RuleFile = { name: entry.name, script }
  if (file !== undefined) rule.file = file
  if (entry.id !== undefined) rule.id = entry.id
  if (entry.order !== undefined) rule.order = entry.order
  if (entry.enabled !== undefined) rule.enabled = entry.enabled
  if (entry.stage !== undefined) {
    rule.stage = entry.stage
    if (entry.stage !== 'login_success') rule.enabled = false
  }
  return rule
}

function toAction(entry: z.infer<typeof actionEntry>, code: string, file: string | undefined): TenantAction {
  const action: TenantAction = {
    name: entry.name,
    code,
    dependencies: (entry.dependencies ?? []).map(({ name, version }) => (version === undefined ? { name } : { name, version })),
    secrets: (entry.secrets ?? []).map(({ name, value }) => (value === undefined ? { name } : { name, value })),
    supportedTriggers: (entry.supported_triggers ?? []).map(({ id, version }) => (version === undefined ? { id } : { id, version })),
  }
  if (entry.id !== undefined) action.id = entry.id
  if (entry.runtime !== undefined) action.runtime = entry.runtime
  if (entry.status !== undefined) action.status = entry.status
  if (entry.deployed !== undefined) action.deployed = entry.deployed
  if (file !== undefined) action.file = file
  return action
}

/**
 * Where an action's `code` is: the Deploy CLI writes the path it wrote (`./actions/<name>/code.js`
 * from the export's root, sometimes the full path it had), so try it as given, against the export,
 * and the conventional `actions/<name>/code.js`.
 */
function actionCodeFile(base: string, name: string, code: string, from: string): string {
  const given = code.replace(/\\/g, '/')
  const candidates = [isAbsolute(given) ? given : resolve(base, given), join(base, 'actions', sanitize(name), 'code.js')]
  const found = candidates.find((candidate) => existsSync(candidate)) ?? (candidates[0] as string)
  return inside(found, base, from)
}

/** The Deploy CLI's file-name sanitising of asset names. */
function sanitize(name: string): string {
  return name.replace(/[/\\?%*:|"<>]/g, '-')
}

/** `file`, which `from` names, when it is inside `base`; else a {@link RuleSourceError}. */
function inside(file: string, base: string, from: string): string {
  const rel = relative(resolve(base), file)
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new RuleSourceError(`${from}: the script ${file} is outside the export's folder ${base}`, from)
  }
  return file
}

/** Run order: `order` first, ties and unordered rules as listed (disabled ones kept in place). */
function runOrder(rules: RuleFile[]): RuleFile[] {
  return rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => (a.rule.order ?? Infinity) - (b.rule.order ?? Infinity) || a.index - b.index)
    .map(({ rule }) => rule)
}

function checkNames(items: readonly { name: string; file?: string | undefined }[], what = 'rule'): void {
  const seen = new Map<string, string | undefined>()
  for (const item of items) {
    if (seen.has(item.name)) {
      const other = seen.get(item.name)
      throw new RuleSourceError(`Two ${what}s are named '${item.name}'${other === undefined ? '' : ` (${other} and ${item.file ?? 'another'})`}`, item.file)
    }
    seen.set(item.name, item.file)
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

async function jsonFiles(dir: string): Promise<string[]> {
  if (!isFolder(dir)) return []
  const names = await readdir(dir)
  return names
    .filter((name) => extname(name).toLowerCase() === '.json')
    .sort(byFileName)
    .map((name) => join(dir, name))
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  return entries.filter((entry) => entry.isDirectory()).map((entry) => join(dir, entry.name))
}

async function readText(file: string, mappings: KeywordMappings | undefined): Promise<string> {
  try {
    return replaceKeywords(await readFile(file, 'utf8'), mappings)
  } catch (error) {
    throw new RuleSourceError(`Cannot read ${file}: ${reason(error)}`, file, error)
  }
}

async function readJson(file: string, mappings: KeywordMappings | undefined): Promise<unknown> {
  const text = await readText(file, mappings)
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new RuleSourceError(`${file} is not valid JSON: ${(error as Error).message}`, file, error)
  }
}
