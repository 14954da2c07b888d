import { isTokenRulesError, type RunInput, type RunResult } from '@tokenrules/engine'
import { OAuthError } from '../errors.js'
import type { Core, RequestInfo } from '../lib/core.js'

/**
 * Run the rule set. A failed run becomes the OAuth answer the engine maps it to
 * (`toOAuthError()`, [behaviour: callback outcomes](../../../../docs/behaviour.md#callback-outcomes)); failures that answer `server_error` also go to `onError`.
 */
export async function runRules(core: Core, info: RequestInfo, input: RunInput): Promise<RunResult> {
  try {
    return await core.engine.run(input)
  } catch (error) {
    if (!isTokenRulesError(error)) throw error
    const { status, body } = error.toOAuthError()
    if (status >= 500) core.reportError({ path: info.path, error })
    throw new OAuthError(status, body.error, body.error_description, { cause: error })
  }
}
