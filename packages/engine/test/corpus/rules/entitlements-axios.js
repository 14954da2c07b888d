/**
 * Profile enrichment over HTTP, axios (promise) style, as an async rule: ask the entitlements
 * service which features the user's subscription includes. Entitlements only switch features on,
 * so when the service fails the login goes on with none and the app is told the list is degraded.
 *   configuration.ENTITLEMENTS_URL, configuration.ENTITLEMENTS_API_KEY
 */
async function entitlementsAxios(user, context, callback) {
  const axios = require('axios');
  const namespace = configuration.CLAIM_NAMESPACE;
  const client = axios.create({
    baseURL: configuration.ENTITLEMENTS_URL,
    headers: { 'x-api-key': configuration.ENTITLEMENTS_API_KEY },
  });
  try {
    const response = await client.post('/v1/entitlements/lookup', {
      userId: user.user_id,
      clientId: context.clientID,
      plan: (user.app_metadata || {}).plan || 'free',
    });
    context.accessToken[namespace + 'entitlements'] = response.data.features;
  } catch (err) {
    const status = err.response ? err.response.status : err.code;
    console.warn('entitlements unavailable (' + status + '), continuing without');
    context.accessToken[namespace + 'entitlements'] = [];
    context.accessToken[namespace + 'entitlements_degraded'] = true;
  }
  return callback(null, user, context);
}
