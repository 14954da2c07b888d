/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/AWS-Federated-CLI-Token-Enrichment.js @ 0ce26ff7f165ef5f45a904554e4bf247085d563b   (repo: rules/ folder uploaded by the repository's CI uploader)
 * For the federated AWS CLI clients, adds a non-namespaced 'oaud' claim ('authenticated') that the
 * AWS role trust policy matches on. Quirks kept: a non-namespaced custom claim; logs the whole ID
 * token object.
 */
function (user, context, callback) {
  const awsCliClients = ['xRFzU2bj7Lrbo3875aXwyxIArdkq1AOT', 'N7lULzWtfVUDGymwDs0yDEq6ZcwmFazj'];
  if (awsCliClients.indexOf(context.clientID) >= 0) {
    context.idToken['oaud'] = 'authenticated';
    console.log(context.idToken);
  }
  callback(null, user, context);
}
