/** Ask the risk service to score the login; refuse it above the configured threshold. */
async function fraudScore(user, context, callback) {
  const axios = require('axios');
  try {
    const response = await axios.post(configuration.RISK_API_URL + '/v1/score', {
      user_id: user.user_id,
      ip: context.request.ip,
      user_agent: context.request.userAgent,
      country: context.request.geoip && context.request.geoip.country_code,
    }, { timeout: 2000 });
    const score = response.data.score;
    context.accessToken['https://acme.example/risk_score'] = score;
    if (score > Number(configuration.RISK_THRESHOLD || 80)) {
      return callback(new UnauthorizedError('This login looks unusual. Please contact support.'));
    }
    return callback(null, user, context);
  } catch (err) {
    // Fail closed: without a score we do not know.
    return callback(new Error('Risk service unavailable'));
  }
}
