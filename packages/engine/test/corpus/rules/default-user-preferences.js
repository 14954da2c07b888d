/**
 * Persisting user_metadata: users who never chose a language get the one their app asked for
 * (ui_locales in the token request, else configuration.DEFAULT_LOCALE), saved once so that every
 * app agrees. The locale goes into the ID token.
 */
function defaultUserPreferences(user, context, callback) {
  user.user_metadata = user.user_metadata || {};
  var namespace = configuration.CLAIM_NAMESPACE;
  if (user.user_metadata.locale) {
    context.idToken[namespace + 'locale'] = user.user_metadata.locale;
    return callback(null, user, context);
  }
  var requested = ((context.request && (context.request.query.ui_locales || context.request.body.ui_locales)) || '').split(' ')[0];
  var supported = (configuration.SUPPORTED_LOCALES || 'en').split(',');
  user.user_metadata.locale = supported.indexOf(requested) !== -1 ? requested : (configuration.DEFAULT_LOCALE || 'en');
  user.user_metadata.preferences = user.user_metadata.preferences || { newsletter: false, theme: 'system' };

  auth0.users.updateUserMetadata(user.user_id, user.user_metadata).then(function () {
    context.idToken[namespace + 'locale'] = user.user_metadata.locale;
    callback(null, user, context);
  }, callback);
}
