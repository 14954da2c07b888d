/**
 * Versioned require, as found in rules written for Auth0's webtask runtime: the rule pins
 * lodash@4.17.19. It copies the profile fields the app displays from user_metadata into the ID
 * token, with defaults.
 */
function pinnedLodashProfileClaims(user, context, callback) {
  var _ = require('lodash@4.17.19');
  var profile = _.defaults(
    _.pick(user.user_metadata || {}, ['preferred_language', 'timezone', 'display_name']),
    { preferred_language: 'en', timezone: 'UTC', display_name: user.name || user.email }
  );
  _.forOwn(profile, function (value, key) {
    context.idToken[configuration.CLAIM_NAMESPACE + key] = value;
  });
  callback(null, user, context);
}
