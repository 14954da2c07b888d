/**
 * Origin: github.com/infaspublications/auth0-deploy rules/add-default-role-when-initial-signup.js @ 41ba60bbda4a11ab53255d1f35019e8d6ac68e42   (tenant repo: rules/ tested and deployed by the repository's scripts; the module.exports wrapper is the repository's, the deployed script is the function)
 * On the first login (loginsCount 0 or 1) the user is given configuration.DEFAULT_ROLE through
 * node-auth0's ManagementClient (auth0@2.17.0, token auth0.accessToken, assignRolestoUser).
 * Quirks kept: on an error the node callback calls back twice (the error, then success: the first
 * wins); the assignment is made on the first AND second login (`count > 1` skips only later ones).
 */
function (user, context, callback) {
  const count = context.stats && context.stats.loginsCount ? context.stats.loginsCount : 0;
  if (count > 1) {
    return callback(null, user, context);
  }
  const ManagementClient = require('auth0@2.17.0').ManagementClient;
  const management = new ManagementClient({ token: auth0.accessToken, domain: auth0.domain });
  management.assignRolestoUser({ id: user.user_id }, { roles: [configuration.DEFAULT_ROLE] }, function (error) {
    if (error) {
      callback(error);
    }
    callback(null, user, context);
  });
}
