/**
 * Origin: github.com/ministryofjustice/moj-terraform-aws-sso auth0-rules/map-teams-to-roles.js @ fb77656b7fd1a3be7364dfd0e96d13023231f3d9   (Terraform: auth0_rule resource, script = file("${path.module}/auth0-rules/map-teams-to-roles.js"))
 * GitHub logins to AWS over SAML: each of the user's teams in an allowed organisation becomes an
 * AWS role ARN paired with the SAML provider ARN (account id and provider name from the
 * configuration), the session is named after the GitHub nickname, and the SAML mappings are set.
 * Quirks kept: a GitHub failure calls back from `.catch` and then reads `.data` of undefined; a
 * login that is not GitHub (or has no GitHub identity) never calls back.
 */
async function (user, context, callback) {
  const allowedOrgs = JSON.parse(configuration.ALLOWED_ORGANISATIONS);
  if (context.connectionStrategy === 'github') {
    const github = user.identities.find((identity) => identity.provider === 'github');
    if (github) {
      const { Octokit } = require('@octokit/rest@17.1.4');
      const octokit = new Octokit({ auth: github.access_token });
      const teams = await octokit
        .request('GET /user/teams')
        .catch((error) => callback(new Error(`Error retrieving user teams from GitHub: ${error}`)));

      const account = configuration.AWS_ACCOUNT_ID;
      const providerArn = `arn:aws:iam::${account}:saml-provider/${configuration.AWS_SAML_PROVIDER_NAME}`;
      const rolePrefix = `arn:aws:iam::${account}:role/`;

      user.awsRole = teams.data
        .filter((team) => allowedOrgs.includes(team.organization.login))
        .map((team) => `${rolePrefix + team.slug},${providerArn}`);
      user.awsRoleSession = user.nickname;
      context.samlConfiguration.mappings = {
        'https://aws.amazon.com/SAML/Attributes/Role': 'awsRole',
        'https://aws.amazon.com/SAML/Attributes/RoleSessionName': 'awsRoleSession',
      };
      if (user.awsRole.length) {
        return callback(null, user, context);
      }
      return callback(new UnauthorizedError('Access denied: no team membership.'));
    }
  }
}
