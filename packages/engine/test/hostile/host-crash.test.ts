/**
 * Class 12 (docs/security.md#sandbox-attack-classes), the worst case of a heap bomb: an allocation V8 cannot satisfy at
 * once is a *fatal* out-of-memory error, and isolated-vm's default handler then calls `abort()` on
 * the whole process (its README: "it is possible, and even common, to crash a process with … hostile
 * software"). Each attack runs in a child Node.js process, so a crash fails the test instead of
 * the test runner: the child must exit normally, report ERR_RULE_MEMORY_LIMIT for the attack, and
 * serve a normal login on the same engine afterwards.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BENIGN_ACCESS_CLAIMS, CANARY, guardHost, hostileRule } from './support.js'

guardHost()

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
const child = fileURLToPath(new URL('./fixtures/attack-child.ts', import.meta.url))

interface ChildOutcome {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function runInChild(attack: string, memoryLimitMb = 64, timeoutMs = 5_000): Promise<ChildOutcome> {
  const script = hostileRule(attack).script
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--no-node-snapshot', '--conditions=@tokenrules/source', '--import', 'tsx', child, script, String(memoryLimitMb), String(timeoutMs)],
      { cwd: repoRoot, timeout: 80_000, maxBuffer: 1 << 20, env: { ...process.env, TOKENRULES_CANARY: CANARY } },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null
        resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, signal: e?.signal ?? null, stdout, stderr })
      },
    )
  })
}

function expectSurvived(outcome: ChildOutcome, codes: readonly string[] = ['ERR_RULE_MEMORY_LIMIT']): void {
  const diagnosis = `exit code ${outcome.code}, signal ${outcome.signal}; stderr: ${outcome.stderr.trim().slice(0, 300)}`
  // The child ends itself with SIGKILL once it printed its result; anything else is a crash.
  expect(outcome.signal === 'SIGKILL' || (outcome.signal === null && outcome.code === 0), `HOST CRASH: ${diagnosis}`).toBe(true)
  const last = outcome.stdout.trim().split('\n').pop() ?? ''
  expect(last, `HOST CRASH: the process died before answering (${diagnosis})`).toMatch(/^\{/)
  expect(outcome.stdout).not.toContain(CANARY)
  const result = JSON.parse(last) as { attack: string; benign: unknown }
  expect(codes).toContain(result.attack)
  expect(result.benign).toEqual(BENIGN_ACCESS_CLAIMS)
}

describe('heap bombs that V8 cannot survive must not take the host process down', () => {
  it('host-crash control: an ordinary heap bomb in a child process is ERR_RULE_MEMORY_LIMIT and the process serves the next login', async () => {
    expectSurvived(await runInChild(`var a = []; while (true) a.push([a.length, {}]);`))
  })

  // On Node 22 and 24 making a 40 MB string a key goes past a 64 MB limit and the run is stopped;
  // on Node 26 (pnpm test:runtimes) the same rule completes within the limit. Either way the
  // process survives and serves the next login, which is what these attacks test.
  const keyBomb = ['ERR_RULE_MEMORY_LIMIT', 'resolved']

  it('host-crash: a 40 MB string used as a property key does not abort the host process', async () => {
    expectSurvived(await runInChild(`var k = 'n'.repeat(40 * 1024 * 1024); var o = {}; o[k] = 1; callback(null, user, context);`), keyBomb)
  })

  it('host-crash: Symbol.for of a 40 MB string does not abort the host process', async () => {
    expectSurvived(await runInChild(`Symbol.for('n'.repeat(40 * 1024 * 1024)); callback(null, user, context);`), keyBomb)
  })

  // Under CPU contention V8's last-resort collections can outlast the budget: what is guaranteed is
  // that the process survives with a typed answer and serves the next login (docs/security.md).
  it('host-crash: an array of 50,000,000 elements made at once does not abort the host process', { timeout: 90_000 }, async () => {
    expectSurvived(await runInChild(`var a = [...new Array(5e7)]; callback(null, user, context);`), ['ERR_RULE_MEMORY_LIMIT', 'ERR_RULE_TIMEOUT'])
  })

  it('host-crash: fill on an array of 50,000,000 elements is refused by the native-loop guard before V8 allocates', { timeout: 90_000 }, async () => {
    expectSurvived(await runInChild(`var a = []; a.length = 5e7; a.fill(0); callback(null, user, context);`), ['ERR_RULE_EXCEPTION'])
  })
})
