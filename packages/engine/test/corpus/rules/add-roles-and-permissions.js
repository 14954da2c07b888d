/**
 * Roles and permissions claims from app_metadata.
 * Roles come from user.app_metadata.roles; each role grants the permissions listed for it in
 * configuration.ROLE_PERMISSIONS (JSON: { role: [permission] }), plus any permissions granted to
 * the user directly (user.app_metadata.permissions). The API reads both from the access token;
 * the app shows the roles, so the ID token gets them too.
 */
function addRolesAndPermissions(user, context, callback) {
  var namespace = configuration.CLAIM_NAMESPACE;
  var appMetadata = user.app_metadata || {};
  var roles = Array.isArray(appMetadata.roles) ? appMetadata.roles.slice() : [];

  var rolePermissions;
  try {
    rolePermissions = JSON.parse(configuration.ROLE_PERMISSIONS || '{}');
  } catch (e) {
    return callback(new Error('ROLE_PERMISSIONS is not valid JSON'));
  }

  var permissions = [];
  function grant(permission) {
    if (typeof permission === 'string' && permissions.indexOf(permission) === -1) permissions.push(permission);
  }
  roles.forEach(function (role) {
    (rolePermissions[role] || []).forEach(grant);
  });
  (appMetadata.permissions || []).forEach(grant);
  permissions.sort();

  context.accessToken[namespace + 'roles'] = roles;
  context.accessToken[namespace + 'permissions'] = permissions;
  context.idToken[namespace + 'roles'] = roles;
  callback(null, user, context);
}
