/**
 * Origin: github.com/ministryofjustice/moj-terraform-aws-sso auth0-rules/update-jit-user.js @ cb9124b7f0dab27f4f3879a14fd48812d87acc47   (Terraform: auth0_rule resource, script = file("${path.module}/auth0-rules/update-jit-user.js"), SCIM settings from auth0_rule_config)
 * Just-in-time AWS SSO group membership: finds the SSO user named `<nickname><domain>` with the
 * SCIM API, then for each of the user's GitHub teams finds the SSO group of that name and PATCHes
 * the user into it (axios@0.19.2 with a bearer token set on axios.defaults.headers.common).
 * Quirks kept: every configuration value is JSON.parse'd; lookup errors are logged and become
 * undefined (a missing group is PATCHed at /Groups/undefined); a user unknown to SSO is refused with
 * an UnauthorizedError given the user object as a second argument; needs user.teams from an earlier rule.
 */
async function (user, context, callback) {
  const domain = JSON.parse(configuration.ALLOWED_DOMAINS);
  const scim = `https://scim.${JSON.parse(configuration.SSO_REGION)}.amazonaws.com/${JSON.parse(configuration.SSO_TENANT_ID)}/scim/v2`;
  const axios = require('axios@0.19.2');
  axios.defaults.headers.common.Authorization = `Bearer ${JSON.parse(configuration.SSO_SCIM_TOKEN)}`;

  const found = await axios
    .get(`${scim}/Users?filter=userName eq "${user.nickname}${domain}"`)
    .then((res) => res.data)
    .catch((error) => {
      console.log('[error]', error);
    });

  if (found.totalResults !== 1) {
    return callback(new UnauthorizedError('Access denied: user does not exist in AWS SSO:', user));
  }

  await Promise.all(
    user.teams.map(async (team) => {
      const groupId = await axios
        .get(`${scim}/Groups?filter=displayName eq "${team}"`)
        .then((res) => res.data.Resources[0].id)
        .catch((error) => {
          console.log('[error]', error);
        });
      await axios
        .patch(`${scim}/Groups/${groupId}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'add', path: 'members', value: [{ value: found.Resources[0].id }] }],
        })
        .catch((error) => {
          console.log('[error]', error);
        });
    })
  );
  return callback(null, user, context);
}
