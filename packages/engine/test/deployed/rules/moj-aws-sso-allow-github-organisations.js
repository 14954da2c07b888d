/**
 * Origin: github.com/ministryofjustice/moj-terraform-aws-sso auth0-rules/allow-github-organisations.js @ 322be2018ee1f19987e5461d77da838d8ad35284   (Terraform: auth0_rule "allow_github_organisations", script = file(...), order 10)
 * GitHub logins for AWS SSO: the user's organisations and teams are read with @octokit/rest@17.1.4
 * (token = the GitHub identity's access_token); a member of an allowed organisation
 * (configuration.ALLOWED_ORGANISATIONS, a JSON array) goes on with `teams` (slugs in those
 * organisations) spread into a NEW user object; everyone else is refused.
 * Quirks kept: a failed GitHub call calls back with an error from `.catch` and the rule then reads
 * `.data` of undefined (a TypeError after the callback); the team call is made even when not authorised.
 */
async function (user, context, callback) {
  const allowed = JSON.parse(configuration.ALLOWED_ORGANISATIONS);

  if (context.connectionStrategy === 'github') {
    const github = user.identities.find((identity) => identity.provider === 'github');
    if (github) {
      const { Octokit } = require('@octokit/rest@17.1.4');
      const octokit = new Octokit({ auth: github.access_token });

      const orgs = await octokit
        .request('GET /user/orgs')
        .catch((error) => callback(new Error(`Error retrieving orgs from GitHub: ${error}`)));
      const isMember = orgs.data.map((org) => org.login).some((login) => allowed.includes(login));

      const teams = await octokit
        .request('GET /user/teams')
        .catch((error) => callback(new Error(`Error retrieving org teams from GitHub: ${error}`)));
      const teamSlugs = teams.data.filter((team) => allowed.includes(team.organization.login)).map((team) => team.slug);

      if (isMember) {
        return callback(null, { ...user, teams: teamSlugs }, context);
      }
    }
  }
  return callback(new UnauthorizedError('Access denied.'));
}
