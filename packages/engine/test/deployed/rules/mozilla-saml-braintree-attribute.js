/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/SAML-Braintree-attribute.js @ 0eb0f6975b5fd82a027bf75b2aecefde9f8d7970   (repo: rules/ folder uploaded by the repository's CI uploader)
 * For Braintree's SAML app, grants all merchant accounts (a string "true" on the profile) and sends
 * the user's app_metadata.groups as roles. Quirks kept: the flag is the string "true"; existing
 * SAML mappings are replaced; context.samlConfiguration is assumed to exist.
 */
function SAMLBrainTreeAttribute(user, context, callback) {
  if (!user) return callback(null, null, context);
  if (['x7TF6ZtJev4ktoHR4ObWmA9KeqGni6rq'].indexOf(context.clientID) >= 0) {
    user.grant_all_merchant_accounts = 'true';
    context.samlConfiguration.mappings = {
      grant_all_merchant_accounts: 'grant_all_merchant_accounts',
      roles: 'app_metadata.groups',
    };
  }
  callback(null, user, context);
}
