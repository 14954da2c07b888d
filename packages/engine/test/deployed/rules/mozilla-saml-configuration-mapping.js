/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/SAML-configuration-mapping.js @ 013b4230e54443923dd9d0c84c8f713dca62725a   (repo: rules/ folder uploaded by the repository's CI uploader)
 * Per SAML application (by client id) sets context.samlConfiguration.mappings and profile
 * attributes; for Stripe maps LDAP groups to per-account roles written into user.app_metadata.
 * Quirks kept: the Stripe branch writes user.app_metadata without defaulting it; Planful's attribute
 * name has spaces; a `const` declared inside a switch case.
 */
function (user, context, callback) {
  const SAML_APPS = {
    wgh8S9GaE7sJ4i0QrAzeMxFXgWZYtB0l: 'sage-intacct',
    R4djNlyXSl3i8N2KXWkfylghDa9kFQ84: 'thinksmart',
    cEfnJekrSStxxxBascTjNEDAZVUPAIU2: 'stripe-subplat',
    inoLoMyAEOzLX1cZOvubQpcW18pk4O1S: 'acoustic-stage',
    sBImsybtPPLyWlstD0SC35IwnAafE4nB: 'acoustic-prod',
    H5ddlJSCfGP8ab65EnWaB2sd541CJAlM: 'planful',
  };
  const app = SAML_APPS[context.clientID];
  if (!app) return callback(null, user, context);

  context.samlConfiguration = context.samlConfiguration || {};

  switch (app) {
    case 'sage-intacct':
      user.company_name = 'MOZ Corp';
      context.samlConfiguration.mappings = { 'Company Name': 'company_name', emailAddress: 'email', name: 'name' };
      break;
    case 'planful':
      user['IdP Entity ID'] = 'urn:auth-dev.mozilla.auth0.com';
      break;
    case 'thinksmart':
      context.samlConfiguration.mappings = { Email: 'email', firstName: 'given_name', lastName: 'family_name' };
      break;
    case 'stripe-subplat':
      const stripeRoles = {
        stripe_subplat_admin: [{ role: 'admin', account: 'acct_1EJOaaJNcmPzuWtR' }],
        stripe_subplat_developer: [{ role: 'developer', account: 'acct_1EJOaaJNcmPzuWtR' }],
        stripe_subplat_supportsp: [{ role: 'support_specialist', account: 'acct_1EJOaaJNcmPzuWtR' }],
        stripe_subplat_analyst: [{ role: 'analyst', account: 'acct_1EJOaaJNcmPzuWtR' }],
        stripe_subplat_viewonly: [{ role: 'view_only', account: 'acct_1EJOaaJNcmPzuWtR' }],
      };
      context.samlConfiguration.mappings = context.samlConfiguration.mappings || {};
      Object.keys(stripeRoles).forEach((group) => {
        if (user.hasOwnProperty('groups') && user.groups.includes(group)) {
          stripeRoles[group].forEach((r) => {
            user.app_metadata[r.account] = r.role;
            context.samlConfiguration.mappings[`Stripe-Role-${r.account}`] = `app_metadata.${r.account}`;
          });
        }
      });
      break;
    case 'acoustic-stage':
    case 'acoustic-prod':
      context.samlConfiguration.mappings = { Nameid: 'email', email: 'email', firstName: 'given_name', lastName: 'family_name' };
      break;
  }

  return callback(null, user, context);
}
