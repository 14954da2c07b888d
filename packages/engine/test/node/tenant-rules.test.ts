import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createEngine, type RunInput } from '@tokenrules/engine'
import {
  detectRuleSourceFormat,
  postLoginActions,
  readRuleFolder,
  readTenantRules,
  replaceKeywords,
  RuleSourceError,
  type TenantRules,
} from '@tokenrules/engine/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))
const mappings = { BLOCKED_COUNTRIES: ['KP'], CLAIM_DOMAIN: 'example.com', PLAN: 'gold' }

const login = (country: string): RunInput => ({
  user: { user_id: 'auth0|42', app_metadata: { roles: ['admin'] } },
  context: { clientID: 'app', protocol: 'oauth2-password', request: { ip: '203.0.113.7', geoip: { country_code: country } } },
})

/** What every format of the fixture tenant reads to, and what it does in the engine. */
async function expectTheFixtureTenant(tenant: TenantRules): Promise<void> {
  expect(tenant.rules.map(({ name, order, enabled }) => ({ name, order, enabled }))).toEqual([
    { name: 'Deny blocked countries', order: 1, enabled: true },
    { name: 'Add roles', order: 2, enabled: true },
    { name: 'Old audit', order: 3, enabled: false },
  ])
  expect(tenant.configuration).toEqual({ PLAN: 'gold' })
  await using engine = await createEngine({ rules: tenant.rules, configuration: tenant.configuration })
  const allowed = await engine.run(login('DE'))
  expect(allowed.rules.map((rule) => rule.name)).toEqual(['Deny blocked countries', 'Add roles'])
  expect(allowed.accessToken.claims).toEqual({ 'https://example.com/roles': ['admin'] })
  expect(allowed.idToken.claims).toEqual({ 'https://example.com/plan': 'gold' })
  await expect(engine.run(login('KP'))).rejects.toMatchObject({ code: 'ERR_RULE_UNAUTHORIZED', message: 'Access denied from your country.' })
}

describe('readTenantRules', () => {
  it('reads a Deploy CLI directory export: rules/*.json with their scripts, rules-configs, actions, keywords replaced', async () => {
    const path = join(fixtures, 'deploy-cli-directory')
    const tenant = await readTenantRules({ path, mappings })
    expect(tenant.format).toBe('deploy-cli-directory')
    expect(tenant.rules.map((rule) => rule.file)).toEqual(['Deny blocked countries', 'Add roles', 'Old audit'].map((name) => join(path, 'rules', `${name}.js`)))
    expect(tenant.rules[0]?.script).toContain('const blocked = ["KP"];')
    expect(tenant.actions).toEqual([
      {
        name: 'Add locale',
        code: expect.stringContaining('exports.onExecutePostLogin'),
        runtime: 'node18',
        status: 'built',
        deployed: true,
        dependencies: [{ name: 'lodash', version: '4.17.21' }],
        secrets: [{ name: 'API_KEY' }],
        supportedTriggers: [{ id: 'post-login', version: 'v3' }],
        file: join(path, 'actions', 'Add locale', 'code.js'),
      },
    ])
    expect(tenant.watch).toEqual(expect.arrayContaining([join(path, 'rules'), join(path, 'rules-configs'), join(path, 'actions')]))
    await expectTheFixtureTenant(tenant)
  })

  it('reads a Deploy CLI YAML export, from tenant.yaml or the folder holding it', async () => {
    const path = join(fixtures, 'deploy-cli-yaml')
    for (const source of [join(path, 'tenant.yaml'), path]) {
      const tenant = await readTenantRules({ path: source, mappings })
      expect(tenant.format).toBe('deploy-cli-yaml')
      expect(tenant.actions.map(({ name, supportedTriggers }) => ({ name, supportedTriggers }))).toEqual([
        { name: 'Add locale', supportedTriggers: [{ id: 'post-login', version: 'v3' }] },
      ])
      expect(tenant.watch).toEqual(expect.arrayContaining([join(path, 'tenant.yaml'), join(path, 'rules')]))
      await expectTheFixtureTenant(tenant)
    }
  })

  it('reads a Management API dump: GET /api/v2/rules as it is, or with rules_configs', async () => {
    const bare = await readTenantRules(join(fixtures, 'management-api', 'rules.json'))
    expect(bare.format).toBe('management-api')
    expect(bare.rules.map((rule) => rule.id)).toEqual(['rul_8Yc1nMp0RqS5tU6v', 'rul_2Xb3kLm9QpR4sT7u', 'rul_4Zd2oNq1SrT6uV8w'])
    expect(bare.configuration).toEqual({})
    await expectTheFixtureTenant(await readTenantRules(join(fixtures, 'management-api', 'tenant-dump.json')))
  })

  it('detects each format from the path', () => {
    expect(detectRuleSourceFormat(join(fixtures, 'deploy-cli-directory'))).toBe('deploy-cli-directory')
    expect(detectRuleSourceFormat(join(fixtures, 'deploy-cli-yaml'))).toBe('deploy-cli-yaml')
    expect(detectRuleSourceFormat(join(fixtures, 'deploy-cli-directory', 'rules'))).toBe('folder')
    expect(detectRuleSourceFormat(join(fixtures, 'management-api', 'rules.json'))).toBe('management-api')
    expect(() => detectRuleSourceFormat(join(fixtures, 'nowhere'))).toThrow(RuleSourceError)
  })

  it("a folder of rules with an actions/ folder beside them (the demo's layout) is a folder of rules, not an export", async () => {
    const demo = fileURLToPath(new URL('../../../../examples/token-server/rules', import.meta.url))
    expect(detectRuleSourceFormat(demo)).toBe('folder')
    const read = await readTenantRules(demo)
    expect(read.rules.map((rule) => rule.name)).toEqual(['require-verified-email', 'add-roles', 'restrict-customers', 'mfa-for-flagged-users'])
  })

  it('keywords: ##KEY## as text, @@KEY@@ and "@@KEY@@" as JSON', () => {
    expect(replaceKeywords('a ##N## b "@@L@@" c @@L@@', { N: 3, L: [1, 'x'] })).toBe('a 3 b [1,"x"] c [1,"x"]')
  })
})

describe('bad sources are RuleSourceErrors naming the file', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tenant-rules-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  async function failure(write: (base: string) => Promise<string>): Promise<RuleSourceError> {
    const base = await mkdtemp(join(dir, 'case-'))
    const path = await write(base)
    const error = await readTenantRules(path).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(RuleSourceError)
    expect(error).toBeInstanceOf(TypeError)
    return error as RuleSourceError
  }

  it('a rule json that is not JSON', async () => {
    let file = ''
    const error = await failure(async (base) => {
      await mkdir(join(base, 'rules'))
      file = join(base, 'rules', 'x.json')
      await writeFile(file, '{ "name": "x", ')
      return base
    })
    expect(error.file).toBe(file)
    expect(error.message).toContain(file)
    expect(error.message).toMatch(/not valid JSON/)
  })

  it('a rule json without its script, and a script that is missing', async () => {
    let file = ''
    const noScript = await failure(async (base) => {
      await mkdir(join(base, 'rules'))
      file = join(base, 'rules', 'x.json')
      await writeFile(file, JSON.stringify({ name: 'x', order: 1 }))
      return base
    })
    expect([noScript.file, noScript.message]).toEqual([file, `${file}: script: Invalid input: expected string, received undefined`])
    const missing = await failure(async (base) => {
      await mkdir(join(base, 'rules'))
      await writeFile(join(base, 'rules', 'x.json'), JSON.stringify({ name: 'x', script: './x.js' }))
      file = join(base, 'rules', 'x.js')
      return base
    })
    expect(missing.file).toBe(file)
    expect(missing.message).toBe(`Cannot read ${file}: ENOENT`)
  })

  it('a script outside the export', async () => {
    const error = await failure(async (base) => {
      await mkdir(join(base, 'rules'))
      await writeFile(join(base, 'rules', 'x.json'), JSON.stringify({ name: 'x', script: '../../etc/passwd' }))
      return base
    })
    expect(error.message).toMatch(/is outside the export's folder/)
    expect(error.file).toMatch(/x\.json$/)
  })

  it('a tenant.yaml that is not YAML, or whose rules have the wrong shape', async () => {
    const broken = await failure(async (base) => {
      await writeFile(join(base, 'tenant.yaml'), 'rules: [\n')
      return join(base, 'tenant.yaml')
    })
    expect(broken.message).toMatch(/tenant\.yaml is not valid YAML/)
    const shape = await failure(async (base) => {
      await writeFile(join(base, 'tenant.yaml'), 'rules:\n  - name: x\n    script: ./x.js\n    order: first\n')
      return base
    })
    expect(shape.message).toMatch(/tenant\.yaml: rules\[0\]\.order: Invalid input: expected number, received string$/)
  })

  it('a dump entry without a script, a configuration value that is not a string, two rules of one name', async () => {
    const noScript = await failure(async (base) => {
      await writeFile(join(base, 'rules.json'), JSON.stringify([{ id: 'rul_1', name: 'x' }]))
      return join(base, 'rules.json')
    })
    expect(noScript.message).toMatch(/rules\.json: rules\[0\]\.script: /)
    const config = await failure(async (base) => {
      await writeFile(join(base, 'dump.json'), JSON.stringify({ rules: [], rules_configs: [{ key: 'N', value: 3 }] }))
      return join(base, 'dump.json')
    })
    expect(config.message).toMatch(/dump\.json: rules_configs\[0\]\.value: /)
    const twice = await failure(async (base) => {
      const script = 'function (user, context, callback) { callback(null, user, context); }'
      await writeFile(
        join(base, 'dump.json'),
        JSON.stringify([
          { name: 'x', script },
          { name: 'x', script },
        ]),
      )
      return join(base, 'dump.json')
    })
    expect(twice.message).toBe("Two rules are named 'x'")
  })

  it('a folder of rules reads as before: file-name order, sidecars honoured, keywords replaced when given', async () => {
    const base = await mkdtemp(join(dir, 'folder-'))
    await cp(join(fixtures, 'deploy-cli-directory', 'rules'), base, { recursive: true })
    const rules = await readRuleFolder(base, { mappings })
    expect(rules.map(({ name, order, enabled }) => ({ name, order, enabled }))).toEqual([
      { name: 'Add roles', order: 2, enabled: true },
      { name: 'Deny blocked countries', order: 1, enabled: true },
      { name: 'Old audit', order: 3, enabled: false },
    ])
    expect((await readTenantRules({ path: base, mappings })).rules.map((rule) => rule.name)).toEqual(['Deny blocked countries', 'Add roles', 'Old audit'])
  })
})

describe('postLoginActions', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tenant-actions-'))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })
  const code = (claim: string, value: string) =>
    `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/${claim}', ${value}); };`

  /** A Deploy CLI directory export of two actions, `Second` bound before `First`, and the bindings given. */
  async function exportWith(name: string, triggers: unknown): Promise<string> {
    const dir = join(root, name)
    for (const [action, body] of [
      ['First', code('order', "(event.user.app_metadata.seen || []).concat('first')")],
      ['Second', code('key', 'event.secrets.KEY')],
    ] as const) {
      await mkdir(join(dir, 'actions', action), { recursive: true })
      await writeFile(join(dir, 'actions', action, 'code.js'), body)
      const secrets = action === 'Second' ? [{ name: 'KEY' }] : []
      await writeFile(
        join(dir, 'actions', `${action}.json`),
        JSON.stringify({
          name: action,
          code: `./actions/${action}/code.js`,
          secrets,
          dependencies: [],
          supported_triggers: [{ id: 'post-login', version: 'v3' }],
        }),
      )
    }
    if (triggers !== undefined) {
      await mkdir(join(dir, 'triggers'))
      await writeFile(join(dir, 'triggers', 'triggers.json'), JSON.stringify(triggers))
    }
    return dir
  }

  it('takes the actions bound to post-login, in binding order, with the secrets the export has no value for', async () => {
    const tenant = await readTenantRules(
      await exportWith('bound', { 'post-login': [{ action_name: 'Second', display_name: 'Second' }], 'credentials-exchange': [] }),
    )
    expect(tenant.postLogin).toEqual(['Second'])
    expect(tenant.watch).toContain(join(root, 'bound', 'triggers'))
    const actions = postLoginActions(tenant, { secrets: { KEY: 'k-1' } })
    expect(actions.map(({ name, secrets }) => ({ name, secrets }))).toEqual([{ name: 'Second', secrets: [{ name: 'KEY', value: 'k-1' }] }])
    await using engine = await createEngine({ rules: [], actions })
    expect((await engine.run(login('DE'))).idToken.claims).toEqual({ 'https://example.com/key': 'k-1' })
  })

  it('without bindings, every action that supports post-login, as listed; a secret with no value or an unknown binding is a RuleSourceError', async () => {
    const tenant = await readTenantRules(await exportWith('unbound', undefined))
    expect(tenant.postLogin).toBeUndefined()
    expect(() => postLoginActions(tenant)).toThrow(RuleSourceError)
    expect(() => postLoginActions(tenant)).toThrow(
      `${join(root, 'unbound', 'actions', 'Second', 'code.js')}: action 'Second' reads the secret KEY, which has no value: the export has none, and none was given for it`,
    )
    expect(postLoginActions(tenant, { secrets: { KEY: 'k' } }).map((action) => action.name)).toEqual(['First', 'Second'])
    await expect(readTenantRules(await exportWith('dangling', { 'post-login': [{ action_name: 'Gone' }] }))).rejects.toThrow(
      "the post-login trigger binds 'Gone', which the export has no action of",
    )
  })

  it('reads triggers: from a YAML export, and a dependency without a version is refused', async () => {
    const dir = join(root, 'yaml')
    await mkdir(join(dir, 'actions', 'Pinned'), { recursive: true })
    await writeFile(join(dir, 'actions', 'Pinned', 'code.js'), code('pinned', 'true'))
    await writeFile(
      join(dir, 'tenant.yaml'),
      [
        'actions:',
        '  - name: Pinned',
        '    code: ./actions/Pinned/code.js',
        '    dependencies:',
        '      - name: lodash',
        'triggers:',
        '  post-login:',
        '    - action_name: Pinned',
        '',
      ].join('\n'),
    )
    const tenant = await readTenantRules(dir)
    expect(tenant.postLogin).toEqual(['Pinned'])
    expect(() => postLoginActions(tenant)).toThrow("action 'Pinned' depends on lodash without a version (the engine runs exact versions)")
  })

  it("a folder of rules: its actions/*.js run after the rules, in file-name order (the demo's rules folder)", async () => {
    const demo = fileURLToPath(new URL('../../../../examples/token-server/rules', import.meta.url))
    const tenant = await readTenantRules(demo)
    expect(tenant.postLogin).toEqual(['login-context'])
    await using engine = await createEngine({ rules: tenant.rules, actions: postLoginActions(tenant) })
    const result = await engine.run({
      user: { user_id: 'auth0|alice', email: 'alice@example.com', email_verified: true, app_metadata: { roles: ['admin'] } },
      context: { clientID: 'demo-app', protocol: 'oauth2-password', connection: 'Employees', stats: { loginsCount: 4 } },
    })
    expect(result.actions?.map((action) => action.name)).toEqual(['login-context'])
    expect(result.idToken.claims).toMatchObject({ 'https://example.com/connection': 'Employees' })
  })
})
