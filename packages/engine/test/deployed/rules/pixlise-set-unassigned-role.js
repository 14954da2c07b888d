/**
 * Origin: github.com/pixlise/pixlise-ui auth0/rule-set-unassigned-role-in-new-users.js @ d098de749701acf652027d9d9e16b3bdc0038a3e   (repo: the app's auth0/ folder, pasted into the tenant as described in auth0/auth0-setup.md)
 * A new user (first login) is given the "Unassigned New User" RBAC role through node-auth0
 * (auth0@2.17.0 ManagementClient with auth0.accessToken, assignRolestoUser). Quirks kept: a
 * failure is only logged and the login goes on; the role id is written in the rule (the repository
 * has a placeholder; a role id stands in for it).
 */
function (user, context, callback) {
  var logins = context.stats && context.stats.loginsCount ? context.stats.loginsCount : 0;
  if (logins > 1) return callback(null, user, context);

  var ManagementClient = require('auth0@2.17.0').ManagementClient;
  var management = new ManagementClient({ token: auth0.accessToken, domain: auth0.domain });

  management.assignRolestoUser({ id: user.user_id }, { roles: ['rol_PxUnassigned01'] }, function (err) {
    if (err) console.log('Error assigning role: ' + err);
    callback(null, user, context);
  });
}
