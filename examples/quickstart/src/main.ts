import { fileURLToPath } from 'node:url'
import { createEngine, isTokenRulesError } from '@tokenrules/engine'
import { sampleLogins } from './logins.js'
import { loadRuleSet } from './rule-set.js'

const rulesDir = fileURLToPath(new URL('../rules', import.meta.url))

await using engine = await createEngine({ rules: loadRuleSet(rulesDir) })

for (const [who, input] of Object.entries(sampleLogins)) {
  try {
    const result = await engine.run(input)
    console.log(`✔ ${who}: token issued`)
    console.log(`    access token claims: ${JSON.stringify(result.accessToken.claims)}`)
    console.log(`    scopes:              ${result.accessToken.scope?.join(' ') ?? '(as requested)'}`)
    console.log(`    ID token claims:     ${JSON.stringify(result.idToken.claims)}`)
    for (const w of result.warnings) console.log(`    warning ${w.code}: ${w.message}`)
    for (const l of result.logs) console.log(`    log [${l.rule}] ${l.message}`)
    console.log(`    rules: ${result.rules.map((r) => `${r.name} ${r.durationMs} ms`).join(', ')}`)
  } catch (error) {
    if (!isTokenRulesError(error)) throw error
    const { status, body } = error.toOAuthError()
    console.log(`✘ ${who}: ${error.code} → HTTP ${status} ${JSON.stringify(body)}`)
  }
}
