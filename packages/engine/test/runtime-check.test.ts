import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { assertNodeSnapshotDisabled, assertPatchedIsolatedVm, installedIsolatedVmVersion, ISOLATED_VM_ADVISORY } from '../src/lib/runtime-check.js'

const engineDir = fileURLToPath(new URL('..', import.meta.url))
const hook = fileURLToPath(new URL('../scripts/native-resolve-hook.mjs', import.meta.url))
const nodeMajor = Number(process.versions.node.split('.')[0])

/** NODE_OPTIONS of this process without --no-node-snapshot (vitest passes that one in execArgv). */
function nodeOptionsWithout(flag: string): string {
  return (process.env.NODE_OPTIONS ?? '')
    .split(/\s+/)
    .filter((option) => option !== '' && option !== flag)
    .join(' ')
}

/** Runs `createEngine({ rules: [] })` in a child Node and prints its outcome: "started" or code + message. */
async function createEngineInChild(env: NodeJS.ProcessEnv, execArgv: string[]): Promise<string> {
  const script = `import('@tokenrules/engine').then(m => m.createEngine({ rules: [] })).then(async (e) => { await e.close(); console.log('started') }, e => console.log(e.code + ' ' + e.message))`
  const { stdout } = await promisify(execFile)(process.execPath, [...execArgv, '--conditions=@tokenrules/source', '--import', 'tsx', '-e', script], {
    cwd: engineDir,
    env,
  })
  return stdout.trim()
}

describe('--no-node-snapshot is required on Node >= 20', () => {
  it('accepts the flag on the command line or in NODE_OPTIONS, and Node < 20 without it', () => {
    expect(() => assertNodeSnapshotDisabled(['--no-node-snapshot'], undefined, 24)).not.toThrow()
    expect(() => assertNodeSnapshotDisabled([], '--max-old-space-size=512 --no-node-snapshot', 22)).not.toThrow()
    expect(() => assertNodeSnapshotDisabled([], undefined, 18)).not.toThrow()
  })

  it('refuses to start without it, with ERR_CONFIG_INVALID saying what to do', () => {
    let error: any
    try {
      assertNodeSnapshotDisabled([], '', 24)
    } catch (e) {
      error = e
    }
    expect(error.code).toBe('ERR_CONFIG_INVALID')
    expect(error.message).toBe('Node.js 24 must run isolated-vm with --no-node-snapshot: start node with it, or set NODE_OPTIONS=--no-node-snapshot.')
  })

  it('createEngine fails in a process started without the flag', async () => {
    // Only the flag goes: a resolve hook in NODE_OPTIONS (pnpm test:runtimes) stays, so the child
    // loads the isolated-vm built for this Node.
    const env = { ...process.env, NODE_OPTIONS: nodeOptionsWithout('--no-node-snapshot') }
    expect(await createEngineInChild(env, [])).toMatch(/^ERR_CONFIG_INVALID Node\.js \d+ must run isolated-vm with --no-node-snapshot/)
  })
})

describe(`isolated-vm must be patched for ${ISOLATED_VM_ADVISORY}`, () => {
  it('reads the installed version: the one this process loads', () => {
    const version = installedIsolatedVmVersion()
    const loaded = (createRequire(import.meta.url)('isolated-vm/package.json') as { version: string }).version
    expect(version).toBe(loaded)
    expect(version).toMatch(/^\d+\.\d+\.\d+/)
    expect(() => assertPatchedIsolatedVm()).not.toThrow()
  })

  it('accepts the patched lines and anything newer', () => {
    for (const version of ['6.2.0', '6.2.1', '6.10.0', '7.0.1', '7.0.10', '7.1.0', '7.12.3', '8.0.0', '8.0.0-beta.1', 'v7.0.1', '7.0.1+build.5']) {
      expect(() => assertPatchedIsolatedVm(version, 24), version).not.toThrow()
    }
  })

  it('refuses every affected version with ERR_CONFIG_INVALID naming the advisory and the version to install', () => {
    for (const version of ['4.7.2', '5.0.4', '6.0.0', '6.1.2', '6.2.0-rc.1', '7.0.0', '7.0.1-beta.2']) {
      let error: any
      try {
        assertPatchedIsolatedVm(version, 24)
      } catch (e) {
        error = e
      }
      expect(error?.code, version).toBe('ERR_CONFIG_INVALID')
      expect(error.message).toBe(
        `isolated-vm ${version} is affected by ${ISOLATED_VM_ADVISORY} (guest code can corrupt host memory through ExternalCopy's transferList); the fixes are 6.2.0 (Node.js 22) or 7.0.1 (Node.js 24 and 26): install isolated-vm@^7.0.1.`,
      )
      expect(error.issues).toEqual([{ path: ['isolated-vm'], code: 'runtime', message: error.message }])
    }
  })

  it('names the line for the Node.js that runs: ^6.2.0 on Node 22, ^7.0.1 on Node 24 and later', () => {
    expect(() => assertPatchedIsolatedVm('6.1.2', 22)).toThrow(/: install isolated-vm@\^6\.2\.0\.$/)
    expect(() => assertPatchedIsolatedVm('7.0.0', 26)).toThrow(/: install isolated-vm@\^7\.0\.1\.$/)
  })

  it('refuses a version it cannot read, since it cannot rule the advisory out', () => {
    for (const version of ['unknown', '', '7', 'latest']) {
      expect(() => assertPatchedIsolatedVm(version, 24), version).toThrow(
        `isolated-vm's version could not be read ("${version}"), so the engine cannot rule out ${ISOLATED_VM_ADVISORY}: install isolated-vm@^7.0.1.`,
      )
    }
  })

  describe('createEngine, with a fake isolated-vm installed', () => {
    const dirs: string[] = []
    afterAll(() => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    })

    /**
     * A project whose node_modules/isolated-vm says `version` and loads the real build this process
     * uses; the child resolves 'isolated-vm' there through scripts/native-resolve-hook.mjs.
     */
    function fakeInstall(version: string): NodeJS.ProcessEnv {
      const dir = mkdtempSync(join(tmpdir(), 'tokenrules-fake-ivm-'))
      dirs.push(dir)
      // import.meta.resolve follows resolve hooks on every runtime (require.resolve does not on Node 22).
      const real = fileURLToPath(import.meta.resolve('isolated-vm'))
      const pkg = join(dir, 'node_modules', 'isolated-vm')
      mkdirSync(pkg, { recursive: true })
      writeFileSync(join(dir, 'package.json'), '{ "private": true }')
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'isolated-vm', version, main: 'isolated-vm.js' }))
      writeFileSync(join(pkg, 'isolated-vm.js'), `module.exports = require(${JSON.stringify(real)})\n`)
      return {
        ...process.env,
        NODE_OPTIONS: `--import ${hook}`,
        TOKENRULES_NATIVE_DIR: dir,
        TOKENRULES_NATIVE_PACKAGES: 'isolated-vm',
      }
    }

    it('refuses 7.0.0 and 6.1.2 before any isolate is made', async () => {
      const advice = nodeMajor >= 24 ? 'isolated-vm@^7.0.1' : 'isolated-vm@^6.2.0'
      for (const version of ['7.0.0', '6.1.2']) {
        expect(await createEngineInChild(fakeInstall(version), ['--no-node-snapshot'])).toBe(
          `ERR_CONFIG_INVALID isolated-vm ${version} is affected by ${ISOLATED_VM_ADVISORY} (guest code can corrupt host memory through ExternalCopy's transferList); the fixes are 6.2.0 (Node.js 22) or 7.0.1 (Node.js 24 and 26): install ${advice}.`,
        )
      }
    })

    it('starts with the same build when it says a patched version', async () => {
      expect(await createEngineInChild(fakeInstall(nodeMajor >= 24 ? '7.0.1' : '6.2.0'), ['--no-node-snapshot'])).toBe('started')
    })
  })
})
