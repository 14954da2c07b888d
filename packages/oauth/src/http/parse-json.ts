import { invalidRequest } from '../errors.js'
import { repeated } from './parse-form.js'

const MAX_DEPTH = 16

/**
 * A JSON object, strictly: unlike `JSON.parse`, a repeated member name is refused instead of
 * letting the last one win (the same rule as for form parameters), and nesting is bounded.
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  const parser = new StrictJsonParser(text)
  parser.skipSpace()
  if (text[parser.at] !== '{') throw invalidRequest('The request body must be a JSON object.')
  const value = parser.value(0)
  parser.skipSpace()
  if (parser.at !== text.length) throw malformed()
  return value as Record<string, unknown>
}

function malformed() {
  return invalidRequest('The request body is not valid JSON.')
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y

class StrictJsonParser {
  at = 0
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.at < this.text.length && ' \t\n\r'.includes(this.text[this.at] as string)) this.at++
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw invalidRequest('The request body is nested too deeply.')
    this.skipSpace()
    const c = this.text[this.at]
    if (c === '{') return this.object(depth)
    if (c === '[') return this.array(depth)
    if (c === '"') return this.string()
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length
        return value
      }
    }
    NUMBER.lastIndex = this.at
    const match = NUMBER.exec(this.text)
    if (match === null) throw malformed()
    this.at += match[0].length
    return Number(match[0])
  }

  string(): string {
    STRING.lastIndex = this.at
    const match = STRING.exec(this.text)
    if (match === null) throw malformed()
    this.at += match[0].length
    const value = JSON.parse(match[0]) as string
    if (LONE_SURROGATE.test(value)) throw invalidRequest('The request body has a string with a lone surrogate.')
    return value
  }

  object(depth: number): Record<string, unknown> {
    this.at++ // {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>
    this.skipSpace()
    if (this.text[this.at] === '}') {
      this.at++
      return out
    }
    for (;;) {
      this.skipSpace()
      if (this.text[this.at] !== '"') throw malformed()
      const name = this.string()
      if (Object.hasOwn(out, name)) throw repeated(name)
      this.skipSpace()
      if (this.text[this.at] !== ':') throw malformed()
      this.at++
      out[name] = this.value(depth + 1)
      this.skipSpace()
      const c = this.text[this.at++]
      if (c === '}') return out
      if (c !== ',') throw malformed()
    }
  }

  array(depth: number): unknown[] {
    this.at++ // [
    const out: unknown[] = []
    this.skipSpace()
    if (this.text[this.at] === ']') {
      this.at++
      return out
    }
    for (;;) {
      out.push(this.value(depth + 1))
      this.skipSpace()
      const c = this.text[this.at++]
      if (c === ']') return out
      if (c !== ',') throw malformed()
    }
  }
}
