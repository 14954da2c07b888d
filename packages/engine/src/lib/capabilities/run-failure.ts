/** A failure that must end the run (no token), not just reject the rule's promise. */
export class RunFailure extends Error {
  readonly code: string
  /** Where in what the rule passed the problem is, as keys (`['app_metadata', 'prefs', 'ui.theme']`), when it is about a value. */
  readonly keys: readonly (string | number)[] | undefined
  constructor(code: string, message: string, keys?: readonly (string | number)[]) {
    super(message)
    this.code = code
    this.keys = keys
  }
}
