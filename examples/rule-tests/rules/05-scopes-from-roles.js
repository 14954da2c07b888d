/**
 * Grant only the requested scopes the user's roles allow: readers read, editors also write,
 * admins also administer. `openid profile email` are always kept.
 */
function scopesFromRoles(user, context, callback) {
  const byRole = {
    reader: ['read:reports'],
    editor: ['read:reports', 'write:reports'],
    admin: ['read:reports', 'write:reports', 'admin:users'],
  };
  const roles = (user.app_metadata && user.app_metadata.roles) || [];
  const allowed = new Set(['openid', 'profile', 'email', 'offline_access']);
  roles.forEach(function (role) { (byRole[role] || []).forEach(function (s) { allowed.add(s); }); });
  const requested = String(context.request.body.scope || context.request.query.scope || '').split(' ').filter(Boolean);
  context.accessToken.scope = requested.filter(function (scope) { return allowed.has(scope); });
  callback(null, user, context);
}
