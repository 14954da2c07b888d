/**
 * The resource side: an access token from the demo accepted by express-oauth2-jwt-bearer in strict
 * mode (RFC 9068: typ at+jwt, iss, aud, exp, iat, sub, client_id, jti) behind a real Express 5
 * app, by jose with a remote JWKS, and by jwks-rsa fetching the JWKS over HTTPS; all in a child
 * process trusting the development certificate by NODE_EXTRA_CA_CERTS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, USERS, runSdk, startHttpsDemo, value, type HttpsDemo } from './harness.js'

let server: HttpsDemo
beforeAll(async () => {
  server = await startHttpsDemo()
}, 120_000)
afterAll(async () => server?.stop(), 120_000)

/** The demo's token for bob (read:messages only, by the rules), got as a client would: a plain form POST. */
const TOKEN = `const response = await fetch(ISSUER + 'oauth/token', { method: 'POST', body: new URLSearchParams({
  grant_type: 'http://auth0.com/oauth/grant-type/password-realm', client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
  ...input.user, audience: input.audience, scope: 'openid' }) });
if (response.status !== 200) throw new Error('token endpoint: ' + response.status + ' ' + await response.text());
const { access_token, id_token } = await response.json();`

describe('express-oauth2-jwt-bearer 1.10.0 (strict), jose, jwks-rsa 4.1.0', () => {
  it('express-oauth2-jwt-bearer with strict: true accepts the token (discovery and JWKS over HTTPS) and requiredScopes sees its scopes', async () => {
    const out = value(
      await runSdk(
        server,
        `${TOKEN}
        const { default: express } = await import('express');
        const { auth, requiredScopes } = await import('express-oauth2-jwt-bearer');
        const app = express();
        app.use(auth({ issuerBaseURL: ISSUER, audience: input.audience, strict: true }));
        app.get('/read', requiredScopes('read:messages'), (req, res) => res.json(req.auth.payload));
        app.get('/write', requiredScopes('write:messages'), (req, res) => res.json({ wrote: true }));
        app.use((err, req, res, next) => res.status(err.status ?? 500).json({ name: err.name, code: err.code, message: err.message }));
        const api = app.listen(0, '127.0.0.1');
        await new Promise((done) => api.once('listening', done));
        const base = 'http://127.0.0.1:' + api.address().port;
        const call = async (path, token) => { const r = await fetch(base + path, { headers: token === undefined ? {} : { authorization: 'Bearer ' + token } }); return { status: r.status, body: await r.json() }; };
        const result = { read: await call('/read', access_token), write: await call('/write', access_token), idToken: await call('/read', id_token), none: await call('/read') };
        api.close();
        return result;`,
        { user: USERS.bob, audience: AUDIENCE },
      ),
    )
    expect(out.read.status).toBe(200)
    expect(out.read.body).toMatchObject({ iss: server.issuer, aud: AUDIENCE, client_id: 'demo-app', scope: 'openid read:messages' })
    expect(out.read.body.jti).toBeTypeOf('string')
    expect(out.write).toMatchObject({ status: 403, body: { name: 'InsufficientScopeError' } })
    // An ID token is not an access token: typ is JWT, not at+jwt, and aud is the client.
    expect(out.idToken.status).toBe(401)
    expect(out.none.status).toBe(401)
  }, 120_000)

  it('jose jwtVerify with createRemoteJWKSet (typ at+jwt), and jwks-rsa getSigningKey over HTTPS', async () => {
    const out = value(
      await runSdk(
        server,
        `${TOKEN}
        const jose = await import('jose');
        const { default: jwksClient } = await import('jwks-rsa');
        const discovery = await (await fetch(ISSUER + '.well-known/openid-configuration')).json();
        const remote = await jose.jwtVerify(access_token, jose.createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: ISSUER, audience: input.audience, typ: 'at+jwt', requiredClaims: ['jti', 'client_id', 'iat', 'exp', 'sub'] });
        const { kid } = jose.decodeProtectedHeader(access_token);
        const key = await jwksClient({ jwksUri: discovery.jwks_uri }).getSigningKey(kid);
        const viaJwksRsa = await jose.jwtVerify(access_token, await jose.importSPKI(key.getPublicKey(), key.alg ?? remote.protectedHeader.alg), { issuer: ISSUER, audience: input.audience });
        return { remote: remote.payload, header: remote.protectedHeader, viaJwksRsa: viaJwksRsa.payload, kid: key.kid };`,
        { user: USERS.bob, audience: AUDIENCE },
      ),
    )
    expect(out.header).toMatchObject({ typ: 'at+jwt' })
    expect(out.remote).toMatchObject({ iss: server.issuer, aud: AUDIENCE, client_id: 'demo-app' })
    expect(out.viaJwksRsa).toEqual(out.remote)
    expect(out.kid).toBe(out.header.kid)
  }, 120_000)
})
