/**
 * The one place where isolated-vm's failures, which it reports only as message text, become
 * engine codes. Each pattern has a test (test/ivm-failures.test.ts) so an isolated-vm upgrade that
 * rewords a message fails loudly instead of turning a timeout into an internal error.
 */

/** What went wrong in a call into an isolate. */
export type IsolateFailure = 'timeout' | 'memory-limit' | 'disposed' | 'other'

const PATTERNS: readonly [RegExp, IsolateFailure][] = [
  [/^Script execution timed out\.?$/, 'timeout'],
  [/disposed during execution due to memory limit/i, 'memory-limit'],
  [/Isolate (?:is|was) disposed/i, 'disposed'],
]

/** Classify an error thrown by an isolated-vm call (`apply`, `run`, `compileScript`, …). */
export function classifyIsolateFailure(error: unknown, isolateDisposed: boolean): IsolateFailure {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : ''
  for (const [pattern, failure] of PATTERNS) {
    if (pattern.test(message)) return failure
  }
  return isolateDisposed ? 'disposed' : 'other'
}

/** 1-based line of a compile error, from the `[file:line:column]` suffix isolated-vm appends. */
export function compileErrorLine(error: unknown, filename: string): number | undefined {
  const message = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)
  const escaped = filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const match = new RegExp(`${escaped}:(\\d+)(?::\\d+)?`).exec(message)
  return match?.[1] === undefined ? undefined : Number(match[1])
}
