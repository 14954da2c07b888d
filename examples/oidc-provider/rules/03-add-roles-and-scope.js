/**
 * Put the user's roles in both tokens under a namespaced claim, and grant only the API
 * scopes those roles allow: everyone may read messages, only admins may write them.
 */
function addRolesAndScope(user, context, callback) {
  const roles = (user.app_metadata && user.app_metadata.roles) || [];
  context.accessToken['https://tokenrules.example/roles'] = roles;
  context.idToken['https://tokenrules.example/roles'] = roles;

  const requested = (context.request.body.scope || '').split(' ').filter(Boolean);
  const api = ['read:messages', 'write:messages'];
  const allowed = roles.indexOf('admin') !== -1 ? api : ['read:messages'];
  const asked = requested.filter((scope) => api.indexOf(scope) !== -1);
  const granted = (asked.length > 0 ? asked : api).filter((scope) => allowed.indexOf(scope) !== -1);
  context.accessToken.scope = requested.filter((scope) => api.indexOf(scope) === -1).concat(granted);
  callback(null, user, context);
}
