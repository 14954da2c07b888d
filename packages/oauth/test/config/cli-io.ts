import type { CliIo } from '@tokenrules/oauth/cli'

/** A command's input and output in memory: what it printed, and the stdin and environment it gets. */
export function memoryIo(
  options: { stdin?: string | undefined; env?: Record<string, string> | undefined } = {},
): CliIo & { out: string; err: string; stop(): void } {
  let stop: () => void = () => undefined
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  const io = {
    out: '',
    err: '',
    stdout(text: string) {
      io.out += text
    },
    stderr(text: string) {
      io.err += text
    },
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    env: options.env ?? {},
    untilStopped: () => stopped,
    stop: () => stop(),
  }
  return io
}
