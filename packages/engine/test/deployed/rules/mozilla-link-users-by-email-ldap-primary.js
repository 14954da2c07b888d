/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/link-users-by-email-with-metadata.js @ 76a38f2560198cce1f5f69fbe0ea0630ad8d8cc0   (tenant repo: rules/ uploaded to the tenant by the repository's CI)
 * Mozilla's own account linking (diverged far from the template): asks the Management API's
 * users-by-email for the address as typed and, when it has capitals, for its lower-case form too
 * (node-fetch@2.6.1, bearer auth0.accessToken, URL built with `new URL`), keeps verified profiles,
 * and links the other identity under the LDAP account when there are exactly two.
 * Quirks kept: a failed search calls back with an error from inside `map` and then still reads
 * JSON; the link POST is not awaited and its `.then` has no catch; more than two profiles is an error.
 */
async function linkUsersByEmailWithMetadata(user, context, callback) {
  const fetch = require('node-fetch@2.6.1')

  if (!user.email || !user.email_verified) {
    return callback(null, user, context)
  }

  const usersEndpoint = auth0.baseUrl + '/users'
  const readOptions = { headers: { Authorization: 'Bearer ' + auth0.accessToken } }
  const isLdap = (id) => id.startsWith('ad|Mozilla-LDAP')

  async function profilesWithThisEmail() {
    const exact = new URL('/api/v2/users-by-email', auth0.baseUrl)
    exact.searchParams.append('email', user.email)
    const lower = new URL('/api/v2/users-by-email', auth0.baseUrl)
    lower.searchParams.append('email', user.email.toLowerCase())

    const pending = [fetch(exact.toString(), readOptions)]
    if (user.email.toLowerCase() !== user.email) {
      pending.push(fetch(lower.toString(), readOptions))
    }
    const responses = await Promise.all(pending)
    const bodies = await Promise.all(
      responses.map((res) => {
        if (!res.ok) {
          return callback(new Error('API Call failed: ' + res.body))
        }
        return res.json()
      }),
    )
    return bodies.flat()
  }

  function link(other) {
    if (isLdap(user.user_id) && isLdap(other.user_id)) {
      console.error(`Error: both ${user.user_id} and ${other.user_id} are LDAP Primary accounts. Linking will not occur.`)
      return callback(null, user, context)
    }
    const primary = isLdap(user.user_id) ? user : other
    const secondary = isLdap(user.user_id) ? other : user
    console.log(`Linking secondary identity ${secondary.user_id} into primary identity ${primary.user_id}`)

    try {
      fetch(usersEndpoint + '/' + primary.user_id + '/identities', {
        method: 'post',
        headers: {
          Authorization: 'Bearer ' + auth0.accessToken,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({
          provider: secondary.identities[0].provider,
          user_id: String(secondary.identities[0].user_id),
        }),
      }).then((res) => {
        if (!res.ok && res.status >= 400) {
          console.log('Error linking account: ' + res.statusText)
          return callback(new Error('Error linking account: ' + res.statusText))
        }
        context.primaryUser = primary.user_id
        context.primaryUserMetadata = primary.user_metadata || {}
        return callback(null, user, context)
      })
    } catch (err) {
      console.log('An unknown error occurred while linking accounts: ' + err)
      return callback(err)
    }
  }

  profilesWithThisEmail()
    .then((found) => {
      const verified = found.filter((u) => u.email_verified)
      if (verified.length <= 1) {
        return callback(null, user, context)
      }
      if (verified.length === 2) {
        link(verified.filter((u) => u.user_id !== user.user_id)[0])
        return
      }
      const message =
        `Error linking account ${user.user_id} as there are ` +
        `over 2 identities with the email address ${user.email} ` +
        verified.map((u) => u.user_id).join()
      console.log(message)
      return callback(new Error(message))
    })
    .catch((err) => {
      console.log('An unknown error occurred while linking accounts: ' + err)
      return callback(err)
    })
}
