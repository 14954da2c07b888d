import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isActionSource, readActionDir, readActionFile, type ActionFile } from '../action-sources.js'
import { toPath, type RuleFile } from '../rule-sources.js'
import { readRulePaths } from './rule-paths.js'
import { UsageError } from './usage.js'

/**
 * The rules and post-login actions of a command line: the files and folders given (a `.js` file
 * that sets `exports.onExecutePostLogin` is an action, any other a rule; a folder's `actions/`
 * subfolder holds actions, as in the demo server's rules folder), then the `--actions` files and
 * folders, each in the order given.
 */
export async function readPipelinePaths(
  paths: readonly string[],
  actionPaths: readonly string[],
  command: 'run' | 'check',
): Promise<{ rules: RuleFile[]; actions: ActionFile[] }> {
  const rules: RuleFile[] = []
  const actions: ActionFile[] = []
  for (const given of paths) {
    for (const file of await readRulePaths([given], command)) {
      if (isActionSource(file.script)) actions.push({ name: file.name, code: file.script, file: file.file })
      else rules.push(file)
    }
    const sub = join(toPath(given), 'actions')
    if (await isDirectory(sub)) actions.push(...(await readActionDir(sub)))
  }
  for (const given of actionPaths) {
    const path = toPath(given)
    let dir: boolean
    try {
      dir = (await stat(path)).isDirectory()
    } catch {
      throw new UsageError(`${command}: no such file or folder: ${given} (--actions)`)
    }
    actions.push(...(dir ? await readActionDir(path) : [await readActionFile(path)]))
  }
  const seen = new Set<string>()
  const unique = actions.filter((action) => {
    if (action.file === undefined) return true
    if (seen.has(action.file)) return false
    seen.add(action.file)
    return true
  })
  const names = new Set<string>()
  for (const action of unique) {
    if (names.has(action.name))
      throw new UsageError(
        `${command}: two actions are named '${action.name}' (${unique
          .filter((a) => a.name === action.name)
          .map((a) => a.file)
          .join(', ')}): rename one file`,
      )
    names.add(action.name)
  }
  return { rules, actions: unique }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}
