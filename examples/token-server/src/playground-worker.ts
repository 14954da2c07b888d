/**
 * The playground's engine process: a child of the demo server ({@link PlaygroundEngine} forks it),
 * so that nothing a pasted rule does — a built-in looping in native code V8 cannot interrupt, a
 * host call that blocks, memory the isolate limit does not count — runs in the server's process.
 * The server kills it when a run outlives its deadline and forks a fresh one.
 *
 * Messages (IPC, JSON): the parent sends `{ type: 'run', id, input }`, one at a time; the child
 * answers `{ type: 'ready' }` once, then `{ type: 'result', id, answer }` per run (`failure` with a
 * message if the engine threw something other than a typed error), or
 * `{ type: 'retire', reason }` before it exits on its own (its memory bound, a V8 catastrophe).
 */
import { createEngine, isTokenRulesError, type Context, type Engine, type User } from '@tokenrules/engine'
import type { PlaygroundInput, PlaygroundLimits, WorkerMessage, ParentMessage } from './playground-engine.js'

const limits = JSON.parse(process.argv[2] ?? '{}') as PlaygroundLimits

function send(message: WorkerMessage, then?: () => void): void {
  if (process.connected) process.send?.(message, undefined, {}, () => then?.())
  else then?.()
}

/** Say why, then go: the parent answers the run in flight with the reason and forks a fresh child. */
function retire(reason: string): void {
  send({ type: 'retire', reason }, () => process.exit(1))
  // If the channel is stuck, the exit must not wait for it.
  setTimeout(() => process.exit(1), 200).unref()
}

// Memory the isolate's heap limit does not count (array buffers, WebAssembly memory, host-side
// copies) still shows in this process's resident set: past the bound, the child ends itself. (On
// Linux the parent watches it too, from outside: this thread can be the one that is stuck.)
setInterval(() => {
  const rss = process.memoryUsage.rss()
  if (rss > limits.processMemoryMb * 1024 * 1024)
    retire(`The engine process used more than the playground's ${limits.processMemoryMb} MB of memory (${Math.round(rss / 1048576)} MB).`)
}, 50).unref()

// The server went away (or killed the channel): nothing left to serve.
process.on('disconnect', () => process.exit(0))

process.on('message', (message: ParentMessage) => {
  if (message.type !== 'run') return
  void runOnce(message.input).then(
    (answer) => send({ type: 'result', id: message.id, answer }),
    (error: unknown) =>
      send({ type: 'failure', id: message.id, message: error instanceof Error ? error.message : 'The run failed in the playground process.' }),
  )
})

async function runOnce(input: PlaygroundInput): Promise<Record<string, unknown>> {
  const started = performance.now()
  let engine: Engine | undefined
  let catastrophe: string | undefined
  try {
    engine = await createEngine({
      rules: input.rules,
      configuration: input.configuration,
      limits: { timeoutMs: limits.timeoutMs, memoryLimitMb: limits.memoryLimitMb, maxLogEntries: limits.maxLogEntries, maxUserBytes: limits.maxUserBytes },
      concurrency: 1,
      hooks: { onCatastrophicError: (message) => (catastrophe = message) },
    })
    const result = await engine.run({ user: input.user as User, context: input.context as unknown as Context })
    return {
      ok: true,
      result: {
        accessToken: result.accessToken,
        idToken: result.idToken,
        multifactor: result.multifactor ?? null,
        redirect: result.redirect ?? null,
        user: result.user,
        warnings: result.warnings,
        logs: result.logs,
        rules: result.rules,
      },
      totalMs: Math.round(performance.now() - started),
    }
  } catch (error) {
    if (!isTokenRulesError(error)) throw error
    const issues = 'issues' in error && Array.isArray(error.issues) ? error.issues : undefined
    const guestStack = 'guestStack' in error && typeof error.guestStack === 'string' ? error.guestStack : undefined
    return {
      ok: false,
      error: {
        code: error.code,
        name: error.name,
        // The rules are the author's own: the playground shows the engine's full message.
        message: error.code === 'ERR_ENGINE_INTERNAL' ? 'The engine failed internally.' : error.message,
        rule: error.rule ?? null,
        line: errorLine(error.rule, 'line' in error && typeof error.line === 'number' ? error.line : undefined, guestStack),
        ...(guestStack === undefined ? {} : { guestStack }),
        logs: error.logs,
        warnings: error.warnings,
        ...(issues === undefined ? {} : { issues }),
        oauth: error.toOAuthError(),
      },
      totalMs: Math.round(performance.now() - started),
    }
  } finally {
    await engine?.close()
    // A catastrophe parks the isolate's thread for good: answer this run, then make way for a fresh process.
    if (catastrophe !== undefined) setImmediate(() => retire(`V8 lost control of the isolate: ${catastrophe}`))
  }
}

/**
 * The line of the rule the error points at: a compile error's own `line`, else the first frame of
 * the guest's stack in that rule (`rule:<name>:<line>`); `null` when neither says.
 */
function errorLine(rule: string | undefined, line: number | undefined, guestStack: string | undefined): number | null {
  if (line !== undefined) return line
  if (rule === undefined || guestStack === undefined) return null
  const prefix = `rule:${rule}:`
  for (const frame of guestStack.split('\n')) {
    const at = frame.indexOf(prefix)
    const number = at === -1 ? undefined : /^\d+/.exec(frame.slice(at + prefix.length))?.[0]
    if (number !== undefined) return Number(number)
  }
  return null
}

// One run before saying ready: the first engine of a process pays for loading and compiling the
// engine itself, which must not count against a user's run deadline.
void runOnce({
  rules: [{ name: 'warm-up', script: 'function (user, context, callback) { callback(null, user, context); }' }],
  user: { user_id: 'warm-up' },
  context: { clientID: 'warm-up', protocol: 'oauth2-password' },
  configuration: {},
}).then(
  () => send({ type: 'ready' }),
  (error: unknown) => retire(`The engine did not start: ${error instanceof Error ? error.message : String(error)}`),
)
