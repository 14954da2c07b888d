/** A failure that must end the run (no token), not just reject the rule's promise. */
export class RunFailure extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}
