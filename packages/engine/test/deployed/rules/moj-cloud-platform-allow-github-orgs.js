/**
 * Origin: github.com/ministryofjustice/cloud-platform-infrastructure terraform/global-resources/resources/auth0-rules/allow-github-orgs.js @ 5225abb067f3c1544a3b22f6d553f5e3c5232a99   (Terraform: auth0_rule "allow-github-orgs", script = file("${path.module}/resources/auth0-rules/allow-github-orgs.js"), order 10)
 * Only members of the ministryofjustice GitHub organisation may log in with GitHub: the user's
 * organisations are read with request and the GitHub identity's token.
 * Quirks kept: Auth0's legacy global `_` (lodash) used without a require; `resp.statusCode` read
 * before `err`; `'…' + body || err` precedence.
 */
function (user, context, callback) {
  var request = require('request');
  var allowList = ['ministryofjustice'];
  if (context.connection === 'github') {
    var github = _.find(user.identities, { connection: 'github' });
    request(
      {
        url: 'https://api.github.com/user/orgs',
        headers: { Authorization: 'token ' + github.access_token, 'User-Agent': 'request' },
      },
      function (err, resp, body) {
        if (resp.statusCode !== 200) {
          return callback(new Error('Error retrieving orgs from github: ' + body || err));
        }
        var logins = JSON.parse(body).map(function (org) {
          return org.login;
        });
        var member = allowList.some(function (org) {
          return logins.indexOf(org) !== -1;
        });
        if (!member) {
          return callback(new UnauthorizedError('Access was denied.'));
        }
        return callback(null, user, context);
      }
    );
  } else {
    return callback(null, user, context);
  }
}
