import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createEngine, isTokenRulesError, type EngineOptions } from '@tokenrules/engine'
import { createMemoryStores, createTokenServer } from '@tokenrules/oauth'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { CLIENT, USERS, demoServerOptions } from '../src/config.js'
import { typeErrorsOfSources } from '../../docs-site/test/typecheck.js'
import { blocks } from './doc-blocks.js'

/**
 * Every ```js rule block in docs/*.md runs in the engine; the ```json expect block right after it
 * says what must come out:
 * `{ user?, context?, engine?, accessToken?, idToken?, scope?, multifactor?, warnings?, logs?, error? }`
 * (`user`/`context` are merged over the defaults below; `engine` is extra createEngine options;
 * `error` is `{ code, status, body }` of the failure and its `toOAuthError()`).
 * A doc with a rule block and no expectation, or an expectation that does not hold, fails.
 */
const docs = fileURLToPath(new URL('../../../docs/', import.meta.url))

const USER = { user_id: 'auth0|alice', email: 'alice@example.com', email_verified: true, app_metadata: { roles: ['admin'] } }
const CONTEXT = { clientID: 'demo-app', protocol: 'oauth2-password', connection: 'Employees' }

interface Expectation {
  user?: Record<string, unknown>
  context?: Record<string, unknown>
  engine?: Partial<EngineOptions>
  accessToken?: Record<string, unknown>
  idToken?: Record<string, unknown>
  scope?: string[]
  multifactor?: Record<string, unknown>
  warnings?: Record<string, unknown>[]
  logs?: Record<string, unknown>[]
  error?: { code: string; status: number; body: Record<string, unknown> }
}

interface Example {
  file: string
  line: number
  script: string
  expect: Expectation | undefined
}

interface TokenExample {
  file: string
  line: number
  request: Record<string, string>
  response: { status: number; body: Record<string, unknown>; accessTokenClaims?: Record<string, unknown> } | undefined
}

/**
 * A ```ts embed block is a whole TypeScript module: it is written next to this test (so it imports
 * the workspace's packages as an application would), imported, and must finish without throwing;
 * it checks its own outcome with node:assert and closes what it opened.
 */
interface EmbedExample {
  file: string
  line: number
  source: string
}

const examples: Example[] = []
const requests: TokenExample[] = []
const embeds: EmbedExample[] = []
const files = readdirSync(docs).filter((file) => file.endsWith('.md'))
for (const file of files) {
  const found = blocks(readFileSync(join(docs, file), 'utf8'))
  found.forEach((block, index) => {
    const next = found[index + 1]
    if (block.info === 'json token-request') {
      requests.push({
        file,
        line: block.line,
        request: JSON.parse(block.body) as Record<string, string>,
        response: next?.info === 'json token-response' ? JSON.parse(next.body) : undefined,
      })
    }
    if (block.info === 'ts embed') embeds.push({ file, line: block.line, source: block.body })
    if (block.info !== 'js rule') return
    examples.push({ file, line: block.line, script: block.body, expect: next?.info === 'json expect' ? (JSON.parse(next.body) as Expectation) : undefined })
  })
}

describe('code examples in docs/', () => {
  it('finds the executable examples of the guides', () => {
    expect(examples.filter((e) => e.file === 'writing-rules.md').length).toBeGreaterThanOrEqual(6)
    expect(examples.filter((e) => e.file === 'errors.md').length).toBeGreaterThanOrEqual(6)
    expect(examples.filter((e) => e.file === 'concepts.md').length).toBeGreaterThanOrEqual(3)
  })

  it.each(examples.map((example) => [`${example.file}:${example.line}`, example] as const))('%s runs as documented', async (_, example) => {
    expect(example.expect, `${example.file}:${example.line}: a js rule block needs a json expect block right after it`).toBeDefined()
    const want = example.expect as Expectation
    await using engine = await createEngine({ ...want.engine, rules: [{ name: 'example', script: example.script }], concurrency: 1 })
    const input = { user: { ...USER, ...want.user }, context: { ...CONTEXT, ...want.context } }
    if (want.error !== undefined) {
      const failure = await engine.run(input).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(isTokenRulesError(failure), 'the run fails with a TokenRulesError').toBe(true)
      if (!isTokenRulesError(failure)) return
      expect({ code: failure.code, ...failure.toOAuthError() }).toEqual(want.error)
      return
    }
    const result = await engine.run(input)
    if (want.accessToken !== undefined) expect(result.accessToken.claims).toEqual(want.accessToken)
    if (want.idToken !== undefined) expect(result.idToken.claims).toEqual(want.idToken)
    if (want.scope !== undefined) expect(result.accessToken.scope).toEqual(want.scope)
    if (want.multifactor !== undefined) expect(result.multifactor).toEqual(want.multifactor)
    expect(result.warnings).toEqual((want.warnings ?? []).map((warning) => expect.objectContaining(warning)))
    if (want.logs !== undefined) expect(result.logs).toEqual(want.logs.map((entry) => expect.objectContaining(entry)))
  })
})

describe('token endpoint examples in docs/', () => {
  it('finds them', () => {
    expect(requests.filter((e) => e.file === 'token-endpoint.md').length).toBeGreaterThanOrEqual(6)
  })

  it('answers each request as documented (the demo configuration, in memory)', async () => {
    await using server = await createTokenServer({ ...(await demoServerOptions('http://localhost:3000/')), stores: createMemoryStores() })
    for (const user of USERS) await server.users.create(user)
    for (const example of requests) {
      const where = `${example.file}:${example.line}`
      expect(example.response, `${where}: a json token-request block needs a json token-response block right after it`).toBeDefined()
      const want = example.response as NonNullable<TokenExample['response']>
      const response = await server.handler(
        new Request('http://localhost:3000/oauth/token', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ ...example.request, client_id: CLIENT.clientId, client_secret: CLIENT.secret }),
        }),
        { remoteAddress: '127.0.0.1' },
      )
      const body = (await response.json()) as Record<string, unknown>
      expect({ where, status: response.status, body }).toMatchObject({ where, status: want.status, body: want.body })
      if (want.accessTokenClaims !== undefined) expect(decodeJwt(String(body['access_token']))).toMatchObject(want.accessTokenClaims)
    }
  }, 60_000)
})

describe('embedding examples in docs/', () => {
  it('finds them', () => {
    expect(embeds.filter((e) => e.file === 'embedding.md').length).toBeGreaterThanOrEqual(5)
  })

  it('typecheck as modules of an application', () => {
    const dir = fileURLToPath(new URL(`./.docs-typecheck-${process.pid}`, import.meta.url))
    expect(
      typeErrorsOfSources(
        dir,
        embeds.map((example) => ({ name: `${example.file}-${example.line}`, source: example.source })),
      ),
    ).toEqual([])
  }, 60_000)

  it.each(embeds.map((example) => [`${example.file}:${example.line}`, example] as const))('%s runs', async (_, example) => {
    const module = fileURLToPath(new URL(`./.docs-embed-${process.pid}-${example.file.replace(/\W/g, '-')}-${example.line}.ts`, import.meta.url))
    writeFileSync(module, example.source)
    try {
      await import(pathToFileURL(module).href)
    } finally {
      rmSync(module, { force: true })
    }
  })
})
