/**
 * The capture discipline of the guest runtime, as a lint in the spirit of Node core's
 * prefer-primordials: after primordials.js (the capture block), guest code calls no built-in as
 * rules see it. A call (or `new`) is a violation when its callee resolves, with the type checker,
 * to a declaration of TypeScript's default library (`String.prototype.replace`, `Object.keys`,
 * `JSON.stringify`, `encodeURIComponent`, `Map`, …), or, on a value of no known type, when it calls
 * a method by the name of a built-in prototype method (`x.forEach(…)`, `fn.call(…)`).
 *
 * A call that must be live (a method of an object the rule supplied, which the rule may implement
 * as it likes) says so with a `// live: <why>` comment on its line.
 */
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/** packages/engine/src/guest */
export const GUEST_DIR = fileURLToPath(new URL('../../src/guest/', import.meta.url))

/** The file that captures the intrinsics; the only one allowed to touch them live. */
export const CAPTURE_FILE = 'primordials.js'

export interface Violation {
  /** `file.js:line` */
  where: string
  /** The call as written (first line). */
  call: string
  /** What it resolves to (`String.replace`, `Object.keys`, `forEach on a value of no known type`). */
  callee: string
}

/** The guest program, as its tsconfig describes it. */
export function guestProgram(): ts.Program {
  const configPath = `${GUEST_DIR}tsconfig.json`
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
      },
    },
  )
  if (parsed === undefined) throw new Error(`cannot read ${configPath}`)
  return ts.createProgram(parsed.fileNames, parsed.options)
}

/** The guest program with more sources, given as text, after the real guest files. */
export function programOf(files: Record<string, string>): ts.Program {
  const base = guestProgram()
  const options = base.getCompilerOptions()
  const host = ts.createCompilerHost(options)
  const names = Object.keys(files).map((name) => `${GUEST_DIR}${name}`)
  const readFile = host.readFile.bind(host)
  host.readFile = (fileName) => {
    const own = names.indexOf(fileName)
    return own === -1 ? readFile(fileName) : files[Object.keys(files)[own] as string]
  }
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const own = names.indexOf(fileName)
    if (own === -1) return getSourceFile(fileName, languageVersion, onError, shouldCreate)
    return ts.createSourceFile(fileName, files[Object.keys(files)[own] as string] as string, languageVersion, true)
  }
  host.fileExists = (
    (exists) => (fileName: string) =>
      names.includes(fileName) || exists(fileName)
  )(host.fileExists.bind(host))
  return ts.createProgram([...base.getRootFileNames(), ...names], options, host)
}

/** Method names of the built-in prototypes, for calls on values of no known type. */
const PROTOTYPE_METHODS = new Set(
  [
    String.prototype,
    Array.prototype,
    Object.prototype,
    Function.prototype,
    Promise.prototype,
    Map.prototype,
    Set.prototype,
    RegExp.prototype,
    Number.prototype,
    Date.prototype,
    Uint8Array.prototype,
    Object.getPrototypeOf(Uint8Array.prototype),
    ArrayBuffer.prototype,
  ]
    .flatMap((proto) => Object.getOwnPropertyNames(proto))
    .filter((name) => name !== 'constructor'),
)

/** Every live call of a built-in after the capture block, in the guest files of `program`. */
export function lint(program: ts.Program): Violation[] {
  const checker = program.getTypeChecker()
  const violations: Violation[] = []
  const isLib = (decl: ts.Declaration) => program.isSourceFileDefaultLibrary(decl.getSourceFile())
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(GUEST_DIR) || !file.fileName.endsWith('.js') || file.fileName.endsWith(`/${CAPTURE_FILE}`)) continue
    const lines = file.text.split('\n')
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) check(node, node.expression)
      else if (ts.isTaggedTemplateExpression(node)) check(node, node.tag)
      ts.forEachChild(node, visit)
    }
    const check = (node: ts.Node, callee: ts.Expression): void => {
      const { line } = file.getLineAndCharacterOfPosition(node.getStart(file))
      if (/\/\/ live: \S/.test(lines[line] ?? '')) return
      const target = ts.isParenthesizedExpression(callee) ? callee.expression : callee
      let symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(target) ? target.name : target)
      if (symbol !== undefined && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol)
      const decls = symbol?.declarations ?? []
      let what: string | undefined
      if (decls.some(isLib)) {
        const parent = (decls.find(isLib)?.parent as ts.NamedDeclaration | undefined)?.name
        what = `${parent !== undefined ? `${parent.getText()}.` : ''}${symbol?.name}`
      } else if (decls.length === 0 && ts.isPropertyAccessExpression(target) && PROTOTYPE_METHODS.has(target.name.text)) {
        what = `${target.name.text} on a value of no known type`
      }
      if (what !== undefined) {
        violations.push({
          where: `${file.fileName.slice(GUEST_DIR.length)}:${line + 1}`,
          call: (node.getText(file).split('\n')[0] ?? '').slice(0, 120),
          callee: what,
        })
      }
    }
    visit(file)
  }
  return violations
}
