/**
 * Users whose app_metadata says `use_mfa: true` must pass a one-time password (TOTP) at login.
 * A refresh of a token family that already passed MFA is not asked again.
 */
function mfaForFlaggedUsers(user, context, callback) {
  if (user.app_metadata && user.app_metadata.use_mfa && context.protocol !== 'oauth2-refresh-token') {
    context.multifactor = { provider: 'any', allowRememberBrowser: false };
  }
  callback(null, user, context);
}
