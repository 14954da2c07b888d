/** Administrators always use a second factor, and cannot skip it by remembering the browser. */
function requireMfaForAdmins(user, context, callback) {
  const roles = (user.app_metadata && user.app_metadata.roles) || [];
  if (roles.indexOf('admin') !== -1) {
    context.multifactor = { provider: 'any', allowRememberBrowser: false };
  }
  callback(null, user, context);
}
