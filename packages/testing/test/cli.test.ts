import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const bin = fileURLToPath(new URL('../bin/tokenrules.js', import.meta.url))

interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Run the CLI as a user would (`node bin/tokenrules.js …` from the package folder), no terminal. */
function tokenrules(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const childEnv: Record<string, string | undefined> = { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined, ...env }
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key]
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: packageDir, env: childEnv as NodeJS.ProcessEnv, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
      resolve({ code, stdout, stderr })
    })
  })
}

const ESC = '\u001b['

describe('tokenrules run', () => {
  it('prints an allowed login readably and exits 0', async () => {
    const { code, stdout, stderr } = await tokenrules(['run', 'test/fixtures/good-rules', '--user', 'test/fixtures/inputs/admin.json'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('tokenrules run: 3 rules, protocol oauth2-password')
    expect(stdout).toContain('✔ allowed, MFA required (guardian): the token endpoint answers 403 mfa_required until the second factor')
    expect(stdout).toMatch(/Rules\n {2}check-email +\d+ ms\n {2}roles +\d+ ms\n {2}mfa +\d+ ms\n/)
    expect(stdout).toMatch(/Access token\n {2}scope {2}openid read write\n {2}https:\/\/tokenrules\.example\/roles {2}\["admin"\]\n/)
    expect(stdout).toMatch(/ID token\n {2}https:\/\/tokenrules\.example\/name {2}"Grace Hopper"\n/)
    expect(stdout).toContain('Logs\n  [roles] log: roles for grace@example.com: admin')
    expect(stdout).not.toContain(ESC)
  })

  it('--json gives the whole outcome to machines', async () => {
    const { code, stdout } = await tokenrules([
      'run',
      'test/fixtures/good-rules',
      '--context',
      'test/fixtures/inputs/refresh.json',
      '--user',
      'test/fixtures/inputs/admin.json',
      '--json',
      '--clock',
      '2030-01-01T00:00:00Z',
    ])
    expect(code).toBe(0)
    const report = JSON.parse(stdout) as Record<string, any>
    expect(report).toMatchObject({
      outcome: 'allowed',
      exitCode: 0,
      protocol: 'oauth2-refresh-token',
      rules: [
        { name: 'check-email', file: 'test/fixtures/good-rules/01-check-email.js' },
        { name: 'roles', file: 'test/fixtures/good-rules/02-roles.js' },
        { name: 'mfa', file: 'test/fixtures/good-rules/03-mfa.js' },
      ],
      result: {
        accessToken: { claims: { 'https://tokenrules.example/roles': ['admin'] }, scope: ['openid', 'read', 'write'] },
        idToken: { claims: { 'https://tokenrules.example/name': 'Grace Hopper' } },
        warnings: [],
        logs: [{ level: 'log', rule: 'roles', message: 'roles for grace@example.com: admin' }],
        timings: [{ name: 'check-email' }, { name: 'roles' }, { name: 'mfa' }],
      },
    })
    expect(report.result.multifactor).toBeUndefined()
    expect(report.error).toBeUndefined()
  })

  it('exits 1 for a denial and shows the OAuth answer', async () => {
    const { code, stdout } = await tokenrules(['run', 'test/fixtures/good-rules/01-check-email.js', '--user', 'test/fixtures/inputs/unverified.json'])
    expect(code).toBe(1)
    expect(stdout).toContain("✘ denied: ERR_RULE_UNAUTHORIZED in rule 'check-email'\n  Verify your email first.\n")
    expect(stdout).toContain('→ HTTP 401 {"error":"unauthorized","error_description":"Verify your email first."}')
    const json = await tokenrules(['run', 'test/fixtures/good-rules/01-check-email.js', '--user', 'test/fixtures/inputs/unverified.json', '--json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({
      outcome: 'denied',
      exitCode: 1,
      error: { code: 'ERR_RULE_UNAUTHORIZED', rule: 'check-email', oauth: { status: 401, body: { error: 'unauthorized' } } },
    })
  })

  it('exits 1 for a redirect under the password grant', async () => {
    const { code, stdout } = await tokenrules(['run', 'test/fixtures/broken-rules/03-redirect.js'])
    expect(code).toBe(1)
    expect(stdout).toContain('ERR_REDIRECT_UNSUPPORTED')
    expect(stdout).toContain('{"error":"access_denied","error_description":"Redirect from a rule is not supported in the password exchange."}')
  })

  it('exits 2 when the rules fail: a timeout (with the logs so far), a rule that does not compile', async () => {
    const timeout = await tokenrules(['run', 'test/fixtures/timeout-rule', '--timeout', '200'])
    expect(timeout.code).toBe(2)
    expect(timeout.stdout).toContain("✘ failed: ERR_RULE_TIMEOUT in rule 'hang'")
    expect(timeout.stdout).toContain('→ HTTP 500 {"error":"server_error"')
    expect(timeout.stdout).toContain('[hang] log: waiting for nothing')
    const compile = await tokenrules(['run', 'test/fixtures/broken-rules/01-syntax.js', '--json'])
    expect(compile.code).toBe(2)
    expect(JSON.parse(compile.stdout)).toMatchObject({ outcome: 'failed', error: { code: 'ERR_RULE_COMPILE', rule: 'syntax', line: 3 } })
  })

  it('exits 2 with a message for bad arguments and unreadable input', async () => {
    const cases: [string[], RegExp][] = [
      [['run'], /give at least one rule file or folder/],
      [['run', 'test/fixtures/good-rules', '--user', 'test/fixtures/inputs/not-json.json'], /--user test\/fixtures\/inputs\/not-json.json is not valid JSON/],
      [['run', 'test/fixtures/good-rules', '--bogus'], /Unknown option '--bogus'/],
    ]
    const runs = await Promise.all(cases.map(([args]) => tokenrules(args)))
    runs.forEach((run, i) => {
      expect(run.code, cases[i]?.[0].join(' ')).toBe(2)
      expect(run.stderr).toMatch(cases[i]?.[1] as RegExp)
      expect(run.stdout).toBe('')
    })
  })
})

describe('tokenrules check', () => {
  it('exits 0 for good rules', async () => {
    const { code, stdout } = await tokenrules(['check', 'test/fixtures/good-rules'])
    expect(code).toBe(0)
    expect(stdout).toContain('✔ test/fixtures/good-rules/02-roles.js')
    expect(stdout).toContain('✔ 3 rules checked, no problems found')
  })

  it('reports every problem with file, line and column, and exits 1', async () => {
    const { code, stdout } = await tokenrules(['check', 'test/fixtures/broken-rules', '--allow', 'lodash'])
    expect(code).toBe(1)
    expect(stdout).toContain('✘ test/fixtures/broken-rules/01-syntax.js\n  3:24  error    syntax-error  SyntaxError: Unexpected token')
    expect(stdout).toMatch(/02-claims\.js\n {2}2:19 +error +claim-not-namespaced +idToken claim 'roles' is not namespaced/)
    expect(stdout).toMatch(/ {2}3:23 +error +claim-forbidden-namespace +accessToken claim 'https:\/\/auth0\.com\/plan' uses the forbidden namespace auth0\.com/)
    expect(stdout).toMatch(/03-redirect\.js\n {2}3:5 +error +redirect-password-grant/)
    expect(stdout).toMatch(
      /04-no-callback\.js\n {2}3:5 +error +return-without-callback .*\n {2}8:1 +error +callback-not-reached .*when the condition on line 5 is false/,
    )
    expect(stdout).toMatch(/05-require\.js\n {2}3:14 +error +module-not-allowed +require\('fs'\): 'fs' is not allowed \(allowed: lodash\)/)
    expect(stdout).toMatch(/06-never-calls-back\.js\n {2}1:1 +error +callback-never-called +the rule never calls 'cb'/)
    expect(stdout).toContain('✘ 8 problems (8 errors, 0 warnings) in 6 of 6 rules')
  })

  it('--json lists the findings; --password-only adds guarded redirects', async () => {
    const { code, stdout } = await tokenrules(['check', 'test/fixtures/broken-rules/02-claims.js', 'test/fixtures/good-rules', '--json', '--password-only'])
    expect(code).toBe(1)
    const report = JSON.parse(stdout) as { ok: boolean; findings: Record<string, unknown>[]; errors: number; warnings: number }
    expect(report.ok).toBe(false)
    expect(report.findings).toEqual([
      expect.objectContaining({
        code: 'claim-not-namespaced',
        severity: 'error',
        rule: 'claims',
        file: 'test/fixtures/broken-rules/02-claims.js',
        line: 2,
        column: 19,
      }),
      expect.objectContaining({ code: 'claim-forbidden-namespace', line: 3, column: 23 }),
    ])
    expect({ errors: report.errors, warnings: report.warnings }).toEqual({ errors: 2, warnings: 0 })
  })

  it('exits 2 when there is nothing to check', async () => {
    const { code, stderr } = await tokenrules(['check', 'test/fixtures/inputs'])
    expect(code).toBe(2)
    expect(stderr).toContain('check: no rules (.js files) found in test/fixtures/inputs')
  })
})

describe('help and colours', () => {
  it('has --help for the tool and for every command', async () => {
    const [top, run, check] = await Promise.all([tokenrules(['--help']), tokenrules(['run', '--help']), tokenrules(['check', '-h'])])
    expect(top.code).toBe(0)
    expect(top.stdout).toContain('tokenrules run <rules...>')
    expect(top.stdout).toContain('tokenrules check <dir...>')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Exit codes:\n  0  allowed')
    expect(run.stdout).toContain('--fake-http <file>')
    expect(check.code).toBe(0)
    expect(check.stdout).toContain('callback-not-reached')
    expect(check.stdout).toContain('--password-only')
  })

  it('colours only when asked to (FORCE_COLOR, as on a terminal), never with NO_COLOR', async () => {
    const [coloured, plain] = await Promise.all([
      tokenrules(['check', 'test/fixtures/good-rules'], { FORCE_COLOR: '1' }),
      tokenrules(['check', 'test/fixtures/good-rules'], { FORCE_COLOR: '1', NO_COLOR: '1' }),
    ])
    expect(coloured.stdout).toContain(`${ESC}32m✔${ESC}39m`)
    expect(plain.stdout).not.toContain(ESC)
  })
})

describe('tokenrules run --http-allow-address', () => {
  it('a name that resolves to loopback is refused unless its address is allowed too (a local mock server)', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"score":7}'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const dir = mkdtempSync(join(tmpdir(), 'tokenrules-cli-http-'))
    try {
      writeFileSync(
        join(dir, 'score.js'),
        `function (user, context, callback) {
          fetch('http://localhost:${port}/score').then(function (r) { return r.json() }).then(function (body) {
            context.accessToken['https://x.example/score'] = body.score
            callback(null, user, context)
          }, function (e) {
            context.accessToken['https://x.example/error'] = e.code
            callback(null, user, context)
          })
        }`,
      )
      const refused = await tokenrules(['run', dir, '--http-allow', `localhost:${port}`, '--json'])
      expect(refused.code).toBe(0)
      expect(JSON.stringify(JSON.parse(refused.stdout))).toContain('"https://x.example/error":"ERR_HTTP_NOT_ALLOWED"')
      const allowed = await tokenrules(['run', dir, '--http-allow', `localhost:${port}`, '--http-allow-address', '127.0.0.1', '--json'])
      expect(allowed.code).toBe(0)
      expect(JSON.stringify(JSON.parse(allowed.stdout))).toContain('"https://x.example/score":7')
    } finally {
      rmSync(dir, { recursive: true, force: true })
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
