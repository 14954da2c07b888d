/**
 * Origin: github.com/rikurr/line-clone packages/remote-schema/auth/insert-user.js @ 5024494d87c7db6c089292a7b97228371c5e72aa   (repo: the chat app's auth folder, next to its Hasura remote schema)
 * Inserts the user into the app's Hasura `users` table on every login (id, name as username, email,
 * picture as avatar) with the legacy global `request`; an existing row is left as it is. Quirks kept:
 * the request callback ignores the error, the status and the body, so the login always goes on; no
 * require (Auth0's global request).
 */
function (user, context, callback) {
  const insertUser = `
    mutation($id: String!, $username: String! ,$email: String!, $avatar: String!){
      insert_users(objects: [{ id: $id, username: $username, email: $email, avatar: $avatar }],
        on_conflict: { constraint: users_pkey, update_columns: [] }) {
        affected_rows
      }
    }`;

  request.post(
    {
      headers: { 'content-type': 'application/json', 'x-hasura-admin-secret': configuration.HASURA_GRAPHQL_ADMIN_SECRET },
      url: configuration.HASURA_GRAPHQL_ENDPOINT,
      body: JSON.stringify({
        query: insertUser,
        variables: { id: user.user_id, username: user.name, email: user.email, avatar: user.picture },
      }),
    },
    () => {
      callback(null, user, context);
    },
  );
}
