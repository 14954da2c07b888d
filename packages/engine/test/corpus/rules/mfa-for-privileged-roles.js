/**
 * MFA by role: admins and billing admins always need a second factor (remembering the browser is
 * allowed for a week on their own devices), unless this login already used one.
 */
function mfaForPrivilegedRoles(user, context, callback) {
  var privileged = ['admin', 'billing-admin'];
  var roles = (user.app_metadata && user.app_metadata.roles) || [];
  var needsMfa = roles.some(function (role) { return privileged.indexOf(role) !== -1; });
  var methods = (context.authentication && context.authentication.methods) || [];
  var alreadyDone = methods.some(function (m) { return m.name === 'mfa'; });
  if (needsMfa && !alreadyDone) {
    context.multifactor = { provider: 'guardian', allowRememberBrowser: true };
  }
  callback(null, user, context);
}
