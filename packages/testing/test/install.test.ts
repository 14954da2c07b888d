/**
 * The packages as a new user gets them (issue 17): `pnpm pack` each of @tokenrules/engine, oauth
 * and testing (prepack builds them), publish the tarballs to a local npm registry (Verdaccio on
 * 127.0.0.1, its own storage, other packages proxied from the usual registry), and install them
 * into fresh projects outside the workspace: a rule author's with npm and vitest 3.2, an
 * embedder's with pnpm 10 and vitest 4 (the two ends of the vitest peer range). Slow by nature (a
 * build, a registry, two installs): every step has its own time limit.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { accessSync, constants, realpathSync } from 'node:fs'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, delimiter, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const repo = fileURLToPath(new URL('../../../', import.meta.url))
const fixtures = fileURLToPath(new URL('./fixtures/install/', import.meta.url))
const packages = ['engine', 'oauth', 'testing'] as const
const MINUTE = 60_000

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** The environment of every command: this Node first on the PATH, nothing of the test runner's or the workspace's package manager. */
function commandEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|vitest|node_options$|node_env$|init_cwd$|test$|force_color$)/i.test(key)) continue
    env[key] = value
  }
  env.PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter)
  return { ...env, NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra }
}

/** Runs `command args` in `cwd`, at most `timeout` ms; resolves with its exit code and output. */
function run(command: string, args: readonly string[], cwd: string, timeout: number, env: NodeJS.ProcessEnv = commandEnv()): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env, timeout, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
      done({ code, stdout, stderr: error !== null && error.killed ? `${stderr}\n(killed after ${timeout} ms)` : stderr })
    })
  })
}

/** `run`, failing the test with the command's output unless it exits 0. */
async function succeed(command: string, args: readonly string[], cwd: string, timeout: number, env?: NodeJS.ProcessEnv): Promise<Run> {
  const result = await run(command, args, cwd, timeout, env)
  if (result.code !== 0) {
    throw new Error(`${[command, ...args].join(' ')} (in ${cwd}) exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`)
  }
  return result
}

/** A package manager's JavaScript entry, run with this Node: `[node, cli.js]`. */
function packageManager(name: 'npm' | 'pnpm'): [string, string] {
  const fromRunner = process.env.npm_execpath // what runs `pnpm test`: pnpm.cjs, npm-cli.js
  if (fromRunner !== undefined && basename(fromRunner).startsWith(name) && /\.c?js$/.test(fromRunner)) return [process.execPath, fromRunner]
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(folder, name)
    try {
      accessSync(candidate, constants.X_OK)
    } catch {
      continue
    }
    const target = realpathSync(candidate)
    if (/\.c?js$/.test(target)) return [process.execPath, target]
  }
  throw new Error(`${name} is not on the PATH (as a JavaScript entry point): the install test needs it`)
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? done(address.port) : fail(new Error('no port'))))
    })
  })
}

async function waitFor(url: string, child: ChildProcess, log: () => string, timeout: number): Promise<void> {
  const until = Date.now() + timeout
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`Verdaccio exited with ${child.exitCode}:\n${log()}`)
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((wait) => setTimeout(wait, 250))
  }
  throw new Error(`Verdaccio did not answer ${url} within ${timeout} ms:\n${log()}`)
}

describe('installed from a registry, outside the workspace', () => {
  let work: string
  let registry: string
  let verdaccio: ChildProcess | undefined
  let verdaccioLog = ''
  const version: Record<string, string> = {}
  const tarball: Record<string, string> = {}
  const [npmNode, npmCli] = packageManager('npm')
  const [pnpmNode, pnpmCli] = packageManager('pnpm')

  beforeAll(async () => {
    work = await mkdtemp(join(await realpath(tmpdir()), 'tokenrules-install-'))
    expect(relative(repo, work).startsWith('..'), `${work} must be outside the workspace`).toBe(true)

    // Pack: prepack builds each package, so the tarball has dist/ with .d.ts.
    const tarballs = join(work, 'tarballs')
    await mkdir(tarballs)
    for (const name of packages) {
      const dir = join(repo, 'packages', name)
      version[name] = (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string }).version
      await succeed(pnpmNode, [pnpmCli, 'pack', '--pack-destination', tarballs], dir, 5 * MINUTE)
      tarball[name] = join(tarballs, `tokenrules-${name}-${version[name]}.tgz`)
    }

    // A registry of our own: @tokenrules/* only from here, everything else proxied.
    const port = await freePort()
    registry = `http://127.0.0.1:${port}/`
    const home = join(work, 'registry')
    await mkdir(home)
    const upstream = process.env.npm_config_registry ?? 'https://registry.npmjs.org/'
    await writeFile(
      join(home, 'config.yaml'),
      [
        'storage: ./storage',
        'auth:',
        '  htpasswd:',
        '    file: ./htpasswd',
        'uplinks:',
        '  upstream:',
        `    url: ${JSON.stringify(upstream)}`,
        '    timeout: 60s',
        'packages:',
        "  '@tokenrules/*':",
        '    access: $all',
        '    publish: $authenticated',
        "  '**':",
        '    access: $all',
        '    publish: $authenticated',
        '    proxy: upstream',
        'log: { type: stdout, format: pretty, level: warn }',
        '',
      ].join('\n'),
    )
    const verdaccioBin = join(dirname(createRequire(join(repo, 'package.json')).resolve('verdaccio/package.json')), 'bin', 'verdaccio')
    verdaccio = spawn(process.execPath, [verdaccioBin, '--config', join(home, 'config.yaml'), '--listen', `127.0.0.1:${port}`], {
      cwd: home,
      env: commandEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const collect = (chunk: Buffer) => void (verdaccioLog = (verdaccioLog + chunk.toString('utf8')).slice(-20_000))
    verdaccio.stdout?.on('data', collect)
    verdaccio.stderr?.on('data', collect)
    await waitFor(`${registry}-/ping`, verdaccio, () => verdaccioLog, MINUTE)

    // A publisher, then the three packages, engine first.
    const signUp = await fetch(`${registry}-/user/org.couchdb.user:publisher`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'publisher', password: 'publisher-password' }),
    })
    const { token } = (await signUp.json()) as { token?: string }
    expect(token, `Verdaccio signed up no publisher (${signUp.status})`).toEqual(expect.any(String))
    const userconfig = join(home, 'publisher.npmrc')
    await writeFile(userconfig, `//127.0.0.1:${port}/:_authToken=${token}\n`)
    for (const name of packages) {
      await succeed(
        npmNode,
        [npmCli, 'publish', `./${relative(work, tarball[name] as string)}`, '--registry', registry],
        work,
        2 * MINUTE,
        commandEnv({ NPM_CONFIG_USERCONFIG: userconfig }),
      )
    }
  }, 20 * MINUTE)

  afterAll(async () => {
    if (verdaccio !== undefined && verdaccio.exitCode === null) {
      const exited = new Promise((done) => verdaccio?.once('exit', done))
      verdaccio.kill('SIGTERM')
      const stopped = await Promise.race([exited.then(() => true), new Promise((done) => setTimeout(() => done(false), 10_000))])
      if (!stopped) verdaccio.kill('SIGKILL')
    }
    if (work !== undefined) await rm(work, { recursive: true, force: true })
  }, MINUTE)

  /** A fixture project copied into the temporary folder, with its package.json and an .npmrc naming the registry. */
  async function project(name: string, manifest: Record<string, unknown>): Promise<string> {
    const dir = join(work, name)
    await cp(join(fixtures, name), dir, { recursive: true })
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name, private: true, type: 'module', ...manifest }, null, 2)}\n`)
    await writeFile(join(dir, '.npmrc'), `registry=${registry}\n`)
    return dir
  }

  /** The installed copy of a package is the registry's, not a link into the workspace, and has its build. */
  async function expectInstalledFromTheRegistry(dir: string, name: string): Promise<void> {
    const installed = await realpath(join(dir, 'node_modules', '@tokenrules', name))
    expect(installed.startsWith(repo), `${installed} must not be the workspace's copy`).toBe(false)
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string> }
    expect(manifest.version).toBe(version[name])
    for (const range of Object.values(manifest.dependencies ?? {})) expect(range).not.toMatch(/^workspace:/)
    await expect(readFile(join(installed, 'dist', 'index.d.ts'), 'utf8')).resolves.toContain('export')
  }

  it(
    "npm: a rule author's project runs vitest 3.2 with @tokenrules/testing/vitest, typechecks against the .d.ts, and runs `tokenrules run`",
    async () => {
      const dir = await project('rule-author', {
        devDependencies: {
          '@tokenrules/testing': version.testing,
          '@types/node': '^24.0.0',
          'isolated-vm': '^7.0.1',
          typescript: '5.9.3',
          vitest: '3.2.4',
        },
      })
      await succeed(npmNode, [npmCli, 'install'], dir, 10 * MINUTE)
      await expectInstalledFromTheRegistry(dir, 'testing')
      await expectInstalledFromTheRegistry(dir, 'engine')

      const bin = join(dir, 'node_modules', '.bin')
      const vitest = await succeed(join(bin, 'vitest'), ['run'], dir, 3 * MINUTE)
      expect(vitest.stdout).toMatch(/Tests\s+2 passed \(2\)/)
      expect(vitest.stdout).toContain('v3.2.4')

      await succeed(join(bin, 'tsc'), ['-p', '.'], dir, 3 * MINUTE)

      const allowed = await succeed(join(bin, 'tokenrules'), ['run', 'rules', '--user', 'admin.json'], dir, MINUTE)
      expect(allowed.stdout).toContain('tokenrules run: 1 rule, protocol oauth2-password')
      expect(allowed.stdout).toMatch(/Access token\n(.*\n)*? {2}https:\/\/example\.com\/roles {2}\["admin"\]\n/)
      await writeFile(join(dir, 'blocked.json'), JSON.stringify({ app_metadata: { roles: ['blocked'] } }))
      const denied = await run(join(bin, 'tokenrules'), ['run', 'rules', '--user', 'blocked.json'], dir, MINUTE)
      expect(denied.code).not.toBe(0)
      expect(`${denied.stdout}${denied.stderr}`).toContain('This account is blocked.')
    },
    20 * MINUTE,
  )

  it(
    "pnpm 10: an embedder's project builds isolated-vm and better-sqlite3 (onlyBuiltDependencies), reads a Deploy CLI export, runs it in an engine and behind createTokenServer, tests it with vitest 4, imports Auth0's users and serves the export with `tokenrules serve`",
    async () => {
      const dir = await project('embedder', {
        dependencies: {
          '@tokenrules/engine': version.engine,
          '@tokenrules/oauth': version.oauth,
          'better-sqlite3': '^12.11.1',
          'isolated-vm': '^7.0.1',
        },
        devDependencies: { '@tokenrules/testing': version.testing, vitest: '4.1.12' },
      })
      // better-sqlite3 compiles against this Node's own headers: nothing to download (a prebuilt binary or headers from nodejs.org may be out of reach).
      const install = await succeed(
        pnpmNode,
        [pnpmCli, 'install'],
        dir,
        10 * MINUTE,
        commandEnv({ npm_config_nodedir: dirname(dirname(realpathSync(process.execPath))) }),
      )
      // pnpm 10 lists the dependencies whose build scripts it skipped; isolated-vm and better-sqlite3 must not be among them.
      expect(`${install.stdout}${install.stderr}`).not.toMatch(/Ignored build scripts:[^\n]*(?:isolated-vm|better-sqlite3)/)
      for (const name of packages) await expectInstalledFromTheRegistry(dir, name)

      const server = await succeed(process.execPath, ['--no-node-snapshot', 'server.mjs'], dir, 2 * MINUTE)
      const out = JSON.parse(server.stdout) as {
        format: string
        engine: unknown
        login: { status: number; accessToken: Record<string, unknown>; idToken: Record<string, unknown> | undefined }
      }
      expect(out.format).toBe('deploy-cli-directory')
      expect(out.engine).toEqual({
        rules: ['Add roles'],
        accessToken: { 'https://example.com/roles': ['admin'] },
        idToken: { 'https://example.com/plan': 'gold' },
      })
      expect(out.login.status).toBe(200)
      expect(out.login.accessToken).toMatchObject({
        'https://example.com/roles': ['support'],
        aud: 'https://api.example.com',
        iss: 'https://auth.example.com/',
      })
      expect(out.login.idToken).toMatchObject({ 'https://example.com/plan': 'gold' })

      const vitest = await succeed(join(dir, 'node_modules', '.bin', 'vitest'), ['run'], dir, 3 * MINUTE)
      expect(vitest.stdout).toMatch(/Tests\s+1 passed \(1\)/)
      expect(vitest.stdout).toContain('v4.1.12')

      // docs/migrating-from-auth0.md's path with the installed packages: the guide's tokenrules.yaml,
      // a Deploy CLI export and Auth0's user exports, `tokenrules users import`, `tokenrules serve`,
      // and a migrated user logging in with the password they had at Auth0.
      const guide = await readFile(join(repo, 'docs', 'migrating-from-auth0.md'), 'utf8')
      const config = /```yaml tokenrules\.yaml\n([\s\S]*?)```/.exec(guide)?.[1]
      expect(config, 'the guide shows a tokenrules.yaml').toEqual(expect.stringContaining('path: tenant\n'))
      await writeFile(join(dir, 'tokenrules.yaml'), (config as string).replace('path: tenant\n', 'path: auth0-export\n'))
      const oauthFixtures = join(repo, 'packages', 'oauth', 'test', 'fixtures')
      await cp(join(oauthFixtures, 'deploy-cli-export'), join(dir, 'auth0-export'), { recursive: true })
      await cp(join(oauthFixtures, 'auth0-users', 'users-export.ndjson'), join(dir, 'users.ndjson'))
      await cp(join(oauthFixtures, 'auth0-users', 'password-hashes.ndjson'), join(dir, 'password-hashes.ndjson'))
      const serverEnv = commandEnv({ TOKENRULES_ENCRYPTION_KEY: randomBytes(32).toString('base64url'), WEB_CLIENT_SECRET: 'web-client-secret' })
      const tokenrules = join(dir, 'node_modules', '.bin', 'tokenrules')
      const imported = await succeed(
        tokenrules,
        ['users', 'import', 'users.ndjson', 'password-hashes.ndjson', '--directory', 'Employees'],
        dir,
        2 * MINUTE,
        serverEnv,
      )
      expect(imported.stdout).toContain('imported 4 users into Employees')

      const serving = spawn(tokenrules, ['serve', '--config', 'tokenrules.yaml', '--port', '0'], {
        cwd: dir,
        env: serverEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let log = ''
      const collect = (chunk: Buffer) => void (log += chunk.toString('utf8'))
      serving.stdout.on('data', collect)
      serving.stderr.on('data', collect)
      const exited = new Promise<void>((done) => serving.once('exit', () => done()))
      try {
        const url = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`tokenrules serve did not listen within 2 minutes:\n${log}`)), 2 * MINUTE)
          const look = () => {
            const found = /listening on (http:\/\/\S+)/.exec(log)
            if (found !== null) {
              clearTimeout(timer)
              resolve(found[1] as string)
            }
          }
          serving.stdout.on('data', look)
          serving.stderr.on('data', look)
          void exited.then(() => {
            clearTimeout(timer)
            reject(new Error(`tokenrules serve exited:\n${log}`))
          })
        })
        const answer = await fetch(`${url}/oauth/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'password',
            client_id: 'web',
            client_secret: 'web-client-secret',
            username: 'ada@acme.test',
            password: 'Analytical-Engine-1843',
          }),
        })
        const body = (await answer.json()) as { access_token?: string }
        expect(answer.status, JSON.stringify(body)).toBe(200)
        const claims = JSON.parse(Buffer.from((body.access_token as string).split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>
        expect(claims).toMatchObject({
          sub: 'auth0|5f1a2b3c4d5e6f7a8b9c0d1e',
          aud: 'https://api.example.com',
          'https://example.com/roles': ['admin'],
          'https://example.com/plan': 'enterprise',
        })
      } finally {
        serving.kill('SIGTERM')
        await Promise.race([exited, new Promise((done) => setTimeout(done, 10_000))])
        if (serving.exitCode === null) serving.kill('SIGKILL')
      }
    },
    25 * MINUTE,
  )
})
