/**
 * Origin: github.com/auth0/opensource-marketplace templates/creates-lead-salesforce-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Records a user as a Salesforce lead once: a client-credentials token from
 * https://<SALESFORCE_DOMAIN>/services/oauth2/token (a multipart FormData body, cached for an hour
 * with api.cache), then POST /services/data/v59.0/sobjects/Lead, then
 * api.user.setAppMetadata('recordedAsLead', true). Quirks kept: global fetch and FormData; every
 * failure (a missing secret, a refused token, a failed lead) is swallowed and the login goes on.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.recordedAsLead) {
    return
  }
  const sfDomain = event.secrets.SALESFORCE_DOMAIN
  if (!sfDomain) {
    console.log('Unable to create lead: Salesforce domain not configured')
    return
  }
  const sfClientId = event.secrets.SALESFORCE_CLIENT_ID
  if (!sfClientId) {
    console.log('Unable to create lead: Salesforce client id not configured')
    return
  }
  const sfClientSecret = event.secrets.SALESFORCE_CLIENT_SECRET
  if (!sfClientSecret) {
    console.log('Unable to create lead: Salesforce client secret not configured')
    return
  }
  const sfCompany = event.secrets.SALESFORCE_COMPANY
  if (!sfCompany) {
    console.log('Unable to create lead: Salesforce company not configured')
    return
  }

  const fetchAccessToken = async () => {
    const cachedToken = api.cache.get('sf_access_token')
    if (cachedToken) {
      return cachedToken.value
    }
    const body = new FormData()
    body.set('grant_type', 'client_credentials')
    body.set('client_id', sfClientId)
    body.set('client_secret', sfClientSecret)
    const expiry = Date.now() + 3600000
    const response = await fetch(`https://${sfDomain}/services/oauth2/token`, { method: 'POST', body })
    if (!response.ok) {
      throw new Error('Unable to fetch token')
    }
    const data = await response.json()
    api.cache.set('sf_access_token', data.access_token, { expires_at: expiry })
    return data.access_token
  }

  const createLead = async (accessToken) => {
    const body = { LastName: event.user.name || event.user.email, Company: sfCompany, Email: event.user.email }
    const response = await fetch(`https://${sfDomain}/services/data/v59.0/sobjects/Lead`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
    })
    if (!response.ok) {
      throw new Error('Unable to create lead')
    }
  }

  try {
    const token = await fetchAccessToken()
    await createLead(token)
    api.user.setAppMetadata('recordedAsLead', true)
  } catch (error) {
    return
  }
}
