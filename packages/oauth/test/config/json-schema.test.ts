import { readFileSync } from 'node:fs'
import { serverConfigJsonSchema } from '@tokenrules/oauth/cli'
import { describe, expect, it } from 'vitest'

describe('tokenrules.schema.json', () => {
  it('is what the zod schema of the config file generates (node --conditions=@tokenrules/source --import tsx packages/oauth/scripts/write-config-schema.ts)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../tokenrules.schema.json', import.meta.url), 'utf8')) as unknown
    expect(committed).toEqual(serverConfigJsonSchema())
  })

  it('describes the settings editors complete', () => {
    const schema = serverConfigJsonSchema() as { properties: Record<string, { description?: string }>; required: string[]; additionalProperties: boolean }
    expect(schema.required).toEqual(['issuer', 'clients', 'apis'])
    expect(schema.additionalProperties).toBe(false)
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['clients', 'apis', 'directories', 'stores', 'rules', 'configuration', 'engine']))
    expect(schema.properties['stores']?.description).toContain('memory')
  })
})
