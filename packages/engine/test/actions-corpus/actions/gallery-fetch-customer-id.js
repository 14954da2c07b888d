/**
 * Origin: github.com/abbaspour/actions-gallery post-login/crm-interaction/post-login-fetch-customer_id.js @ b2477a6cc371987f7b7f6bb43c87917e68688bab   (actions gallery, MIT; dependency axios)
 * Finds the user's CRM customer_id: from app_metadata when known, else by POSTing the md5 of the
 * email to the CRM (httpbin.org/post echoes it back as json.customer_id), then persists it with
 * api.user.setAppMetadata and puts it in the ID token. Quirks kept: the claim is not namespaced;
 * a CRM failure denies the login ('internal error. try later.').
 */
exports.onExecutePostLogin = async (event, api) => {
  const {
    email,
    app_metadata: { customer_id: existing },
  } = event.user

  if (existing) {
    api.idToken.setCustomClaim('customer_id', existing)
    return
  }

  const axios = require('axios')
  const crypto = require('crypto')

  const emailHash = crypto.createHash('md5').update(email).digest('hex')

  try {
    const {
      data: {
        json: { customer_id },
      },
    } = await axios({
      method: 'post',
      url: 'https://httpbin.org/post',
      data: { customer_id: emailHash },
      timeout: 5000,
    })
    console.log(`for user ${event.user.email} received customer_id: ${customer_id}`)
    api.user.setAppMetadata('customer_id', customer_id)
    api.idToken.setCustomClaim('customer_id', customer_id)
  } catch (err) {
    console.log(`error post login calling CRM for user: ${email}`, err)
    api.access.deny('internal error. try later.')
  }
}
