import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const bin = fileURLToPath(new URL('../bin/tokenrules.js', import.meta.url))

/** Run the CLI as a user would (`node bin/tokenrules.js …` from the package folder), no terminal. */
function tokenrules(args: string[], cwd = packageDir): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  delete env['FORCE_COLOR']
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr })
    })
  })
}

// Each test starts the CLI (a new Node process and engine) once or more: on a loaded machine that takes seconds.

/** A copy of the demo server's layout: rules in a folder, post-login actions in its actions/ subfolder. */
function demoLayout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokenrules-actions-'))
  cpSync(join(packageDir, 'test/fixtures/mixed/01-roles.js'), join(dir, '01-roles.js'))
  mkdirSync(join(dir, 'actions'))
  cpSync(join(packageDir, 'test/fixtures/mixed-actions/01-plan.js'), join(dir, 'actions/01-plan.js'))
  return dir
}

describe('tokenrules run with actions', () => {
  it('runs the rules, then the actions beside them and those of --actions', async () => {
    const { code, stdout, stderr } = await tokenrules([
      'run',
      'test/fixtures/mixed',
      '--actions',
      'test/fixtures/mixed-actions',
      '--user',
      'test/fixtures/inputs/admin.json',
    ])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('tokenrules run: 1 rule and 2 actions, protocol oauth2-password')
    expect(stdout).toMatch(/Rules\n {2}roles +\d+ ms\n\nActions\n {2}audit +\d+ ms\n {2}plan +\d+ ms\n/)
    expect(stdout).toMatch(/Access token\n {2}scope .*\n {2}https:\/\/example\.com\/roles {2}\["admin"\]\n {2}https:\/\/example\.com\/plan {2}"free"\n/)
    expect(stdout).toMatch(/ID token\n {2}https:\/\/example\.com\/source {2}"action"\n/)
    expect(stdout).toContain('Logs\n  [audit] log: login of ')
  }, 120_000)

  it('finds the actions/ subfolder of a rules folder (the demo server’s layout), and reports as JSON', async () => {
    const dir = demoLayout()
    try {
      const { code, stdout } = await tokenrules(['run', dir, '--json'])
      expect(code).toBe(0)
      const report = JSON.parse(stdout) as Record<string, any>
      expect(report['rules']).toEqual([{ name: 'roles', file: join(dir, '01-roles.js') }])
      expect(report['actions']).toEqual([{ name: 'plan', file: join(dir, 'actions/01-plan.js') }])
      expect(report['result'].actionTimings.map((t: { name: string }) => t.name)).toEqual(['plan'])
      expect(report['result'].idToken.claims).toEqual({ 'https://example.com/source': 'action' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)

  it('names the action that denied, and exits 1', async () => {
    const { code, stdout } = await tokenrules([
      'run',
      '--actions',
      'test/fixtures/actions/02-deny-blocked.js',
      '--context',
      'test/fixtures/inputs/blocked-country.json',
    ])
    expect(code).toBe(1)
    expect(stdout).toContain('tokenrules run: 1 action, protocol oauth2-password')
    expect(stdout).toContain("✘ denied: ERR_RULE_DENIED in action 'deny-blocked'")
    expect(stdout).toContain('→ HTTP 403 {"error":"access_denied","error_description":"Not available in your country."}')
  }, 120_000)

  it('refuses --actions that do not exist, and two actions of one name', async () => {
    const missing = await tokenrules(['run', 'test/fixtures/mixed', '--actions', 'test/fixtures/nowhere'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('run: no such file or folder: test/fixtures/nowhere (--actions)')
    const twice = await tokenrules([
      'run',
      '--actions',
      'test/fixtures/mixed-actions/01-plan.js',
      '--actions',
      'test/fixtures/mixed-actions/01-plan.js',
      '--actions',
      'test/fixtures/actions',
    ])
    expect(twice.code).toBe(0) // the same file twice is one action
    const dir = mkdtempSync(join(tmpdir(), 'tokenrules-actions-'))
    try {
      writeFileSync(join(dir, '01-plan.js'), 'exports.onExecutePostLogin = async () => {};')
      const clash = await tokenrules(['run', '--actions', 'test/fixtures/mixed-actions', '--actions', dir])
      expect(clash.code).toBe(2)
      expect(clash.stderr).toContain("run: two actions are named 'plan'")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe('tokenrules check with actions', () => {
  it('checks actions beside rules: claims, redirects under --password-only, promises not awaited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenrules-actions-'))
    try {
      cpSync(join(packageDir, 'test/fixtures/mixed/01-roles.js'), join(dir, '01-roles.js'))
      mkdirSync(join(dir, 'actions'))
      writeFileSync(
        join(dir, 'actions/01-consent.js'),
        [
          "const axios = require('axios');",
          'exports.onExecutePostLogin = async (event, api) => {',
          "  api.idToken.setCustomClaim('roles', event.authorization.roles);",
          "  if (event.transaction.protocol === 'oidc-basic-profile') api.redirect.sendUserTo('https://app.example/consent');",
          "  axios.get('https://crm.example/' + event.user.user_id).then((res) => api.accessToken.setCustomClaim('https://example.com/tier', res.data.tier));",
          '};',
          '',
        ].join('\n'),
      )
      const plain = await tokenrules(['check', dir, '--allow', 'axios'])
      expect(plain.code).toBe(1)
      expect(plain.stdout).toContain(`✔ ${join(dir, '01-roles.js')}`)
      expect(plain.stdout).toContain(`✘ ${join(dir, 'actions/01-consent.js')}`)
      expect(plain.stdout).toMatch(/ 3:30 +error +claim-not-namespaced +api\.idToken\.setCustomClaim: idToken claim 'roles' is not namespaced/)
      expect(plain.stdout).toMatch(/ 5:3 +error +action-not-awaited +a promise whose callbacks call 'api' is neither awaited nor returned/)
      expect(plain.stdout).not.toContain('redirect-never-runs')
      expect(plain.stdout).toContain('✘ 2 problems (2 errors, 0 warnings) in 1 of 1 rule and 1 action')

      const strict = await tokenrules(['check', dir, '--allow', 'axios', '--password-only', '--json'])
      const report = JSON.parse(strict.stdout) as Record<string, any>
      expect(report['actions']).toEqual([{ name: 'consent', file: join(dir, 'actions/01-consent.js'), findings: 3 }])
      expect(report['findings'].map((f: { code: string; line: number }) => [f.code, f.line])).toEqual([
        ['claim-not-namespaced', 3],
        ['redirect-never-runs', 4],
        ['action-not-awaited', 5],
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)

  it('checks actions alone', async () => {
    const { code, stdout } = await tokenrules(['check', '--actions', 'test/fixtures/actions', '--json'])
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, rules: [], actions: [{ name: 'add-plan' }, { name: 'deny-blocked' }], findings: [] })
  }, 120_000)

  it('says when everything is clean', async () => {
    const { code, stdout } = await tokenrules(['check', 'test/fixtures/mixed', '--actions', 'test/fixtures/actions'])
    expect(code).toBe(0)
    expect(stdout).toContain('✔ 1 rule and 3 actions checked, no problems found')
  }, 120_000)
})
