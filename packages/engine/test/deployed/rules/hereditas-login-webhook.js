/**
 * Origin: github.com/ItalyPaleAle/hereditas auth0/02-notify.js @ a20f835137828a8f2b11ec0f631d3f738baeb41d   (pushed to the owner's tenant by `hereditas auth0:sync`, which creates the rules through the Management API with the OWNERS placeholder comment replaced by the JSON list of owners; shown here as deployed)
 * Every login to a Hereditas box posts an IFTTT-style webhook (value1..value3: a UTC timestamped
 * message, the email, owner or user) with node-fetch@2.6.0, and the login FAILS when the webhook
 * does not answer 2xx, so that nobody can get in unnoticed.
 * Quirks kept: a non-2xx answer is turned into a rejected promise of a plain string; configuration
 * WEBHOOK_URL '0' means "no webhook"; apps without clientMetadata.hereditas are skipped.
 */
function (user, context, callback) {
  context.clientMetadata = context.clientMetadata || {};
  if (!context.clientMetadata.hereditas) {
    return callback(null, user, context);
  }
  if (!configuration || !configuration.WEBHOOK_URL || configuration.WEBHOOK_URL === '0') {
    return callback(null, user, context);
  }
  const owners = ["ada@example.com","charles@example.com"];
  const role = owners.some((email) => email === user.email) ? 'owner' : 'user';
  const payload = {
    value1: `New Hereditas login on ${new Date().toUTCString()}. User: ${user.email} (role: ${role})`,
    value2: user.email,
    value3: role,
  };
  const fetch = require('node-fetch@2.6.0');
  fetch(configuration.WEBHOOK_URL, {
    method: 'POST',
    body: JSON.stringify(payload),
    headers: { 'Content-Type': 'application/json' },
  })
    .then((response) => (response.ok ? callback(null, user, context) : Promise.reject('Invalid response status code')))
    .catch((err) => {
      console.error(err);
      callback(new Error('Error sending the notification'));
    });
}
