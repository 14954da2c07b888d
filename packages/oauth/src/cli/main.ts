import { parseArgs } from 'node:util'
import { isTokenRulesError } from '@tokenrules/engine'
import { RuleSourceError } from '@tokenrules/engine/node'
import { ServerConfigError } from '../config/load.js'
import { serve } from '../config/serve.js'
import { DEFAULT_SCRYPT_COST } from '../passwords/hash.js'
import { hashSecret } from '../passwords/hash-secret.js'
import { StoreUnavailableError } from '../stores/unavailable.js'
import { CliUsageError, EXIT, processIo, type CliIo } from './io.js'
import { usersCommand, USERS_HELP } from './users.js'

export const SERVE_HELP = `tokenrules serve — run the token server a config file describes

Usage:
  tokenrules serve [--config tokenrules.yaml] [--port <n>] [--host <address>] [--no-watch]

Reads the config file (issuer, clients, APIs, directories, stores, the rules' folder or Auth0
export, configuration), opens the stores, loads the rules and listens. A change of the rules or of
the file reloads them; new rules that do not load leave the running ones serving, and say why.
Stops on SIGINT or SIGTERM.

Options:
  --config <file>   the config file (default tokenrules.yaml)
  --port <n>        overrides listen.port (0: a free port)
  --host <address>  overrides listen.host
  --no-watch        do not reload on changes
  -h, --help        show help
`

export const HASH_SECRET_HELP = `tokenrules hash-secret — the scrypt hash of a client secret, for secretHash in tokenrules.yaml

Usage:
  printf %s "$CLIENT_SECRET" | tokenrules hash-secret

Reads the secret from standard input (never the command line) and prints its hash.
`

/** The server commands `tokenrules` takes from this package, with a line of help each. */
export const SERVER_COMMANDS: Readonly<Record<string, string>> = {
  serve: 'run the token server a config file describes (tokenrules.yaml)',
  users: "import Auth0 users, list, create, block, unblock and delete users of the server's stores",
  'hash-secret': 'print the hash of a client secret read from standard input, for the config file',
}

/** Help of a server command, or `undefined`. */
export function serverCommandHelp(command: string): string | undefined {
  return command === 'serve' ? SERVE_HELP : command === 'users' ? USERS_HELP : command === 'hash-secret' ? HASH_SECRET_HELP : undefined
}

/**
 * Runs a server command (`serve`, `users`, `hash-secret`) with its arguments and returns the exit
 * code: 0 done, 1 problems in the input (bad user records), 2 misuse or failure (an invalid config
 * file is reported by path and line). The `tokenrules` CLI of `@tokenrules/testing` calls it.
 */
export async function runServerCommand(command: string, argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(argv, io)
      case 'users':
        return await usersCommand(argv, io)
      case 'hash-secret':
        return await hashSecretCommand(argv, io)
      default:
        throw new CliUsageError(`unknown command '${command}' (expected ${Object.keys(SERVER_COMMANDS).join(', ')})`)
    }
  } catch (error) {
    if (error instanceof CliUsageError || error instanceof ServerConfigError || isExpectedFailure(error)) {
      io.stderr(`tokenrules ${command}: ${(error as Error).message}\n`)
      return EXIT.failed
    }
    throw error
  }
}

/**
 * A failure the operator fixes, told by its message alone (no stack): the rules did not load (a
 * rule source that cannot be read, a rule that does not compile), a store that cannot be opened, an
 * address already in use.
 */
function isExpectedFailure(error: unknown): boolean {
  if (error instanceof RuleSourceError || isTokenRulesError(error) || StoreUnavailableError.is(error)) return true
  const code = (error as NodeJS.ErrnoException | null)?.code
  return error instanceof Error && (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
}

async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'no-watch': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    throw new CliUsageError((error as Error).message)
  }
  const { values } = parsed
  if (values.help === true) {
    io.stdout(SERVE_HELP)
    return EXIT.ok
  }
  let port: number | undefined
  if (values.port !== undefined) {
    port = Number(values.port)
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliUsageError(`--port must be a port number (0 to 65535), not '${values.port}'`)
  }
  const server = await serve({
    config: values.config ?? 'tokenrules.yaml',
    env: io.env,
    port,
    host: values.host,
    watch: values['no-watch'] === true ? false : undefined,
    log: (line) => io.stderr(`${line}\n`),
  })
  await io.untilStopped()
  io.stderr('tokenrules serve: stopping\n')
  await server.close()
  return EXIT.ok
}

async function hashSecretCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout(HASH_SECRET_HELP)
    return EXIT.ok
  }
  if (argv.length > 0) throw new CliUsageError('hash-secret reads the secret from standard input and takes no arguments')
  const secret = (await io.readStdin()).replace(/\r?\n$/, '')
  if (secret === '') throw new CliUsageError('standard input held no secret')
  io.stdout(`${await hashSecret(secret, { cost: DEFAULT_SCRYPT_COST })}\n`)
  return EXIT.ok
}
