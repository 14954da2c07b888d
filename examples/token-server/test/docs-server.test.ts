import { execFile, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadServerConfig, ServerConfigError } from '@tokenrules/oauth/cli'
import { decodeJwt } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { blocks, type Block } from './doc-blocks.js'

/**
 * docs/migrating-from-auth0.md's "Serve the tenant, and bring the users" and docs/server-config.md,
 * run: the config files they show are loaded, their `tokenrules` commands run as written (through
 * the workspace's bin, which is what `pnpm exec tokenrules` runs) in a folder holding the files
 * they name (the Deploy CLI export and Auth0 user exports of packages/oauth/test/fixtures), and
 * their output is compared with the ```text block after each.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url))
const bin = join(root, 'packages/testing/bin/tokenrules.js')
const fixtures = join(root, 'packages/oauth/test/fixtures')
const read = (path: string) => readFileSync(join(root, path), 'utf8')

/** A ```text block as a pattern: a line that is only `…` stands for any lines, a `…` inside a line for any text. */
function outputPattern(text: string): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const lines = text.replace(/\s+$/, '').split('\n')
  const source = lines
    .map((line, index) => {
      const last = index === lines.length - 1
      if (line.trim() === '…') return last ? '[\\s\\S]*' : '(?:[^\\n]*\\n)*?'
      return line.split('…').map(escape).join('[^\\n]*?') + (last ? '' : '\\n')
    })
    .join('')
  return new RegExp(`^${source}$`)
}

/** The block right after `block` in `all`, which must have `info`. */
function after(all: Block[], block: Block, info: string): Block {
  const next = all[all.indexOf(block) + 1]
  expect(next?.info, `the block after line ${block.line}`).toBe(info)
  return next as Block
}

/** A doc's ```sh lines as one script, `pnpm exec tokenrules` the workspace's bin. */
const script = (block: Block) => block.body.replaceAll('pnpm exec tokenrules', `"${process.execPath}" "${bin}"`)

function sh(command: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    })
  })
}

describe('docs/migrating-from-auth0.md: serve the tenant, and bring the users', () => {
  const doc = read('docs/migrating-from-auth0.md')
  const section = doc.slice(doc.indexOf('## Serve the tenant, and bring the users'), doc.indexOf('## Rules, actions, or both'))
  const all = blocks(section)
  const dir = mkdtempSync(join(tmpdir(), 'tokenrules-docs-migrate-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('imports the users, serves the export and logs a migrated user in, as the doc shows', async () => {
    const config = all.find((b) => b.info === 'yaml tokenrules.yaml') as Block
    writeFileSync(join(dir, 'tokenrules.yaml'), config.body)
    cpSync(join(fixtures, 'deploy-cli-export'), join(dir, 'tenant'), { recursive: true })
    cpSync(join(fixtures, 'auth0-users/users-export.ndjson'), join(dir, 'users.ndjson'))
    cpSync(join(fixtures, 'auth0-users/password-hashes.ndjson'), join(dir, 'password-hashes.ndjson'))

    const [importing, serving, login] = all.filter((b) => b.info === 'sh')
    expect([importing, serving, login].every((b) => b !== undefined)).toBe(true)
    // The import block's exports are the server's environment too: run them, then print it.
    const imported = await sh(`${script(importing as Block)}\nprintf '%s\\n' "$TOKENRULES_ENCRYPTION_KEY" "$WEB_CLIENT_SECRET" >&2`, dir)
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout.trimEnd()).toMatch(outputPattern(after(all, importing as Block, 'text').body))
    const [key, secret] = imported.stderr.trim().split('\n').slice(-2) as [string, string]

    const [command] = script(serving as Block).split('\n') as [string]
    const server = spawn('sh', ['-c', `${command} --port 0`], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', TOKENRULES_ENCRYPTION_KEY: key, WEB_CLIENT_SECRET: secret },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    })
    let log = ''
    server.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()))
    const exited = new Promise<void>((resolve) => server.on('exit', () => resolve()))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        server.stderr.on('data', () => {
          const found = /listening on (http:\/\/\S+)/.exec(log)
          if (found !== null) resolve(found[1] as string)
        })
        void exited.then(() => reject(new Error(`serve exited: ${log}`)))
      })
      // The doc's log, but for the port the test asked for.
      expect(log.replace(url, 'http://127.0.0.1:3000').trimEnd()).toMatch(outputPattern(after(all, serving as Block, 'text').body))

      const curl = await sh((login as Block).body.replace('http://127.0.0.1:3000', url), dir)
      expect(curl.code, curl.stderr).toBe(0)
      const body = JSON.parse(curl.stdout) as { access_token: string }
      expect(decodeJwt(body.access_token)).toMatchObject(JSON.parse(after(all, login as Block, 'json claims').body) as Record<string, unknown>)
    } finally {
      if (server.pid !== undefined) process.kill(-server.pid, 'SIGTERM')
      await exited
    }
  }, 180_000)
})

describe('docs/server-config.md', () => {
  const all = blocks(read('docs/server-config.md'))
  const example = all.find((b) => b.info === 'yaml tokenrules.yaml') as Block
  const dir = mkdtempSync(join(tmpdir(), 'tokenrules-docs-config-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const env = { TOKENRULES_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64url'), WEB_CLIENT_SECRET: 'web', BILLING_API_KEY: 'billing' }

  it('the example file is valid, and names every setting of the table', async () => {
    const file = join(dir, 'tokenrules.yaml')
    writeFileSync(file, example.body)
    const config = await loadServerConfig(file, { env })
    expect(config.server.clients.map((client) => client.clientId)).toEqual(['web', 'mobile'])
    expect(config.configuration).toEqual({ PLAN: 'gold', BILLING_API_KEY: 'billing' })
    const table = read('docs/server-config.md').split('## Settings')[1]?.split('## Reloading')[0] ?? ''
    const { serverConfigJsonSchema } = await import('@tokenrules/oauth/cli')
    const settings = Object.keys((serverConfigJsonSchema() as { properties: Record<string, unknown> }).properties).filter((key) => key !== '$schema')
    expect(settings.filter((key) => !table.includes(`\`${key}`))).toEqual([])
  })

  it('a typo is reported by path and line as the doc shows', async () => {
    const file = join(dir, 'typo.yaml')
    const typo = example.body
      .replace('grants: [password, refresh_token,', 'grants: [password, refresh_tokn,')
      .replace('    allowedOrigins:', '    colour: blue\n    allowedOrigins:')
    writeFileSync(file, typo)
    const error = await loadServerConfig(file, { env }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServerConfigError)
    const shown = all.filter((b) => b.info === 'text')[0] as Block
    const message = `tokenrules serve: ${(error as ServerConfigError).message}`.replaceAll(file, '/srv/auth/tokenrules.yaml')
    expect(message.trimEnd()).toMatch(outputPattern(shown.body))
  })
})
