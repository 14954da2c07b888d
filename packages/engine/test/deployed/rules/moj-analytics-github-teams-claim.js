/**
 * Origin: github.com/ministryofjustice/analytics-platform-auth0 rules/add-group-claim-to-token.js @ ab3e2993cb6091ab75a9b95e51f76185716f80ec   (tenant repo, branch alpha: rules/ deployed to the tenant by analytics-platform-ops' automation)
 * For two Analytical Platform clients, a GitHub login's teams in ministryofjustice or
 * moj-analytical-services become the namespaced `groups` ID token claim (request to the GitHub API).
 * Quirks kept: legacy global `_` (lodash) without a require; teams of other organisations become
 * `undefined` entries; the status is read before the error; `'…' + body || error` precedence.
 */
function (user, context, callback) {
  var forThisClient = ['oUb1V330oXKyMpTagAYDzWDY10U4ffWF', 'ZzLujP0NHAQq03iR5uzw6WgGF6jBE7Nu'].indexOf(context.clientID) !== -1;
  var github = _.find(user.identities, { connection: 'github' });
  if (!(github && forThisClient)) {
    return callback(null, user, context);
  }
  var CLAIMS = 'https://api.alpha.mojanalytics.xyz/claims/';
  var request = require('request');
  request(
    {
      url: 'https://api.github.com/user/teams',
      headers: { Authorization: 'token ' + github.access_token, 'User-Agent': 'request' },
    },
    function (error, response, body) {
      if (response.statusCode !== 200) {
        return callback(new Error('Error retrieving teams from github: ' + body || error));
      }
      var orgs = ['ministryofjustice', 'moj-analytical-services'];
      context.idToken[CLAIMS + 'groups'] = JSON.parse(body).map(function (team) {
        if (orgs.includes(team.organization.login)) {
          return team.slug;
        }
      });
      return callback(null, user, context);
    }
  );
}
