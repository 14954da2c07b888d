import type { JsonValue } from '@tokenrules/engine'
import { OAuthError } from '../errors.js'

/**
 * An error of the database connection routes in Auth0's shape for them,
 * `{ name, code, description, statusCode, …extra }` (not the OAuth `{ error, error_description }`
 * of the token endpoint): what Auth0's SDKs read from `/dbconnections/*` answers.
 */
export class DbConnectionError extends OAuthError {
  readonly body: Record<string, JsonValue>
  constructor(
    status: number,
    name: string,
    code: string,
    description: JsonValue,
    more: { extra?: Record<string, JsonValue>; detail?: string; headers?: Record<string, string> } = {},
  ) {
    super(status, code, typeof description === 'string' ? description : code, {
      ...(more.detail === undefined ? {} : { detail: more.detail }),
      ...(more.headers === undefined ? {} : { headers: more.headers }),
    })
    this.body = { name, code, description, ...more.extra, statusCode: status }
  }

  override toJSON(): Record<string, JsonValue> {
    return this.body
  }
}

/** 400 `BadRequestError` with `code` and a description. */
export function badRequest(code: string, description: string, detail?: string): DbConnectionError {
  return new DbConnectionError(400, 'BadRequestError', code, description, detail === undefined ? {} : { detail })
}
