import { transformSync } from 'esbuild'

/**
 * `require('name@version')` calls written literally in a rule's source (comments do not count).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { requiredModules } from '@tokenrules/engine'
 *
 * const script = `function (user, context, callback) {
 *   // const moment = require('moment'); (commented out: not counted)
 *   const _ = require('lodash@4.17.21');
 *   const { v4: uuid } = require("uuid");
 *   context.idToken['https://example.com/session'] = uuid();
 *   callback(null, user, _.omit(context, ['sso']));
 * }`
 * assert.deepEqual(requiredModules(script), [
 *   { name: 'lodash', version: '4.17.21' },
 *   { name: 'uuid', version: undefined },
 * ])
 * // The packages to allow with the engine option modules.packages:
 * assert.deepEqual([...new Set(requiredModules(script).map((m) => m.name))], ['lodash', 'uuid'])
 * ```
 */
export function requiredModules(script: string): { name: string; version: string | undefined }[] {
  let code = script
  try {
    code = transformSync(`(${script}\n)`, { loader: 'js', legalComments: 'none' }).code
  } catch {
    // Not parseable as written: compiling the rule reports that; scan the text as it is.
  }
  const found: { name: string; version: string | undefined }[] = []
  for (const match of code.matchAll(/\brequire\s*\(\s*(['"`])([^'"`\n]+)\1\s*\)/g)) {
    const spec = match[2] as string
    const at = spec.lastIndexOf('@')
    found.push(at > 0 ? { name: spec.slice(0, at), version: spec.slice(at + 1) } : { name: spec, version: undefined })
  }
  return found
}
