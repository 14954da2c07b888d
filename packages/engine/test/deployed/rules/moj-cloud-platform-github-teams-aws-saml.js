/**
 * Origin: github.com/ministryofjustice/cloud-platform-infrastructure terraform/global-resources/resources/auth0-rules/add-github-teams-to-saml-mappings.js @ 6d55eaf19659a677504b9f3c3d63a370ae401f3a   (Terraform: auth0_rule "add-github-teams-to-saml-mappings", script = file(...), with auth0_rule_config AWS_* values)
 * AWS console over SAML for GitHub logins: one IAM role per ministryofjustice team
 * (`<role prefix><slug>,<saml provider arn>`), the nickname as session name, and the SAML mappings.
 * Quirks kept: legacy global `_` (lodash) without a require; teams of other organisations become
 * `undefined` roles; status read before `err`; `'…' + body || err` precedence.
 */
function (user, context, callback) {
  var request = require('request');
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
        return callback(new Error('Error retrieving teams from github: ' + body || err));
      }
      var providerArn = 'arn:aws:iam::' + configuration.AWS_ACCOUNT_ID + ':saml-provider/' + configuration.AWS_SAML_PROVIDER_NAME;
      var roleArn = 'arn:aws:iam::' + configuration.AWS_ACCOUNT_ID + ':role/';
      user.awsRole = JSON.parse(body).map(function (team) {
        if (team.organization.login === 'ministryofjustice') {
          return roleArn + configuration.AWS_SAML_ROLE_PREFIX + team.slug + ',' + providerArn;
        }
      });
      user.awsRoleSession = user.nickname;
      context.samlConfiguration.mappings = {
        'https://aws.amazon.com/SAML/Attributes/Role': 'awsRole',
        'https://aws.amazon.com/SAML/Attributes/RoleSessionName': 'awsRoleSession',
      };
      return callback(null, user, context);
    }
  );
}
