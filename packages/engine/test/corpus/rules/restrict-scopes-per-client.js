/**
 * Scope restriction per client: configuration.CLIENT_SCOPES (JSON: { clientID: [scope] }) lists the
 * scopes each application may receive. Requested scopes outside the list are removed; an application
 * left with no scope at all is refused. Applications not listed keep what they asked for.
 */
function restrictScopesPerClient(user, context, callback) {
  var allowedByClient = JSON.parse(configuration.CLIENT_SCOPES || '{}');
  var allowed = allowedByClient[context.clientID];
  if (!allowed) {
    return callback(null, user, context);
  }
  var requested = context.accessToken.scope || (context.request.body.scope || '').split(' ');
  if (typeof requested === 'string') requested = requested.split(' ');
  var granted = requested.filter(function (scope) {
    return scope && allowed.indexOf(scope) !== -1;
  });
  if (granted.length === 0) {
    return callback(new UnauthorizedError('None of the requested scopes is available to ' + context.clientName + '.'));
  }
  context.accessToken.scope = granted;
  callback(null, user, context);
}
