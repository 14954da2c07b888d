/**
 * Origin: github.com/daytonaio/daytona functions/auth0/loginAudit.onExecutePostLogin.js @ 24dbe1241722955bd6ee9c0c8c101872030abefa   (app repository: the product's Auth0 actions)
 * Writes an audit record of every login (POST <DAYTONA_API_URL>/audit with a bearer API key) and
 * denies the login when it cannot: users without an email, a non-2xx answer, a network error.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.email) {
    return api.access.deny('Please ensure your email address is public')
  }

  try {
    const response = await fetch(`${event.secrets.DAYTONA_API_URL}/audit`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${event.secrets.DAYTONA_API_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ actorId: event.user.user_id, actorEmail: event.user.email, action: 'login' }),
    })
    if (!response.ok) {
      console.error('Unable to create audit log for login action')
      return api.access.deny('Something went wrong, please try again later')
    }
  } catch (error) {
    console.error(error)
    return api.access.deny('Something went wrong, please try again later')
  }
}
