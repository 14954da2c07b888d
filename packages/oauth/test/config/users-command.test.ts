import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runServerCommand } from '@tokenrules/oauth/cli'
import { createSqliteStores } from '@tokenrules/oauth/sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { verifyUserPassword } from '../../src/passwords/imported.js'
import { memoryIo } from './cli-io.js'

/** `tokenrules users …` end to end on the SQLite file of a config in a temporary data folder. */
const fixtures = new URL('../fixtures/auth0-users/', import.meta.url)
const dir = mkdtempSync(join(tmpdir(), 'tokenrules-users-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const env = { TOKENRULES_KEY: randomBytes(32).toString('base64url') }
const config = join(dir, 'tokenrules.yaml')
const database = join(dir, 'data', 'tokenrules.db')
writeFileSync(
  config,
  [
    'issuer: https://auth.example.com/',
    'clients: []',
    'apis: []',
    'directories: [{ name: Employees }, { name: Contractors }]',
    'passwords: { scryptCost: 4096 }',
    'encryptionKey: { env: TOKENRULES_KEY }',
    'stores: { sqlite: data/tokenrules.db }',
  ].join('\n'),
)

async function users(args: string[], stdin?: string) {
  const io = memoryIo({ env, stdin })
  const code = await runServerCommand('users', [...args, '--config', config], io)
  return { code, out: io.out, err: io.err }
}

/** What the store holds, read beside the commands. */
function stored(userId: string) {
  const stores = createSqliteStores({ path: database })
  try {
    return stores.users.getUser(userId)
  } finally {
    stores.close()
  }
}

describe('tokenrules users', () => {
  it('import: a file with bad records is reported by line and nothing is written', async () => {
    const bad = join(dir, 'bad.ndjson')
    writeFileSync(
      bad,
      [
        '{"user_id":"auth0|good1","email":"good@acme.test","email_verified":true}',
        '{"user_id":"auth0|bad1","email":"not an email"}',
        '{"user_id":"auth0|bad2","email":"x@acme.test","custom_password_hash":{"algorithm":"rot13","hash":{"value":"x"}}}',
      ].join('\n'),
    )
    const ran = await users(['import', bad, '--directory', 'Employees'])
    expect(ran.code).toBe(1)
    expect(ran.err).toMatch(
      /^tokenrules users import: 2 bad records, nothing imported:\nbad\.ndjson:2: email: .+\nbad\.ndjson:3: custom_password_hash\.algorithm: .+\n$/,
    )
    expect(await stored('auth0|good1')).toBeUndefined()
  })

  it('import: the Auth0 user export with its password hashes; a re-run changes nothing', async () => {
    const files = [new URL('users-export.ndjson', fixtures).pathname, new URL('password-hashes.ndjson', fixtures).pathname]
    const first = await users(['import', ...files, '--directory', 'Employees'])
    expect(first.err).toBe('')
    expect(first.code).toBe(0)
    expect(first.out).toBe(
      [
        'imported 4 users into Employees',
        'without a password (they set one with a password reset): auth0|5f1a2b3c4d5e6f7a8b9c0d21',
        'ignored users-export.ndjson:4: a google-oauth2 identity, not a database user',
        '',
      ].join('\n'),
    )
    const ada = await stored('auth0|5f1a2b3c4d5e6f7a8b9c0d1e')
    expect(ada?.profile.app_metadata).toEqual({ roles: ['admin'], plan: 'enterprise' })
    const passwords = JSON.parse(readFileSync(new URL('passwords.json', fixtures), 'utf8')) as Record<string, string>
    expect(await verifyUserPassword(passwords['ada@acme.test'] as string, ada?.passwordHash as string)).toBe(true)

    const again = await users(['import', ...files, '--directory', 'Employees', '--json'])
    expect(again.code).toBe(0)
    const summary = JSON.parse(again.out) as { created: string[]; skipped: string[] }
    expect(summary.created).toEqual([])
    expect(summary.skipped).toContain('auth0|5f1a2b3c4d5e6f7a8b9c0d1e')
  })

  it('create: the password from standard input, never the command line; a taken login is refused', async () => {
    const created = await users(
      ['create', '--directory', 'Contractors', '--email', 'eve@contractors.test', '--name', 'Eve', '--password-stdin'],
      'Eve-Password-2026\n',
    )
    expect(created.code).toBe(0)
    const userId = /^created (auth0\|[0-9a-f]{24}) in Contractors\n$/.exec(created.out)?.[1] as string
    const eve = await stored(userId)
    expect(eve?.profile).toMatchObject({ email: 'eve@contractors.test', name: 'Eve' })
    expect(await verifyUserPassword('Eve-Password-2026', eve?.passwordHash as string)).toBe(true)

    const taken = await users(['create', '--directory', 'Contractors', '--email', 'EVE@contractors.test'])
    expect([taken.code, taken.err]).toEqual([2, 'tokenrules users: Contractors already has a user EVE@contractors.test\n'])
    const unknown = await users(['create', '--directory', 'Nowhere', '--email', 'x@example.com'])
    expect([unknown.code, unknown.err]).toEqual([2, "tokenrules users: unknown directory 'Nowhere' (not in the stores nor in tokenrules.yaml)\n"])
  })

  it('list: every user, by user_id, with flags; --directory narrows; --json', async () => {
    const all = await users(['list'])
    expect(all.code).toBe(0)
    const lines = all.out.trimEnd().split('\n')
    expect(lines.at(-1)).toMatch(/^\d+ users$/)
    expect(lines.find((line) => line.startsWith('auth0|5f1a2b3c4d5e6f7a8b9c0d20'))).toMatch(/linus@acme\.test +Employees +blocked$/)
    const contractors = JSON.parse((await users(['list', '--directory', 'Contractors', '--json'])).out) as { email: string; directory: string }[]
    expect(contractors.map((user) => [user.email, user.directory])).toEqual([['eve@contractors.test', 'Contractors']])
  })

  it('block, unblock and delete, by user_id or by email', async () => {
    expect(await users(['block', 'ada@acme.test'])).toEqual({ code: 0, out: 'blocked auth0|5f1a2b3c4d5e6f7a8b9c0d1e\n', err: '' })
    expect((await stored('auth0|5f1a2b3c4d5e6f7a8b9c0d1e'))?.profile.blocked).toBe(true)
    expect(await users(['unblock', 'auth0|5f1a2b3c4d5e6f7a8b9c0d1e'])).toEqual({ code: 0, out: 'unblocked auth0|5f1a2b3c4d5e6f7a8b9c0d1e\n', err: '' })
    expect((await stored('auth0|5f1a2b3c4d5e6f7a8b9c0d1e'))?.profile.blocked).toBe(false)

    expect(await users(['delete', 'grace', '--directory', 'Employees'])).toEqual({ code: 0, out: 'deleted auth0|5f1a2b3c4d5e6f7a8b9c0d1f\n', err: '' })
    expect(await stored('auth0|5f1a2b3c4d5e6f7a8b9c0d1f')).toBeUndefined()
    const gone = await users(['delete', 'grace'])
    expect([gone.code, gone.err]).toEqual([2, "tokenrules users: no user 'grace'\n"])
  })

  it('misuse exits 2 with what is wrong; an invalid config names its path', async () => {
    expect(await users(['import', '--directory', 'Employees'])).toMatchObject({ code: 2, err: 'tokenrules users: users import needs the file(s) to import\n' })
    expect(await users(['frobnicate'])).toMatchObject({ code: 2, err: expect.stringContaining("unknown users command 'frobnicate'") })
    const io = memoryIo({ env: {} })
    expect(await runServerCommand('users', ['list', '--config', config], io)).toBe(2)
    expect(io.err).toContain('tokenrules.yaml:6: encryptionKey: the environment variable TOKENRULES_KEY is not set')
  })
})
