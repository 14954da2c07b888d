/**
 * Origin: github.com/centre-for-effective-altruism/auth0-rules rules/src/add-default-roles.ts @ 200c48d1986740ab761fe3659cc428925aee17ea   (repo: TypeScript rules rendered with the manifest's role ids and pushed through the Management API by the repo's CLI)
 * Gives every user the organisation's default RBAC roles: a first login assigns them straight
 * away; later logins read the user's roles and assign the defaults if one is missing. node-auth0
 * (auth0@2.31.0 ManagementClient with client credentials from configuration): users.assignRoles,
 * users.getRoles. Quirks kept: the check compares role ids with the role objects getRoles returns,
 * so it never matches and the defaults are re-assigned on every login; any failure becomes
 * "Failed to set default role: …" (message or the error as JSON).
 */
async function addDefaultRole(user, context, callback) {
  try {
    const ManagementClient = require('auth0@2.31.0').ManagementClient;
    const DEFAULT_ROLES = ['rol_Ub2vYk0m3TqL8sJp', 'rol_9QhXc2WnF4dRtA7e'];
    const management = new ManagementClient({
      domain: auth0.domain,
      clientId: configuration.AUTH0_CLIENT_ID,
      clientSecret: configuration.AUTH0_CLIENT_SECRET,
      scope: 'read:users update:users read:roles',
    });

    const who = { id: user.user_id };
    const body = { roles: DEFAULT_ROLES };
    const logins = context.stats && context.stats.loginsCount ? context.stats.loginsCount : 0;
    if (logins === 0) {
      await management.users.assignRoles(who, body);
      return callback(null, user, context);
    }
    const current = await management.users.getRoles({ id: user.user_id });
    if (!DEFAULT_ROLES.every((r) => current.includes(r))) {
      await management.users.assignRoles(who, body);
    }
    callback(null, user, context);
  } catch (error) {
    callback(new Error('Failed to set default role: ' + (error.message || JSON.stringify(error))));
  }
}
