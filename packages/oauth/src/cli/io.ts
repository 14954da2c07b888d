/** Where a command's output goes and its input comes from (the process's, or a test's). */
export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  /** All of standard input, as text. */
  readStdin(): Promise<string>
  /** The environment `{ env: NAME }` references are read from. */
  env: Readonly<Record<string, string | undefined>>
  /** Resolves when the process is asked to stop (SIGINT, SIGTERM): `serve` closes then. */
  untilStopped(): Promise<void>
}

/** A mistake in how a command was called: exit code 2 with the message. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError'
}

/** Exit codes: 0 done, 1 the input had problems (bad records), 2 the command failed or was misused. */
export const EXIT = { ok: 0, problems: 1, failed: 2 } as const

/** The process's own input and output. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    async readStdin() {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array))
      return Buffer.concat(chunks).toString('utf8')
    },
    env: process.env,
    untilStopped: () =>
      new Promise((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve())
      }),
  }
}
