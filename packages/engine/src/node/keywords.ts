/**
 * Keyword replacement values, as the Deploy CLI's `AUTH0_KEYWORD_REPLACE_MAPPINGS`: `##KEY##` in a
 * file is replaced by the value as text, `@@KEY@@` (with or without the quotes around it) by the
 * value as JSON (so arrays and objects can be put in place).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { replaceKeywords, type KeywordMappings } from '@tokenrules/engine/node'
 *
 * // What the Deploy CLI reads from AUTH0_KEYWORD_REPLACE_MAPPINGS.
 * const mappings: KeywordMappings = JSON.parse('{ "DOMAIN": "acme.example.com", "ADMINS": ["ada"] }')
 * assert.equal(replaceKeywords('["##DOMAIN##", @@ADMINS@@]', mappings), '["acme.example.com", ["ada"]]')
 * ```
 */
export type KeywordMappings = Readonly<Record<string, unknown>>

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * `text` with the Deploy CLI's keywords replaced: `##KEY##` by `String(value)`, `"@@KEY@@"` and
 * `@@KEY@@` by `JSON.stringify(value)`. Keys not in `mappings` stay as they are.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { replaceKeywords } from '@tokenrules/engine/node'
 *
 * const mappings = { DOMAIN: 'acme.example.com', ROLES: ['admin', 'support'] }
 * assert.equal(replaceKeywords("const host = '##DOMAIN##';", mappings), "const host = 'acme.example.com';")
 * assert.equal(replaceKeywords('{ "roles": "@@ROLES@@" }', mappings), '{ "roles": ["admin","support"] }')
 * assert.equal(replaceKeywords('##OTHER##', mappings), '##OTHER##')
 * ```
 */
export function replaceKeywords(text: string, mappings: KeywordMappings | undefined): string {
  if (mappings === undefined) return text
  let out = text
  for (const [key, value] of Object.entries(mappings)) {
    out = out.replace(new RegExp(`##${escape(key)}##`, 'g'), () => String(value))
  }
  for (const [key, value] of Object.entries(mappings)) {
    const json = JSON.stringify(value) ?? 'null'
    out = out.replace(new RegExp(`"@@${escape(key)}@@"|@@${escape(key)}@@`, 'g'), () => json)
  }
  return out
}
