/**
 * Users must accept the current terms. Browser logins are sent to the terms page and come back
 * through redirect-callback; the password grant has no browser, so those users are told where to
 * accept them instead.
 */
function acceptTerms(user, context, callback) {
  const version = configuration.TERMS_VERSION;
  const accepted = user.user_metadata && user.user_metadata.terms_accepted === version;
  if (context.protocol === 'redirect-callback') {
    if (context.request.query.accepted !== version) {
      return callback(new UnauthorizedError('The terms of service must be accepted.'));
    }
    user.user_metadata = Object.assign({}, user.user_metadata, { terms_accepted: version });
    return auth0.users.updateUserMetadata(user.user_id, user.user_metadata)
      .then(function () { callback(null, user, context); })
      .catch(callback);
  }
  if (accepted) return callback(null, user, context);
  const browserless = ['oauth2-password', 'oauth2-refresh-token', 'oauth2-resource-owner'];
  if (browserless.indexOf(context.protocol) !== -1) {
    return callback(new UnauthorizedError('Please accept the terms of service at ' + configuration.TERMS_URL));
  }
  context.redirect = { url: configuration.TERMS_URL + '?version=' + encodeURIComponent(version) };
  callback(null, user, context);
}
