/**
 * Origin: github.com/Proyecto-Nutria/nutria-system-v2 auth_rules/hasura-user-sync.js @ 4113a6cc4113874a7a1afa17fa760e92be2dc97f   (repo: the app's auth_rules folder)
 * Upserts the user into the app's Hasura `users` table on every login (GraphQL mutation over the
 * legacy global `request`, admin secret from configuration). Quirks kept: no `require` (Auth0's global
 * request); the body is a JSON string with a lower-case content-type header; the GraphQL answer is
 * only logged, so an HTTP 4xx/5xx or GraphQL error still lets the user in; only a transport error is
 * passed to callback (together with user and context).
 */
function (user, context, callback) {
  const userId = user.user_id;
  const nickname = user.nickname;
  const email = user.email;

  const upsert = `mutation($userId: String!, $nickname: String, $email:String!) {
      insert_users(objects: [{ auth0_id: $userId, name: $nickname, email: $email }],
        on_conflict: { constraint: users_pkey, update_columns: [name] }) {
          affected_rows
        }
      }`;

  request.post(
    {
      headers: { 'content-type': 'application/json', 'x-hasura-admin-secret': configuration.ACCESS_KEY },
      url: configuration.HASURA_URL,
      body: JSON.stringify({ query: upsert, variables: { userId, nickname, email } }),
    },
    function (error, _response, body) {
      console.log(body);
      callback(error, user, context);
    },
  );
}
