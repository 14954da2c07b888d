import { UsageError } from './usage.js'

/**
 * The server commands (`serve`, `users`, `hash-secret`) live in `@tokenrules/oauth`, an optional
 * peer of this package: a rule author's project installs the testing kit alone, and the kit never
 * loads a token server unless one of these commands is asked for.
 */
export const SERVER_COMMANDS = ['serve', 'users', 'hash-secret'] as const

/** The lines of the CLI's help about the server commands. */
export const SERVER_USAGE = `  tokenrules serve [--config tokenrules.yaml]
  tokenrules users <import|list|create|block|unblock|delete> [--config tokenrules.yaml]
  tokenrules hash-secret < secret`

export const SERVER_COMMAND_LINES = `  serve   run the token server tokenrules.yaml describes (needs @tokenrules/oauth)
  users   import Auth0 users; list, create, block, unblock and delete users (needs @tokenrules/oauth)
  hash-secret  print the hash of a client secret read from standard input, for tokenrules.yaml`

type ServerCli = typeof import('@tokenrules/oauth/cli')

async function loadServerCli(command: string): Promise<ServerCli> {
  try {
    return await import('@tokenrules/oauth/cli')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('@tokenrules/oauth')) {
      throw new UsageError(`'${command}' runs a token server: install @tokenrules/oauth beside @tokenrules/testing (npm install @tokenrules/oauth)`)
    }
    throw error
  }
}

/** Runs a server command of `@tokenrules/oauth/cli`; its exit codes are the CLI's (0 done, 1 problems in the input, 2 failed). */
export async function serverCommand(command: string, argv: readonly string[]): Promise<number> {
  const cli = await loadServerCli(command)
  return cli.runServerCommand(command, argv)
}

/** The help of a server command, or `undefined` when there is none (or @tokenrules/oauth is missing). */
export async function serverCommandHelp(command: string): Promise<string | undefined> {
  if (!(SERVER_COMMANDS as readonly string[]).includes(command)) return undefined
  return (await loadServerCli(command)).serverCommandHelp(command)
}
