import type { CallContext, HostRegistry } from '../host-bridge.js'
import { RunFailure } from './run-failure.js'

/** Host hooks that persist metadata (engine option `hooks.updateAppMetadata` / `updateUserMetadata`). */
export type MetadataHook = (userId: string, metadata: Record<string, unknown>) => Promise<void> | void

/** How much metadata one run may hand to the hooks. */
export interface MetadataLimits {
  /** Longest metadata of one update, in characters of JSON (`limits.maxUserBytes`). */
  maxBytes: number
  /** Updates per run (`RUN_CAPS.maxMetadataUpdates`). */
  maxUpdates: number
}

/** Deepest metadata accepted, as the guest's serializer bounds every copy it makes. */
const MAX_DEPTH = 64

type Kind = 'app_metadata' | 'user_metadata'

/**
 * `auth0.users.updateAppMetadata` / `updateUserMetadata`: check the guest's JSON copy, then call
 * the hook with a fresh parse of it; a failure ends the run.
 *
 * The guest copied and checked the metadata already; this is the host's own check of what crossed
 * (the hook is the integrator's store, the last place a bad key may reach). Only JSON reaches the
 * hook: plain objects, arrays, strings, finite numbers, booleans and null, at most
 * {@link MAX_DEPTH} levels and `maxBytes` characters, no key with '.' nor `__proto__`,
 * `constructor` or `prototype`. Anything else fails the run with `ERR_RULE_RESULT_INVALID` naming
 * the path, before the hook is called.
 */
export function registerAuth0(
  registry: HostRegistry,
  hooks: { app?: MetadataHook | undefined; user?: MetadataHook | undefined },
  limits: MetadataLimits,
): void {
  // Updates per run, by the run's abort signal: one per run (a call's context may be a wrapper made
  // for that call), dropped with the run.
  const updates = new WeakMap<AbortSignal, number>()
  const updater = (kind: Kind, hook: MetadataHook | undefined) => async (args: unknown[], context: CallContext) => {
    const [userId, text] = args
    const option = kind === 'app_metadata' ? 'updateAppMetadata' : 'updateUserMetadata'
    const count = (updates.get(context.signal) ?? 0) + 1
    updates.set(context.signal, count)
    if (count > limits.maxUpdates) {
      throw new RunFailure('ERR_RULE_RESULT_INVALID', `More than ${limits.maxUpdates} metadata updates in one run.`, [kind])
    }
    if (typeof userId !== 'string' || userId === '')
      throw new RunFailure('ERR_RULE_RESULT_INVALID', `A metadata update's userId must be a non-empty string.`, [kind])
    const persisted = checkedMetadata(kind, text, limits.maxBytes)
    if (hook === undefined) {
      throw new RunFailure('ERR_METADATA_UPDATE_FAILED', `A rule updated ${kind}, but the engine has no hooks.${option} to persist it.`)
    }
    try {
      await hook(userId, persisted.forHook)
    } catch (error) {
      const reason = error instanceof Error ? error.message : typeof error === 'string' ? error : 'the hook threw a value that is not an Error'
      throw new RunFailure('ERR_METADATA_UPDATE_FAILED', `hooks.${option} failed for ${userId}: ${reason}`)
    }
    context.record('metadataUpdate', { userId, kind, metadata: persisted.forResult })
    return undefined
  }
  registry.register('$auth0.updateAppMetadata', updater('app_metadata', hooks.app))
  registry.register('$auth0.updateUserMetadata', updater('user_metadata', hooks.user))
}

/** Two independent parses of the guest's JSON text (the hook may keep or change its copy), once checked. */
function checkedMetadata(kind: Kind, text: unknown, maxBytes: number): { forHook: Record<string, unknown>; forResult: Record<string, unknown> } {
  const invalid = (keys: readonly (string | number)[], why: string) =>
    new RunFailure('ERR_RULE_RESULT_INVALID', `auth0.users.update${kind === 'app_metadata' ? 'App' : 'User'}Metadata: ${keysText(keys)} ${why}.`, keys)
  if (typeof text !== 'string') throw invalid([kind], 'did not cross as JSON text')
  if (text.length > maxBytes) throw invalid([kind], `is larger than ${maxBytes} characters as JSON`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw invalid([kind], 'is not JSON')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid([kind], 'must be an object')
  const issue = jsonIssue(value, [kind], 0)
  if (issue !== undefined) throw invalid(issue.keys, issue.why)
  return { forHook: value as Record<string, unknown>, forResult: JSON.parse(text) as Record<string, unknown> }
}

/** The first place where a parsed value is not metadata the store can take. */
function jsonIssue(value: unknown, keys: readonly (string | number)[], depth: number): { keys: readonly (string | number)[]; why: string } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { keys, why: 'is a number JSON cannot represent' }
  if (value === null || typeof value !== 'object') return undefined
  if (depth > MAX_DEPTH) return { keys, why: `is nested more than ${MAX_DEPTH} levels deep` }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const issue = jsonIssue(value[i], [...keys, i], depth + 1)
      if (issue !== undefined) return issue
    }
    return undefined
  }
  for (const key of Object.keys(value)) {
    const at = [...keys, key]
    if (key.includes('.')) return { keys: at, why: "is a key containing '.', which Auth0 refuses in metadata" }
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      return { keys: at, why: `is a key named ${key}, which could pollute a prototype where the host merges it` }
    }
    const issue = jsonIssue((value as Record<string, unknown>)[key], at, depth + 1)
    if (issue !== undefined) return issue
  }
  return undefined
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** Keys as people read them: `app_metadata.prefs["ui.theme"][2]` (the guest's keysText, errors.ts's formatIssuePath). */
function keysText(keys: readonly (string | number)[]): string {
  let out = ''
  for (const key of keys) {
    if (typeof key === 'number') out += `[${key}]`
    else if (!IDENTIFIER.test(key)) out += `[${JSON.stringify(key)}]`
    else out += out === '' ? key : `.${key}`
  }
  return out
}

/** The host's token hook (engine option `auth0.accessToken`). */
export type AccessTokenHook = (run: { userId: string; clientId: string | undefined }) => string | Promise<string>

/** Longest token accepted from the hook, in characters (a JWT with many scopes is a few KiB). */
const MAX_ACCESS_TOKEN_CHARS = 16_384

/**
 * `auth0.accessToken`: the hook mints one token per run, when a rule first reads it, for the run's
 * subject as the engine's input named it (never what rules made of `user`). The token goes to
 * the guest and nowhere else: an error here names the hook, never the value, and the token is
 * kept only as long as its run. A failure makes the read throw in the rule (the run goes on, as a
 * failed call to any host function does), bounded by what is left of the run.
 */
export function registerAccessToken(registry: HostRegistry, hook: AccessTokenHook): void {
  const minted = new WeakMap<AbortSignal, Promise<string>>()
  registry.registerAwaited('$auth0.accessToken', (_args, context) => {
    const signal = context.signal
    let token = minted.get(signal)
    if (token === undefined) {
      token = mint(hook, context)
      minted.set(signal, token)
    }
    return token
  })
}

async function mint(hook: AccessTokenHook, context: CallContext): Promise<string> {
  const subject = context.subject
  if (subject === undefined) throw new Error('auth0.accessToken is only minted inside an engine run.')
  const signal = context.signal
  let value: unknown
  try {
    value = await new Promise<unknown>((resolve, reject) => {
      if (signal.aborted) return reject(new Error('The run is over.'))
      const onAbort = () => reject(new Error('The run ended before auth0.accessToken was minted.'))
      signal.addEventListener('abort', onAbort, { once: true })
      const timer = setTimeout(() => reject(new Error('The run ran out of time while auth0.accessToken was minted.')), Math.max(1, context.remainingMs()))
      Promise.resolve()
        .then(() => hook({ userId: subject.userId, clientId: subject.clientId }))
        .then(resolve, reject)
        .finally(() => {
          clearTimeout(timer)
          signal.removeEventListener('abort', onAbort)
        })
    })
  } catch (error) {
    // The hook's own message may say why (a store down); it is the integrator's text, not the token.
    const reason = error instanceof Error ? error.message : 'the hook threw a value that is not an Error'
    throw new Error(`auth0.accessToken could not be minted: ${reason}`)
  }
  if (typeof value !== 'string' || value === '' || value.length > MAX_ACCESS_TOKEN_CHARS) {
    throw new Error(`auth0.accessToken could not be minted: the hook must return a non-empty string of at most ${MAX_ACCESS_TOKEN_CHARS} characters.`)
  }
  return value
}
