/**
 * Origin: github.com/ministryofjustice/analytics-platform-auth0 rules/Lowercase-the-user-nickname.js @ a07b70c2af20579120390ac01a12147b84e7b24d   (tenant repo: rules/ deployed to the tenant by analytics-platform-ops' automation)
 * Lower-cases the nickname (GitHub logins are used as Kubernetes and AWS names), keeps the original,
 * and puts both in the ID token.
 * Quirks kept: the claims are NOT namespaced (`nickname`, `original_nickname`), which Auth0 accepts
 * or drops depending on the tenant's namespace setting; a user without a nickname throws.
 */
function (user, context, callback) {
  user.original_nickname = user.nickname;
  user.nickname = user.nickname.toLowerCase();
  context.idToken.original_nickname = user.original_nickname;
  context.idToken.nickname = user.nickname;
  callback(null, user, context);
}
