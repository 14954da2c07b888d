/** The messages between the supervisor of `isolation: 'process'` (lib/process-pool.ts) and its child (lib/process-child.ts). */

import type { PoolCounters } from '../stats.js'
import type { BackgroundEnd, SandboxOutcome, SandboxShared } from './sandbox.js'

/** Supervisor → child. */
export type SupervisorMessage =
  | {
      t: 'init'
      shared: Omit<SandboxShared, 'registry'>
      runBudgetBytes: number
      rules: readonly { name: string; script: string }[]
      size: number
      memoryLimitMb: number
      timeoutMs: number
      backgroundMs: number
      maxParkedThreads: number
    }
  | { t: 'run'; key: number; inputJson: string; includeContext: boolean }
  /** The answer to the child's host call `call`. */
  | { t: 'answer'; call: number; text: string }
  /** Work for run `key`: call guest function `a` with `b`, or settle operation `a` with `b`. */
  | { t: 'enter'; key: number; kind: 'callGuest' | 'settle'; a: number; b: string }
  | { t: 'close' }

/** Child → supervisor. */
export type ChildMessage =
  | { t: 'ready'; isolates: number; counters: Partial<PoolCounters> }
  | { t: 'init-failed'; error: { name: string; message: string; rule?: string | undefined; line?: number | undefined } }
  /** A host call of run `key`; answered by `answer` with the same `call`. */
  | { t: 'call'; call: number; key: number; id: string; argsText: string; style: 'invoke' | 'await' }
  /** `background`: the run goes on in the background; a `background` message ends it. */
  | { t: 'outcome'; key: number; outcome: SandboxOutcome; background: boolean; isolates: number; counters: Partial<PoolCounters> }
  | { t: 'background'; key: number; text: string | undefined; end: BackgroundEnd['end'] }
  | { t: 'run-failed'; key: number; message: string }
  | { t: 'catastrophe'; message: string; parked: boolean; counters: Partial<PoolCounters> }
