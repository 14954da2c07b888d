/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/account-linking.js @ b5bf852ccd4023823b8f693fbe5fba1c0ca30ccc   (tenant repo: rules/ uploaded to the tenant by the repository's CI)
 * Early account linking on the dev tenant: lists the Mozilla-LDAP-Dev users through node-auth0's
 * ManagementClient (auth0@2.1.0, token auth0.accessToken, search_engine v1, a fields list), and
 * links the current login into the LDAP account with the same verified address.
 * Quirks kept: requires request@2.56.0 and never uses it; calls back BEFORE the link finishes and
 * swaps user.user_id afterwards (work after the callback); users.link is given a node callback
 * and `.then` is chained on what it returns; an empty user list never calls back.
 */
function (user, context, callback) {
  var request = require('request@2.56.0');
  var ManagementClient = require('auth0@2.1.0').ManagementClient;

  if (!user.email_verified) {
    console.log('Permissioned denied: Cannot link unverified email from user ' + user.email);
    return callback(null, user, context);
  }

  var management = new ManagementClient({ token: auth0.accessToken, domain: auth0.domain });

  management.users
    .getAll({ search_engine: 'v1', connection: 'Mozilla-LDAP-Dev', fields: 'email,email_verified,user_id,identities' })
    .then(function (users) {
      if (users.length > 0) {
        var candidates = users.filter(function (u) {
          return u.email === user.email && u.email_verified;
        });
        if (candidates && candidates.length > 0) {
          var target = candidates[0];
          if (target.user_id === user.user_id) {
            return callback(null, user, context);
          }
          for (var i in target.identities) {
            if (target.identities[i].user_id === user.user_id) {
              console.log('%s is already linked', user.user_id);
              return callback(null, user, context);
            }
          }
          console.log('Linking: %s (provider: %s) with %s (provider: %s)', user.user_id, user.identities[0].provider, target.user_id, target.identities[0].provider);
          management.users
            .link(target.user_id, { user_id: user.user_id, provider: user.identities[0].provider }, function (err) {
              if (err) console.log('Error: linking user %s failed. Error: %s', user.user_id, err);
            })
            .then(function () {
              user.original_user_id = user.user_id;
              user.user_id = target.user_id;
            });
        } else {
          console.log('No existing user to link for email %s', user.email);
        }
        return callback(null, user, context);
      }
    })
    .catch(callback);
}
