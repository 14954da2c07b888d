/**
 * Origin: github.com/jmarckel/get-er-done auth0/rules/01_set_title.js @ 56fa7c7c1b4394bbd5ecdbe6105a653d2c1d2fa6   (repo: the app's auth0/rules folder, first in its ordered rule set)
 * Verified users get a title derived from their email ('+goob' tag → manager), persisted with
 * auth0.users.updateUserMetadata and then put in the ID token. Quirks kept: the title is recomputed
 * and written on every login; the persist error is handed to callback as is.
 */
function (user, context, callback) {
  if (!user.email || !user.email_verified) {
    return callback(null, user, context);
  }

  user.user_metadata = user.user_metadata || {};

  const titleFor = function (u) {
    let title = 'user';
    const halves = u.email.split('@');
    if (halves.length === 2) {
      const tagged = halves[0].split('+');
      if (tagged.length === 2 && tagged[1].includes('goob')) title = 'manager';
    }
    return title;
  };

  user.user_metadata.title = titleFor(user);

  auth0.users
    .updateUserMetadata(user.user_id, user.user_metadata)
    .then(function () {
      context.idToken['http://api.techex.epoxyloaf.com/title'] = user.user_metadata.title;
      callback(null, user, context);
    })
    .catch(function (err) {
      callback(err);
    });
}
