/**
 * Origin: github.com/ministryofjustice/cloud-platform-infrastructure terraform/aws-accounts/cloud-platform-aws/account/resources/auth0-rules/add-github-teams-to-opensearch-saml.js @ 5225abb067f3c1544a3b22f6d553f5e3c5232a99   (Terraform: auth0_rule "add-github-teams-to-opensearch-saml", order 40, with auth0_rule_config client ids)
 * For the two OpenSearch SAML applications (client ids in the configuration), GitHub logins get
 * their ministryofjustice team slugs as user.GithubTeam, mapped to the SAML Group attribute.
 * Quirks kept: other organisations' teams stay as `undefined` entries; webops members lose the
 * entry at the index of 'all-org-members' even when that index is -1 (splice(-1, 1) drops the last).
 */
function (user, context, callback) {
  var request = require('request');
  var fromGithub = context.connection === 'github';
  var modsecApp = context.clientID === configuration.OPENSEARCH_APP_CLIENT_ID && fromGithub;
  var appLogsApp = context.clientID === configuration.OPENSEARCH_APP_CLIENT_ID_APP_LOGS && fromGithub;
  if (!(modsecApp || appLogsApp)) {
    return callback(null, user, context);
  }
  var github = user.identities.find((identity) => identity.connection === 'github');
  request(
    {
      url: 'https://api.github.com/user/teams?per_page=100',
      headers: { Authorization: 'token ' + github.access_token, 'User-Agent': 'request' },
    },
    function (err, resp, body) {
      if (resp.statusCode !== 200) {
        return callback(new Error('Error retrieving teams from Github: ' + body || err));
      }
      var teams = JSON.parse(body).map(function (team) {
        if (team.organization.login === 'ministryofjustice') {
          return team.slug;
        }
      });
      if (teams.indexOf('webops') >= 0) {
        teams.splice(teams.indexOf('all-org-members'), 1);
      }
      user.GithubTeam = teams;
      context.samlConfiguration.mappings = { 'http://schemas.xmlsoap.org/claims/Group': 'GithubTeam' };
      return callback(null, user, context);
    }
  );
}
