import { fileURLToPath } from 'node:url'
import { loadRuleSet } from './rule-set.js'
import type { OidcServerOptions } from './server.js'

export const API = 'https://api.tokenrules.example/'

/** The demo's client, directories, API and rules. Passwords here are demo values, hashed at start. */
export function demoConfig(): Omit<OidcServerOptions, 'port' | 'host' | 'issuer' | 'log'> {
  return {
    clients: [{ clientId: 'demo-app', clientSecret: 'demo-app-secret', name: 'Demo App', metadata: { tier: 'gold' } }],
    directories: [
      {
        name: 'Username-Password-Authentication',
        users: [
          {
            password: 'correct horse battery staple',
            profile: {
              user_id: 'auth0|alice',
              email: 'alice@example.com',
              email_verified: true,
              username: 'alice',
              name: 'Alice',
              app_metadata: { roles: ['admin'], department: 'Engineering' },
            },
          },
          {
            password: 'hunter2hunter2',
            profile: {
              user_id: 'auth0|bob',
              email: 'bob@example.com',
              email_verified: false,
              username: 'bob',
              name: 'Bob',
              app_metadata: { roles: ['reader'], department: 'Sales' },
            },
          },
          {
            // No department: rule 02 throws for her.
            password: 'carol-password-1',
            profile: {
              user_id: 'auth0|carol',
              email: 'carol@example.com',
              email_verified: true,
              username: 'carol',
              name: 'Carol',
              app_metadata: { roles: ['reader'] },
            },
          },
          {
            password: 'dave-password-1',
            profile: {
              user_id: 'auth0|dave',
              email: 'dave@example.com',
              email_verified: true,
              username: 'dave',
              blocked: true,
              app_metadata: { department: 'Ops' },
            },
          },
        ],
      },
      {
        name: 'Customers',
        users: [
          {
            password: 'erin-password-1',
            profile: {
              user_id: 'auth0|erin',
              email: 'erin@customer.example',
              email_verified: true,
              name: 'Erin',
              app_metadata: { roles: ['customer'], department: 'External' },
            },
          },
        ],
      },
    ],
    apis: [{ identifier: API, scopes: ['read:messages', 'write:messages'] }],
    rules: loadRuleSet(fileURLToPath(new URL('../rules', import.meta.url))),
  }
}
