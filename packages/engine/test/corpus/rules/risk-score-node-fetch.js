/**
 * Profile enrichment over HTTP, node-fetch style: ask the fraud service for a risk score of this
 * login (IP, user agent, user). A high score requires MFA. When the service cannot answer, the
 * login is treated as risky (fail safe): MFA is required too.
 *   configuration.RISK_URL, configuration.RISK_THRESHOLD (0–100)
 */
function riskScoreNodeFetch(user, context, callback) {
  const fetch = require('node-fetch');
  const threshold = Number(configuration.RISK_THRESHOLD || 70);
  const url = configuration.RISK_URL + '/score?ip=' + encodeURIComponent(context.request.ip) +
    '&user=' + encodeURIComponent(user.user_id);

  fetch(url, { headers: { 'user-agent': context.request.userAgent || 'unknown', accept: 'application/json' } })
    .then(function (res) {
      if (!res.ok) throw new Error('risk service answered ' + res.status);
      return res.json();
    })
    .then(function (risk) {
      context.idToken[configuration.CLAIM_NAMESPACE + 'risk'] = risk.score;
      if (risk.score >= threshold) {
        context.multifactor = { provider: 'any', allowRememberBrowser: false };
      }
      callback(null, user, context);
    })
    .catch(function (err) {
      console.warn('risk score unavailable: ' + err.message);
      context.idToken[configuration.CLAIM_NAMESPACE + 'risk'] = 'unknown';
      context.multifactor = { provider: 'any', allowRememberBrowser: false };
      callback(null, user, context);
    });
}
