import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Inside the tokenrules repository the packages run from their TypeScript sources; a project
  // that installs @tokenrules/testing from the registry does not need this line.
  resolve: { conditions: ['@tokenrules/source'] },
  ssr: { resolve: { conditions: ['@tokenrules/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // isolated-vm, under the sandbox, needs this flag on Node >= 20.
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
  },
})
