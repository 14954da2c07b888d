import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@tokenrules/source'] },
  ssr: { resolve: { conditions: ['@tokenrules/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    pool: 'forks',
    // isolated-vm needs this flag on Node >= 20 (its README: V8's shared read-only heap).
    execArgv: ['--no-node-snapshot'],
    maxWorkers: Math.max(1, Math.min(2, availableParallelism())),
    testTimeout: 30_000,
    hookTimeout: 30_000,
    setupFiles: ['./packages/engine/test/setup/no-console.ts'],
  },
})
