/**
 * docs/deployment.md, run as written against a real PostgreSQL and Redis started for this file on
 * loopback: from "Many nodes" on, every ```sh command in order (the `export`s, `migrate`, the
 * three nodes started in the background, the two curls, `rotate-key`), each ```text block after
 * one checked against what it printed, and the ```ts deployment module. What the test changes:
 * `DATABASE_URL` and `REDIS_URL` point at its own servers, each `PORT=` is a free port, and the
 * second curl's `REFRESH_TOKEN_FROM_ABOVE` is the refresh token the first one answered.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgresServer, type RunningPostgres } from '../../../packages/oauth/test/setup/postgres-server.js'
import { startRedisServer, type RunningRedis } from '../../../packages/oauth/test/setup/redis-server.js'
import { typeErrorsOfSources } from '../../docs-site/test/typecheck.js'
import { blocks, type Block } from './doc-blocks.js'
import { demoRoot, freePort } from './demo-process.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const guide = readFileSync(join(root, 'docs/deployment.md'), 'utf8')
const manyNodes = blocks(guide.slice(guide.indexOf('\n## Many nodes')))

/** The commands of a ```sh block, one a line. */
const commands = (block: Block) => block.body.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))

/** A ```text block as a pattern of whole lines somewhere in the output; `…` stands for any text within a line. */
function pattern(text: string): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(
    `(?:^|\\n)${text
      .split('\n')
      .map((line) => line.split('…').map(escape).join('[^\\n]*?'))
      .join('\\n')}(?:\\n|$)`,
  )
}

let postgres: RunningPostgres
let redis: RunningRedis
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
const background: { child: ChildProcess; out: () => string }[] = []
const dataDirs: string[] = []

beforeAll(async () => {
  ;[postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer()])
}, 60_000)
afterAll(async () => {
  for (const { child } of background) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue
    const exited = once(child, 'exit')
    process.kill(-child.pid, 'SIGTERM')
    await exited
  }
  await Promise.all([postgres?.stop(), redis?.stop()])
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
})

function run(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { cwd: root, env, timeout: 120_000 }, (error, stdout, stderr) =>
      error === null ? resolve(stdout) : reject(new Error(`${command}: ${error.message}\n${stdout}${stderr}`)),
    )
  })
}

/** A `… &` line: started in a process group of its own; resolves once the demo says it listens. */
async function start(command: string): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn('sh', ['-c', command], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const started = { child, out: () => out }
  background.push(started)
  for (let waited = 0; !out.includes('Press Ctrl+C to stop.'); waited += 100) {
    if (child.exitCode !== null) throw new Error(`${command} exited early:\n${out}`)
    if (waited > 90_000) throw new Error(`${command} did not start within 90 s:\n${out}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return started
}

describe('docs/deployment.md: many nodes on PostgreSQL and Redis', () => {
  it('shows the commands and outputs this test runs', () => {
    const sh = manyNodes.filter((block) => block.info === 'sh').flatMap(commands)
    expect(sh.filter((line) => line.startsWith('export ')).map((line) => line.split('=')[0])).toEqual([
      'export DATABASE_URL',
      'export REDIS_URL',
      'export TOKENRULES_ENCRYPTION_KEY',
      'export ISSUER',
    ])
    expect(sh.filter((line) => line.endsWith(' &'))).toHaveLength(3)
    expect(sh.filter((line) => line.startsWith('curl '))).toHaveLength(2)
    expect(manyNodes.filter((block) => block.info === 'ts deployment')).toHaveLength(1)
  })

  it('its commands run as written and print what it shows', async () => {
    let last = ''
    let refreshToken = ''
    /** The guide's ports and the free ones the test used instead. */
    const ports = new Map<string, number>()
    const curls: Record<string, unknown>[] = []
    for (const [index, block] of manyNodes.entries()) {
      const after = manyNodes[index + 1]
      if (block.info !== 'sh') continue
      const started: { out: () => string }[] = []
      for (let line of commands(block)) {
        if (line.startsWith('export DATABASE_URL=')) line = `export DATABASE_URL=${postgres.url}`
        if (line.startsWith('export REDIS_URL=')) line = `export REDIS_URL=${redis.url}`
        const exported = /^export (\w+)=(.*)$/.exec(line)
        if (exported !== null) {
          env[exported[1] as string] = await run(`printf %s ${exported[2]}`)
          continue
        }
        if (line.endsWith(' &')) {
          const port = await freePort()
          ports.set(/PORT=(\d+)/.exec(line)?.[1] as string, port)
          const dir = /DATA_DIR=(\S+)/.exec(line)?.[1] as string
          const absolute = join(demoRoot, dir)
          expect(existsSync(absolute), `${absolute} is the guide's; the test will not overwrite one that exists`).toBe(false)
          dataDirs.push(absolute)
          started.push(await start(line.slice(0, -2).replace(/PORT=\d+/, `PORT=${port}`)))
          continue
        }
        if (line.startsWith('curl ')) {
          const port = ports.get(/localhost:(\d+)/.exec(line)?.[1] as string)
          expect(port, `${line}: a port none of the nodes above listens on`).toBeDefined()
          line = line.replace(/localhost:\d+/, `localhost:${port}`).replace('REFRESH_TOKEN_FROM_ABOVE', refreshToken)
          const answer = JSON.parse(await run(line)) as Record<string, unknown>
          expect(answer, line).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'Bearer' })
          refreshToken = answer['refresh_token'] as string
          curls.push(answer)
          continue
        }
        last = await run(line)
      }
      if (after?.info !== 'text') continue
      if (started.length > 0) for (const node of started) expect(node.out()).toMatch(pattern(after.body))
      else expect(last).toMatch(pattern(after.body))
    }
    expect(curls).toHaveLength(2)
    // The refresh through the second node rotated the first node's token.
    expect(curls[1]?.['refresh_token']).not.toBe(curls[0]?.['refresh_token'])
    const iss = (token: unknown) => (JSON.parse(Buffer.from(String(token).split('.')[1] ?? '', 'base64url').toString()) as { iss: string }).iss
    expect(curls.map((answer) => iss(answer['access_token']))).toEqual([env['ISSUER'], env['ISSUER']])
  }, 400_000)

  it('its ```ts deployment module typechecks as a module of an application', () => {
    const block = manyNodes.find((b) => b.info === 'ts deployment') as Block
    expect(
      typeErrorsOfSources(fileURLToPath(new URL(`./.docs-typecheck-deployment-${process.pid}`, import.meta.url)), [{ name: 'deployment', source: block.body }]),
    ).toEqual([])
  }, 60_000)

  it('its ```ts deployment module runs against the database', async () => {
    const block = manyNodes.find((b) => b.info === 'ts deployment') as Block
    const module = fileURLToPath(new URL(`./.docs-deployment-${process.pid}.ts`, import.meta.url))
    writeFileSync(module, block.body)
    const saved = process.env['DATABASE_URL']
    process.env['DATABASE_URL'] = postgres.url
    try {
      await import(pathToFileURL(module).href)
    } finally {
      if (saved === undefined) delete process.env['DATABASE_URL']
      else process.env['DATABASE_URL'] = saved
      rmSync(module, { force: true })
    }
  }, 120_000)
})
