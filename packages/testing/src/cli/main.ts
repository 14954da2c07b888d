import { checkCommand, CHECK_HELP } from './check-command.js'
import { convertCommand, CONVERT_HELP } from './convert-command.js'
import { runCommand, RUN_HELP } from './run-command.js'
import { SERVER_COMMAND_LINES, SERVER_COMMANDS, SERVER_USAGE, serverCommand, serverCommandHelp } from './server-commands.js'
import { EXIT, UsageError } from './usage.js'

const HELP = `tokenrules — run and check Auth0-style rules in the real tokenrules sandbox

Usage:
  tokenrules run <rules...> [--user u.json] [--context c.json] [--config cfg.json] [--json]
  tokenrules check <dir...> [--allow lodash,uuid] [--password-only] [--json]
  tokenrules convert <rule.js> [--out action.js] [--json]
${SERVER_USAGE}
  tokenrules <command> --help

Commands:
  run     run a rule set for one login and print the outcome (exit 0 allowed, 1 denied, 2 failed)
  check   check rules without running them (exit 0 clean, 1 problems found, 2 failed)
  convert turn a rule into the equivalent post-login action (exit 0 complete, 1 not all translated, 2 failed)
${SERVER_COMMAND_LINES}

Options:
  -h, --help      show help (also after a command)
  -v, --version   show the version
`

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'run':
      return runCommand(rest)
    case 'check':
      return checkCommand(rest)
    case 'convert':
      return convertCommand(rest)
    case 'serve':
    case 'users':
    case 'hash-secret':
      return serverCommand(command, rest)
    case undefined:
    case 'help':
    case '-h':
    case '--help': {
      const topic = command === 'help' ? rest[0] : undefined
      const serverHelp = topic === undefined ? undefined : await serverCommandHelp(topic)
      if (serverHelp !== undefined) {
        process.stdout.write(serverHelp)
        return EXIT.allowed
      }
      process.stdout.write(topic === 'run' ? RUN_HELP : topic === 'check' ? CHECK_HELP : topic === 'convert' ? CONVERT_HELP : HELP)
      return command === undefined ? EXIT.failed : EXIT.allowed
    }
    case '-v':
    case '--version': {
      const { readFile } = await import('node:fs/promises')
      const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
      process.stdout.write(`${pkg.version}\n`)
      return EXIT.allowed
    }
    default:
      throw new UsageError(`unknown command '${command}' (expected run, check, convert, ${SERVER_COMMANDS.join(', ')}; see tokenrules --help)`)
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`tokenrules: ${error.message}\n`)
    } else {
      process.stderr.write(`tokenrules: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    }
    process.exitCode = EXIT.failed
  },
)
