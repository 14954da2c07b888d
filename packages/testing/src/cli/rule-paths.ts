import { stat } from 'node:fs/promises'
import { readRuleDir, readRuleSet, toPath, type RuleFile } from '../rule-sources.js'
import { UsageError } from './usage.js'

/** The rules of the files and folders given on a command line, in that order; folders in file-name order. */
export async function readRulePaths(paths: readonly string[], command: 'run' | 'check'): Promise<RuleFile[]> {
  const rules: RuleFile[] = []
  for (const given of paths) {
    const path = toPath(given)
    let isDir: boolean
    try {
      isDir = (await stat(path)).isDirectory()
    } catch {
      throw new UsageError(`${command}: no such file or folder: ${given}`)
    }
    rules.push(...(isDir ? await readRuleDir(path) : await readRuleSet({ files: [path] })))
  }
  return rules
}
