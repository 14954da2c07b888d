/**
 * A token server's own engine runs its isolates in a supervised child process
 * (`isolation: 'process'`, issue 14): a rule that starts native code V8 cannot interrupt then costs
 * that child, never a thread of the server. Engine options that say `isolation: 'thread'` keep them
 * in the server's process.
 */
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ALICE, rule, startServer } from './helpers.js'

/** The isolates' child processes this test process has started (lib/process-child). */
function isolateChildren(): number {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
  return out.split('\n').filter((line) => line.includes('process-child')).length
}

const claims = rule('claims', `context.accessToken['https://example.com/plan'] = 'gold'; callback(null, user, context)`)

describe("createTokenServer's engine: isolation 'process' by default", () => {
  it('the server starts one isolates process, logs in through it, and ends it on close', async () => {
    const before = isolateChildren()
    const server = await startServer({ rules: [claims] })
    expect(isolateChildren()).toBe(before + 1)
    const answer = await server.login(ALICE, 'Employees')
    expect(answer.status).toBe(200)
    await server[Symbol.asyncDispose]()
    await expect.poll(isolateChildren, { timeout: 5_000 }).toBe(before)
  })

  it("engine options with isolation: 'thread' keep the isolates in the server's process", async () => {
    const before = isolateChildren()
    await using server = await startServer({ rules: [claims], engineOptions: { isolation: 'thread' } })
    expect(isolateChildren()).toBe(before)
    expect((await server.login(ALICE, 'Employees')).status).toBe(200)
  })
})
