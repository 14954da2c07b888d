/**
 * Profile enrichment over HTTP, global fetch style: the corporate directory knows the user's groups.
 * Downstream APIs authorize on them, so a login without them is refused.
 *   configuration.DIRECTORY_URL, configuration.DIRECTORY_API_KEY
 */
async function directoryGroupsFetch(user, context, callback) {
  let res;
  try {
    res = await fetch(configuration.DIRECTORY_URL + '/graphql', {
      method: 'POST',
      headers: { authorization: 'ApiKey ' + configuration.DIRECTORY_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query ($email: String!) { user(email: $email) { groups } }', variables: { email: user.email } }),
    });
  } catch (err) {
    return callback(new Error('Directory unavailable (' + err.code + ').'));
  }
  if (!res.ok) {
    return callback(new Error('Directory unavailable (HTTP ' + res.status + ').'));
  }
  const answer = await res.json();
  if (!answer.data || !answer.data.user) {
    return callback(new UnauthorizedError('You are not in the company directory.'));
  }
  const groups = answer.data.user.groups;
  context.accessToken[configuration.CLAIM_NAMESPACE + 'groups'] = groups;
  context.idToken[configuration.CLAIM_NAMESPACE + 'groups'] = groups;
  callback(null, user, context);
}
