import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { ActionDefinition, RuleDefinition } from '@tokenrules/engine'

/** The rules in `dir`, one per `.js` file, ordered by file name: `01-name.js` → order 1. */
export function loadRuleSet(dir: string): RuleDefinition[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.js'))
    .sort()
    .map((file, index) => ({ name: basename(file, '.js').replace(/^\d+-/, ''), script: readFileSync(join(dir, file), 'utf8'), order: index + 1 }))
}

/**
 * The post-login actions in `dir/actions`, one module per `.js` file, in file-name order (the
 * trigger's binding order): `01-name.js` → action `name`. None when the folder is absent.
 */
export function loadActions(dir: string): ActionDefinition[] {
  const folder = join(dir, 'actions')
  if (!existsSync(folder)) return []
  return readdirSync(folder)
    .filter((file) => file.endsWith('.js'))
    .sort()
    .map((file) => ({ name: basename(file, '.js').replace(/^\d+-/, ''), code: readFileSync(join(folder, file), 'utf8') }))
}
