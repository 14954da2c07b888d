import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { assertNodeSnapshotDisabled } from '../src/lib/runtime-check.js'

describe('--no-node-snapshot is required on Node >= 20', () => {
  it('accepts the flag on the command line or in NODE_OPTIONS, and Node < 20 without it', () => {
    expect(() => assertNodeSnapshotDisabled(['--no-node-snapshot'], undefined, 20)).not.toThrow()
    expect(() => assertNodeSnapshotDisabled([], '--max-old-space-size=512 --no-node-snapshot', 22)).not.toThrow()
    expect(() => assertNodeSnapshotDisabled([], undefined, 18)).not.toThrow()
  })

  it('refuses to start without it, with ERR_CONFIG_INVALID saying what to do', () => {
    let error: any
    try {
      assertNodeSnapshotDisabled([], '', 20)
    } catch (e) {
      error = e
    }
    expect(error.code).toBe('ERR_CONFIG_INVALID')
    expect(error.message).toBe('Node.js 20 must run isolated-vm with --no-node-snapshot: start node with it, or set NODE_OPTIONS=--no-node-snapshot.')
  })

  it('createEngine fails in a process started without the flag', async () => {
    const cwd = fileURLToPath(new URL('..', import.meta.url))
    const script = `import('@tokenrules/engine').then(m => m.createEngine({ rules: [] })).then(() => console.log('started'), e => console.log(e.code))`
    const env = { ...process.env, NODE_OPTIONS: '' }
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=@tokenrules/source', '--import', 'tsx', '-e', script], { cwd, env })
    expect(stdout.trim()).toBe('ERR_CONFIG_INVALID')
  })
})
