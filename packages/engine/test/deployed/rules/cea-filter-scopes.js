/**
 * Origin: github.com/centre-for-effective-altruism/auth0-rules rules/src/filter-scopes.ts @ 64bf24b72d90b28f0c192aea11f1a6b334385b9b   (repo: TypeScript rules rendered with the manifest's TEMPLATE_DATA and pushed through the Management API by the repo's CLI)
 * Narrows the access token's scope to what the user may have: pages through the user's RBAC
 * permissions with node-auth0 (auth0@2.31.0 ManagementClient authenticated by client credentials
 * from configuration, getUserPermissions 20 at a time), then keeps the requested scopes that are
 * OIDC basics or, for whitelisted applications, one of the user's permissions. Quirks kept:
 * context.accessToken.scope is set to an array, not a string; a failing Management API call is not
 * caught (the async rule rejects); the paging helper ignores its userId argument; the scope
 * whitelist for other applications is empty.
 */
async function filterScopes(user, context, callback) {
  const applicationWhitelist = ['gwwc0client0id0000000000000000000', 'eafunds0client0id00000000000000'];

  const ManagementClient = require('auth0@2.31.0').ManagementClient;
  const management = new ManagementClient({
    domain: auth0.domain,
    clientId: configuration.AUTH0_CLIENT_ID,
    clientSecret: configuration.AUTH0_CLIENT_SECRET,
    scope: 'read:roles',
  });

  const PAGE = 20;
  async function permissionsOf(userId, page = 0) {
    const batch = await management.getUserPermissions({ id: user.user_id, page, per_page: PAGE });
    if (batch.length < PAGE) return batch;
    return batch.concat(await permissionsOf(userId, page + 1));
  }

  const userScopes = (await permissionsOf(user.user_id)).map((p) => p.permission_name);
  const basics = ['openid', 'profile', 'email', 'offline_access'];
  const requested = (context.request.body.scope || context.request.query.scope || '').split(' ');
  const openToAll = [];
  const allowedForOthers = openToAll.filter((s) => userScopes.includes(s));
  const allowed = applicationWhitelist.includes(context.clientID) ? basics.concat(userScopes) : basics.concat(allowedForOthers);

  context.accessToken.scope = allowed.filter((s) => requested.includes(s)).filter((s) => !!s);
  callback(null, user, context);
}
