import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildSite, htmlFiles, unescapeAttribute } from './site.js'

const docs = fileURLToPath(new URL('../../../docs/', import.meta.url))
const out = join(mkdtempSync(join(tmpdir(), 'tokenrules-site-')), 'site')
let printed = { stdout: '', stderr: '' }
beforeAll(async () => {
  printed = await buildSite(out)
}, 300_000)
afterAll(() => rmSync(join(out, '..'), { recursive: true, force: true }))

const read = (page: string) => readFileSync(join(out, page), 'utf8')
/** The guides' pages: docs/README.md is index.html, docs/x.md is x.html. */
const guidePages = readdirSync(docs)
  .filter((file) => file.endsWith('.md'))
  .map((file) => (file === 'README.md' ? 'index.html' : file.replace(/\.md$/, '.html')))
/** The pages built from Markdown and the repository (everything but typedoc's api/). */
const sitePages = () => htmlFiles(out).filter((page) => !page.startsWith('api/'))

/** The sidebar's links of a page, in order: [label, href]. */
function sidebarOf(page: string): [string, string][] {
  const nav = /<nav aria-label="Documentation">([\s\S]*?)<\/nav>/.exec(read(page))?.[1] ?? ''
  return [...nav.matchAll(/<a href="([^"]*)"[^>]*>([^<]*)<\/a>/g)].map((match) => [unescapeAttribute(match[2] as string), match[1] as string])
}

describe('pnpm docs:build', () => {
  it('builds the guides and the API reference into static HTML', () => {
    expect(printed.stdout).toMatch(/^docs site: \d+ guide\(s\), \d+ page\(s\) in all \(\d+ from Markdown\), and the API reference in /)
    expect(printed.stderr).toBe('')
    for (const page of guidePages) expect(existsSync(join(out, page)), page).toBe(true)
    // In a table, inline code breaks after its punctuation, never mid-word.
    expect(read('errors.html')).toContain('<td><code>ERR_<wbr>RULE_<wbr>UNAUTHORIZED</code></td>')

    const api = read('api/index.html')
    for (const name of ['engine', 'oauth', 'testing']) expect(api).toContain(name)
    expect(read('api/functions/_tokenrules_engine.createEngine.html')).toContain('createEngine')
    expect(read('api/functions/_tokenrules_oauth.createTokenServer.html')).toContain('createTokenServer')
    // Examples are part of the pages, and the vitest entry point is documented under its own name.
    expect(read('api/functions/_tokenrules_engine.createEngine.html')).toMatch(/<h4[^>]*>Example/)
    expect(existsSync(join(out, 'api', 'modules', '_tokenrules_testing_vitest.html'))).toBe(true)

    // TSDoc cites the guides by their repository path; on the site the link is the guide's page.
    expect(read('api/variables/_tokenrules_engine.NO_BROWSER_PROTOCOLS.html')).toContain('href="../../behaviour.html#callback-outcomes"')
    const apiPages = htmlFiles(join(out, 'api'))
    // Nothing public lives in lib/: no page of the reference says it is defined there.
    const inLib = apiPages.filter((page) => /Defined in [^<]*\/src\/lib\//.test(read(`api/${page}`)))
    expect(inLib).toEqual([])
  })

  it('orders the sidebar as a reader goes, the same on every page, each guide once', () => {
    const sidebar = sidebarOf('index.html')
    const labels = sidebar.map(([label]) => label)
    // What tokenrules is and a first rule come first; the reference (behaviour, benchmarks) after the guides.
    expect(labels.slice(0, 2)).toEqual(['Overview', 'Getting started'])
    const before = (first: string, then: string) => {
      expect(labels).toContain(first)
      expect(labels.indexOf(first), `${first} before ${then}`).toBeLessThan(labels.indexOf(then))
    }
    before('Concepts', 'Writing rules')
    before('Writing rules', 'Testing rules')
    before('Embedding tokenrules in your server', 'Benchmarks')
    before('Migrating from Auth0 Rules', 'Behaviour')
    expect(labels).not.toEqual([...labels].sort())
    const hrefs = sidebar.map(([, href]) => href)
    for (const page of guidePages)
      expect(
        hrefs.filter((href) => href === page),
        `${page} in the sidebar`,
      ).toHaveLength(1)
    expect(sidebar).toContainEqual(['API reference', 'api/index.html'])
    expect(sidebar).toContainEqual(['@tokenrules/engine', 'packages/engine/index.html'])
    // Every page shows the same sidebar (its links relative to the page), the current page marked.
    for (const page of sitePages()) {
      const resolved = sidebarOf(page).map(([label, href]) => [label, posix.normalize(posix.join(posix.dirname(page), href))])
      expect(resolved, page).toEqual(sidebar)
    }
    expect(read('concepts.html')).toContain('<a href="concepts.html" aria-current="page">Concepts</a>')
  })

  it('gives every heading an id, GitHub’s, so a link written for GitHub lands on its section', () => {
    const behaviour = read('behaviour.html')
    expect(behaviour).toContain('<h2 id="callback-outcomes">Callback outcomes</h2>')
    expect(behaviour).toContain('<a href="#mfa">MFA</a>')
    let count = 0
    for (const page of sitePages()) {
      const main = /<main id="content">([\s\S]*)<\/main>/.exec(read(page))?.[1] ?? ''
      const headings = [...main.matchAll(/<h([1-6])([^>]*)>/g)]
      count += headings.length
      expect(
        headings.filter((heading) => !/ id="[^"]+"/.test(heading[2] as string)).map((heading) => heading[0]),
        page,
      ).toEqual([])
    }
    expect(count).toBeGreaterThan(200)
  })

  it('has no link to a page, file or anchor that is not there, and none to a .md file', () => {
    const idsOf = new Map<string, Set<string>>()
    const ids = (page: string) => {
      let found = idsOf.get(page)
      if (found === undefined) {
        found = new Set([...read(page).matchAll(/\s(?:id|name)="([^"]*)"/g)].map((match) => unescapeAttribute(match[1] as string)))
        idsOf.set(page, found)
      }
      return found
    }
    const broken: string[] = []
    const external = new Set<string>()
    let internal = 0
    for (const page of htmlFiles(out)) {
      for (const match of read(page).matchAll(/\s(href|src)="([^"]*)"/g)) {
        const link = unescapeAttribute(match[2] as string)
        if (/^[a-z][a-z\d+.-]*:/i.test(link) || link.startsWith('//')) {
          if (!link.startsWith('data:')) external.add(link)
          continue
        }
        internal++
        const [path = '', hash = ''] = link.split(/#(.*)/s)
        let target = path === '' ? page : posix.normalize(posix.join(posix.dirname(page), decodeURI(path)))
        if (path.endsWith('/')) target = posix.join(target, 'index.html')
        if (/\.md$/i.test(path)) broken.push(`${page}: ${link} (a Markdown file, not a page)`)
        else if (target.startsWith('..') || !existsSync(join(out, target))) broken.push(`${page}: ${link} (no such file in the site)`)
        else if (hash !== '' && target.endsWith('.html') && !ids(target).has(decodeURIComponent(hash)))
          broken.push(`${page}: ${link} (no id "${hash}" in ${target})`)
      }
    }
    expect(broken).toEqual([])
    expect(internal).toBeGreaterThan(1000)
    // Out of the site only on purpose: the projects the guides cite, over https.
    expect([...external].filter((link) => !link.startsWith('https://'))).toEqual([])
  })

  it('rewrites links to package READMEs and repository files to pages of the site', () => {
    const index = read('index.html')
    expect(index).toContain('<a href="packages/engine/index.html"><code>@tokenrules/engine</code></a>')
    expect(index).toContain('<a href="examples/token-server/index.html">')
    // A folder without a README is listed; a file is shown, highlighted.
    const quickstart = read('source/examples/quickstart/index.html')
    expect(quickstart).toContain('<a href="src/main.ts.html">src/main.ts</a>')
    expect(read('source/examples/quickstart/src/main.ts.html')).toMatch(
      /<pre tabindex="0"><code class="hljs language-typescript"><span class="hljs-keyword">import<\/span>/,
    )
  })

  it('highlights code with highlight.js, its stylesheet served by the site', () => {
    const errors = read('errors.html')
    expect(errors).toContain(
      '<pre tabindex="0"><code class="hljs language-js"><span class="hljs-keyword">function</span> <span class="hljs-title function_">requireVerifiedEmail</span>',
    )
    expect(errors).toContain('<link rel="stylesheet" href="assets/highlight.css">')
    expect(read('assets/highlight.css')).toMatch(/\.hljs-keyword/)
    // Every fenced block of a guide is highlighted or, for text and output, shown as written.
    for (const page of guidePages) {
      const blocks = [...read(page).matchAll(/<pre[^>]*><code([^>]*)>/g)].map((match) => match[1])
      expect(
        blocks.filter((attributes) => !/class="hljs/.test(attributes as string)),
        page,
      ).toEqual([])
    }
    expect(read('concepts.html')).toContain('<span class="hljs-')
    // Nothing is loaded from another site: no CDN stylesheet or script.
    for (const page of htmlFiles(out)) expect(read(page), page).not.toMatch(/<(link|script)[^>]+(href|src)="(https?:)?\/\//)
  })

  it('links the API reference and the guides both ways', () => {
    expect(read('index.html')).toContain('<a href="api/index.html">API reference</a>')
    expect(read('api/index.html')).toContain('<a href="../index.html">Guides</a>')
    expect(read('api/functions/_tokenrules_engine.createEngine.html')).toContain('<a href="../../index.html">Guides</a>')
    expect(read('packages/engine/index.html')).toContain('<a href="../../api/index.html">API reference</a>')
  })
})
