// Writes packages/oauth/tokenrules.schema.json, the JSON Schema of tokenrules.yaml, from the zod
// schema the server checks the file with (src/config/schema.ts). test/config/json-schema.test.ts
// fails when the committed file is not what this writes.
//   node --conditions=@tokenrules/source --import tsx packages/oauth/scripts/write-config-schema.ts
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { serverConfigJsonSchemaText } from '../src/config/schema.js'

const file = fileURLToPath(new URL('../tokenrules.schema.json', import.meta.url))
writeFileSync(file, serverConfigJsonSchemaText())
process.stdout.write(`wrote ${file}\n`)
