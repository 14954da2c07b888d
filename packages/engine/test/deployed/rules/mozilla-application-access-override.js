/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/application-access-override.js @ 07988f5187b1625241644b1b1eea9b1231204c5c   (repo: rules/ folder uploaded by the repository's CI uploader)
 * Staff-only applications (phonebook, login, password reset): only members of team_moco or
 * team_mofo get in; everyone else is redirected to the forbidden page. Quirks kept: the refusal is a
 * redirect plus a callback with a null user; a user without groups is refused inside the some()
 * predicate.
 */
function (user, context, callback) {
  var staffApps = [
    '0123456789abcdefghijKLMNOPQRSTuv',
    '123456789abcdefghijKLMNOPQRSTuvw',
    '23456789abcdefghijKLMNOPQRSTuvwx',
    '3456789abcdefghijKLMNOPQRSTuvwxy',
    '456789abcdefghijKLMNOPQRSTuvwxyz',
    '56789abcdefghijKLMNOPQRSTuvwxyz0',
  ];
  var staffGroups = ['team_moco', 'team_mofo'];

  if (staffApps.indexOf(context.clientID) !== -1) {
    var member = staffGroups.some(function (g) {
      if (!user.groups) return false;
      return user.groups.indexOf(g) >= 0;
    });
    if (member) return callback(null, user, context);
    context.redirect = { url: 'https://sso.mozilla.com/forbidden' };
    return callback(null, null, context);
  }
  callback(null, user, context);
}
