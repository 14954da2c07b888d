/**
 * A rule source that cannot be read: a missing file or folder, a file that is not valid JSON or
 * YAML, an entry of the wrong shape, two rules of one name. `file` names the file at fault, and the
 * message names it too. A `TypeError`, as the testing kit's readers have always thrown.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { mkdtemp, rm, writeFile } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { readTenantRules, RuleSourceError } from '@tokenrules/engine/node'
 *
 * const dir = await mkdtemp(join(tmpdir(), 'dump-'))
 * try {
 *   const file = join(dir, 'rules.json')
 *   await writeFile(file, JSON.stringify([{ id: 'rul_1', name: 'add-roles', order: 1 }]))
 *   const error = await readTenantRules(file).catch((caught: unknown) => caught)
 *   assert.ok(error instanceof RuleSourceError)
 *   assert.equal(error.code, 'ERR_RULE_SOURCE')
 *   assert.equal(error.file, file)
 *   assert.match(error.message, /rules\[0\]\.script/)
 * } finally {
 *   await rm(dir, { recursive: true, force: true })
 * }
 * ```
 */
export class RuleSourceError extends TypeError {
  /** Always `ERR_RULE_SOURCE`. */
  readonly code = 'ERR_RULE_SOURCE'
  /** The file or folder at fault. */
  readonly file: string | undefined

  /** Made by the readers of `@tokenrules/engine/node`. */
  constructor(message: string, file?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'RuleSourceError'
    this.file = file
  }
}

/** The errno code of a failed file operation, else its message. */
export function reason(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error))
}
