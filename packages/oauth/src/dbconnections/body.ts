import type { JsonValue } from '@tokenrules/engine'
import { invalidRequest } from '../errors.js'
import { parseForm, truncate } from '../http/parse-form.js'
import { parseJsonObject } from '../http/parse-json.js'
import { readBody } from '../http/read-body.js'
import { badRequest } from './errors.js'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** Auth0's limits on `user_metadata` at sign-up: at most 10 properties, names of 100 characters, string values of 500. */
const METADATA_LIMITS = { properties: 10, name: 100, value: 500 }

/** A `/dbconnections/*` body: string fields, and `user_metadata` (an object in JSON, JSON text in a form). */
export interface DbConnectionBody {
  string(name: string): string | undefined
  userMetadata(): Record<string, JsonValue> | undefined
}

/** Read a JSON or form body (UTF-8, at most `maxBytes`); every other field must be a string. */
export async function readDbConnectionBody(request: Request, maxBytes: number): Promise<DbConnectionBody> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded') {
    throw invalidRequest('Content-Type must be application/x-www-form-urlencoded or application/json.')
  }
  let text: string
  try {
    text = utf8.decode(await readBody(request, maxBytes))
  } catch (error) {
    if (error instanceof TypeError) throw invalidRequest('The request body is not valid UTF-8.')
    throw error
  }
  const values: Record<string, unknown> = type === 'application/json' ? parseJsonObject(text) : Object.fromEntries(parseForm(text))
  return {
    string(name) {
      const value = values[name]
      if (value === undefined || value === null || value === '') return undefined
      if (typeof value !== 'string') throw badRequest('invalid_parameter', `Parameter '${truncate(name)}' must be a string.`)
      return value
    },
    userMetadata() {
      let value = values['user_metadata']
      if (value === undefined || value === null || value === '') return undefined
      if (typeof value === 'string') {
        try {
          value = JSON.parse(value) as unknown
        } catch {
          throw badRequest('invalid_parameter', 'user_metadata must be an object.')
        }
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('invalid_parameter', 'user_metadata must be an object.')
      const entries = Object.entries(value)
      if (entries.length > METADATA_LIMITS.properties)
        throw badRequest('invalid_parameter', `user_metadata may have at most ${METADATA_LIMITS.properties} properties.`)
      for (const [key, item] of entries) {
        if (key.length > METADATA_LIMITS.name || key === '__proto__')
          throw badRequest('invalid_parameter', `user_metadata property names are at most ${METADATA_LIMITS.name} characters.`)
        if (typeof item !== 'string' || item.length > METADATA_LIMITS.value) {
          throw badRequest('invalid_parameter', `user_metadata values must be strings of at most ${METADATA_LIMITS.value} characters.`)
        }
      }
      return Object.fromEntries(entries) as Record<string, JsonValue>
    },
  }
}
