// Issue 18: servers sharing a key store re-read it every `keys.reloadSeconds`, so a rotation made by
// one is published and used by the others within that time. The interval runs on faked timers
// (setInterval only): the tests move time, they never wait for it.
import { ConfigInvalidError } from '@tokenrules/engine'
import { createMemoryStores, type KeyStore, type ServerErrorEvent, type TokenServerStores } from '@tokenrules/oauth'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ALICE, startServer, type TestServer } from '../helpers.js'

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
})
afterEach(() => {
  vi.useRealTimers()
})

const kids = (t: TestServer) => t.server.keys.jwks().keys.map((key) => key.kid)
const signingKid = async (t: TestServer) => (await t.verify((await t.login(ALICE, 'Employees')).body.access_token)).header.kid

/** A key store whose reads can be made to fail, as a database that went away. */
function failable(store: KeyStore): { store: KeyStore; down: boolean } {
  const state = { down: false, store: undefined as unknown as KeyStore }
  state.store = {
    add: (record) => store.add(record),
    remove: (kid) => store.remove(kid),
    list: () => (state.down ? Promise.reject(new Error('connection refused')) : store.list()),
  }
  return state
}

/** Two servers on one set of stores (alice created once, through the first). */
async function pair(shared: TokenServerStores, reloadSeconds: number | undefined, errors: ServerErrorEvent[] = [], storesOfB: TokenServerStores = shared) {
  const encryptionKey = new Uint8Array(32).fill(7)
  const a = await startServer({ stores: shared, encryptionKey, keys: { algorithm: 'ES256', reloadSeconds: 0 } })
  a.aliceId = (await a.server.users.create({ directory: 'Employees', ...ALICE })).user_id
  const b = await startServer({
    stores: storesOfB,
    encryptionKey,
    keys: { algorithm: 'ES256', ...(reloadSeconds === undefined ? {} : { reloadSeconds }) },
    hooks: { onError: (event) => errors.push(event) },
  })
  return {
    a,
    b,
    async [Symbol.asyncDispose]() {
      await Promise.all([a.server.close(), b.server.close()])
    },
  }
}

describe('signing keys re-read from a shared store (keys.reloadSeconds)', () => {
  it('three servers starting at once on one empty store make one key between them, and all sign with it', async () => {
    const shared = createMemoryStores()
    const encryptionKey = new Uint8Array(32).fill(7)
    const servers = await Promise.all([1, 2, 3].map(() => startServer({ stores: shared, encryptionKey, keys: { algorithm: 'ES256', reloadSeconds: 30 } })))
    try {
      const stored = (await shared.keys.list()).map((key) => key.kid)
      expect(stored).toHaveLength(1)
      for (const t of servers) expect(kids(t)).toEqual(stored)
      const first = servers[0] as TestServer
      first.aliceId = (await first.server.users.create({ directory: 'Employees', ...ALICE })).user_id
      for (const t of servers) expect(await signingKid(t)).toBe(stored[0])
    } finally {
      await Promise.all(servers.map((t) => t.server.close()))
    }
  })

  it('a rotation by server A is published and used by server B once B reloads, not before', async () => {
    const shared = createMemoryStores()
    await using servers = await pair(shared, 30)
    const { a, b } = servers
    const first = kids(a)
    expect(kids(b)).toEqual(first)

    const rotated = await a.server.keys.rotate()
    expect(kids(a)).toEqual([rotated, ...first])
    await vi.advanceTimersByTimeAsync(29_000)
    expect(kids(b)).toEqual(first)
    expect(await signingKid(b)).toBe(first[0])

    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => expect(kids(b)).toEqual([rotated, ...first]))
    expect(await signingKid(b)).toBe(rotated)
    // A token B signed with the new key verifies against A's JWKS, and the other way round.
    expect((await a.verify((await b.login(ALICE, 'Employees')).body.access_token)).header.kid).toBe(rotated)
    expect((await b.verify((await a.login(ALICE, 'Employees')).body.access_token)).header.kid).toBe(rotated)
  })

  it('re-reads every 60 s by default', async () => {
    const shared = createMemoryStores()
    await using servers = await pair(shared, undefined)
    const { a, b } = servers
    const rotated = await a.server.keys.rotate()
    await vi.advanceTimersByTimeAsync(59_000)
    expect(kids(b)[0]).not.toBe(rotated)
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => expect(kids(b)[0]).toBe(rotated))
  })

  it('a failed reload goes to onError and keeps the keys loaded; the next one picks the rotation up', async () => {
    const memory = createMemoryStores()
    const keys = failable(memory.keys)
    const errors: ServerErrorEvent[] = []
    await using servers = await pair(memory, 10, errors, { ...memory, keys: keys.store })
    const { a, b } = servers
    const first = kids(b)
    keys.down = true
    const rotated = await a.server.keys.rotate()
    await vi.advanceTimersByTimeAsync(10_000)
    await vi.waitFor(() => expect(errors).toHaveLength(1))
    expect(errors[0]).toEqual({ path: '(signing key reload)', error: new Error('connection refused') })
    expect(kids(b)).toEqual(first)
    keys.down = false
    expect(await signingKid(b)).toBe(first[0])

    await vi.advanceTimersByTimeAsync(10_000)
    await vi.waitFor(() => expect(kids(b)[0]).toBe(rotated))
    expect(errors).toHaveLength(1)
  })

  it('a key sealed with another encryptionKey fails the reload as a whole: B keeps signing with and publishing what it had', async () => {
    const shared = createMemoryStores()
    const errors: ServerErrorEvent[] = []
    await using servers = await pair(shared, 10, errors)
    const { a, b } = servers
    const first = kids(b)
    // A server with another encryptionKey made a key; it lands in the shared store.
    const elsewhere = createMemoryStores()
    await using stranger = await startServer({ stores: elsewhere, encryptionKey: new Uint8Array(32).fill(8), keys: { algorithm: 'ES256', reloadSeconds: 0 } })
    const [foreign] = await elsewhere.keys.list()
    if (foreign === undefined) throw new Error('the stranger made no key')
    await shared.keys.add({ ...foreign, createdAt: stranger.clock.now + 1 })
    await vi.advanceTimersByTimeAsync(10_000)
    await vi.waitFor(() => expect(errors).toHaveLength(1))
    expect(String((errors[0]?.error as Error).message)).toBe(`Signing key ${foreign.kid} cannot be opened: it was sealed with another encryptionKey.`)
    expect(kids(b)).toEqual(first)
    expect(await signingKid(b)).toBe(first[0])
  })

  it('reloadSeconds: 0 never re-reads by itself; server.keys.reload() does', async () => {
    const shared = createMemoryStores()
    await using servers = await pair(shared, 0)
    const { a, b } = servers
    const first = kids(b)
    const rotated = await a.server.keys.rotate()
    await vi.advanceTimersByTimeAsync(86_400_000)
    expect(kids(b)).toEqual(first)
    await b.server.keys.reload()
    expect(kids(b)).toEqual([rotated, ...first])
  })

  it('close() stops re-reading', async () => {
    const before = vi.getTimerCount()
    const t = await startServer({ keys: { reloadSeconds: 5 } })
    expect(vi.getTimerCount()).toBe(before + 1)
    await t.server.close()
    expect(vi.getTimerCount()).toBe(before)
  })

  it.each([[-1], [1.5], [86_401], ['60'], [Number.NaN]])('refuses keys.reloadSeconds %s with ConfigInvalidError', async (reloadSeconds) => {
    const error = await startServer({ keys: { reloadSeconds: reloadSeconds as number } }).then(
      async (t) => {
        await t.server.close()
        return undefined
      },
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConfigInvalidError)
    expect((error as ConfigInvalidError).issues.map((issue) => issue.path)).toEqual([['keys', 'reloadSeconds']])
  })
})
