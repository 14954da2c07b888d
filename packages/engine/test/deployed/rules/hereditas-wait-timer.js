/**
 * Origin: github.com/ItalyPaleAle/hereditas auth0/03-wait-logic.js @ a20f835137828a8f2b11ec0f631d3f738baeb41d   (pushed to the owner's tenant by `hereditas auth0:sync` through the Management API, the OWNERS placeholder comment replaced by the JSON list of owners; shown here as deployed)
 * The dead man's switch: an owner's login gets the app token and resets the timer; a relative's
 * first login starts the timer (client_metadata.requestTime written with a node-auth0 ManagementClient,
 * auth0@2.27.0, client credentials), and only once requestTime + waitTime has passed does a
 * relative's ID token carry the app token.
 * Quirks kept: the timer lives in the CLIENT's metadata (clients.update with a node callback);
 * the claim is an object under a URL without a path; Date.now() / 1000 is truncated with parseInt.
 */
function (user, context, callback) {
  context.clientMetadata = context.clientMetadata || {};
  if (!context.clientMetadata.hereditas) {
    return callback(null, user, context);
  }
  const owners = ["ada@example.com","charles@example.com"];
  const ManagementClient = require('auth0@2.27.0').ManagementClient;
  const management = new ManagementClient({
    domain: auth0.domain,
    clientId: configuration.AUTH0_CLIENT_ID,
    clientSecret: configuration.AUTH0_CLIENT_SECRET,
  });
  const requestTime = context.clientMetadata.requestTime ? parseInt(context.clientMetadata.requestTime, 10) : 0;
  const waitTime = parseInt(context.clientMetadata.waitTime, 10);
  const CLAIM = 'https://hereditas.app';

  function setTimer(value, then) {
    management.clients.update({ client_id: context.clientID }, { client_metadata: { requestTime: value } }, (err) => {
      if (err) {
        console.log(err);
        return callback(new Error('Error while updating client_metadata'));
      }
      then();
    });
  }

  if (owners.some((email) => email === user.email)) {
    if (context.idToken) {
      context.idToken[CLAIM] = { role: 'owner', token: configuration.APP_TOKEN, requestTime: 0, waitTime: waitTime };
    }
    if (requestTime > 0) {
      return setTimer('0', () => callback(null, user, context));
    }
    return callback(null, user, context);
  }

  const now = parseInt(Date.now() / 1000, 10);
  if (requestTime > 0) {
    if (context.idToken) {
      const elapsed = requestTime + waitTime < now;
      context.idToken[CLAIM] = { role: 'user', token: elapsed ? configuration.APP_TOKEN : null, requestTime: requestTime, waitTime: waitTime };
    }
    return callback(null, user, context);
  }
  setTimer(now.toString(), () => {
    if (context.idToken) {
      context.idToken[CLAIM] = { role: 'user', requestTime: now, waitTime: waitTime };
    }
    callback(null, user, context);
  });
}
