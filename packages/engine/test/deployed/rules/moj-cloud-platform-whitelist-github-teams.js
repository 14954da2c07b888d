/**
 * Origin: github.com/ministryofjustice/cloud-platform-infrastructure terraform/global-resources/resources/auth0-rules/whitelist-github-teams.js @ 468e02a1b269d67a5fef0edd721dafc7ba6e443e   (Terraform: auth0_rule "whitelist-github-teams", script = file(...))
 * GitHub logins must belong to the `webops` team (any organisation): the user's teams are read
 * with request and the GitHub identity's token.
 * Quirks kept: legacy global `_` (lodash) without a require; the error message says "orgs" though
 * it read teams; status read before `err`; `'…' + body || err` precedence.
 */
function (user, context, callback) {
  var request = require('request');
  var teamAllowList = ['webops'];
  if (context.connection !== 'github') {
    return callback(null, user, context);
  }
  var github = _.find(user.identities, { connection: 'github' });
  request(
    {
      url: 'https://api.github.com/user/teams',
      headers: { Authorization: 'token ' + github.access_token, 'User-Agent': 'request' },
    },
    function (err, resp, body) {
      if (resp.statusCode !== 200) {
        return callback(new Error('Error retrieving orgs from github: ' + body || err));
      }
      var slugs = JSON.parse(body).map(function (team) {
        return team.slug;
      });
      var inTeam = teamAllowList.some(function (team) {
        return slugs.indexOf(team) !== -1;
      });
      if (!inTeam) {
        return callback(new UnauthorizedError('Access was denied.'));
      }
      return callback(null, user, context);
    }
  );
}
