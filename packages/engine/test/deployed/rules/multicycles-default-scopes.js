/**
 * Origin: github.com/fluctuo/multicycles rules/default-scopes.js @ a7d9518ef847b45e3c55083a724e175856af459b   (repo: the app's rules/ folder)
 * Gives every user the token-management scopes of the multicycles API as a plain `scopes` claim
 * in the ID token. Quirks kept: a non-namespaced array claim; nothing depends on the user.
 */
function (user, context, callback) {
  context.idToken.scopes = ['read:tokens', 'create:tokens', 'update:tokens', 'delete:tokens'];
  callback(null, user, context);
}
