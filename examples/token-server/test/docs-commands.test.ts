import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { typeErrors, typeErrorsOfSources } from '../../docs-site/test/typecheck.js'
import { blocks, type Block } from './doc-blocks.js'
import { freePort, startDemo } from './demo-process.js'

/**
 * The commands and code the docs and READMEs show, run for real (docs/*.md's ```js rule, ```ts embed
 * and token-request blocks are docs-examples.test.ts'):
 * - docs/testing-rules.md, packages/testing/README.md, examples/rule-tests/README.md: their vitest
 *   test blocks run in a child `vitest run` with the doc's own vitest.config.ts; the `tokenrules`
 *   commands run as written, from the repository root, against the ```text blocks of their output;
 * - docs/getting-started.md: `pnpm quickstart`'s output against its ```text blocks;
 * - the set-up and test commands of the guides are .ci/run's; every `pnpm <script>` shown exists;
 *   the bench's flags are parsed by examples/bench/src/main.ts (the bench itself is not run);
 * - the READMEs' other ```ts blocks are whole modules, imported, checking themselves with node:assert;
 * - the root README's curl login runs against the demo token server.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url))
const read = (path: string) => readFileSync(join(root, path), 'utf8')

/** The commands of a ```sh block: `\` continuations joined, `# comments` and blank lines dropped. */
function commands(block: Block): string[] {
  return block.body
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

const sh = (path: string) =>
  blocks(read(path))
    .filter((b) => b.info === 'sh')
    .flatMap(commands)

/** Timings vary from run to run: every `N ms` reads `0 ms`. */
const normalise = (text: string) => text.replace(/\b\d+ ms\b/g, '0 ms').replace(/\s+$/, '')

/**
 * A ```text block as a pattern: a line that is only `…` stands for any lines (none included), a `…`
 * inside a line for any text. `excerpt`: the block may be any run of whole lines of the output.
 */
function outputPattern(text: string, excerpt = false): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const lines = normalise(text).split('\n')
  let source = ''
  lines.forEach((line, index) => {
    const last = index === lines.length - 1
    if (line.trim() === '…') source += last ? '[\\s\\S]*' : '(?:[^\\n]*\\n)*?'
    else source += line.split('…').map(escape).join('[^\\n]*?') + (last ? '' : '\\n')
  })
  return excerpt ? new RegExp(`(?:^|\\n)${source}(?:\\n|$)`) : new RegExp(`^${source}$`)
}

interface Ran {
  code: number
  stdout: string
  stderr: string
}

/** A shell command line as a doc writes it, run from `cwd` with its output captured. */
function run(command: string, cwd = root, timeout = 60_000): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  delete env['FORCE_COLOR']
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { cwd, env, timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

const testingRules = blocks(read('docs/testing-rules.md'))

describe.concurrent('docs/testing-rules.md and the testing READMEs: vitest blocks', () => {
  const configBlock = testingRules.find((b) => b.info === 'ts' && b.body.includes('defineConfig('))
  const testBlocks = [
    ...testingRules.filter((b) => b.info === 'ts' && b !== configBlock).map((b) => ({ ...b, file: 'testing-rules' })),
    ...blocks(read('packages/testing/README.md'))
      .filter((b) => b.info === 'ts')
      .map((b) => ({ ...b, file: 'testing-readme' })),
    ...blocks(read('examples/rule-tests/README.md'))
      .filter((b) => b.info === 'ts')
      .map((b) => ({ ...b, file: 'rule-tests-readme' })),
  ]
  const expectedTests = testBlocks.reduce((n, b) => n + (b.body.match(/^\s*it\(/gm) ?? []).length, 0)

  it('finds them', () => {
    expect(configBlock?.body).toContain("execArgv: ['--no-node-snapshot']")
    expect(testBlocks.filter((b) => b.file === 'testing-rules').length).toBeGreaterThanOrEqual(7)
    expect(testBlocks.every((b) => b.body.includes("from 'vitest'"))).toBe(true)
    expect(expectedTests).toBeGreaterThanOrEqual(11)
  })

  it('pass with `vitest run` and the doc’s vitest.config.ts', async () => {
    // Written into examples/rule-tests (a rule author's project: @tokenrules/testing and vitest are
    // its dependencies; `../rules/…` in its README's block are its rules) and removed afterwards.
    const dir = join(root, 'examples/rule-tests', `.docs-blocks-${process.pid}`)
    mkdirSync(dir, { recursive: true })
    try {
      writeFileSync(join(dir, 'vitest.config.ts'), configBlock?.body ?? '')
      // The doc's config, unchanged, plus the one thing this repository adds: its packages' `default`
      // export is a dist/ that is not built here, so vite resolves them with the `@tokenrules/source`
      // condition (to their TypeScript sources), as examples/rule-tests/vitest.config.ts does. An
      // installed @tokenrules/testing has its dist/ and needs no such line.
      writeFileSync(
        join(dir, 'vitest.source.config.ts'),
        [
          "import { mergeConfig } from 'vitest/config'",
          "import doc from './vitest.config.js'",
          '',
          "const source = { resolve: { conditions: ['@tokenrules/source'] } }",
          'export default mergeConfig(doc, { ...source, ssr: source })',
          '',
        ].join('\n'),
      )
      const files = testBlocks.map((block) => join(dir, `${block.file}-${block.line}.test.ts`))
      testBlocks.forEach((block, index) => writeFileSync(files[index] as string, block.body))
      expect(typeErrors([join(dir, 'vitest.config.ts'), ...files]).map((problem) => problem.slice(dir.length))).toEqual([])
      const vitest = join(root, 'examples/rule-tests/node_modules/vitest/vitest.mjs')
      const ran = await run(`"${process.execPath}" "${vitest}" run --config vitest.source.config.ts --reporter=json`, dir, 90_000)
      const report = JSON.parse(ran.stdout.slice(ran.stdout.indexOf('{'))) as {
        numTotalTests: number
        numPassedTests: number
        testResults: { name: string; status: string; message: string; assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[]
      }
      const failures = report.testResults.flatMap((file) => [
        ...(file.status === 'passed' ? [] : [`${file.name}: ${file.message}`]),
        ...file.assertionResults.filter((t) => t.status !== 'passed').map((t) => `${file.name} › ${t.fullName}: ${t.failureMessages.join('\n')}`),
      ])
      expect(failures).toEqual([])
      expect({ code: ran.code, total: report.numTotalTests, passed: report.numPassedTests }).toEqual({ code: 0, total: expectedTests, passed: expectedTests })
      expect(report.testResults.length).toBe(testBlocks.length)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe.concurrent('docs/testing-rules.md: the tokenrules commands', () => {
  const shown = testingRules
    .filter((b) => b.info === 'sh')
    .flatMap(commands)
    .filter((c) => !c.startsWith('pnpm add'))
  const outputs = testingRules.filter((b) => b.info === 'text')
  const command = (part: string) => {
    const found = shown.find((c) => c.includes(part))
    expect(found, `docs/testing-rules.md shows a command with ${part}`).toBeDefined()
    return found as string
  }

  it('shows the commands and their outputs', () => {
    expect(shown.filter((c) => c.includes('tokenrules')).length).toBe(4)
    expect(outputs.map((b) => b.body.split('\n')[0])).toEqual(['tokenrules run: 15 rules, protocol oauth2-password', '…'])
  })

  it('check on examples/rule-tests finds nothing', async () => {
    const ran = await run(command('exec tokenrules check rules'))
    expect(ran.stdout).toContain('✔ 15 rules checked, no problems found')
    expect(ran.code).toBe(0)
  })

  it('run on examples/rule-tests prints the documented outcome', async () => {
    const ran = await run(command('exec tokenrules run rules'))
    expect(normalise(ran.stdout)).toMatch(outputPattern((outputs[0] as Block).body))
    expect(ran.code).toBe(0)
  })

  it('run --json on the quickstart rules prints JSON', async () => {
    const ran = await run(command('tokenrules run examples/quickstart/rules --json'))
    expect(ran.code).toBe(0)
    // The whole of stdout is the JSON document (the doc runs pnpm with --silent).
    const report = JSON.parse(ran.stdout) as { outcome: string; rules: { name: string }[] }
    expect(report.outcome).toBe('allowed')
    expect(report.rules.map((r) => r.name)).toEqual(['deny-unverified-email', 'add-roles', 'restrict-scopes'])
  })

  it('check on the broken fixtures prints the documented findings and exits 1', async () => {
    const ran = await run(command('tokenrules check packages/testing/test/fixtures/broken-rules'))
    expect(normalise(ran.stdout)).toMatch(outputPattern((outputs[1] as Block).body))
    expect(ran.code).toBe(1)
  })
})

describe.concurrent('docs/getting-started.md: pnpm quickstart', () => {
  it('prints the documented outcomes', async () => {
    const doc = blocks(read('docs/getting-started.md'))
    expect(doc.filter((b) => b.info === 'sh').flatMap(commands)).toContain('pnpm quickstart')
    const outputs = doc.filter((b) => b.info === 'text')
    expect(outputs.length).toBe(2)
    const ran = await run('pnpm quickstart')
    expect(ran.code).toBe(0)
    for (const output of outputs) expect(normalise(ran.stdout), `docs/getting-started.md:${output.line}`).toMatch(outputPattern(output.body, true))
  }, 60_000)
})

describe.concurrent('README.md: the curl login', () => {
  it('gets a token from the demo token server', async () => {
    const curl = blocks(read('README.md')).filter((b) => b.info === 'sh' && b.body.startsWith('curl '))
    expect(curl.length).toBe(1)
    const [command] = commands(curl[0] as Block)
    expect(command).toContain('http://localhost:3000/oauth/token')
    const port = await freePort()
    const data = mkdtempSync(join(tmpdir(), 'tokenrules-curl-'))
    const demo = await startDemo(port, data)
    try {
      const ran = await run(`${(command as string).replace('localhost:3000', `localhost:${port}`)} --write-out '\\n%{http_code}'`, root, 30_000)
      const status = ran.stdout.slice(ran.stdout.lastIndexOf('\n') + 1)
      const body = JSON.parse(ran.stdout.slice(0, ran.stdout.lastIndexOf('\n'))) as Record<string, unknown>
      expect({ code: ran.code, status }).toEqual({ code: 0, status: '200' })
      expect(body).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'Bearer' })
    } finally {
      await demo.stop()
      rmSync(data, { recursive: true, force: true })
    }
  }, 90_000)
})

const guides = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
]
const readmes = [
  ...['packages', 'examples'].flatMap((group) =>
    readdirSync(join(root, group))
      .filter((name) => existsSync(join(root, group, name, 'README.md')))
      .map((name) => `${group}/${name}/README.md`),
  ),
]

describe('set-up, test and script commands', () => {
  const ci = read('.ci/run')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !/^(set|cd) /.test(line))

  it('the guides set up and test with exactly what .ci/run runs', () => {
    expect(ci).toEqual(['npm run setup', 'pnpm test'])
    const isSetupOrTest = (c: string) => /^(npm|pnpm) (run )?(setup|install|i|ci|test)\b/.test(c)
    const shown = [...guides, ...readmes].flatMap((path) =>
      sh(path)
        .filter(isSetupOrTest)
        .map((c) => ({ path, command: c })),
    )
    expect(shown.filter((s) => !ci.includes(s.command))).toEqual([])
    expect(sh('README.md').filter(isSetupOrTest)).toEqual(ci)
    expect(sh('docs/getting-started.md').filter(isSetupOrTest)).toEqual(ci)
  })

  it('every `pnpm <script>` a doc shows exists', () => {
    const manifests = [root, ...['packages', 'examples'].flatMap((g) => readdirSync(join(root, g)).map((n) => join(root, g, n)))]
      .filter((dir) => existsSync(join(dir, 'package.json')))
      .map((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; scripts?: Record<string, string> })
    const rootScripts = (manifests[0] as { scripts: Record<string, string> }).scripts
    const builtins = new Set(['add', 'install', 'i', 'exec', 'dlx', 'run', 'vitest', 'approve-builds', 'rebuild'])
    const missing: string[] = []
    let seen = 0
    for (const path of [...guides, ...readmes]) {
      for (const m of read(path).matchAll(/(?<![\w-])pnpm (?:--silent )?(?:--filter (\S+) )?([a-z][\w-]*(?::[\w-]+)*)/g)) {
        const [text, filter, script] = m as unknown as [string, string | undefined, string]
        seen++
        if (filter === undefined) {
          if (!builtins.has(script) && rootScripts[script] === undefined) missing.push(`${path}: ${text}`)
          continue
        }
        const target = manifests.find((p) => p.name === filter)
        if (target === undefined || (script !== 'exec' && target.scripts?.[script] === undefined)) missing.push(`${path}: ${text}`)
      }
    }
    expect(missing).toEqual([])
    expect(seen).toBeGreaterThan(30)
    expect(existsSync(join(root, 'node_modules/.bin/vitest'))).toBe(true) // `pnpm vitest run …` in docs/security.md
  })

  it('docs/benchmarks.md: the bench commands name flags that examples/bench/src/main.ts parses', () => {
    const shown = sh('docs/benchmarks.md')
    const main = read('examples/bench/src/main.ts')
    const bench = shown.filter((c) => c.startsWith('pnpm bench') || c.includes('examples/bench/src/main.ts'))
    expect(bench.length).toBe(4)
    const flags = bench.flatMap((c) => (c.startsWith('pnpm bench') ? (c.split(' -- ')[1] ?? '') : (c.split('main.ts')[1] ?? '')).match(/--[a-z-]+/g) ?? [])
    expect(flags.sort()).toEqual(['--engine-only', '--no-contenders', '--no-endpoint', '--quick'])
    for (const flag of flags) expect(main, flag).toContain(`args.has('${flag}')`)
    const node = bench.find((c) => c.startsWith('node ')) as string
    // The profiling line runs main.ts the way the `bench` script does, plus --cpu-prof.
    const script = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['bench'] as string
    for (const part of script.split(' ').filter((p) => p !== '--expose-gc')) expect(node).toContain(part)
  })
})

/**
 * The READMEs' ```ts blocks that are not vitest tests are whole modules: written next to this test
 * (so they import the workspace's packages as an application would), imported, and they check
 * their own outcome with node:assert and close what they open. Each runs in the working directory
 * (and environment) an application would have: packages/engine's block bundles lodash, uuid,
 * moment and ipaddr.js, resolved from the working directory and installed in packages/engine; the
 * token server's block reads its secrets from the environment and writes ./data/ in a temporary
 * directory.
 */
describe('README modules', () => {
  const modules = ['README.md', ...readmes].flatMap((path) =>
    blocks(read(path))
      .filter((b) => b.info === 'ts' && !b.body.includes("from 'vitest'"))
      .map((b) => ({ path, ...b })),
  )

  it('finds them', () => {
    expect(modules.map((m) => m.path)).toEqual(['README.md', 'packages/engine/README.md', 'packages/engine/README.md', 'packages/oauth/README.md'])
  })

  it('typecheck as modules of an application', () => {
    const dir = fileURLToPath(new URL(`./.docs-typecheck-readme-${process.pid}`, import.meta.url))
    expect(
      typeErrorsOfSources(
        dir,
        modules.map((m) => ({ name: `${m.path}-${m.line}`, source: m.body })),
      ),
    ).toEqual([])
  }, 60_000)

  it.each(modules.map((m) => [`${m.path}:${m.line}`, m] as const))('%s runs', async (_, m) => {
    const file = fileURLToPath(new URL(`./.docs-readme-${process.pid}-${m.path.replace(/\W/g, '-')}-${m.line}.ts`, import.meta.url))
    const cwd = process.cwd()
    const env = { ...process.env }
    const scratch = mkdtempSync(join(tmpdir(), 'tokenrules-readme-'))
    writeFileSync(file, m.body)
    try {
      if (m.path === 'packages/engine/README.md') process.chdir(join(root, 'packages/engine'))
      if (m.path === 'packages/oauth/README.md') {
        process.chdir(scratch)
        Object.assign(process.env, { APP_SECRET: randomBytes(16).toString('hex'), TOKENRULES_KEY: randomBytes(32).toString('base64url'), PORT: '0' })
      }
      await import(pathToFileURL(file).href)
    } finally {
      process.chdir(cwd)
      for (const key of ['APP_SECRET', 'TOKENRULES_KEY', 'PORT']) {
        if (env[key] === undefined) delete process.env[key]
        else process.env[key] = env[key]
      }
      rmSync(file, { force: true })
      rmSync(scratch, { recursive: true, force: true })
    }
  })

  /**
   * The same modules as a user runs them: plain `node --no-node-snapshot file.mts` (Node ≥ 24 strips
   * the types itself and runs `await using`), importing the packages' built `dist/` through their
   * `exports`, with no tsx, no vite and no source condition.
   */
  describe('as plain Node modules, on the built packages', () => {
    beforeAll(async () => {
      const tsc = join(root, 'node_modules/typescript/bin/tsc')
      for (const name of ['engine', 'oauth']) {
        await promisify(execFile)(process.execPath, [tsc, '-p', join(root, `packages/${name}/tsconfig.build.json`)], { cwd: root })
      }
    }, 120_000)

    it.each(modules.map((m) => [`${m.path}:${m.line}`, m] as const))(
      '%s runs',
      async (_, m) => {
        const file = fileURLToPath(new URL(`./.docs-plain-${process.pid}-${m.path.replace(/\W/g, '-')}-${m.line}.mts`, import.meta.url))
        const scratch = mkdtempSync(join(tmpdir(), 'tokenrules-readme-plain-'))
        writeFileSync(file, m.body)
        const cwd = m.path === 'packages/engine/README.md' ? join(root, 'packages/engine') : m.path === 'packages/oauth/README.md' ? scratch : root
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          APP_SECRET: randomBytes(16).toString('hex'),
          TOKENRULES_KEY: randomBytes(32).toString('base64url'),
          PORT: '0',
        }
        // Nothing of vitest's or vite's may leak into the child.
        for (const key of Object.keys(env)) if (/^(VITEST|VITE_|TEST$|NODE_ENV$)/.test(key)) delete env[key]
        try {
          const ran = await promisify(execFile)(process.execPath, ['--no-node-snapshot', file], { cwd, env, timeout: 60_000 })
          expect(ran.stderr).toBe('')
        } finally {
          rmSync(file, { force: true })
          rmSync(scratch, { recursive: true, force: true })
        }
      },
      90_000,
    )
  })
})
