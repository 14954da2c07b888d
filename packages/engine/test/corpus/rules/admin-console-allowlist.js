/**
 * User allow list for one application: only the people named in configuration.ADMIN_ALLOWLIST
 * (comma-separated emails) may log in to the admin console (configuration.ADMIN_CLIENT_ID).
 * Every other application is unaffected.
 */
function adminConsoleAllowlist(user, context, callback) {
  if (context.clientID !== configuration.ADMIN_CLIENT_ID) {
    return callback(null, user, context);
  }
  var allowlist = (configuration.ADMIN_ALLOWLIST || '').split(',').map(function (e) {
    return e.trim().toLowerCase();
  });
  var email = String(user.email || '').toLowerCase();
  if (!user.email_verified || allowlist.indexOf(email) === -1) {
    return callback(new UnauthorizedError('You are not allowed to use ' + context.clientName + '.'));
  }
  callback(null, user, context);
}
