/**
 * How rules' requests leave the process, and how many: the default transport connects to the
 * addresses the policy checked and to nothing else, and each run has a share of requests (so many
 * at once, so many in all) whose connections all close when the run ends.
 *
 * The transport is undici, the HTTP client behind Node's own `fetch` (the same version Node 24
 * bundles): its `fetch` keeps every behaviour rules had from the global one (decompression, header
 * validation, `redirect: 'manual'`), and its `Agent` takes the `lookup` that pins the socket. A
 * request gets an agent of its own, destroyed when the request is done, so no connection outlives
 * the request that opened it, and none is ever reused for a name resolved another way.
 */
import type { LookupAddress, LookupOptions } from 'node:dns'
import { isIP } from 'node:net'
import { Agent, fetch as undiciFetch } from 'undici'
import type { CallContext } from '../host-bridge.js'
import { HttpError } from './http-error.js'

/** What is sent: the request after the policy (headers as a plain record, redirects handled by the caller). */
export interface SendInit {
  method: string
  headers: Record<string, string>
  body?: NonNullable<RequestInit['body']>
  redirect: 'manual'
  signal: AbortSignal
}

/** A response and what frees its connection (after the body was read or cancelled). */
export interface Sent {
  response: Response
  close(): Promise<void>
}

/** undici's `fetch`, typed as the global one (the same implementation); `dispatcher` is undici's extra. */
const pinnedFetch = undiciFetch as unknown as (url: URL, init: SendInit & { dispatcher: Agent }) => Promise<Response>

/**
 * Send over a connection to one of `addresses` (already checked): whatever name the URL has, the
 * socket's lookup answers these. The Host header, TLS server name (SNI) and certificate check stay
 * the URL's name, so a pinned request is the same request on the wire.
 */
export async function sendPinned(url: URL, init: SendInit, addresses: readonly string[], run: RunRequests): Promise<Sent> {
  // The user agent Node's own fetch sends (undici's package says 'undici'), unless the rule set one.
  const headers = { ...init.headers }
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'user-agent')) headers['user-agent'] = 'node'
  const agent = new Agent({ connect: { lookup: pinnedLookup(addresses) }, connections: 1 })
  const close = run.track(agent)
  try {
    return { response: await pinnedFetch(url, { ...init, headers, dispatcher: agent }), close }
  } catch (error) {
    await close()
    throw error
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

function pinnedLookup(addresses: readonly string[]) {
  const entries: LookupAddress[] = addresses.map((address) => ({ address, family: isIP(address) }))
  // net asks with `all: true` when it races the families (autoSelectFamily, Node's default).
  return (_hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const first = entries[0] as LookupAddress
    if (options.all === true) callback(null, entries)
    else callback(null, first.address, first.family)
  }
}

/** What limits one run's requests (resolved `modules.http`). */
export interface RequestLimits {
  maxConcurrentRequests: number
  maxRequests: number
}

/**
 * One run's share of HTTP: at most `maxConcurrentRequests` requests open at once (more wait their
 * turn), at most `maxRequests` sent in all, redirects included (more fail with ERR_HTTP_LIMIT).
 * When the run ends, every connection still open is destroyed and nothing waiting is sent.
 */
export class RunRequests {
  readonly #limits: RequestLimits
  #sent = 0
  #active = 0
  #ended = false
  readonly #waiting: { resolve: () => void; reject: (reason: unknown) => void }[] = []
  readonly #open = new Set<Agent>()

  constructor(limits: RequestLimits, signal: AbortSignal) {
    this.#limits = limits
    if (signal.aborted) this.#end(signal.reason)
    else signal.addEventListener('abort', () => this.#end(signal.reason), { once: true })
  }

  /** Count one request (or redirect hop) against the run's total, or refuse it. */
  count(): void {
    if (this.#sent >= this.#limits.maxRequests) {
      throw new HttpError('ERR_HTTP_LIMIT', `This run already sent ${this.#limits.maxRequests} HTTP requests, the most allowed (modules.http.maxRequests).`)
    }
    this.#sent++
  }

  /** Wait for a free slot (one of `maxConcurrentRequests`); call the answer to give it back. */
  async slot(): Promise<() => void> {
    if (this.#ended) throw new Error('The run is over.')
    if (this.#active >= this.#limits.maxConcurrentRequests) {
      await new Promise<void>((resolve, reject) => this.#waiting.push({ resolve, reject }))
    }
    this.#active++
    let given = false
    return () => {
      if (given) return
      given = true
      this.#active--
      this.#waiting.shift()?.resolve()
    }
  }

  /** Keep `agent` until the answer is called (or the run ends), then destroy it and its sockets. */
  track(agent: Agent): () => Promise<void> {
    if (this.#ended) void agent.destroy().catch(() => undefined)
    else this.#open.add(agent)
    return async () => {
      if (!this.#open.delete(agent)) return
      await agent.destroy().catch(() => undefined)
    }
  }

  #end(reason: unknown): void {
    this.#ended = true
    for (const agent of this.#open) void agent.destroy().catch(() => undefined)
    this.#open.clear()
    for (const waiter of this.#waiting.splice(0)) waiter.reject(reason)
  }
}

/** By the run's abort signal: one per run, whatever wraps the context of each call. */
const runs = new WeakMap<AbortSignal, RunRequests>()

/** The share of the run `context` belongs to (one per run, made on its first request). */
export function runRequests(context: CallContext, limits: RequestLimits): RunRequests {
  const signal = context.signal
  let run = runs.get(signal)
  if (run === undefined) {
    run = new RunRequests(limits, signal)
    runs.set(signal, run)
  }
  return run
}
