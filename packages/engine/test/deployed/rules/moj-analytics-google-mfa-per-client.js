/**
 * Origin: github.com/ministryofjustice/analytics-platform-auth0 rules/google-mfa.js @ 8153ef4093216580b7549869cdbd96f70161259b   (tenant repo, dev branch: rules/ deployed to the tenant by analytics-platform-ops' automation)
 * The dev tenant's first MFA rule: one client always gets Google Authenticator with the dev issuer
 * label and no remembered browser.
 * Quirks kept: the per-user opt-in is computed and never used (its condition is commented out), so
 * users without app_metadata.use_mfa are challenged too.
 */
function (user, context, callback) {
  var mfaClient = ['AsiY4W2JE2d4UOH8FDgUQV9AYAUWwZkk'].indexOf(context.clientID) !== -1;
  var userOptedIn = user.app_metadata && user.app_metadata.use_mfa;
  if (mfaClient /* && userOptedIn */) {
    context.multifactor = {
      provider: 'google-authenticator',
      issuer: 'MOJ Analytical Platform (dev)',
      allowRememberBrowser: false,
    };
  }
  callback(null, user, context);
}
