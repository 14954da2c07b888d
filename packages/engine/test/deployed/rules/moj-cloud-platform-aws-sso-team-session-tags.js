/**
 * Origin: github.com/ministryofjustice/cloud-platform-terraform-aws-sso add-github-teams-to-saml-mappings.js @ 0ad522a3d8412ccc1335495002a863c136803315   (Terraform module: auth0_rule "saml_mappings", script = file("${path.module}/add-github-teams-to-saml-mappings.js"), AWS_SAML_PROVIDER_NAME from auth0_rule_config)
 * AWS console for the whole GitHub organisation through one role (`access-via-github`): the
 * ministryofjustice team slugs travel as a `:a:b:` session tag (PrincipalTag:GithubTeam) that IAM
 * policies match on; the nickname is the session name.
 * Quirks kept: legacy global `_` (lodash) without a require; the filter drops 'all-org-members' and,
 * through returning the slug itself, the `undefined` entries of other organisations; status read
 * before `err`; `'…' + body || err` precedence.
 */
function (user, context, callback) {
  var request = require('request');
  if (context.connection !== 'github') {
    return callback(null, user, context);
  }
  var account = configuration.AWS_ACCOUNT_ID;
  var arnPrefix = 'arn:aws:iam::' + account;
  var providerArn = arnPrefix + ':saml-provider/' + configuration.AWS_SAML_PROVIDER_NAME;
  var github = _.find(user.identities, { connection: 'github' });
  request(
    {
      url: 'https://api.github.com/user/teams',
      headers: { Authorization: 'token ' + github.access_token, 'User-Agent': 'request' },
    },
    function (err, resp, body) {
      if (resp.statusCode !== 200) {
        return callback(new Error('Error retrieving teams from GitHub: ' + body || err));
      }
      user.awsRoleSession = user.nickname;
      user.awsTagKeys = ['GithubTeam'];
      var teams = JSON.parse(body)
        .map(function (team) {
          if (team.organization.login === 'ministryofjustice') {
            return team.slug;
          }
        })
        .filter(function (slug) {
          if (slug === 'all-org-members') {
            return false;
          }
          return slug;
        });
      user.GithubTeam = ':' + teams.join(':') + ':';
      user.awsRole = arnPrefix + ':role/' + 'access-via-github' + ',' + providerArn;
      context.samlConfiguration.mappings = {
        'https://aws.amazon.com/SAML/Attributes/Role': 'awsRole',
        'https://aws.amazon.com/SAML/Attributes/RoleSessionName': 'awsRoleSession',
        'https://aws.amazon.com/SAML/Attributes/PrincipalTag:GithubTeam': 'GithubTeam',
      };
      return callback(null, user, context);
    }
  );
}
