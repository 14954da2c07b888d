/**
 * Origin: github.com/ministryofjustice/moj-terraform-aws-sso auth0-rules/allow-email-addresses.js @ 81d356562413f84855d8a9e6313c593017464f47   (Terraform: auth0_rule resource, script = file("${path.module}/auth0-rules/allow-email-addresses.js"))
 * GitHub logins are let in only when one of the GitHub account's addresses (GET /user/emails with
 * @octokit/rest@17.1.4) ends with the allowed domain; the user goes on with `emails` set to those
 * addresses in a new user object.
 * Quirks kept: configuration.ALLOWED_DOMAINS is JSON.parse'd and used with endsWith as one string;
 * a GitHub failure calls back from `.catch` and then reads `.data` of undefined.
 */
async function (user, context, callback) {
  const domain = JSON.parse(configuration.ALLOWED_DOMAINS);
  if (context.connectionStrategy === 'github') {
    const github = user.identities.find((identity) => identity.provider === 'github');
    if (github) {
      const { Octokit } = require('@octokit/rest@17.1.4');
      const octokit = new Octokit({ auth: github.access_token });
      const result = await octokit
        .request('GET /user/emails')
        .catch((error) => callback(new Error(`Error retrieving email addresses from GitHub: ${error}`)));
      const matching = result.data.map((entry) => entry.email).filter((address) => address.endsWith(domain));
      if (matching.length) {
        return callback(null, { ...user, emails: matching }, context);
      }
    }
  }
  return callback(new UnauthorizedError('Access denied.'));
}
