// Only admins keep the write scope; everybody keeps read.
async function restrictScopes(user, context, callback) {
  const requested = (context.request.body.scope || '').split(' ');
  const isAdmin = (user.app_metadata.roles || []).indexOf('admin') !== -1;
  context.accessToken.scope = requested.filter(function (s) {
    return s === 'read:reports' || (isAdmin && s === 'write:reports');
  });
  console.log('granted', context.accessToken.scope.join(' '), 'to', user.email);
  callback(null, user, context);
}
