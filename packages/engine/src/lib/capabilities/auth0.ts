import type { CallContext, HostRegistry } from '../host-bridge.js'
import { RunFailure } from './run-failure.js'

/** Host hooks that persist metadata (engine option `hooks.updateAppMetadata` / `updateUserMetadata`). */
export type MetadataHook = (userId: string, metadata: Record<string, unknown>) => Promise<void> | void

/** `auth0.users.updateAppMetadata` / `updateUserMetadata`: call the hook; a failure ends the run. */
export function registerAuth0(registry: HostRegistry, hooks: { app?: MetadataHook | undefined; user?: MetadataHook | undefined }): void {
  const updater = (kind: 'app_metadata' | 'user_metadata', hook: MetadataHook | undefined) => async (args: unknown[], context: CallContext) => {
    const [userId, metadata] = args as [string, Record<string, unknown>]
    const option = kind === 'app_metadata' ? 'updateAppMetadata' : 'updateUserMetadata'
    if (hook === undefined) {
      throw new RunFailure('ERR_METADATA_UPDATE_FAILED', `A rule updated ${kind}, but the engine has no hooks.${option} to persist it.`)
    }
    try {
      await hook(userId, metadata)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new RunFailure('ERR_METADATA_UPDATE_FAILED', `hooks.${option} failed for ${userId}: ${reason}`)
    }
    context.record('metadataUpdate', { userId, kind, metadata })
    return undefined
  }
  registry.register('$auth0.updateAppMetadata', updater('app_metadata', hooks.app))
  registry.register('$auth0.updateUserMetadata', updater('user_metadata', hooks.user))
}
