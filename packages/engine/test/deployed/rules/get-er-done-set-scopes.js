/**
 * Origin: github.com/jmarckel/get-er-done auth0/rules/03_set_scopes.js @ 0fa46ddf3e0da87755f6c681d140434aae23c0c4   (repo: the app's auth0/rules folder, third in its ordered rule set)
 * Narrows the requested scope: any '<verb>:tasks' scope survives only if the verb is in
 * app_metadata.perms; other scopes pass. Writes context.accessToken.scope. Quirks kept: perms is not
 * defaulted (a ':tasks' scope without perms throws); the requested scope comes from the body or the
 * query and is not defaulted either.
 */
function (user, context, callback) {
  user.app_metadata = user.app_metadata || {};

  const allowedScopes = function (u, requestedScopes) {
    const perms = u.app_metadata.perms;
    const kept = [];
    const asked = requestedScopes.split(' ');
    for (let i = 0; i < asked.length; i++) {
      const pieces = asked[i].split(':');
      if (pieces.length === 2 && pieces[1] === 'tasks' && !perms.includes(pieces[0])) continue;
      kept.push(asked[i]);
    }
    return kept.join(' ');
  };

  const requested = context.request.body.scope || context.request.query.scope;
  const granted = allowedScopes(user, requested);

  console.log('requested_scopes=' + requested);
  console.log('authorized_scopes=' + granted);

  context.accessToken.scope = granted;

  callback(null, user, context);
}
