import type { Adapter, AdapterPayload } from 'oidc-provider'

interface Entry {
  payload: AdapterPayload
  expiresAt: number | undefined
}

type Stores = Map<string, Map<string, Entry>>

/**
 * node-oidc-provider's storage, in memory: a Map per model, entries dropped once expired. The
 * provider's own in-memory adapter does the same but prints a warning at start; a real deployment
 * plugs a database in here.
 */
export class MemoryAdapter implements Adapter {
  readonly #stores: Stores
  readonly #entries: Map<string, Entry>

  constructor(name: string, stores: Stores) {
    this.#stores = stores
    const entries = stores.get(name) ?? new Map<string, Entry>()
    stores.set(name, entries)
    this.#entries = entries
  }

  /** An adapter for one provider instance: its models are not shared with other providers. */
  static factory(): (name: string) => MemoryAdapter {
    const stores: Stores = new Map()
    return (name) => new MemoryAdapter(name, stores)
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    this.#entries.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined })
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const entry = this.#entries.get(id)
    if (entry === undefined) return undefined
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.#entries.delete(id)
      return undefined
    }
    return entry.payload
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    for (const [id, entry] of this.#entries) if (entry.payload.userCode === userCode) return this.find(id)
    return undefined
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    for (const [id, entry] of this.#entries) if (entry.payload.uid === uid) return this.find(id)
    return undefined
  }

  async consume(id: string): Promise<void> {
    const entry = this.#entries.get(id)
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000)
  }

  async destroy(id: string): Promise<void> {
    this.#entries.delete(id)
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const entries of this.#stores.values()) {
      for (const [id, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(id)
    }
  }
}
