// Builds the docs site: every docs/*.md guide → HTML in the order of pages.mjs, the Markdown files
// and repository files the guides link to (package READMEs, source files, folders), and the API
// reference (typedoc) of the packages' public exports under api/. Output: docs/site/ (gitignored),
// or the directory given as the first argument. Run from anywhere: `pnpm docs:build`.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join, posix, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import hljs from 'highlight.js'
import MarkdownIt from 'markdown-it'
import { convertApi, repo } from './api.mjs'
import { sidebar } from './pages.mjs'
import { githubSlug } from './slug.mjs'

const out = resolve(process.argv[2] ?? join(repo, 'docs', 'site'))
const here = dirname(fileURLToPath(import.meta.url))

const guides = readdirSync(join(repo, 'docs'))
  .filter((file) => file.endsWith('.md'))
  .map((file) => `docs/${file}`)
const listed = sidebar.flatMap((section) => section.pages.filter((entry) => entry.path !== undefined).map((entry) => entry.path))
const unlisted = guides.filter((guide) => !listed.includes(guide))
if (unlisted.length > 0) {
  console.warn(
    `docs site: ${unlisted.join(', ')} not in the sidebar's order: add each to a section of examples/docs-site/pages.mjs, where a reader would look for it`,
  )
  sidebar.push({ title: 'Not yet in order', pages: unlisted.map((path) => ({ path })) })
}
for (const section of sidebar) section.pages = section.pages.filter((entry) => entry.path === undefined || existsSync(join(repo, entry.path)))

// Where each repository file is on the site (paths relative to the site's root, with '/').
const toPosix = (path) => path.split(sep).join('/')
/** The page of a Markdown file: docs/README.md is the home page, docs/x.md is x.html, a/README.md is a/index.html. */
function markdownPage(path) {
  if (path === 'docs/README.md') return 'index.html'
  if (path.startsWith('docs/') && !path.slice(5).includes('/')) return path.slice(5).replace(/\.md$/, '.html')
  if (path.endsWith('/README.md')) return path.replace(/README\.md$/, 'index.html')
  return path.replace(/\.md$/, '.html')
}
const sourcePage = (path) => `source/${path}.html`
const folderPage = (path) => `source/${path}/index.html`

/** Pages to write: site path → what it shows. Filled as links are followed. */
const pages = new Map()
const queue = []
function want(page, spec) {
  if (!pages.has(page)) {
    pages.set(page, spec)
    queue.push(page)
  }
  return page
}
/** Links the build could not follow (a file that does not exist): reported, and left as written so the link check names them. */
const unresolved = []

/** The page of a repository file: its text, highlighted; a file that is not text (an image, an archive) is copied as it is. */
const filePage = (path) =>
  readFileSync(join(repo, path)).includes(0) ? want(`source/${path}`, { kind: 'file', path }) : want(sourcePage(path), { kind: 'source', path })

/**
 * Where a link written in the repository file `from` lands on the site, relative to the page
 * `fromPage`: another page, a source view of a file, a folder's listing, or (an absolute URL or an
 * in-page anchor) unchanged.
 */
function siteHref(href, from, fromPage) {
  if (href.startsWith('#') || /^[a-z][a-z\d+.-]*:/i.test(href) || href.startsWith('//')) return href
  const cut = href.indexOf('#')
  const [path, hash] = cut === -1 ? [href, ''] : [href.slice(0, cut), href.slice(cut)]
  const target = toPosix(relative(repo, resolve(repo, dirname(from), decodeURI(path))))
  const stat = target.startsWith('..') ? undefined : statSync(join(repo, target), { throwIfNoEntry: false })
  let page
  if (stat === undefined) {
    unresolved.push(`${from}: ${href}`)
    return href
  } else if (stat.isDirectory()) {
    const readme = posix.join(target, 'README.md')
    page = existsSync(join(repo, readme))
      ? want(markdownPage(readme), { kind: 'markdown', path: readme })
      : want(folderPage(target), { kind: 'folder', path: target })
  } else if (target.endsWith('.md')) page = want(markdownPage(target), { kind: 'markdown', path: target })
  else page = filePage(target)
  const link = posix.relative(posix.dirname(fromPage), page)
  return (link === '' ? posix.basename(page) : link) + hash
}

const escape = (text) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

/** Highlighted code as a block that scrolls sideways (and takes focus, so a keyboard can scroll it). */
function codeBlock(code, language) {
  const known = language !== '' && hljs.getLanguage(language) !== undefined
  const html = known ? hljs.highlight(code, { language, ignoreIllegals: true }).value : escape(code)
  return `<pre tabindex="0"><code class="hljs${language ? ` language-${escape(language)}` : ''}">${html}</code></pre>\n`
}

const md = new MarkdownIt({ html: false, linkify: false, highlight: (code, language) => codeBlock(code, language) })
const renderToken = (tokens, idx, options, env, self) => self.renderToken(tokens, idx, options)
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('href', siteHref(tokens[idx].attrGet('href') ?? '', env.path, env.page))
  return renderToken(tokens, idx, options, env, self)
}
// Wide tables scroll inside their box on a phone; tabindex lets a keyboard scroll them.
md.renderer.rules.table_open = () => '<table tabindex="0">\n'
// In a table, inline code (an error code, a dotted option name) may break after its punctuation,
// `ERR_RULE_<wbr>UNAUTHORIZED`, so a column is as narrow as a word, never cut mid-word.
md.core.ruler.push('table_code_breaks', (state) => {
  let depth = 0
  for (const token of state.tokens) {
    if (token.type === 'table_open') depth++
    else if (token.type === 'table_close') depth--
    else if (depth > 0 && token.type === 'inline') for (const child of token.children ?? []) if (child.type === 'code_inline') child.meta = { breakable: true }
  }
})
/** `text` as HTML that may break after punctuation: `a.b_c` → `a.<wbr>b_<wbr>c`. */
const breakable = (text) => escape(text).replace(/([._/(:=,-]+)(?=[^\s._/(:=,-])/g, '$1<wbr>')
md.renderer.rules.code_inline = (tokens, idx) => `<code>${tokens[idx].meta?.breakable ? breakable(tokens[idx].content) : escape(tokens[idx].content)}</code>`

// Headings get GitHub's anchors (lower case, punctuation dropped, spaces → '-', repeats numbered),
// so `behaviour.md#custom-claims` lands on the same section here as on GitHub.
md.core.ruler.push('heading_ids', (state) => {
  const seen = new Map()
  for (let i = 0; i < state.tokens.length; i++) {
    const token = state.tokens[i]
    if (token.type !== 'heading_open') continue
    const text = (state.tokens[i + 1].children ?? [])
      .filter((child) => child.type === 'text' || child.type === 'code_inline')
      .map((child) => child.content)
      .join('')
    const base = githubSlug(text)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    token.attrSet('id', count === 0 ? base : `${base}-${count}`)
  }
})

const titleOf = (path) => /^# (.+)$/m.exec(readFileSync(join(repo, path), 'utf8'))?.[1].replace(/`/g, '') ?? path
const navLabel = (entry) => entry.label ?? titleOf(entry.path)
for (const section of sidebar)
  for (const entry of section.pages) if (entry.path !== undefined) want(markdownPage(entry.path), { kind: 'markdown', path: entry.path })

/** The sidebar as seen from `page` (links relative to it, the current page marked). */
function nav(page) {
  const link = (target, label) =>
    `<li><a href="${posix.relative(posix.dirname(page), target) || posix.basename(target)}"${target === page ? ' aria-current="page"' : ''}>${escape(label)}</a></li>`
  return sidebar
    .map(
      (section) =>
        `<h2>${escape(section.title)}</h2><ul>${section.pages.map((entry) => link(entry.href ?? markdownPage(entry.path), navLabel(entry))).join('')}</ul>`,
    )
    .join('')
}

function layout(page, title, body) {
  const asset = (name) => posix.relative(posix.dirname(page), `assets/${name}`)
  const home = posix.relative(posix.dirname(page), 'index.html')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · tokenrules</title>
<link rel="icon" href="${asset('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${asset('highlight.css')}"><link rel="stylesheet" href="${asset('site.css')}">
</head>
<body><a class="skip" href="#content">Skip to the content</a>
<header class="top"><a class="brand" href="${home}">tokenrules</a></header>
<div class="layout"><nav aria-label="Documentation"><details id="contents" open><summary>Contents</summary>${nav(page)}</details></nav>
<script>{const contents = document.getElementById('contents'), wide = matchMedia('(min-width: 900px)'), fit = () => { contents.open = wide.matches }; fit(); wide.addEventListener('change', fit)}</script>
<main id="content">${body}</main></div></body></html>
`
}

/** Files under a folder, as git tracks them (what a clone has); on disk for a folder git does not track yet. */
function filesUnder(folder) {
  let tracked = []
  try {
    tracked = execFileSync('git', ['ls-files', '-z', '--', folder], { cwd: repo, encoding: 'utf8' })
      .split('\0')
      .filter((file) => file !== '' && existsSync(join(repo, file)))
  } catch {
    // Not a git checkout (an unpacked archive): what is on disk.
  }
  if (tracked.length > 0) return tracked
  return readdirSync(join(repo, folder), { recursive: true, encoding: 'utf8' })
    .map((file) => posix.join(folder, toPosix(file)))
    .filter((file) => !/(^|\/)(node_modules|dist|coverage|test-artifacts|\.[^/]+)(\/|$)/.test(file) && statSync(join(repo, file)).isFile())
    .sort()
}

const languageOfFile = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.json': 'json',
  '.sh': 'bash',
  '.yaml': 'yaml',
  '.yml': 'yaml',
}

rmSync(out, { recursive: true, force: true })
mkdirSync(join(out, 'assets'), { recursive: true })
while (queue.length > 0) {
  const page = queue.shift()
  const spec = pages.get(page)
  let title, body
  if (spec.kind === 'file') {
    mkdirSync(dirname(join(out, page)), { recursive: true })
    copyFileSync(join(repo, spec.path), join(out, page))
    continue
  }
  if (spec.kind === 'markdown') {
    title = titleOf(spec.path)
    body = md.render(readFileSync(join(repo, spec.path), 'utf8'), { path: spec.path, page })
  } else if (spec.kind === 'source') {
    title = spec.path
    const source = readFileSync(join(repo, spec.path), 'utf8')
    const firstLine = source.slice(0, source.indexOf('\n'))
    const language = languageOfFile[extname(spec.path)] ?? (/^#!.*\b(ba|z)?sh\b/.test(firstLine) ? 'bash' : '')
    body = `<h1 id="${githubSlug(spec.path)}"><code>${breakable(spec.path)}</code></h1>\n<p>A file of the repository, as it was when this site was built.</p>\n${codeBlock(source, language)}`
  } else {
    title = `${spec.path}/`
    const items = filesUnder(spec.path).map(
      (file) => `<li><a href="${posix.relative(posix.dirname(page), filePage(file))}">${escape(posix.relative(spec.path, file))}</a></li>`,
    )
    body = `<h1 id="${githubSlug(spec.path)}"><code>${breakable(spec.path)}/</code></h1>\n<p>The files of this folder of the repository.</p>\n<ul>${items.join('')}</ul>`
  }
  mkdirSync(dirname(join(out, page)), { recursive: true })
  writeFileSync(join(out, page), layout(page, title, body))
}
const require = createRequire(import.meta.url)
copyFileSync(require.resolve('highlight.js/styles/a11y-light.css'), join(out, 'assets', 'highlight.css'))
for (const asset of ['site.css', 'favicon.svg']) copyFileSync(join(here, 'assets', asset), join(out, 'assets', asset))

const GUIDES = 'tokenrules-site:index.html'
const { app, project } = await convertApi({ navigationLinks: { Guides: GUIDES }, favicon: join(here, 'assets', 'favicon.svg'), hideGenerator: true })
// TSDoc cites the guides by their path in the repository (`../../../docs/behaviour.md#custom-claims`,
// which editors and GitHub follow); typedoc copies such files to api/media/ as raw Markdown. On the
// site the citation points at the guide's page instead. The header's and the sidebar's link back to
// the guides is relative to the page.
const guidePages = new Set(guides.filter((file) => file !== 'docs/README.md').map((file) => file.slice(5, -3)))
app.renderer.on('endPage', (page) => {
  const up = '../'.repeat(page.url.split('/').length - 1)
  page.contents = page.contents
    ?.replace(/href="((?:\.\.\/)*)media\/([\w-]+)\.md(#[^"]*)?"/g, (link, up, name, hash = '') =>
      guidePages.has(name) ? `href="${up}../${name}.html${hash}"` : link,
    )
    .replaceAll(`href="${GUIDES}"`, `href="${up}../index.html"`)
    // typedoc puts a section's permalink inside the summary that folds it: a link inside a button,
    // which a screen reader cannot reach (axe's nested-interactive). The heading keeps its id.
    .replace(/<summary\b[^>]*>[\s\S]*?<\/summary>/g, (summary) =>
      summary.replace(/<a href="#[^"]*" aria-label="Permalink" class="tsd-anchor-icon">[\s\S]*?<\/a>/g, ''),
    )
})
await app.generateDocs(project, join(out, 'api'))
for (const name of guidePages) rmSync(join(out, 'api', 'media', `${name}.md`), { force: true })

for (const link of unresolved) console.warn(`docs site: a link to nothing in ${link}`)
const markdownCount = [...pages.values()].filter((spec) => spec.kind === 'markdown').length
console.log(`docs site: ${guides.length} guide(s), ${pages.size} page(s) in all (${markdownCount} from Markdown), and the API reference in ${out}`)
