/**
 * Origin: github.com/karissa-cricut/auth0-deployment rules/rd-add-shopify-user.js @ a0be610e0233ea79e1022033454aa24829c949c2   (Deploy CLI directory export: rules/*.js with ##KEYWORD## replacement, pushed with a0deploy; keywords shown replaced)
 * Creates a Shopify customer for every login (node-fetch@2.6.0), authenticating with the private
 * app's API key and password written into the URL (`https://key:password@shop/...`, which
 * node-fetch turns into Basic authentication).
 * Quirks kept: runs on every login (no "already created" check), so a returning user gets Shopify's
 * 422 and the login fails with Shopify's body; the URL is built with url.URL.
 */
async function addShopifyUser(user, context, callback) {
  const fetch = require('node-fetch@2.6.0')
  const { URL } = require('url')
  const SHOP = {
    API_KEY: '6f1e2d3c4b5a69788796a5b4c3d2e1f0',
    API_PWD: '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',
    API_URL: 'letsdoauth.myshopify.com',
  }
  try {
    const url = new URL(`https://${SHOP.API_KEY}:${SHOP.API_PWD}@${SHOP.API_URL}/admin/api/2020-04/customers.json`)
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        customer: {
          first_name: user.given_name,
          last_name: user.family_name,
          email: user.email,
          verified_email: user.email_verified,
        },
      }),
    })
    const text = await res.text()
    if (!res.ok) {
      callback(new Error(text))
      return
    }
    callback(null, user, context)
  } catch (err) {
    callback(err)
  }
}
