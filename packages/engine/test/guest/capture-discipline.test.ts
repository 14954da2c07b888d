/**
 * The guest runtime (src/guest/*.js) is code: it typechecks (checkJs against guest.d.ts, with the
 * ECMAScript library only) and keeps the capture discipline: after primordials.js, no call of a
 * built-in as rules see it (see primordials-lint.ts).
 */
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { guestProgram, lint, programOf } from './primordials-lint.js'

const program = guestProgram()

describe('the guest runtime', () => {
  it('typechecks (src/guest/tsconfig.json: checkJs, HostCalls, the bootstrap inputs)', () => {
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file === undefined ? '' : `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: `
      return where + ts.flattenDiagnosticMessageText(d.messageText, '\n')
    })
    expect(diagnostics).toEqual([])
  })

  it('calls no built-in after the capture block (primordials.js)', () => {
    expect(lint(program)).toEqual([])
  })
})

describe('the capture lint', () => {
  const lintOf = (source: string) => lint(programOf({ 'planted.js': source }))

  it('reports a prototype method called on a typed value, with file:line', () => {
    expect(lintOf(`function f(key) {\n  return String(key).indexOf('.') !== -1;\n}\n`)).toEqual([
      { where: 'planted.js:2', call: "String(key).indexOf('.')", callee: 'String.indexOf' },
      { where: 'planted.js:2', call: 'String(key)', callee: 'String' },
    ])
  })

  it('reports statics, global functions and constructors of the library', () => {
    const found = lintOf(`const a = Object.keys({});\nconst b = JSON.stringify(a);\nconst c = encodeURIComponent(b);\nconst d = new Map();\n`)
    expect(found.map((v) => `${v.where} ${v.callee}`)).toEqual([
      'planted.js:1 ObjectConstructor.keys',
      'planted.js:2 JSON.stringify',
      'planted.js:3 encodeURIComponent',
      'planted.js:4 Map',
    ])
  })

  it('reports a built-in method name called on a value of no known type', () => {
    expect(lintOf(`function f(list, fn) { list.forEach(fn); fn.call(null); }\n`).map((v) => v.callee)).toEqual([
      'forEach on a value of no known type',
      'call on a value of no known type',
    ])
  })

  it('accepts captured intrinsics, the guest own functions, and a call marked live', () => {
    expect(
      lintOf(
        `function f(key, headers) {\n` +
          `  const keys = ObjectKeys({ a: 1 });\n` +
          `  headers.forEach(function () {}); // live: the rule's own Headers\n` +
          `  return StringPrototypeIndexOf(key, '.') + ReflectApply(StringIndexOf, key, ['.']) + keys.length + safeString(key, 10).length;\n` +
          `}\n`,
      ),
    ).toEqual([])
  })
})

describe('the guest files', () => {
  it('are checked in the order the host runs them (tsconfig files = guest.d.ts, then GUEST_FILES)', async () => {
    const { GUEST_FILES } = await import('../../src/lib/guest-source.js')
    const roots = program.getRootFileNames().map((name) => name.slice(name.lastIndexOf('/') + 1))
    expect(roots).toEqual(['guest.d.ts', ...GUEST_FILES])
  })
})
