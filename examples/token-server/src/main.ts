import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { sandboxRuntime } from '@tokenrules/engine'
import { createTokenServer, toNodeListener, type PasswordResetDelivery } from '@tokenrules/oauth'
import { API, CLIENT, DIRECTORIES, demoEncryptionKey, demoKeyReloadSeconds, demoServerOptions, seedUsers } from './config.js'
import { devCertificate, listenSettings, SettingsError, type ListenSettings } from './listen.js'
import { loginBackend } from './login-backend.js'
import { messagesApi } from './messages-api.js'
import { playground } from './playground.js'
import { openStores } from './stores.js'

// The rules playground runs code anyone who reaches it pastes: off unless asked for, never in
// production. `--playground` (the demo's `start` script passes it) or TOKENRULES_PLAYGROUND=1 turn
// it on; TOKENRULES_PLAYGROUND=0 turns it off whatever the flags say.
let flags: { playground: boolean }
try {
  flags = parseArgs({ options: { playground: { type: 'boolean', default: false } }, strict: true, allowPositionals: false }).values
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)} (the one flag is --playground).`)
  process.exit(2)
}
const playgroundSetting = process.env['TOKENRULES_PLAYGROUND']
if (playgroundSetting !== undefined && playgroundSetting !== '0' && playgroundSetting !== '1') {
  console.error(`TOKENRULES_PLAYGROUND must be 1 (on) or 0 (off), not '${playgroundSetting}'.`)
  process.exit(2)
}
const playgroundEnabled = playgroundSetting === undefined ? flags.playground : playgroundSetting === '1'
if (playgroundEnabled && process.env['NODE_ENV'] === 'production') {
  console.error('The rules playground runs anyone’s code: it does not start with NODE_ENV=production. Drop --playground or set TOKENRULES_PLAYGROUND=0.')
  process.exit(2)
}

let listen: ListenSettings
try {
  listen = listenSettings(process.env)
} catch (error) {
  if (!(error instanceof SettingsError)) throw error
  console.error(error.message)
  process.exit(2)
}
const { origin, issuer } = listen
const dataDir = resolve(process.env['DATA_DIR'] ?? 'data')

mkdirSync(dataDir, { recursive: true })
const certificate = listen.https ? await devCertificate(dataDir) : undefined
// Seals TOTP secrets and signing keys in the database. One node: made once, kept beside the SQLite
// file (owner-only). Several nodes on PostgreSQL: the same secret on each, TOKENRULES_ENCRYPTION_KEY.
let encryptionKey: string
let keyReloadSeconds: number | undefined
try {
  encryptionKey = demoEncryptionKey(process.env, dataDir)
  keyReloadSeconds = demoKeyReloadSeconds(process.env)
} catch (error) {
  if (!(error instanceof SettingsError)) throw error
  console.error(error.message)
  process.exit(2)
}
const opened = await openStores(process.env, dataDir)
const { stores } = opened

// The demo's "mailer" for POST /dbconnections/change_password: each reset link is a file in
// DATA_DIR/outbox (owner-only; the ticket is a secret). A real server sends it by email and
// completes the reset with server.users.resetPassword(ticket, newPassword).
const outbox = join(dataDir, 'outbox')
const deliverPasswordReset = (delivery: PasswordResetDelivery) => {
  mkdirSync(outbox, { recursive: true, mode: 0o700 })
  const file = join(outbox, `${delivery.expiresAt}-${delivery.userId.replace(/[^\w.-]/g, '_')}.json`)
  writeFileSync(file, `${JSON.stringify({ ...delivery, expiresAt: new Date(delivery.expiresAt).toISOString() }, null, 2)}\n`, { mode: 0o600 })
  console.log(`password reset for ${delivery.email}: ${file}`)
}
const serverOptions = await demoServerOptions(issuer)
const tokenServer = await createTokenServer({
  ...serverOptions,
  ...(keyReloadSeconds === undefined ? {} : { keys: { ...serverOptions.keys, reloadSeconds: keyReloadSeconds } }),
  stores,
  encryptionKey,
  hooks: { deliverPasswordReset },
})
const seeded = await seedUsers(tokenServer, stores)

// The API verifies tokens against the token server's JWKS, fetched in-process (no TLS trust to set up).
const api = messagesApi({
  issuer,
  audience: API.identifier,
  jwksUrl: new URL('/.well-known/jwks.json', origin),
  fetch: (url, init) => tokenServer.handler(new Request(url, init)),
})
const login = loginBackend({
  tokenEndpoint: tokenServer.handler,
  origin,
  client: { clientId: CLIENT.clientId, secret: CLIENT.secret },
  audience: API.identifier,
  realms: DIRECTORIES.map((directory) => directory.name),
  signupRealms: DIRECTORIES.filter((directory) => directory.signup?.enabled === true).map((directory) => directory.name),
  playgroundLink: playgroundEnabled,
})
const rulesPlayground = playgroundEnabled ? playground() : undefined
// The pages: the trusted app's login page (/, /demo/*) and, when enabled, the rules playground
// (/playground*); anything else goes to the token server, which answers 404 for what it does not know.
const pages = async (request: Request, connection?: { remoteAddress?: string | undefined }) =>
  (await login(request, connection)) ?? (await rulesPlayground?.handle(request, connection)) ?? tokenServer.handler(request, connection)
const site = toNodeListener(pages)
const resources = toNodeListener(api)
const route = (req: Parameters<typeof site>[0], res: Parameters<typeof site>[1]) => (req.url?.startsWith('/api/') ? resources(req, res) : site(req, res))
const http = certificate === undefined ? createServer(route) : createHttpsServer({ cert: certificate.cert, key: certificate.key }, route)
http.listen(listen.port, listen.host)
await new Promise((done) => http.once('listening', done))

const curl = [
  `curl -s${certificate === undefined ? '' : ` --cacert ${certificate.certPath}`} ${origin}/oauth/token`,
  `  -d grant_type=http://auth0.com/oauth/grant-type/password-realm -d realm=Employees`,
  `  -d username=alice@example.com --data-urlencode 'password=correct horse battery staple'`,
  `  -d client_id=${CLIENT.clientId} -d client_secret=${CLIENT.secret}`,
  `  -d audience=${API.identifier} --data-urlencode 'scope=openid profile email offline_access'`,
].join(' \\\n')

console.log(`tokenrules demo token server listening on ${origin}${listen.host === '127.0.0.1' ? '' : ` (bound to ${listen.host})`}`)
console.log(`  issuer: ${issuer}`)
if (certificate !== undefined) {
  console.log(`  TLS: development certificate ${certificate.certPath} (${certificate.created ? 'created' : 'existing'})`)
  console.log(`       trust it in Node clients with NODE_EXTRA_CA_CERTS=${certificate.certPath}`)
}
const runtime = sandboxRuntime()
console.log(`  runtime: Node.js ${runtime.node}, isolated-vm ${runtime.isolatedVm}`)
console.log(`  database: ${opened.description} (${opened.existing ? 'existing' : 'created'}; ${seeded} user(s) seeded)`)
console.log(`  realms: Employees (alice@example.com, carol@example.com with MFA), Customers (bob@example.com); client demo-app; API ${API.identifier}`)
console.log(
  rulesPlayground === undefined
    ? `  login page: ${origin}/   rules playground: off (--playground or TOKENRULES_PLAYGROUND=1 turns it on)`
    : `  login page: ${origin}/   rules playground: ${origin}/playground (on: it runs anyone's rules; demo only, never in production)`,
)
console.log('')
console.log('Get a token (password-realm grant):')
console.log('')
console.log(curl)
console.log('')
console.log('Call the API with the access_token:')
console.log('')
console.log(`curl -s${certificate === undefined ? '' : ` --cacert ${certificate.certPath}`} ${origin}/api/messages -H "Authorization: Bearer $ACCESS_TOKEN"`)
console.log('')
console.log('Press Ctrl+C to stop.')

let stopping = false
async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  http.close()
  http.closeAllConnections()
  rulesPlayground?.close()
  await tokenServer.close()
  await opened.close()
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop())
