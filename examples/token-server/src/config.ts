import { fileURLToPath } from 'node:url'
import { GRANT_TYPES, hashSecret, type ApiConfig, type DirectoryConfig, type NewUser, type TokenServerOptions } from '@tokenrules/oauth'
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
