import { readFile, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { ruleNameOf } from '@tokenrules/engine/node'
import { convertRule, RuleConversionError, type ConvertedRule } from '../convert/convert-rule.js'
import { displayPath } from './run-command.js'
import { styleFor } from './style.js'
import { EXIT, UsageError } from './usage.js'

export const CONVERT_HELP = `tokenrules convert — turn an Auth0 rule into the equivalent post-login action

Usage:
  tokenrules convert <rule.js> [--out action.js] [--json]

Prints the action (exports.onExecutePostLogin = async (event, api) => { … }) on stdout, or writes
it to --out, and lists on stderr, with line and column, everything it did not translate (left as
the rule wrote it behind a TODO(tokenrules convert) comment) and every translation that behaves
differently in a way Auth0 documents.

Translated: claims (context.idToken[ns] = v → api.idToken.setCustomClaim), callback(null, user,
context) → return, callback(new UnauthorizedError(m)) / new Error(m) / 'm' → api.access.deny(m),
context.multifactor → api.multifactor.enable, context.redirect → api.redirect.sendUserTo,
auth0.users.updateAppMetadata / updateUserMetadata of the user → api.user.setAppMetadata /
setUserMetadata, configuration.X → event.secrets.X, require('x@1.2.3') → require('x') plus a
dependency, and the user and context fields Auth0's migration guide maps (user.logins_count →
event.stats.logins_count, context.clientID → event.client.client_id, geoip in camelCase, …).
Not translated: callbacks inside nested functions (HTTP callbacks, .then: use await), errors
built at run time, global, other auth0.*, context fields without an equivalent.

Options:
  --out <file>   write the action there instead of stdout
  --json         print { code, complete, notes, secrets, dependencies } as JSON on stdout
                 (with --out, the action is written there too)
  -h, --help     show this help

Exit codes: 0 everything translated, 1 something was not translated (see the notes), 2 failed.
`

export async function convertCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv)
  if (values.help === true) {
    process.stdout.write(CONVERT_HELP)
    return EXIT.allowed
  }
  if (positionals.length !== 1) throw new UsageError('convert: give one rule file (see tokenrules convert --help)')
  const file = positionals[0] as string
  let source: string
  try {
    source = await readFile(file, 'utf8')
  } catch {
    throw new UsageError(`convert: no such file: ${file}`)
  }
  let converted: ConvertedRule
  try {
    converted = convertRule(source, { name: ruleNameOf(file) })
  } catch (error) {
    if (error instanceof RuleConversionError)
      throw new UsageError(`convert: ${displayPath(file)}${error.line === undefined ? '' : `:${error.line}`}: ${error.message}`)
    throw error
  }
  if (values.out !== undefined) {
    try {
      await writeFile(values.out, converted.code)
    } catch (error) {
      throw new UsageError(`convert: cannot write ${values.out}: ${(error as Error).message}`)
    }
  }
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(converted, null, 2)}\n`)
  } else {
    if (values.out === undefined) process.stdout.write(converted.code)
    const s = styleFor(process.stderr)
    const out: string[] = []
    for (const note of converted.notes) {
      const label = note.kind === 'untranslated' ? s.red('not translated') : s.yellow('changed       ')
      out.push(`${displayPath(file)}:${note.line}:${note.column}  ${label}  ${note.message}\n    ${s.dim(note.code)}`)
    }
    if (converted.secrets.length > 0) out.push(`secrets the action reads (the rule's configuration): ${converted.secrets.join(', ')}`)
    if (converted.dependencies.length > 0)
      out.push(
        `dependencies to declare: ${converted.dependencies.map((d) => (d.version === undefined ? `${d.name} (pin its version)` : `${d.name}@${d.version}`)).join(', ')}`,
      )
    const untranslated = converted.notes.filter((n) => n.kind === 'untranslated').length
    out.push(
      untranslated === 0
        ? s.green(`✔ translated completely${values.out === undefined ? '' : ` to ${displayPath(values.out)}`}`)
        : s.red(`✘ ${untranslated} construct${untranslated === 1 ? '' : 's'} not translated: rewrite the TODO(tokenrules convert) comments by hand`),
    )
    process.stderr.write(`${out.join('\n')}\n`)
  }
  return converted.complete ? EXIT.allowed : EXIT.denied
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    throw new UsageError(`convert: ${(error as Error).message}`)
  }
}
