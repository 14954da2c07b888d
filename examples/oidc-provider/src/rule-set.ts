import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { RuleDefinition } from '@tokenrules/engine'

/** The rules in `dir`, one per `.js` file, ordered by file name: `01-name.js` → order 1. */
export function loadRuleSet(dir: string): RuleDefinition[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.js'))
    .sort()
    .map((file, index) => ({
      name: basename(file, '.js').replace(/^\d+-/, ''),
      script: readFileSync(join(dir, file), 'utf8'),
      order: index + 1,
    }))
}
