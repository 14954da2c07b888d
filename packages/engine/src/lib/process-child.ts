/**
 * The child process of `isolation: 'process'`: hosts one rule set's isolates (a SandboxPool) and
 * nothing else. Every host function lives in the supervisor (lib/process-pool.ts): a host call
 * travels there over the IPC channel while the guest's thread waits, so this process's main thread
 * stays free. A thread that parks in native code, or a fatal V8 error, is reported; the supervisor
 * then moves new runs to a fresh child and ends this one, threads and all.
 */

import { RuleCompileError } from '../errors.js'
import type { RuleDefinition } from '../options.js'
import { HostRegistry } from './host-bridge.js'
import { SandboxPool } from './pool.js'
import type { SandboxOutcome, SandboxShared } from './sandbox.js'
import type { ChildMessage, SupervisorMessage } from './process-protocol.js'

const send = (message: ChildMessage): void => {
  if (process.connected) process.send?.(message)
}

let pool: SandboxPool | undefined
let nextCall = 1
const calls = new Map<number, (text: string) => void>()

/** A failure's cause as what survives the channel: its name and message. */
function portable(outcome: SandboxOutcome): SandboxOutcome {
  if (outcome.kind === 'done') return { kind: 'done', payload: outcome.payload, metadataUpdates: outcome.metadataUpdates }
  const cause = outcome.cause
  return { ...outcome, cause: cause instanceof Error ? { name: cause.name, message: cause.message } : undefined }
}

async function init(message: Extract<SupervisorMessage, { t: 'init' }>): Promise<void> {
  const shared: SandboxShared = { ...message.shared, registry: new HostRegistry(message.runBudgetBytes) }
  try {
    pool = await SandboxPool.create(shared, message.rules as RuleDefinition[], {
      size: message.size,
      memoryLimitMb: message.memoryLimitMb,
      timeoutMs: message.timeoutMs,
      backgroundMs: message.backgroundMs,
      maxParkedThreads: message.maxParkedThreads,
      onCatastrophe: (text, parked) => send({ t: 'catastrophe', message: text, parked: parked === true, counters: { ...(pool?.counters ?? {}) } }),
      remote: (key, id, argsText, style) =>
        new Promise<string>((resolve) => {
          const call = nextCall++
          calls.set(call, resolve)
          send({ t: 'call', call, key, id, argsText, style })
        }),
    })
    send({ t: 'ready', isolates: pool.size, counters: { ...pool.counters } })
  } catch (error) {
    const e = error as Error
    send({
      t: 'init-failed',
      error: {
        name: e?.name ?? 'Error',
        message: e?.message ?? String(error),
        ...(error instanceof RuleCompileError ? { rule: error.rule, line: error.line } : {}),
      },
    })
  }
}

process.on('message', (message: SupervisorMessage) => {
  switch (message.t) {
    case 'init':
      void init(message)
      return
    case 'run':
      if (pool === undefined) return
      void pool.execute(message.inputJson, message.includeContext, undefined, message.key).then(
        (outcome) => {
          const background = outcome.kind === 'done' ? outcome.background : undefined
          send({
            t: 'outcome',
            key: message.key,
            outcome: portable(outcome),
            background: background !== undefined,
            isolates: pool?.size ?? 0,
            counters: { ...(pool?.counters ?? {}) },
          })
          void background?.then((end) => send({ t: 'background', key: message.key, text: end.text, end: end.end }))
        },
        (error: unknown) => send({ t: 'run-failed', key: message.key, message: error instanceof Error ? error.message : String(error) }),
      )
      return
    case 'answer': {
      const resolve = calls.get(message.call)
      calls.delete(message.call)
      resolve?.(message.text)
      return
    }
    case 'enter':
      pool?.deliver(message.key, message.kind, message.a, message.b)
      return
    case 'close':
      void pool?.close().finally(() => process.kill(process.pid, 'SIGKILL'))
      return
  }
})

// The supervisor is gone (it ended, or crashed): so are the runs. A parked thread would make a
// normal exit hang or crash, so leave without exit handlers.
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'))
