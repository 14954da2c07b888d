import { createMemoryStores } from '../stores/memory.js'
import type { TokenServerStores } from '../stores/types.js'
import type { ServerStoresConfig } from './load.js'

/** The stores a config file names, open; {@link OpenStores.close} closes them. */
export interface OpenStores {
  stores: TokenServerStores
  close(): Promise<void>
}

/**
 * Opens the stores of a config file: SQLite (`better-sqlite3`) or PostgreSQL (`pg`, its migrations
 * run first), Redis (`@redis/client`) beside either for attempt counters, refresh tokens and
 * userinfo records; none given, in memory. The drivers are loaded only when named.
 */
export async function openServerStores(config: ServerStoresConfig): Promise<OpenStores> {
  const closers: (() => Promise<void> | void)[] = []
  const close = async () => {
    for (const closer of closers.reverse()) await closer()
  }
  try {
    let base: TokenServerStores
    if (config.postgres !== undefined) {
      const { createPostgresStores } = await import('../stores/postgres.js')
      const postgres = await createPostgresStores({ connectionString: config.postgres })
      closers.push(() => postgres.close())
      base = postgres
    } else if (config.sqlite !== undefined) {
      const { createSqliteStores } = await import('../stores/sqlite.js')
      const sqlite = createSqliteStores({ path: config.sqlite })
      closers.push(() => sqlite.close())
      base = sqlite
    } else {
      base = createMemoryStores()
    }
    if (config.redis === undefined) return { stores: base, close }
    const { createRedisStores } = await import('../stores/redis.js')
    const redis = await createRedisStores({ url: config.redis })
    closers.push(() => redis.close())
    return { stores: { ...base, attempts: redis.attempts, refreshTokens: redis.refreshTokens, userinfo: redis.userinfo }, close }
  } catch (error) {
    await close()
    throw error
  }
}
