/**
 * A post-login Action, run after the rules: how the user logged in, as claims.
 */
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/connection', event.connection.name);
  api.accessToken.setCustomClaim('https://example.com/logins', event.stats.logins_count);
};
