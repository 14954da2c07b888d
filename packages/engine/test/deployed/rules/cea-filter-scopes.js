/**
 * Origin: github.com/centre-for-effective-altruism/auth0-rules rules/src/filter-scopes.ts @ b3aa9a7cfe1693e307e4be743715205df9da0132   (tenant repo: compiled and deployed by GitHub Actions; TEMPLATE_DATA.whitelist = the client ids of three first-party apps, filled at deploy time; shown here as deployed)
 * Third-party apps may only get the basic OIDC scopes: the user's permissions are paged out of the
 * Management API (auth0@2.31.0 getUserPermissions, 20 a page, client credentials), and the access
 * token's scope becomes the requested scopes that are allowed (all user permissions for first-party
 * apps, none beyond openid/profile/email/offline_access for the others).
 * Quirks kept: the paging recursion ignores its userId argument; the requested scope is read from
 * the body, then the query; a failure has no catch (the async rule rejects).
 */
async function filterScopes(user, context, callback) {
  const firstParty = [
    'Fu4nDs7yQ2eLk9XwBm3TcZ8rVa1HsJ6p', // EA Funds
    '7kQmZ9yHgWd2LpXc4RtVb8NfJs3EuA1o', // Giving What We Can
    'Pa0rF1tAdm2nX5cV8bN3mQ6wE9rT4yU7', // Parfit Admin
  ];
  const ManagementClient = require('auth0@2.31.0').ManagementClient;
  const management = new ManagementClient({
    domain: auth0.domain,
    clientId: configuration.AUTH0_CLIENT_ID,
    clientSecret: configuration.AUTH0_CLIENT_SECRET,
    scope: 'read:roles',
  });

  const PAGE = 20;
  async function permissionsFrom(userId, page = 0) {
    const batch = await management.getUserPermissions({ id: user.user_id, page, per_page: PAGE });
    if (batch.length < PAGE) return batch;
    return [...batch, ...(await permissionsFrom(userId, page + 1))];
  }

  const userScopes = (await permissionsFrom(user.user_id)).map((p) => p.permission_name);
  const baseScopes = ['openid', 'profile', 'email', 'offline_access'];
  const requested = (context.request.body.scope || context.request.query.scope || '').split(' ');
  const openToAll = [];
  const allowedForAnyone = openToAll.filter((scope) => userScopes.includes(scope));
  const allowed = firstParty.includes(context.clientID) ? [...baseScopes, ...userScopes] : [...baseScopes, ...allowedForAnyone];

  context.accessToken.scope = allowed.filter((scope) => requested.includes(scope)).filter((scope) => !!scope);
  callback(null, user, context);
}
