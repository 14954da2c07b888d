/**
 * Customers may read messages, never write them.
 *
 * No API scope in the request means every scope of the API, so the rule decides from what was
 * requested. A refresh keeps the scopes granted at login, which this rule already restricted.
 */
function restrictCustomers(user, context, callback) {
  if (context.connection !== 'Customers' || context.protocol === 'oauth2-refresh-token') {
    return callback(null, user, context);
  }
  const oidc = ['openid', 'profile', 'email', 'offline_access'];
  const requested = (context.request.body.scope || '').split(' ').filter(Boolean);
  const apiScopes = requested.filter((scope) => oidc.indexOf(scope) === -1);
  const granted = requested.filter((scope) => oidc.indexOf(scope) !== -1);
  if (apiScopes.length === 0 || apiScopes.indexOf('read:messages') !== -1) granted.push('read:messages');
  context.accessToken.scope = granted;
  callback(null, user, context);
}
