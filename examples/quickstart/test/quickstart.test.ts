import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

describe('examples/quickstart', () => {
  it('runs the rule set for each sample login and prints the outcomes', async () => {
    const { stdout } = await promisify(execFile)('pnpm', ['start'], { cwd: root, timeout: 60_000 })
    expect(stdout).toContain('✔ ada (admin): token issued')
    expect(stdout).toContain('"https://tokenrules.example/roles":["admin"]')
    expect(stdout).toMatch(/ada \(admin\)[\s\S]*scopes: +read:reports write:reports/)
    expect(stdout).toMatch(/bob \(reader\)[\s\S]*scopes: +read:reports\n/)
    expect(stdout).toContain("warning CLAIM_DROPPED: 'favourite_colour' is not namespaced")
    expect(stdout).toContain(
      '✘ eve (unverified): ERR_RULE_UNAUTHORIZED → HTTP 401 {"error":"unauthorized","error_description":"Please verify your email before logging in."}',
    )
  })
})
