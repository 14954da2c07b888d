/**
 * Issue 13: `@tokenrules/oauth` loads no database driver; each store's entry point loads its own.
 * A child Node process in which better-sqlite3 and @redis/client cannot be resolved (a resolve hook,
 * block-drivers.mjs) imports the package's core, runs a token server on memory stores, and finds
 * that importing `/sqlite` or `/redis` fails with an error naming the package to install.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const oauthDir = fileURLToPath(new URL('../..', import.meta.url))
const hook = fileURLToPath(new URL('./block-drivers.mjs', import.meta.url))

/** Runs `script` (an ES module) in a child Node with the drivers hidden; resolves to what it printed as JSON. */
async function withoutDrivers(script: string): Promise<unknown> {
  const args = ['--no-node-snapshot', '--conditions=@tokenrules/source', '--import', 'tsx', '--import', hook, '--input-type=module', '-e', script]
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: oauthDir, timeout: 60_000 })
  return JSON.parse(stdout)
}

const tryImport = (specifier: string) => `await import('${specifier}').then(
  (mod) => ({ loaded: Object.keys(mod) }),
  (error) => ({ code: error.code, message: error.message, cause: error.cause?.message }),
)`

describe('issue 13: the stores load their drivers only when their subpath is imported', () => {
  it('the core imports without better-sqlite3 and @redis/client, and serves tokens on memory stores', async () => {
    const out = await withoutDrivers(`
      const { createTokenServer, createMemoryStores, GRANT_TYPES } = await import('@tokenrules/oauth')
      const server = await createTokenServer({
        issuer: 'https://auth.example.com/',
        engine: { rules: [] },
        clients: [{ clientId: 'app', grants: [GRANT_TYPES.password], allowPublic: true }],
        apis: [{ identifier: 'https://api.example.com', scopes: [] }],
        directories: [{ name: 'Employees' }],
        passwords: { scryptCost: 16 },
        stores: createMemoryStores(),
      })
      await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'pw' })
      const body = new URLSearchParams({ grant_type: 'password', client_id: 'app', username: 'alice@example.com', password: 'pw', audience: 'https://api.example.com' })
      const answer = await server.handler(new Request('http://localhost/oauth/token', { method: 'POST', body }))
      await server.close()
      console.log(JSON.stringify({ status: answer.status, lookups: globalThis.driverLookups }))
    `)
    expect(out).toEqual({ status: 200, lookups: [] })
  })

  it('importing @tokenrules/oauth/sqlite without better-sqlite3 fails, naming the package to install', async () => {
    const out = await withoutDrivers(`console.log(JSON.stringify({ sqlite: ${tryImport('@tokenrules/oauth/sqlite')}, lookups: globalThis.driverLookups }))`)
    expect(out).toEqual({
      sqlite: {
        code: 'ERR_MODULE_NOT_FOUND',
        message:
          '@tokenrules/oauth/sqlite needs better-sqlite3, an optional peer dependency of @tokenrules/oauth that is not installed: add it to your application (npm install better-sqlite3).',
        cause: expect.stringContaining("Cannot find package 'better-sqlite3'"),
      },
      lookups: ['better-sqlite3'],
    })
  })

  it('importing @tokenrules/oauth/redis without @redis/client fails, naming the package to install', async () => {
    const out = await withoutDrivers(`console.log(JSON.stringify({ redis: ${tryImport('@tokenrules/oauth/redis')}, lookups: globalThis.driverLookups }))`)
    expect(out).toEqual({
      redis: {
        code: 'ERR_MODULE_NOT_FOUND',
        message:
          '@tokenrules/oauth/redis needs @redis/client, an optional peer dependency of @tokenrules/oauth that is not installed: add it to your application (npm install @redis/client).',
        cause: expect.stringContaining("Cannot find package '@redis/client'"),
      },
      lookups: ['@redis/client'],
    })
  })

  it('with the drivers installed, each subpath loads its store and nothing else', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--no-node-snapshot',
        '--conditions=@tokenrules/source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `
        const sqlite = ${tryImport('@tokenrules/oauth/sqlite')}
        const redis = ${tryImport('@tokenrules/oauth/redis')}
        console.log(JSON.stringify({ sqlite, redis }))
      `,
      ],
      { cwd: oauthDir, timeout: 60_000 },
    )
    expect(JSON.parse(stdout)).toEqual({ sqlite: { loaded: ['createSqliteStores'] }, redis: { loaded: ['createRedisStores'] } })
  })
})
