// Builds the docs site: every docs/*.md guide → HTML, plus the API reference (typedoc) of the
// packages' public exports under api/. Output: docs/site/ (gitignored), or the directory given as
// the first argument. Run from anywhere: `pnpm docs:build`.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import MarkdownIt from 'markdown-it'
import { convertApi, repo } from './api.mjs'
import { githubSlug } from './slug.mjs'

const docs = join(repo, 'docs')
const out = resolve(process.argv[2] ?? join(docs, 'site'))

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const md = new MarkdownIt({ html: false, linkify: false })
// Links between guides point at the HTML pages; a `js rule` fence is shown as js.
const defaultLink = md.renderer.rules.link_open ?? ((tokens, idx, options, env, self) => self.renderToken(tokens, idx, options))
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const href = tokens[idx].attrGet('href') ?? ''
  if (/^[\w-]+\.md(#.*)?$/.test(href)) tokens[idx].attrSet('href', href.replace(/^README\.md/, 'index.md').replace(/\.md/, '.html'))
  // Links out of docs/ (package READMEs, examples) resolve in the checkout the site was built in.
  else if (href.startsWith('../')) tokens[idx].attrSet('href', `../${href}`)
  return defaultLink(tokens, idx, options, env, self)
}

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

const escape = (text) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
const guides = readdirSync(docs)
  .filter((file) => file.endsWith('.md'))
  .sort()
const titles = new Map(guides.map((file) => [file, /^# (.+)$/m.exec(readFileSync(join(docs, file), 'utf8'))?.[1] ?? file]))
const page = (file) => (file === 'README.md' ? 'index.html' : file.replace(/\.md$/, '.html'))
const nav = [
  ...guides.map((file) => `<li><a href="${page(file)}">${escape(file === 'README.md' ? 'Overview' : titles.get(file))}</a></li>`),
  '<li><a href="api/index.html">API reference</a></li>',
].join('')

for (const file of guides) {
  const body = md.render(readFileSync(join(docs, file), 'utf8'))
  writeFileSync(
    join(out, page(file)),
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(titles.get(file))} · tokenrules</title>
<style>
body { margin: 0; font: 16px/1.55 system-ui, sans-serif; color: #1d2330; display: grid; grid-template-columns: 230px minmax(0, 1fr); }
nav { background: #f4f6fa; border-right: 1px solid #d9dee7; padding: 20px; min-height: 100vh; } nav ul { list-style: none; padding: 0; } nav li { margin: 6px 0; }
main { max-width: 860px; padding: 20px 40px; } pre { background: #f7f8fb; border: 1px solid #d9dee7; padding: 12px; overflow: auto; border-radius: 6px; }
code { font-size: 14px; } table { border-collapse: collapse; } td, th { border: 1px solid #d9dee7; padding: 4px 8px; vertical-align: top; }
</style></head>
<body><nav><strong>tokenrules</strong><ul>${nav}</ul></nav><main>${body}</main></body></html>
`,
  )
}

const { app, project } = await convertApi()
// TSDoc cites the guides by their path in the repository (`../../../docs/behaviour.md#custom-claims`,
// which editors and GitHub follow); typedoc copies such files to api/media/ as raw Markdown. On the
// site the citation points at the guide's page instead.
const guidePages = new Set(guides.filter((file) => file !== 'README.md').map((file) => file.replace(/\.md$/, '')))
app.renderer.on('endPage', (page) => {
  page.contents = page.contents?.replace(/href="((?:\.\.\/)*)media\/([\w-]+)\.md(#[^"]*)?"/g, (link, up, name, hash = '') =>
    guidePages.has(name) ? `href="${up}../${name}.html${hash}"` : link,
  )
})
await app.generateDocs(project, join(out, 'api'))
for (const name of guidePages) rmSync(join(out, 'api', 'media', `${name}.md`), { force: true })
console.log(`docs site: ${guides.length} guide(s) and the API reference in ${out}`)
