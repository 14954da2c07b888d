/**
 * Origin: github.com/jmarckel/get-er-done auth0/rules/02_set_perms.js @ 56fa7c7c1b4394bbd5ecdbe6105a653d2c1d2fa6   (repo: the app's auth0/rules folder, second in its ordered rule set)
 * Gives verified users read/write, managers (user_metadata.title from rule 01) also assign/delete;
 * persists app_metadata.perms and puts them in the ID token. Quirks kept: reads
 * user.user_metadata.title without a guard (a verified user whose user_metadata is missing makes the
 * rule throw).
 */
function (user, context, callback) {
  if (!user.email || !user.email_verified) {
    return callback(null, user, context);
  }

  user.app_metadata = user.app_metadata || {};

  const permsFor = function (u) {
    const perms = ['read', 'write'];
    if (u.user_metadata.title === 'manager') {
      perms.push('assign');
      perms.push('delete');
    }
    return perms;
  };

  user.app_metadata.perms = permsFor(user);

  auth0.users
    .updateAppMetadata(user.user_id, user.app_metadata)
    .then(function () {
      context.idToken['http://api.techex.epoxyloaf.com/perms'] = user.app_metadata.perms;
      callback(null, user, context);
    })
    .catch(function (err) {
      callback(err);
    });
}
