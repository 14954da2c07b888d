import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  GRANT_TYPES,
  StoreConflictError,
  hashSecret,
  type ApiConfig,
  type DirectoryConfig,
  type NewUser,
  type TokenServer,
  type TokenServerOptions,
  type TokenServerStores,
} from '@tokenrules/oauth'
import { SettingsError } from './listen.js'
import { loadActions, loadRuleSet } from './rule-set.js'

/** The demo's rules (`NN-name.js`) and, in its `actions` folder, its post-login actions. */
const RULES_DIR = fileURLToPath(new URL('../rules', import.meta.url))

/** The demo's one API, the audience of its access tokens. */
export const API: ApiConfig = {
  identifier: 'https://api.example.com',
  name: 'Messages API',
  scopes: ['read:messages', 'write:messages'],
  allowOfflineAccess: true,
}

/** Employees are created by operators; customers may sign up (`POST /dbconnections/signup`). */
export const DIRECTORIES: DirectoryConfig[] = [{ name: 'Employees' }, { name: 'Customers', signup: { enabled: true } }]

/** The demo's trusted client. Its secret is public on purpose: this is a demo. */
export const CLIENT = {
  clientId: 'demo-app',
  name: 'Demo App',
  secret: 'demo-secret',
  grants: [GRANT_TYPES.password, GRANT_TYPES.passwordRealm, GRANT_TYPES.refreshToken, GRANT_TYPES.mfaOtp, GRANT_TYPES.mfaRecoveryCode],
}

/** Seeded on first start. */
export const USERS: NewUser[] = [
  {
    directory: 'Employees',
    email: 'alice@example.com',
    password: 'correct horse battery staple',
    email_verified: true,
    name: 'Alice',
    app_metadata: { roles: ['admin'] },
  },
  { directory: 'Customers', email: 'bob@example.com', password: 'hunter2hunter2', email_verified: true, name: 'Bob' },
  {
    directory: 'Employees',
    email: 'carol@example.com',
    password: 'open sesame seed bagel',
    email_verified: true,
    name: 'Carol',
    app_metadata: { roles: ['support'], use_mfa: true },
  },
]

/**
 * The demo's token server options, but for its stores and its sealing key: the rules in ../rules,
 * the client, the API and the two directories. The demo and its tests build the server from this.
 */
export async function demoServerOptions(issuer: string): Promise<TokenServerOptions> {
  return {
    issuer,
    engine: { rules: loadRuleSet(RULES_DIR), actions: loadActions(RULES_DIR) },
    clients: [{ clientId: CLIENT.clientId, name: CLIENT.name, secretHash: await hashSecret(CLIENT.secret), grants: CLIENT.grants }],
    apis: [API],
    directories: DIRECTORIES,
    defaultDirectory: 'Employees',
  }
}

const MAKE_KEY = `Make one with: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`

/**
 * The key that seals TOTP secrets and signing keys: `TOKENRULES_ENCRYPTION_KEY`, or (one node on
 * SQLite) one made at first start and kept in `DATA_DIR/encryption.key` (owner-only). With
 * `DATABASE_URL` the variable is required: every node must open the keys the others sealed.
 */
export function demoEncryptionKey(env: NodeJS.ProcessEnv, dataDir: string): string {
  const given = env['TOKENRULES_ENCRYPTION_KEY']
  if (given !== undefined && given !== '') {
    // Not echoed: it is the secret.
    if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(given) || Buffer.from(given, 'base64url').byteLength !== 32) {
      throw new SettingsError(`TOKENRULES_ENCRYPTION_KEY is not 32 bytes in base64url (or base64): 43 characters, the one set has ${given.length}. ${MAKE_KEY}`)
    }
    return given
  }
  if (env['DATABASE_URL']) {
    throw new SettingsError(`DATABASE_URL is set: set TOKENRULES_ENCRYPTION_KEY to the same secret on every node. ${MAKE_KEY}`)
  }
  const keyPath = join(dataDir, 'encryption.key')
  if (!existsSync(keyPath)) writeFileSync(keyPath, randomBytes(32).toString('base64url'), { mode: 0o600 })
  return readFileSync(keyPath, 'utf8').trim()
}

/** `TOKENRULES_KEY_RELOAD_SECONDS`: how soon a key rotated by another node is used here (the server's default, 60, when unset). */
export function demoKeyReloadSeconds(env: NodeJS.ProcessEnv): number | undefined {
  const value = env['TOKENRULES_KEY_RELOAD_SECONDS']
  if (value === undefined || value === '') return undefined
  if (!/^\d{1,5}$/.test(value) || Number(value) > 86_400) {
    throw new SettingsError(`TOKENRULES_KEY_RELOAD_SECONDS must be a whole number of seconds from 0 to 86400, not '${value}'.`)
  }
  return Number(value)
}

/** Seeds {@link USERS} that are not there yet; another node seeding at the same moment is no error. Answers how many this call created. */
export async function seedUsers(server: TokenServer, stores: TokenServerStores): Promise<number> {
  let seeded = 0
  for (const user of USERS) {
    if ((await stores.users.findUser(user.directory, user.email ?? '')) !== undefined) continue
    try {
      await server.users.create(user)
      seeded++
    } catch (error) {
      if (!(StoreConflictError.is(error) && error.reason === 'duplicate_login')) throw error
    }
  }
  return seeded
}
