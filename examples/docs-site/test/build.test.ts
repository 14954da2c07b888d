import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

/** Every .html file under `dir`. */
function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.html'))
    .map((file) => join(dir, file))
}

const build = fileURLToPath(new URL('../build.mjs', import.meta.url))
const out = join(mkdtempSync(join(tmpdir(), 'tokenrules-site-')), 'site')
afterAll(() => rmSync(join(out, '..'), { recursive: true, force: true }))

describe('pnpm docs:build', () => {
  it('builds the guides and the API reference into static HTML', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [build, out], { timeout: 60_000 })
    expect(stdout).toMatch(/^docs site: \d+ guide\(s\) and the API reference in /)

    const index = readFileSync(join(out, 'index.html'), 'utf8')
    expect(index).toContain('<a href="writing-rules.html">Writing rules</a>')
    expect(index).toContain('<a href="api/index.html">API reference</a>')
    const errors = readFileSync(join(out, 'errors.html'), 'utf8')
    expect(errors).toContain('<code>ERR_RULE_UNAUTHORIZED</code>')
    expect(errors).toContain('<pre><code class="language-js">function requireVerifiedEmail(user, context, callback) {')
    expect(existsSync(join(out, 'getting-started.html'))).toBe(true)

    const api = readFileSync(join(out, 'api', 'index.html'), 'utf8')
    for (const name of ['engine', 'oauth', 'testing']) expect(api).toContain(name)
    expect(readFileSync(join(out, 'api', 'functions', '_tokenrules_engine.createEngine.html'), 'utf8')).toContain('createEngine')
    expect(readFileSync(join(out, 'api', 'functions', '_tokenrules_oauth.createTokenServer.html'), 'utf8')).toContain('createTokenServer')
    // Examples are part of the pages, and the vitest entry point is documented under its own name.
    expect(readFileSync(join(out, 'api', 'functions', '_tokenrules_engine.createEngine.html'), 'utf8')).toMatch(/<h4[^>]*>Example/)
    expect(existsSync(join(out, 'api', 'modules', '_tokenrules_testing_vitest.html'))).toBe(true)

    // Headings carry GitHub's anchors, so links into a section work on the site as on GitHub.
    const behaviour = readFileSync(join(out, 'behaviour.html'), 'utf8')
    expect(behaviour).toContain('<h2 id="callback-outcomes">Callback outcomes</h2>')
    expect(behaviour).toContain('<a href="#mfa">MFA</a>')
    expect(index).toContain('<a href="behaviour.html">Behaviour</a>')

    // TSDoc cites the guides by their repository path; on the site the link is the guide's page.
    const pages = htmlFiles(join(out, 'api'))
    const protocols = readFileSync(join(out, 'api', 'variables', '_tokenrules_engine.NO_BROWSER_PROTOCOLS.html'), 'utf8')
    expect(protocols).toContain('href="../../behaviour.html#callback-outcomes"')
    const rawGuides = pages.filter((page) => /href="[^"]*media\/(?!README)[\w-]+\.md/.test(readFileSync(page, 'utf8')))
    expect(rawGuides).toEqual([])
    // Nothing public lives in lib/: no page of the reference says it is defined there.
    const inLib = pages.filter((page) => /Defined in [^<]*\/src\/lib\//.test(readFileSync(page, 'utf8')))
    expect(inLib).toEqual([])
  }, 60_000)
})
