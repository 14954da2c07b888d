/**
 * Origin: github.com/devops-urolime/Riggo auth0/rules/addSiteIdToJWT.js @ 84a312eff2c988ce02ee05486bc35748c980cab5   (repo: the app's auth0/rules folder)
 * Puts the logistics app's site id, email, Salesforce account/contact ids (from user_metadata),
 * the client's metadata and the RBAC roles into both tokens. Quirks kept: the whole clientMetadata
 * object goes into an ID-token claim named sfToken; roles may be undefined (no authorization in
 * context) and are then written as an undefined claim; context.idToken/accessToken re-assigned to
 * themselves; user_metadata defaulted on the user object.
 */
function (user, context, callback) {
  const ns = 'https://api.riggo.io/';
  const id = context.idToken;
  const access = context.accessToken;

  id[ns + 'siteId'] = '100';
  id[ns + 'email'] = user.email;
  id[ns + 'email_verified'] = user.email_verified;

  user.user_metadata = user.user_metadata || {};
  const meta = user.user_metadata;
  if (meta.sf_account_id) {
    id[ns + 'sf_account_id'] = meta.sf_account_id;
    access[ns + 'sf_account_id'] = meta.sf_account_id;
  }
  if (meta.sf_contact_id) {
    id[ns + 'sf_contact_id'] = meta.sf_contact_id;
    access[ns + 'sf_contact_id'] = meta.sf_contact_id;
  }

  access[ns + 'siteId'] = '100';
  access[ns + 'email'] = user.email;
  access[ns + 'email_verified'] = user.email_verified;

  id[ns + 'sfToken'] = context.clientMetadata;

  const roles = (context.authorization || {}).roles;
  const idClaims = context.idToken || {};
  const accessClaims = context.accessToken || {};
  idClaims[`${ns}roles`] = roles;
  accessClaims[`${ns}roles`] = roles;
  context.idToken = idClaims;
  context.accessToken = accessClaims;

  callback(null, user, context);
}
