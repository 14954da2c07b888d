/**
 * Origin: github.com/centre-for-effective-altruism/auth0-rules rules/src/add-default-roles.ts @ b3aa9a7cfe1693e307e4be743715205df9da0132   (tenant repo: compiled and deployed by GitHub Actions; TEMPLATE_DATA.defaultRoles = the ids of four named roles, filled at deploy time; shown here as deployed)
 * Every user must hold the default roles: a ManagementClient (auth0@2.31.0, client credentials
 * from the configuration, scope read:users update:users read:roles) assigns them on a first login,
 * and otherwise reads the user's roles and assigns them when one is missing.
 * Quirks kept: the check compares role OBJECTS with role ids (`roles.includes(id)`), so returning
 * users are re-assigned every time; any failure fails the login with a wrapped message.
 */
async function addDefaultRoles(user, context, callback) {
  try {
    const DEFAULT_ROLES = [
      'rol_Bq8yT3nV0cX5mK2w', // User-Basic-Role
      'rol_Pf4sJ7hL1dZ9aR6e', // Parfit User
      'rol_Ea2uN5kC8gW3tY7q', // EA Funds User
      'rol_Gw9xM4bH6jS1vD0p', // Giving What We Can User
    ];
    const ManagementClient = require('auth0@2.31.0').ManagementClient;
    const management = new ManagementClient({
      domain: auth0.domain,
      clientId: configuration.AUTH0_CLIENT_ID,
      clientSecret: configuration.AUTH0_CLIENT_SECRET,
      scope: 'read:users update:users read:roles',
    });
    const params = { id: user.user_id };
    const data = { roles: DEFAULT_ROLES };
    const logins = context.stats && context.stats.loginsCount ? context.stats.loginsCount : 0;
    if (logins === 0) {
      await management.users.assignRoles(params, data);
      return callback(null, user, context);
    }
    const roles = await management.users.getRoles({ id: user.user_id });
    if (!DEFAULT_ROLES.every((id) => roles.includes(id))) {
      await management.users.assignRoles(params, data);
    }
    callback(null, user, context);
  } catch (error) {
    callback(new Error(`Failed to set default role: ${error.message || JSON.stringify(error)}`));
  }
}
