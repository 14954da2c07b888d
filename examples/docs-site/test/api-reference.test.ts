import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type CommentDisplayPart, type DeclarationReflection, type Reflection, ReflectionKind } from 'typedoc'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisServer, type RunningRedis } from '../../../packages/oauth/test/setup/redis-server.js'
// @ts-expect-error -- a plain .mjs module shared with build.mjs, without declarations
import { convertApi } from '../api.mjs'
import { typeErrors } from './typecheck.js'

/**
 * The API reference's contract: every public symbol of the packages (each export of an entry point
 * in api.mjs, re-exports counted once) has a summary and an `@example`; every member it declares
 * itself has a summary. Every example is a ```ts block holding a complete ESM module, written as an
 * application would write it: it typechecks against the packages' real types, then runs, checking
 * its own outcome with node:assert (or vitest's `expect`) and closing what it opens. An example that
 * declares vitest tests (`it(…)`) has them collected here as tests of their own.
 */
const { project } = (await convertApi()) as { project: { children?: DeclarationReflection[] } }

interface Example {
  symbol: string
  file: string
  source: string
}

const text = (parts: readonly CommentDisplayPart[]): string => parts.map((part) => part.text).join('')

/** The comment a reader sees for a reflection: its own, or its first signature's or accessor's. */
function commentOf(reflection: DeclarationReflection) {
  return (
    reflection.comment ??
    reflection.signatures?.[0]?.comment ??
    reflection.getSignature?.comment ??
    reflection.setSignature?.comment ??
    (reflection.type?.type === 'reflection' ? reflection.type.declaration.signatures?.[0]?.comment : undefined)
  )
}

const modules = project.children ?? []
const symbols: { name: string; reflection: DeclarationReflection }[] = []
const missingSummary: string[] = []
const missingExample: string[] = []
const examples: Example[] = []
const work = join(fileURLToPath(new URL('..', import.meta.url)), `.api-examples-${process.pid}`)

function collectExamples(name: string, reflection: Reflection & { comment?: DeclarationReflection['comment'] }, comment = reflection.comment): number {
  let found = 0
  for (const tag of comment?.blockTags ?? []) {
    if (tag.tag !== '@example') continue
    for (const match of text(tag.content).matchAll(/```ts\n([\s\S]*?)```/g)) {
      found++
      const file = join(work, `${examples.length}_${name.replace(/[^\w]+/g, '_')}_${found}.ts`)
      examples.push({ symbol: name, file, source: match[1] as string })
    }
  }
  return found
}

for (const mod of modules) {
  collectExamples(mod.name, mod)
  for (const reflection of mod.children ?? []) {
    if (reflection.kind === ReflectionKind.Reference) continue
    const name = `${mod.name} ${reflection.name}`
    symbols.push({ name, reflection })
    const comment = commentOf(reflection)
    if (comment === undefined || text(comment.summary).trim() === '') missingSummary.push(name)
    if (collectExamples(name, reflection, comment) === 0) missingExample.push(name)
    for (const member of reflection.children ?? []) {
      if (member.inheritedFrom !== undefined || member.flags.isExternal) continue
      const memberComment = commentOf(member)
      if (memberComment === undefined || text(memberComment.summary).trim() === '') missingSummary.push(`${name}.${member.name}`)
      // A member's own examples are not required, but they run like the others when present.
      collectExamples(`${name}.${member.name}`, member, memberComment)
    }
  }
}

mkdirSync(work, { recursive: true })
for (const example of examples) writeFileSync(example.file, example.source)
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('the API reference', () => {
  it('covers the public entry points', () => {
    expect(modules.map((mod) => mod.name).sort()).toEqual([
      '@tokenrules/engine',
      '@tokenrules/engine/node',
      '@tokenrules/oauth',
      '@tokenrules/oauth/redis',
      '@tokenrules/oauth/sqlite',
      '@tokenrules/oauth/testing',
      '@tokenrules/testing',
      '@tokenrules/testing/vitest',
    ])
    expect(symbols.length).toBeGreaterThan(100)
  })

  it('gives every public symbol and every member it declares a summary', () => {
    expect(missingSummary).toEqual([])
  })

  it('gives every public symbol an example', () => {
    expect(missingExample).toEqual([])
  })

  it('has examples that typecheck against the packages', () => {
    const symbolOf = new Map(examples.map((example) => [example.file, example.symbol]))
    const problems = typeErrors(examples.map((example) => example.file)).map((problem) => {
      const file = problem.slice(0, problem.indexOf(':'))
      return `${symbolOf.get(file)}: ${problem.slice(work.length + 1)}`
    })
    expect(problems).toEqual([])
  }, 120_000)
})

describe('API examples run', () => {
  // Examples of the Redis stores read the server's URL from REDIS_URL, as an application would.
  if (examples.some((example) => example.source.includes('REDIS_URL'))) {
    let redis: RunningRedis | undefined
    beforeAll(async () => {
      redis = await startRedisServer()
      process.env['REDIS_URL'] = redis.url
    })
    afterAll(async () => {
      delete process.env['REDIS_URL']
      await redis?.stop()
    })
  }
  for (const example of examples) {
    const url = pathToFileURL(example.file).href
    // An example that declares vitest tests (itself, or through the store contract) contributes them; any other runs as one test.
    if (/^\s*(it|test|describe|describeStoreContract)(\.\w+)?\(/m.test(example.source)) describe(example.symbol, async () => void (await import(url)))
    else it(example.symbol, async () => void (await import(url)))
  }
})
