/**
 * Origin: github.com/infaspublications/auth0-deploy rules/add-usermeta-to-profile.js @ 41ba60bbda4a11ab53255d1f35019e8d6ac68e42   (tenant repo: rules/ tested and deployed by the repository's scripts; the module.exports wrapper is the repository's, the deployed script is the function)
 * The whole user_metadata object goes into the ID token under the WWD Japan namespace.
 * Quirks kept: an absent user_metadata gives an undefined claim (dropped from the token).
 */
function (user, context, callback) {
  context.idToken['https://wwdjapan.com/' + 'user_metadata'] = user.user_metadata;
  callback(null, user, context);
}
