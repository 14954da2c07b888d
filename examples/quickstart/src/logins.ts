import type { RunInput } from '@tokenrules/engine'

function login(email: string, verified: boolean, roles: string[]): RunInput {
  return {
    user: {
      user_id: `auth0|${email.split('@')[0]}`,
      email,
      email_verified: verified,
      app_metadata: { roles },
    },
    context: {
      clientID: 'trusted-app',
      clientName: 'Trusted App',
      protocol: 'oauth2-password',
      connection: 'Employees',
      request: { ip: '127.0.0.1', body: { grant_type: 'password', scope: 'openid read:reports write:reports' } },
    },
  }
}

/** Three sample password-grant logins: an admin, a reader, and an unverified user. */
export const sampleLogins: Record<string, RunInput> = {
  'ada (admin)': login('ada@example.com', true, ['admin']),
  'bob (reader)': login('bob@example.com', true, ['reader']),
  'eve (unverified)': login('eve@example.com', false, []),
}
