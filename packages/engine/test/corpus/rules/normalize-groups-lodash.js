/**
 * lodash: groups arrive from several identity providers in different spellings
 * (" Engineering", "engineering", "ENGINEERING"). Normalize them, keep only the groups the apps care
 * about (configuration.RELEVANT_GROUPS), and add the department from the profile.
 */
function normalizeGroupsLodash(user, context, callback) {
  var _ = require('lodash');
  var relevant = _.map(_.split(configuration.RELEVANT_GROUPS || '', ','), _.flow(_.trim, _.toLower));
  var fromProviders = _.flatMap(user.identities || [], function (identity) {
    return _.get(identity, 'profileData.groups', []);
  });
  var groups = _.chain(_.get(user, 'app_metadata.groups', []))
    .concat(fromProviders)
    .map(_.flow(_.trim, _.toLower))
    .compact()
    .uniq()
    .intersection(relevant)
    .sortBy()
    .value();
  context.accessToken[configuration.CLAIM_NAMESPACE + 'groups'] = groups;
  context.idToken[configuration.CLAIM_NAMESPACE + 'department'] = _.startCase(_.get(user, 'user_metadata.department', 'unknown'));
  callback(null, user, context);
}
