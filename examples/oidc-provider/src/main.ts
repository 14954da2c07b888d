import { API, demoConfig } from './config.js'
import { startOidcServer } from './server.js'

const port = Number(process.env['PORT'] ?? 3001)
const server = await startOidcServer({
  ...demoConfig(),
  port,
  host: '127.0.0.1',
  log: (event) => (event.level === 'info' ? console.log : console.error)(`[${event.level}] ${event.message}`, event.detail ?? ''),
})

console.log(`node-oidc-provider with tokenrules at ${server.issuer} (JWKS: ${server.issuer}/jwks)

Try:
  curl -s ${server.url}/token \\
    -d grant_type=password -d username=alice -d 'password=correct horse battery staple' \\
    -d client_id=demo-app -d client_secret=demo-app-secret \\
    -d audience=${API} -d 'scope=openid read:messages write:messages'

Or bob (unverified email: 401 unauthorized), carol (a rule throws: 403 access_denied),
a wrong password (403 invalid_grant), or grant_type=http://auth0.com/oauth/grant-type/password-realm
with -d realm=Customers and username=erin@customer.example, password=erin-password-1.
`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0))
  })
}
