/** Something the kit opened that holds isolates until it is closed. */
export interface Closable {
  close(): Promise<void>
}

const open = new Set<Closable>()

export function track(resource: Closable): void {
  open.add(resource)
}

export function untrack(resource: Closable): void {
  open.delete(resource)
}

/** Every resource open now, the oldest first; `closeAll` and `openEngineCount` read it. */
export function openResources(): Set<Closable> {
  return open
}
