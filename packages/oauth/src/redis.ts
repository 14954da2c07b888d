/**
 * `@tokenrules/oauth/redis`: attempt counters and refresh tokens in Redis, shared by several token
 * servers, on [@redis/client](https://github.com/redis/node-redis), an optional peer dependency
 * that only this entry point loads (`npm install @redis/client`).
 *
 * @packageDocumentation
 * @module @tokenrules/oauth/redis
 */
export { createRedisStores } from './stores/redis.js'
export type { RedisStores, RedisStoresOptions, RedisClient } from './stores/redis.js'
