/**
 * Origin: github.com/natgeosociety/marapp-services config/auth0-rule-authorization-claims.js @ 4f9556af800234767f540d5f4e8c593664c990aa   (repo: the API's config folder, pasted into the tenant)
 * For the clients listed in configuration.AUTHZ_EXT_ALLOWED_CLIENT_IDS (comma separated), copies
 * the Authorization Extension's user.permissions, groups and roles into namespaced claims of both
 * tokens. Quirks kept: no trimming of the client id list; missing attributes become undefined claims.
 */
function A(user, context, callback) {
  const list = configuration.AUTHZ_EXT_ALLOWED_CLIENT_IDS;
  const allowed = list ? list.split(',') : [];
  if (!allowed.includes(context.clientID)) {
    return callback(null, user, context);
  }

  const ns = 'https://marapp.org/';
  for (const target of [context.idToken, context.accessToken]) {
    target[ns + 'permissions'] = user.permissions;
    target[ns + 'groups'] = user.groups;
    target[ns + 'roles'] = user.roles;
  }

  callback(null, user, context);
}
