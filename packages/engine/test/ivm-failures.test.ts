import { describe, expect, it } from 'vitest'
import ivm from 'isolated-vm'
import { classifyIsolateFailure, compileErrorLine } from '../src/lib/ivm-failures.js'

// One test per isolated-vm message the engine depends on, produced by isolated-vm itself, so an
// upgrade that rewords one fails here instead of turning a timeout into an internal error.
describe('classifyIsolateFailure', () => {
  it('timeout-sync-loop: "Script execution timed out."', async () => {
    const isolate = new ivm.Isolate({ memoryLimit: 16 })
    const context = await isolate.createContext()
    const error = await context.eval('while (true) {}', { timeout: 20 }).catch((e: unknown) => e)
    expect((error as Error).message).toBe('Script execution timed out.')
    expect(classifyIsolateFailure(error, isolate.isDisposed)).toBe('timeout')
    isolate.dispose()
  })

  it('memory-limit-dispose: "Isolate was disposed during execution due to memory limit"', async () => {
    const isolate = new ivm.Isolate({ memoryLimit: 16 })
    const context = await isolate.createContext()
    const error = await context.eval('const a = []; while (true) a.push(new Array(100000).fill(1));').catch((e: unknown) => e)
    expect((error as Error).message).toBe('Isolate was disposed during execution due to memory limit')
    expect(classifyIsolateFailure(error, isolate.isDisposed)).toBe('memory-limit')
  })

  it('disposed: "Isolate is disposed"', async () => {
    const isolate = new ivm.Isolate({ memoryLimit: 16 })
    const context = await isolate.createContext()
    isolate.dispose()
    const error = await context.eval('1').catch((e: unknown) => e)
    expect((error as Error).message).toBe('Isolate is disposed')
    expect(classifyIsolateFailure(error, true)).toBe('disposed')
  })

  it('anything else is "other", or "disposed" when the isolate is gone', () => {
    expect(classifyIsolateFailure(new RangeError('Maximum call stack size exceeded'), false)).toBe('other')
    expect(classifyIsolateFailure(new Error('something new'), true)).toBe('disposed')
    expect(classifyIsolateFailure('not an error', false)).toBe('other')
  })

  it('compile-error-line: reads the line from "[file:line:column]"', async () => {
    const isolate = new ivm.Isolate({ memoryLimit: 16 })
    const error = await isolate.compileScript('(function () {\n\n  let = ;\n})', { filename: 'rule:my rule' }).catch((e: unknown) => e)
    expect(compileErrorLine(error, 'rule:my rule')).toBe(3)
    expect(compileErrorLine(new Error('no location'), 'rule:x')).toBeUndefined()
    isolate.dispose()
  })
})
