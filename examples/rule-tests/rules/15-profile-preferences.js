/** The user's display preferences (locale, theme, timezone) as one ID token claim. */
function profilePreferences(user, context, callback) {
  const _ = require('lodash');
  const preferences = _.pick(user.user_metadata || {}, ['locale', 'theme', 'timezone']);
  if (!_.isEmpty(preferences)) {
    context.idToken['https://acme.example/preferences'] = preferences;
  }
  callback(null, user, context);
}
