// Issues 13 and 17: the behaviour contract lives in the repository (docs/behaviour.md, and the
// sandbox attack classes in docs/security.md); nothing cites a file that is not in it, every
// citation of a guide's section lands on a heading that exists, and nothing public lives in lib/.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
// @ts-expect-error -- plain .mjs modules shared with build.mjs, without declarations
import { entryPoints, repo } from '../api.mjs'
// @ts-expect-error -- as above
import { githubSlug } from '../slug.mjs'

const slug = githubSlug as (text: string) => string
const root = repo as string

/** Files that cite: the packages' sources and tests, the examples, the guides and the READMEs. */
function citingFiles(): string[] {
  const found: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === 'dist' || name === 'site' || name.startsWith('.')) continue
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (/\.(ts|js|mjs|md)$/.test(name)) found.push(relative(root, path))
    }
  }
  for (const dir of ['packages', 'examples', 'docs']) walk(join(root, dir))
  return [...found, 'README.md'].sort()
}

/** This file names what it looks for. */
const SELF = relative(root, new URL(import.meta.url).pathname)

const files = citingFiles()
const text = new Map(files.map((file) => [file, readFileSync(join(root, file), 'utf8')]))

/** GitHub's anchors of a Markdown file's headings (code fences skipped, repeats numbered). */
const anchorCache = new Map<string, Set<string>>()
function anchorsOf(file: string): Set<string> {
  let anchors = anchorCache.get(file)
  if (anchors !== undefined) return anchors
  anchors = new Set()
  const seen = new Map<string, number>()
  let fenced = false
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
    const heading = fenced ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line)
    if (heading === null) continue
    const plain = (heading[1] as string).replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '')
    const base = slug(plain)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  anchorCache.set(file, anchors)
  return anchors
}

describe('citations', () => {
  it('no file cites SPEC.md, SANDBOX-NOTES.md, DESIGN.md or STYLE.md, which are not in the repository', () => {
    const citing = files
      .filter((file) => file !== SELF)
      .flatMap((file) =>
        (text.get(file) as string)
          .split('\n')
          .map((line, index) => ({ line, at: `${file}:${index + 1}` }))
          .filter(({ line }) => /SPEC\.md|SPEC §|SANDBOX-NOTES|DESIGN\.md|STYLE\.md/.test(line))
          .map(({ at, line }) => `${at}: ${line.trim()}`),
      )
    expect(citing).toEqual([])
  })

  it('every link to a section of a Markdown file lands on a heading of that file', () => {
    const broken: string[] = []
    let checked = 0
    for (const file of files) {
      if (file === SELF) continue
      const source = text.get(file) as string
      // Relative Markdown links (guides, READMEs, TSDoc): [text](../../docs/behaviour.md#custom-claims).
      for (const match of source.matchAll(/\]\(((?:\.\.?\/)*[\w./-]*?[\w-]+\.md)#([^)\s]+)\)/g)) {
        const target = resolve(dirname(join(root, file)), match[1] as string)
        checked++
        if (!target.startsWith(root) || !statSync(target, { throwIfNoEntry: false })?.isFile()) broken.push(`${file}: ${match[0]} (no such file)`)
        else if (!anchorsOf(target).has(match[2] as string)) broken.push(`${file}: ${match[0]} (no such heading)`)
      }
      // In-page links of a guide: [MFA](#mfa).
      if (file.endsWith('.md')) {
        for (const match of source.matchAll(/\]\(#([^)\s]+)\)/g)) {
          checked++
          if (!anchorsOf(join(root, file)).has(match[1] as string)) broken.push(`${file}: ${match[0]} (no such heading)`)
        }
      }
      // Citations by repository path in comments and test names: docs/behaviour.md#custom-claims.
      for (const match of source.matchAll(/(?<![\w./-])docs\/([\w-]+\.md)#([\w-]+)/g)) {
        const target = join(root, 'docs', match[1] as string)
        checked++
        if (!statSync(target, { throwIfNoEntry: false })?.isFile()) broken.push(`${file}: ${match[0]} (no such file)`)
        else if (!anchorsOf(target).has(match[2] as string)) broken.push(`${file}: ${match[0]} (no such heading)`)
      }
    }
    expect(broken).toEqual([])
    expect(checked).toBeGreaterThan(50)
  })

  it('anchors follow GitHub: lower case, punctuation dropped, spaces to dashes', () => {
    expect(slug('Callback outcomes')).toBe('callback-outcomes')
    expect(slug('`loadRule`: suites written for classic harnesses')).toBe('loadrule-suites-written-for-classic-harnesses')
    expect(slug('The isolated-vm advisory (GHSA-864f-rcv7-6rh4)')).toBe('the-isolated-vm-advisory-ghsa-864f-rcv7-6rh4')
    expect(anchorsOf(join(root, 'docs', 'behaviour.md'))).toContain('the-token-endpoint')
  })

  it('docs/README.md lists the behaviour contract', () => {
    expect(text.get('docs/README.md')).toContain('[Behaviour](behaviour.md)')
  })
})

describe('nothing public lives in lib/', () => {
  it('no entry point exports from a lib/ folder', () => {
    const fromLib = (entryPoints as string[]).flatMap((entry) =>
      readFileSync(entry, 'utf8')
        .split('\n')
        .filter((line) => /^export\b.*\bfrom\s+['"][^'"]*\/lib\//.test(line))
        .map((line) => `${relative(root, entry)}: ${line}`),
    )
    expect(fromLib).toEqual([])
  })
})
