/** A mistake in how the CLI was called, or in its input files: exit code 2 with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** A comma- or space-separated list option, possibly repeated. */
export function listOption(values: readonly string[] | string | undefined): string[] {
  if (values === undefined) return []
  const all = typeof values === 'string' ? [values] : values
  return all.flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '')
}

export const EXIT = { allowed: 0, denied: 1, failed: 2 } as const
