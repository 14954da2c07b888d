/**
 * Origin: github.com/ministryofjustice/cloud-platform-infrastructure terraform/global-resources/resources/auth0-rules/add-github-teams-to-oidc-group-claim.js @ 5225abb067f3c1544a3b22f6d553f5e3c5232a99   (Terraform: auth0_rule "add-github-teams-to-oidc-group-claim", script = file(...), order 20)
 * Kubernetes OIDC groups: the GitHub teams of a GitHub login (request, token auth, per_page=100)
 * become `github:<slug>` entries of an ID token claim named by configuration.K8S_OIDC_GROUP_CLAIM_DOMAIN.
 * Quirks kept: uses Auth0's legacy global `_` (lodash) without requiring it; teams of other
 * organisations map to `undefined` entries (map without a filter); `'…' + body || err` binds
 * the string first; the status is read before `err`, so a network error throws.
 */
function (user, context, callback) {
  var request = require('request');
  if (context.connection !== 'github') {
    return callback(null, user, context);
  }
  var github = _.find(user.identities, { connection: 'github' });
  var options = {
    url: 'https://api.github.com/user/teams?per_page=100',
    headers: { Authorization: 'token ' + github.access_token, 'User-Agent': 'request' },
  };
  request(options, function (err, resp, body) {
    if (resp.statusCode !== 200) {
      return callback(new Error('Error retrieving teams from github: ' + body || err));
    }
    var groups = JSON.parse(body).map(function (team) {
      if (team.organization.login === 'ministryofjustice') {
        return 'github:' + team.slug;
      }
    });
    context.idToken[configuration.K8S_OIDC_GROUP_CLAIM_DOMAIN] = groups;
    return callback(null, user, context);
  });
}
