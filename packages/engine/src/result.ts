/** JSON values, as they may appear in a token's claims. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** One line a rule wrote with `console.*`. */
export interface LogEntry {
  level: 'log' | 'info' | 'warn' | 'error' | 'debug'
  /** The rule that wrote it. */
  rule: string
  /** The arguments, formatted like Node's `console` does (objects as JSON). */
  message: string
  /** Milliseconds since the start of the run. */
  atMs: number
}

/** Why a custom claim was left out of a token. */
export type ClaimDropReason =
  /** `required` policy: the name is not an `http(s)://host/...` URL. */
  | 'not-namespaced'
  /** The namespace's host is `auth0.com`, `webtask.io`, `webtask.run` (or a subdomain), or one the integrator forbade. */
  | 'forbidden-namespace'
  /** `optional` policy: a restricted claim name (`roles`, `permissions`, `amr`, …) or `urn:auth0…`. */
  | 'restricted'
  /** A claim the server sets itself (`iss`, `sub`, `aud`, `exp`, …). */
  | 'registered'
  /** `__proto__`, `constructor` or `prototype`: never accepted as a claim name. */
  | 'reserved-name'

/** Something the host should know about; never changes the outcome. */
export type Warning =
  | { code: 'CLAIM_DROPPED'; claim: string; token: 'accessToken' | 'idToken'; reason: ClaimDropReason; message: string }
  | { code: 'CALLBACK_CALLED_TWICE'; rule: string; message: string }
  | { code: 'RULE_THREW_AFTER_CALLBACK'; rule: string; message: string }
  | { code: 'LOGS_TRUNCATED'; message: string }
  | { code: 'MODULE_VERSION_MISMATCH'; rule: string; message: string }

/** The claims one token receives from the rules. */
export interface TokenClaims {
  /** Custom claims that passed the namespace policy. */
  claims: Record<string, JsonValue>
}

/** The access token's part of a {@link RunResult}. */
export interface AccessTokenResult extends TokenClaims {
  /**
   * The scopes the rules granted, de-duplicated, when `context.accessToken.scope` was set;
   * `undefined` when the rules left the scopes alone.
   */
  scope: string[] | undefined
}

/** What a successful run of the rule set gives the token server. */
export interface RunResult<User extends Record<string, unknown> = Record<string, unknown>> {
  /** The `user` as the last rule passed it on (use it for the ID token's standard claims). */
  user: User
  accessToken: AccessTokenResult
  idToken: TokenClaims
  /** Set when a rule asked for multifactor authentication. */
  multifactor?: { provider: string; allowRememberBrowser: boolean }
  /** Set when a rule redirected under a browser protocol; the host acts on it. */
  redirect?: { url: string }
  /** Set when a rule changed `context.primaryUser` (account linking). */
  primaryUser?: string
  /** Everything the rules wrote with `console.*`, in order (bounded). */
  logs: LogEntry[]
  warnings: Warning[]
  /** Each rule that ran, in order, with its wall-clock duration. */
  rules: { name: string; durationMs: number }[]
  /** The `context` as the last rule left it, when the run asked for it (`includeContext`). */
  context?: Record<string, unknown>
  /** Metadata the rules persisted through `auth0.users.update*Metadata` (the hooks succeeded). */
  metadataUpdates: MetadataUpdate[]
}

/** One successful `auth0.users.updateAppMetadata` / `updateUserMetadata` call. */
export interface MetadataUpdate {
  userId: string
  kind: 'app_metadata' | 'user_metadata'
  metadata: Record<string, JsonValue>
}
