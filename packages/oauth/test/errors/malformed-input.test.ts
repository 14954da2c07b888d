import { describe, expect, it } from 'vitest'
import { ALICE, API, CLIENT_ID, CLIENT_SECRET, expectNoStore, startServer } from '../helpers.js'

const form = (text: string, contentType = 'application/x-www-form-urlencoded') =>
  new Request('http://localhost/oauth/token', { method: 'POST', headers: { 'content-type': contentType }, body: text })
const login = `grant_type=password&client_id=${CLIENT_ID}&client_secret=${CLIENT_SECRET}&username=${encodeURIComponent(ALICE.email)}&password=${encodeURIComponent(ALICE.password)}&audience=${encodeURIComponent(API)}`
const invalid = (description: string) => ({ error: 'invalid_request', error_description: description })

describe('malformed requests → 400 invalid_request, never a 500', () => {
  it('accepts the well-formed baseline', async () => {
    await using t = await startServer()
    expect((await t.send(form(login))).status).toBe(200)
  })

  it('refuses a missing Content-Type', async () => {
    await using t = await startServer()
    const answer = await t.send(new Request('http://localhost/oauth/token', { method: 'POST', body: new Uint8Array(Buffer.from(login)) }))
    expect(answer.status).toBe(400)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual(invalid('Content-Type must be application/x-www-form-urlencoded or application/json.'))
  })

  it('refuses a wrong Content-Type', async () => {
    await using t = await startServer()
    const answer = await t.send(form(login, 'text/plain'))
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid('Content-Type must be application/x-www-form-urlencoded or application/json.'))
  })

  it('refuses multipart/form-data', async () => {
    await using t = await startServer()
    const body = new FormData()
    body.set('grant_type', 'password')
    const answer = await t.send(new Request('http://localhost/oauth/token', { method: 'POST', body }))
    expect(answer.body).toEqual(invalid('Content-Type must be application/x-www-form-urlencoded or application/json.'))
  })

  it('accepts charset=utf-8 and refuses another charset', async () => {
    await using t = await startServer()
    expect((await t.send(form(login, 'application/x-www-form-urlencoded; charset=UTF-8'))).status).toBe(200)
    const answer = await t.send(form(login, 'application/x-www-form-urlencoded; charset=iso-8859-1'))
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid('Only the UTF-8 charset is supported.'))
  })

  it('refuses a repeated form parameter', async () => {
    await using t = await startServer()
    const answer = await t.send(form(`${login}&username=mallory`))
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid("Parameter 'username' is given more than once."))
  })

  it('refuses a repeated JSON member', async () => {
    await using t = await startServer()
    const text = `{"grant_type":"password","client_id":"${CLIENT_ID}","client_secret":"${CLIENT_SECRET}","username":"a","username":"b","password":"x"}`
    const answer = await t.send(form(text, 'application/json'))
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid("Parameter 'username' is given more than once."))
  })

  it('refuses a body over the size limit (Content-Length declared)', async () => {
    await using t = await startServer()
    const answer = await t.send(form(`${login}&pad=${'a'.repeat(20_000)}`))
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid('The request body is larger than 16384 bytes.'))
  })

  it('refuses a streamed body over the size limit', async () => {
    await using t = await startServer({ limits: { maxBodyBytes: 1024 } })
    const chunk = new TextEncoder().encode('a'.repeat(600))
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk)
        controller.enqueue(chunk)
        controller.close()
      },
    })
    const request = new Request('http://localhost/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    const answer = await t.send(request)
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid('The request body is larger than 1024 bytes.'))
  })

  it('refuses raw bytes that are not UTF-8', async () => {
    await using t = await startServer()
    const bytes = Buffer.concat([Buffer.from(`${login}&x=`), Buffer.from([0xff, 0xfe])])
    const answer = await t.send(
      new Request('http://localhost/oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: bytes }),
    )
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid('The request body is not valid UTF-8.'))
  })

  it('refuses percent-encoded bytes that are not UTF-8', async () => {
    await using t = await startServer()
    const answer = await t.send(form(`${login}&x=%C3%28`))
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid('The request body is not valid UTF-8.'))
  })

  it('refuses a malformed percent escape', async () => {
    await using t = await startServer()
    const answer = await t.send(form(`${login}&x=%zz`))
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid('The request body has a malformed percent-encoding.'))
  })

  it('decodes UTF-8 in passwords correctly', async () => {
    await using t = await startServer()
    await t.server.users.create({ directory: 'Employees', email: 'zoe@example.com', password: 'pässwörd 🔑' })
    const text = `grant_type=password&client_id=${CLIENT_ID}&client_secret=${CLIENT_SECRET}&username=zoe%40example.com&password=${encodeURIComponent('pässwörd 🔑')}&audience=${encodeURIComponent(API)}`
    expect((await t.send(form(text))).status).toBe(200)
  })

  it('refuses JSON that does not parse', async () => {
    await using t = await startServer()
    const answer = await t.send(form('{"grant_type": "password",', 'application/json'))
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid('The request body is not valid JSON.'))
  })

  it('refuses JSON that is not an object', async () => {
    await using t = await startServer()
    const answer = await t.send(form('["password"]', 'application/json'))
    expect(answer.body).toEqual(invalid('The request body must be a JSON object.'))
  })

  it('refuses an empty JSON body', async () => {
    await using t = await startServer()
    const answer = await t.send(form('', 'application/json'))
    expect(answer.body).toEqual(invalid('The request body must be a JSON object.'))
  })

  it('refuses JSON parameters that are not strings', async () => {
    await using t = await startServer()
    const answer = await t.send(form(`{"grant_type":"password","username":{"$ne":null}}`, 'application/json'))
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid("Parameter 'username' must be a string."))
  })

  it('refuses JSON nested too deeply', async () => {
    await using t = await startServer()
    const answer = await t.send(form(`{"x":${'['.repeat(100)}${']'.repeat(100)}}`, 'application/json'))
    expect(answer.body).toEqual(invalid('The request body is nested too deeply.'))
  })

  it('refuses a JSON string with a lone surrogate', async () => {
    await using t = await startServer()
    const answer = await t.send(form('{"grant_type":"password","username":"\\ud800"}', 'application/json'))
    expect(answer.body).toEqual(invalid('The request body has a string with a lone surrogate.'))
  })

  it('does not let __proto__ in JSON pollute anything', async () => {
    await using t = await startServer()
    const answer = await t.send(form(`{"__proto__":"x","grant_type":"password"}`, 'application/json'))
    expect(answer.status).toBe(401)
    expect(({} as Record<string, unknown>)['grant_type']).toBeUndefined()
  })

  it('refuses a missing grant_type', async () => {
    await using t = await startServer()
    const answer = await t.token({ username: ALICE.email })
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual(invalid('Missing required parameter: grant_type'))
  })

  it('answers an unknown grant type with 400 unsupported_grant_type', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'client_credentials' })
    expect(answer.status).toBe(400)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({ error: 'unsupported_grant_type', error_description: 'Unsupported grant type: client_credentials' })
  })

  it('refuses a missing username or password', async () => {
    await using t = await startServer()
    expect((await t.token({ grant_type: 'password', password: 'x', audience: API })).body).toEqual(invalid('Missing required parameter: username'))
    expect((await t.token({ grant_type: 'password', username: ALICE.email, audience: API })).body).toEqual(invalid('Missing required parameter: password'))
  })

  it('treats an empty parameter as missing', async () => {
    await using t = await startServer()
    const answer = await t.token({ grant_type: 'password', username: '', password: 'x', audience: API })
    expect(answer.body).toEqual(invalid('Missing required parameter: username'))
  })

  it('answers GET /oauth/token with 405 and Allow', async () => {
    await using t = await startServer()
    const answer = await t.send(new Request('http://localhost/oauth/token'))
    expect(answer.status).toBe(405)
    expectNoStore(answer.headers)
    expect(answer.headers.get('allow')).toBe('POST')
    expect(answer.body).toEqual(invalid('Method GET is not allowed here.'))
  })

  it('answers an unknown path with 404', async () => {
    await using t = await startServer()
    const answer = await t.send(new Request('http://localhost/oauth/authorize'))
    expect(answer.status).toBe(404)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({ error: 'not_found', error_description: 'Not found.' })
  })

  it('answers a failing store with a generic 500 and reports the cause to onError only', async () => {
    const events: unknown[] = []
    const stores = (await import('@tokenrules/oauth')).createMemoryStores()
    stores.attempts.attempt = async () => {
      throw new Error('connection refused: redis://secret-host:6379')
    }
    await using t = await startServer({ stores: { attempts: stores.attempts }, hooks: { onError: (event) => events.push(event) } })
    const answer = await t.login(ALICE, 'Employees')
    expect(answer.status).toBe(500)
    expectNoStore(answer.headers)
    expect(answer.body).toEqual({ error: 'server_error', error_description: 'The server encountered an unexpected error.' })
    expect(events).toEqual([{ path: '/oauth/token', error: expect.objectContaining({ message: 'connection refused: redis://secret-host:6379' }) }])
  })

  it('never echoes the password or client secret in any error', async () => {
    await using t = await startServer()
    const secretPassword = 'S3cr3t-Passw0rd-Value'
    const answers = [
      await t.token({ grant_type: 'password', username: ALICE.email, password: secretPassword, audience: API }),
      await t.token({ grant_type: 'password', username: ALICE.email, password: secretPassword, audience: 'https://nope.example' }),
      await t.post('/oauth/token', {
        grant_type: 'password',
        username: ALICE.email,
        password: secretPassword,
        client_id: CLIENT_ID,
        client_secret: 'Client-Secret-Value',
      }),
      await t.send(form(`${login}&password=${secretPassword}`)),
    ]
    for (const answer of answers) {
      const text = JSON.stringify(answer.body)
      expect(text).not.toContain(secretPassword)
      expect(text).not.toContain('Client-Secret-Value')
    }
  })
})
