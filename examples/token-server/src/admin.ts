// Operator commands of the demo, on the stores the environment names (DATABASE_URL, REDIS_URL,
// DATA_DIR, as src/main.ts reads them):
//   migrate      run the PostgreSQL schema migrations alone, make the first signing key, seed the
//                demo users: run once before starting several nodes on an empty database
//   rotate-key   make a new signing key; every node signs with it and publishes it within
//                TOKENRULES_KEY_RELOAD_SECONDS (60 s by default), the previous one stays published
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { createTokenServer } from '@tokenrules/oauth'
import { demoEncryptionKey, demoServerOptions, seedUsers } from './config.js'
import { listenSettings, SettingsError } from './listen.js'
import { openStores } from './stores.js'

const USAGE = 'usage: admin.ts migrate | rotate-key'
const [command, ...rest] = process.argv.slice(2)
if ((command !== 'migrate' && command !== 'rotate-key') || rest.length > 0) {
  console.error(USAGE)
  process.exit(2)
}

const dataDir = resolve(process.env['DATA_DIR'] ?? 'data')
let encryptionKey: string
let issuer: string
try {
  mkdirSync(dataDir, { recursive: true })
  encryptionKey = demoEncryptionKey(process.env, dataDir)
  issuer = listenSettings(process.env).issuer
} catch (error) {
  if (!(error instanceof SettingsError)) throw error
  console.error(error.message)
  process.exit(2)
}

const opened = await openStores(process.env, dataDir, { migrate: command === 'migrate' })
try {
  // The same options as a node: the directories and the first signing key are made as it would.
  await using server = await createTokenServer({ ...(await demoServerOptions(issuer)), stores: opened.stores, encryptionKey, keys: { reloadSeconds: 0 } })
  if (command === 'migrate') {
    const seeded = await seedUsers(server, opened.stores)
    console.log(`migrated: ${opened.description}; signing key ${server.keys.jwks().keys[0]?.kid}; ${seeded} user(s) seeded`)
  } else {
    const kid = await server.keys.rotate()
    console.log(
      `rotated: new signing key ${kid}; published: ${server.keys
        .jwks()
        .keys.map((key) => key.kid)
        .join(', ')}`,
    )
  }
} finally {
  await opened.close()
}
