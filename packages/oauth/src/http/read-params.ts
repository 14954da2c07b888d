import { invalidRequest } from '../errors.js'
import { parseForm, truncate } from './parse-form.js'
import { parseJsonObject } from './parse-json.js'
import { readBody } from './read-body.js'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** A request's parameters: each a string, except the few that may be lists (JSON arrays of strings). */
export class Params {
  readonly #values: Map<string, string | string[]>
  constructor(values: Map<string, string | string[]>) {
    this.#values = values
  }

  /** A string parameter; `undefined` when absent or empty (RFC 6749 §3.1: empty means omitted). */
  get(name: string): string | undefined {
    const value = this.#values.get(name)
    if (value === undefined || value === '') return undefined
    if (typeof value !== 'string') throw invalidRequest(`Parameter '${name}' must be a string.`)
    return value
  }

  /** A list parameter: a JSON array of strings, or one space-separated string. */
  list(name: string): string[] | undefined {
    const value = this.#values.get(name)
    if (value === undefined || value === '') return undefined
    return typeof value === 'string' ? value.split(' ').filter((v) => v !== '') : value
  }

  /** Every parameter as it arrived, except `omit` (secrets never leave the server). */
  toRecord(omit: ReadonlySet<string>): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {}
    for (const [name, value] of this.#values) if (!omit.has(name)) out[name] = value
    return out
  }
}

const LIST_PARAMETERS = new Set(['authenticator_types', 'challenge_type'])

/**
 * Read the parameters of a POST body: `application/x-www-form-urlencoded` or `application/json`
 * (UTF-8 only), at most `maxBytes`. Every problem is a 400 `invalid_request`.
 */
export async function readParams(request: Request, maxBytes: number): Promise<Params> {
  const kind = contentKind(request.headers.get('content-type'))
  const bytes = await readBody(request, maxBytes)
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw invalidRequest('The request body is not valid UTF-8.')
  }
  if (kind === 'form') return new Params(parseForm(text))
  if (text.trim() === '') throw invalidRequest('The request body must be a JSON object.')
  const object = parseJsonObject(text)
  const values = new Map<string, string | string[]>()
  for (const [name, value] of Object.entries(object)) {
    if (typeof value === 'string') values.set(name, value)
    else if (LIST_PARAMETERS.has(name) && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      values.set(name, value as string[])
    } else {
      throw invalidRequest(`Parameter '${truncate(name)}' must be a string.`)
    }
  }
  return new Params(values)
}

function contentKind(header: string | null): 'form' | 'json' {
  if (header === null) throw unsupportedType()
  const [type = '', ...parameters] = header.split(';').map((part) => part.trim())
  const kind = type.toLowerCase() === 'application/x-www-form-urlencoded' ? 'form' : type.toLowerCase() === 'application/json' ? 'json' : undefined
  if (kind === undefined) throw unsupportedType()
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim())
    if (name.toLowerCase() === 'charset' && value.replaceAll('"', '').toLowerCase() !== 'utf-8') {
      throw invalidRequest('Only the UTF-8 charset is supported.')
    }
  }
  return kind
}

function unsupportedType() {
  return invalidRequest('Content-Type must be application/x-www-form-urlencoded or application/json.')
}
