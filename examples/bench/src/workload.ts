/**
 * The workload every contender runs: five Auth0-style rules, a realistic user and context.
 * The rules only use what every sandbox has (no `require`), and call back synchronously, so the
 * small harnesses of the other contenders can run them unchanged.
 */

export interface BenchRule {
  name: string
  script: string
}

export const configuration: Record<string, string> = {
  CLAIMS_NAMESPACE: 'https://bench.example.com/',
  ADMIN_CONSOLE_CLIENT: 'admin-console',
}

export const rules: BenchRule[] = [
  {
    name: 'roles-from-app-metadata',
    script: `function addRoles(user, context, callback) {
  var ns = configuration.CLAIMS_NAMESPACE;
  var appMetadata = user.app_metadata || {};
  var roles = Array.isArray(appMetadata.roles) ? appMetadata.roles : [];
  context.accessToken[ns + 'roles'] = roles;
  context.idToken[ns + 'roles'] = roles;
  context.accessToken[ns + 'org'] = appMetadata.org_id || null;
  callback(null, user, context);
}`,
  },
  {
    name: 'namespaced-email',
    script: `function (user, context, callback) {
  var ns = configuration.CLAIMS_NAMESPACE;
  if (user.email) {
    context.accessToken[ns + 'email'] = user.email;
    context.idToken[ns + 'email'] = user.email;
    context.idToken[ns + 'email_verified'] = user.email_verified === true;
  }
  callback(null, user, context);
};`,
  },
  {
    name: 'scope-by-client',
    script: `function restrictScopes(user, context, callback) {
  var allowedByClient = {
    'reports-app': ['openid', 'profile', 'email', 'read:reports'],
    'admin-console': ['openid', 'profile', 'email', 'read:reports', 'write:reports', 'admin'],
  };
  var allowed = allowedByClient[context.clientID] || ['openid'];
  var body = (context.request && context.request.body) || {};
  var requested = String(body.scope || '').split(' ').filter(Boolean);
  context.accessToken.scope = requested.filter(function (s) { return allowed.indexOf(s) !== -1; });
  callback(null, user, context);
}`,
  },
  {
    name: 'deny-unverified-or-suspended',
    script: `function (user, context, callback) {
  var appMetadata = user.app_metadata || {};
  if (appMetadata.suspended === true) {
    return callback(new UnauthorizedError('Your account is suspended.'));
  }
  if (context.clientID === configuration.ADMIN_CONSOLE_CLIENT && !user.email_verified) {
    return callback(new UnauthorizedError('Verify your email to use the admin console.'));
  }
  callback(null, user, context);
}`,
  },
  {
    name: 'plan-features-cached-in-global',
    script: `function (user, context, callback) {
  if (!global.planFeatures) {
    global.planFeatures = {
      free: ['reports:basic'],
      pro: ['reports:basic', 'reports:export', 'sso'],
      enterprise: ['reports:basic', 'reports:export', 'sso', 'audit-log', 'scim'],
    };
    global.planFeaturesMisses = (global.planFeaturesMisses || 0) + 1;
  }
  var plan = (user.app_metadata && user.app_metadata.plan) || 'free';
  context.accessToken[configuration.CLAIMS_NAMESPACE + 'features'] = global.planFeatures[plan] || [];
  callback(null, user, context);
}`,
  },
]

/** Ten rules for cold start: the five, twice, under other names. */
export const tenRules: BenchRule[] = [...rules, ...rules.map((r) => ({ name: `${r.name}-copy`, script: r.script }))]

export const user = {
  user_id: 'auth0|65f1c0ffee0123456789abcd',
  email: 'ada.lovelace@example.com',
  email_verified: true,
  name: 'Ada Lovelace',
  nickname: 'ada',
  given_name: 'Ada',
  family_name: 'Lovelace',
  picture: 'https://s.gravatar.com/avatar/0123456789abcdef?s=480&r=pg&d=identicon',
  created_at: '2024-03-01T09:30:00.000Z',
  updated_at: '2026-11-20T18:02:11.000Z',
  last_login: '2026-11-20T18:02:11.000Z',
  logins_count: 214,
  identities: [{ provider: 'auth0', user_id: '65f1c0ffee0123456789abcd', connection: 'Employees', isSocial: false }],
  app_metadata: { roles: ['admin', 'reports:reader'], plan: 'enterprise', org_id: 'org_7Hq2', suspended: false },
  user_metadata: { locale: 'en-GB', theme: 'dark', timezone: 'Europe/London' },
}

export const context = {
  tenant: 'bench',
  clientID: 'reports-app',
  clientName: 'Reports',
  clientMetadata: { tier: 'internal' },
  connection: 'Employees',
  connectionStrategy: 'auth0',
  connectionID: 'con_5f1d2e3c4b5a6978',
  protocol: 'oauth2-password',
  stats: { loginsCount: 214 },
  sessionID: 'sid_3f9a1c2b',
  request: {
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    ip: '203.0.113.7',
    hostname: 'auth.bench.example.com',
    query: {},
    body: {
      grant_type: 'password',
      username: 'ada.lovelace@example.com',
      scope: 'openid profile email read:reports write:reports',
      audience: 'https://api.bench.example.com',
    },
    geoip: { country_code: 'GB', country_name: 'United Kingdom', city_name: 'London', time_zone: 'Europe/London' },
  },
  authentication: { methods: [{ name: 'pwd', timestamp: 1_732_233_600_000 }] },
  authorization: { roles: [] as string[] },
}

export const input = { user, context }
/** The same login by a suspended user: the deny rule fires. */
export const deniedInput = { user: { ...user, app_metadata: { ...user.app_metadata, suspended: true } }, context }

/** What every contender must produce for {@link input} (checked before timing). */
export interface Outcome {
  ok: boolean
  accessToken?: Record<string, unknown>
  idToken?: Record<string, unknown>
  scope?: string[] | undefined
  error?: string
}
