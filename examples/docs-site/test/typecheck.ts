import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..')

/**
 * Typechecks documentation examples written out as files, with the workspace's compiler options
 * (strict, NodeNext, the `@tokenrules/source` condition), each resolving its imports from where it
 * lies, as an application's module would. Returns one readable line per error in those files
 * (`file:line: message`, or `(program): message`); errors elsewhere (the packages themselves) are `pnpm typecheck`'s.
 */
export function typeErrors(files: readonly string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(repo, 'tsconfig.json'),
    { noEmit: true },
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  )
  if (config === undefined) throw new Error('tsconfig.json could not be read')
  const program = ts.createProgram(files, { ...config.options, noEmit: true })
  const wanted = new Set(files)
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file === undefined || wanted.has(diagnostic.file.fileName))
    .map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      // Without a file: the program's own problems (options, file names), which concern these files too.
      if (diagnostic.file === undefined) return `(program): ${message}`
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
      return `${diagnostic.file.fileName}:${line + 1}: ${message}`
    })
}

/**
 * Writes each source as `<dir>/<name>.ts` (`dir` decides what its imports resolve to), typechecks
 * them with {@link typeErrors}, removes `dir`, and returns the errors with paths relative to it.
 */
export function typeErrorsOfSources(dir: string, sources: readonly { name: string; source: string }[]): string[] {
  mkdirSync(dir, { recursive: true })
  try {
    const files = sources.map(({ name, source }) => {
      const file = join(dir, `${name.replace(/\W/g, '-')}.ts`)
      writeFileSync(file, source)
      return file
    })
    return typeErrors(files).map((problem) => problem.replace(`${dir}/`, ''))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
