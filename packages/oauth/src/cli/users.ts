import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { loadServerConfig, type ServerConfig } from '../config/load.js'
import { openServerStores, type OpenStores } from '../config/stores.js'
import { randomId } from '../lib/random.js'
import { DEFAULT_SCRYPT_COST, hashPassword } from '../passwords/hash.js'
import { NO_PASSWORD } from '../passwords/imported.js'
import { StoreConflictError } from '../stores/conflict.js'
import type { UserRecord } from '../stores/types.js'
import { newUserRecord } from '../users/admin.js'
import { importAuth0Users, UserImportError } from '../users/import.js'
import { CliUsageError, EXIT, type CliIo } from './io.js'

export const USERS_HELP = `tokenrules users — the users of a configured server's stores, for an operator

Usage:
  tokenrules users import <file...> --directory <name> [--dry-run] [--json]
  tokenrules users list [--directory <name>] [--json]
  tokenrules users create --directory <name> (--email <email> | --username <name>) [--password-stdin] [--name <name>] [--blocked]
  tokenrules users block <user>
  tokenrules users unblock <user>
  tokenrules users delete <user>

  <user> is a user_id (auth0|…), or an email or username (with --directory when several directories have it).

Commands:
  import   Auth0's bulk-import JSON, user-export NDJSON or password-hash export: every record checked
           first (bad ones reported by file:line, nothing written), then all written at once;
           users already there are skipped, so a re-run is idempotent (exit 1: bad records)
  list     every user, by user_id
  create   a user; the password is read from standard input (--password-stdin), never from the
           command line; without one the user sets it with a password reset
  block    refuse the user's logins (401 "user is blocked")
  unblock  let the user log in again, lifting brute-force blocks too
  delete   remove the user

Options:
  --config <file>   the server's config file (default tokenrules.yaml); its stores are used
  --json            print JSON
  -h, --help        show help
`

/** `tokenrules users …`. */
export async function usersCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    io.stdout(USERS_HELP)
    return sub === undefined ? EXIT.failed : EXIT.ok
  }
  const { values, positionals } = parse(rest)
  if (values.help === true) {
    io.stdout(USERS_HELP)
    return EXIT.ok
  }
  const config = await loadServerConfig(values.config ?? 'tokenrules.yaml', { env: io.env })
  if (config.stores.sqlite === undefined && config.stores.postgres === undefined) {
    throw new CliUsageError(`${config.file} keeps its stores in memory: users commands need stores.sqlite or stores.postgres`)
  }
  const opened = await openServerStores(config.stores)
  try {
    switch (sub) {
      case 'import':
        return await importCommand(config, opened, positionals, values, io)
      case 'list':
        return await listCommand(opened, values, io)
      case 'create':
        return await createCommand(config, opened, positionals, values, io)
      case 'block':
      case 'unblock':
        return await blockCommand(opened, sub === 'block', positionals, values, io)
      case 'delete':
        return await deleteCommand(opened, positionals, values, io)
      default:
        throw new CliUsageError(`unknown users command '${sub}' (expected import, list, create, block, unblock or delete)`)
    }
  } finally {
    await opened.close()
  }
}

type Values = ReturnType<typeof parse>['values']

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        directory: { type: 'string' },
        json: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        email: { type: 'string' },
        username: { type: 'string' },
        name: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        blocked: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    throw new CliUsageError((error as Error).message)
  }
}

function noPositionals(positionals: readonly string[], command: string): void {
  if (positionals.length > 0) throw new CliUsageError(`users ${command} takes no arguments (got '${positionals.join(' ')}')`)
}

async function importCommand(config: ServerConfig, opened: OpenStores, files: readonly string[], values: Values, io: CliIo): Promise<number> {
  if (files.length === 0) throw new CliUsageError('users import needs the file(s) to import')
  if (values.directory === undefined) throw new CliUsageError('users import needs --directory <name>: the directory (realm) the users go to')
  const read = await Promise.all(
    files.map(async (file) => {
      try {
        return { name: basename(file), text: await readFile(file, 'utf8') }
      } catch (error) {
        throw new CliUsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
      }
    }),
  )
  const declared = (config.server.directories ?? []).some((directory) => directory.name === values.directory)
  // A directory the file declares is made as the server makes it (with its metadata); a dry run writes nothing.
  if (declared && values['dry-run'] !== true) await ensureConfiguredDirectory(config, opened, values.directory)
  if (!declared) {
    io.stderr(
      `tokenrules users import: note: '${values.directory}' is not one of ${basename(config.file)}'s directories (the import creates it; add it there to serve it)\n`,
    )
  }
  let summary
  try {
    summary = await importAuth0Users(opened.stores.users, { directory: values.directory, files: read, dryRun: values['dry-run'] === true })
  } catch (error) {
    if (!(error instanceof UserImportError)) throw error
    if (values.json === true) io.stdout(`${JSON.stringify({ imported: false, problems: error.problems }, null, 2)}\n`)
    else io.stderr(`tokenrules users import: ${error.message}\n`)
    return EXIT.problems
  }
  if (values.json === true) {
    io.stdout(`${JSON.stringify(summary, null, 2)}\n`)
    return EXIT.ok
  }
  const verb = summary.dryRun ? 'would import' : 'imported'
  const lines = [
    `${verb} ${summary.created.length} user${summary.created.length === 1 ? '' : 's'} into ${values.directory}${summary.createdDirectory ? ' (a new directory)' : ''}`,
  ]
  if (summary.skipped.length > 0) lines.push(`skipped ${summary.skipped.length} already there: ${summary.skipped.join(', ')}`)
  if (summary.withoutPassword.length > 0) lines.push(`without a password (they set one with a password reset): ${summary.withoutPassword.join(', ')}`)
  for (const item of summary.ignored) lines.push(`ignored ${item.file}:${item.line}: ${item.reason}`)
  io.stdout(`${lines.join('\n')}\n`)
  return EXIT.ok
}

async function listCommand(opened: OpenStores, values: Values, io: CliIo): Promise<number> {
  const users: UserRecord[] = []
  const page = 500
  for (let offset = 0; ; offset += page) {
    const batch = await opened.stores.users.listUsers({ directory: values.directory, offset, limit: page })
    users.push(...batch)
    if (batch.length < page) break
  }
  if (values.json === true) {
    io.stdout(
      `${JSON.stringify(
        users.map((user) => ({ directory: user.directory, ...user.profile, roles: user.roles })),
        null,
        2,
      )}\n`,
    )
    return EXIT.ok
  }
  const rows = users.map((user) => [
    user.profile.user_id,
    user.profile.email ?? user.profile.username ?? '',
    user.directory,
    [user.profile.blocked === true ? 'blocked' : '', user.passwordHash === NO_PASSWORD ? 'no password' : ''].filter((flag) => flag !== '').join(', '),
  ])
  const widths = [0, 1, 2].map((column) => Math.max(0, ...rows.map((row) => (row[column] ?? '').length)))
  const lines = rows.map((row) =>
    row
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell))
      .join('  ')
      .trimEnd(),
  )
  lines.push(`${users.length} user${users.length === 1 ? '' : 's'}`)
  io.stdout(`${lines.join('\n')}\n`)
  return EXIT.ok
}

async function createCommand(config: ServerConfig, opened: OpenStores, positionals: readonly string[], values: Values, io: CliIo): Promise<number> {
  noPositionals(positionals, 'create')
  if (values.directory === undefined) throw new CliUsageError('users create needs --directory <name>')
  if (values.email === undefined && values.username === undefined)
    throw new CliUsageError('users create needs --email or --username: what the user logs in with')
  const { users } = opened.stores
  if (!(await ensureConfiguredDirectory(config, opened, values.directory))) {
    throw new CliUsageError(`unknown directory '${values.directory}' (not in the stores nor in ${basename(config.file)})`)
  }
  let passwordHash = NO_PASSWORD
  if (values['password-stdin'] === true) {
    const password = (await io.readStdin()).replace(/\r?\n$/, '')
    if (password === '') throw new CliUsageError('--password-stdin: standard input held no password')
    passwordHash = await hashPassword(password, { cost: config.server.passwords?.scryptCost ?? DEFAULT_SCRYPT_COST })
  }
  const record = newUserRecord(
    { directory: values.directory, email: values.email, username: values.username, name: values.name, blocked: values.blocked === true },
    Date.now(),
    passwordHash,
  )
  try {
    await users.createUser(record)
  } catch (error) {
    if (StoreConflictError.is(error) && error.reason === 'duplicate_login') {
      throw new CliUsageError(`${values.directory} already has a user ${values.email ?? values.username}`)
    }
    throw error
  }
  if (values.json === true) io.stdout(`${JSON.stringify({ directory: record.directory, ...record.profile }, null, 2)}\n`)
  else
    io.stdout(
      `created ${record.profile.user_id} in ${record.directory}${passwordHash === NO_PASSWORD ? ' (no password: set one with a password reset)' : ''}\n`,
    )
  return EXIT.ok
}

/**
 * Makes sure the store has directory `name` when the config file declares it (with its metadata,
 * as the server creates it at start). Returns whether the directory is in the store now.
 */
async function ensureConfiguredDirectory(config: ServerConfig, opened: OpenStores, name: string): Promise<boolean> {
  const { users } = opened.stores
  if ((await users.getDirectory(name)) !== undefined) return true
  const configured = (config.server.directories ?? []).find((directory) => directory.name === name)
  if (configured === undefined) return false
  try {
    await users.createDirectory({ id: randomId('con'), name: configured.name, metadata: { ...configured.metadata } })
  } catch (error) {
    // Created meanwhile by a server on the same store: that one is the directory.
    if (!(StoreConflictError.is(error) && error.reason === 'duplicate_directory')) throw error
  }
  return true
}

/** The user an operator names: by user_id, else by email or username (in `--directory`, or the one directory that has it). */
async function findUser(opened: OpenStores, positionals: readonly string[], values: Values, command: string): Promise<UserRecord> {
  if (positionals.length !== 1) throw new CliUsageError(`users ${command} takes one user: a user_id, email or username`)
  const login = positionals[0] as string
  const { users } = opened.stores
  const byId = await users.getUser(login)
  if (byId !== undefined && (values.directory === undefined || byId.directory === values.directory)) return byId
  const directories = values.directory === undefined ? (await users.listDirectories()).map((directory) => directory.name) : [values.directory]
  const found = (await Promise.all(directories.map((directory) => users.findUser(directory, login)))).filter((user) => user !== undefined)
  if (found.length === 0) throw new CliUsageError(`no user '${login}'${values.directory === undefined ? '' : ` in ${values.directory}`}`)
  if (found.length > 1) throw new CliUsageError(`'${login}' is a user of ${found.map((user) => user.directory).join(' and ')}: name one with --directory`)
  return found[0] as UserRecord
}

async function blockCommand(opened: OpenStores, blocked: boolean, positionals: readonly string[], values: Values, io: CliIo): Promise<number> {
  const user = await findUser(opened, positionals, values, blocked ? 'block' : 'unblock')
  await opened.stores.users.setBlocked(user.profile.user_id, blocked, Date.now())
  // Unblocking lifts the brute-force blocks too, as the dashboard's "unblock" does.
  if (!blocked) await opened.stores.attempts.resetSubject(user.profile.user_id)
  io.stdout(`${blocked ? 'blocked' : 'unblocked'} ${user.profile.user_id}\n`)
  return EXIT.ok
}

async function deleteCommand(opened: OpenStores, positionals: readonly string[], values: Values, io: CliIo): Promise<number> {
  const user = await findUser(opened, positionals, values, 'delete')
  await opened.stores.users.deleteUser(user.profile.user_id)
  await opened.stores.mfa.deleteEnrollment(user.profile.user_id)
  io.stdout(`deleted ${user.profile.user_id}\n`)
  return EXIT.ok
}
