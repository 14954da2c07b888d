/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/aai.js @ 0459e4bd8505f5046328420b2cd4882a2089a118   (repo: rules/ folder uploaded by the repository's CI uploader)
 * Computes the user's authenticator assurance indicators (user.aai): '2FA' for GitHub / Firefox
 * Accounts with two-factor on, or when MFA is in play; HIGH_ASSURANCE_IDP for Google. Quirks kept:
 * the identity lookup loops over user.identities without a guard; the MFA branch reads
 * user.multifactor[0] only when context.multifactor is set but falsy-ish; aal is only defaulted in
 * the final else.
 */
function (user, context, callback) {
  user.aai = [];

  function identityProfile(connection) {
    for (var i = 0; i < user.identities.length; i++) {
      if (user.identities[i].connection === connection) return user.identities[i].profileData;
    }
    return undefined;
  }

  const profileData = identityProfile(context.connection);

  if (context.connection === 'github') {
    if (user.two_factor_authentication !== undefined && user.two_factor_authentication === true) {
      Array.prototype.push.apply(user.aai, ['2FA']);
    } else if (profileData !== undefined && profileData.two_factor_authentication === true) {
      Array.prototype.push.apply(user.aai, ['2FA']);
    }
  } else if (context.connection === 'firefoxaccounts') {
    if (user.fxa_twoFactorAuthentication !== undefined && user.fxa_twoFactorAuthentication === true) {
      Array.prototype.push.apply(user.aai, ['2FA']);
    } else if (profileData !== undefined && profileData.fxa_twoFactorAuthentication === true) {
      Array.prototype.push.apply(user.aai, ['2FA']);
    }
  } else if (context.multifactor !== undefined && (context.multifactor || user.multifactor[0] === 'duo')) {
    Array.prototype.push.apply(user.aai, ['2FA']);
  } else if (context.connection === 'google-oauth2') {
    Array.prototype.push.apply(user.aai, ['HIGH_ASSURANCE_IDP']);
  } else {
    user.aai = user.aai || [];
    user.aal = user.aal || 'UNKNOWN';
  }
  callback(null, user, context);
}
