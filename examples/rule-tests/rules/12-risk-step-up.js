/** Step up to Guardian MFA when Auth0's risk assessment has low confidence in this login. */
function riskStepUp(user, context, callback) {
  const risk = context.riskAssessment;
  if (risk && risk.confidence === 'low') {
    console.log('low-confidence login for ' + user.user_id + ':', JSON.stringify(risk.assessments));
    context.multifactor = { provider: 'guardian', allowRememberBrowser: false };
  }
  callback(null, user, context);
}
