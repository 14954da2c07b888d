import { z } from 'zod'
import { ALL_GRANT_TYPES, type GrantType } from '../grants/grant-types.js'
import { ROLE_ID } from '../management/roles.js'

/**
 * The schema of `tokenrules.yaml`, the file `tokenrules serve` and `tokenrules users` read. It is
 * data only (no transforms), so the JSON Schema editors complete the file with
 * (`tokenrules.schema.json`) is generated from it; {@link loadServerConfig} resolves what it
 * references (environment variables, paths relative to the file) after checking it.
 */

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `{ env: NAME }`: the value of an environment variable, read when the file is loaded. */
export const envReference = z
  .strictObject({ env: z.string().regex(ENV_NAME, 'must be an environment variable name (letters, digits, _)') })
  .meta({ description: 'The value of this environment variable, read at start. The file never holds the value itself.' })

/** A secret: only ever an environment reference (a string in its place is refused, its value never repeated). */
const secretReference = (what: string) =>
  z.strictObject(
    { env: z.string().regex(ENV_NAME, 'must be an environment variable name (letters, digits, _)') },
    { error: (issue) => (issue.code === 'invalid_type' ? `${what} is never written in the file: give { env: NAME }` : undefined) },
  )

/** A value written in the file, or taken from the environment. */
const textOrEnv = z.union([z.string(), envReference])

const positiveInt = z.number().int().positive()
const grantType = z.enum(ALL_GRANT_TYPES as [GrantType, ...GrantType[]]).meta({
  description: 'A grant the client may use: password, refresh_token, or http://auth0.com/oauth/grant-type/{password-realm,mfa-otp,mfa-recovery-code}.',
})
const stringRecord = z.record(z.string(), z.string())

const client = z
  .strictObject({
    clientId: z.string().min(1).max(256).meta({ description: 'The client_id the application sends; rules see it as context.clientID.' }),
    name: z.string().optional().meta({ description: 'Rules see it as context.clientName.' }),
    secretHash: z
      .string()
      .startsWith('$scrypt$', 'must come from hashSecret() (tokenrules hash-secret prints one)')
      .optional()
      .meta({ description: "The client secret's scrypt hash, from hashSecret(). A hash is not a secret: it may be committed." }),
    secret: secretReference('a client secret (or use secretHash)').optional().meta({
      description: 'The client secret from an environment variable (hashed at start). A secret is never written in the file.',
    }),
    grants: z.array(grantType),
    allowPublic: z.boolean().optional().meta({ description: 'Let a client without a secret use its grants. Default false.' }),
    trustForwardedFor: z.boolean().optional().meta({ description: "Trust auth0-forwarded-for as the end user's IP (secret-authenticated clients only)." }),
    metadata: stringRecord.optional().meta({ description: 'Rules see it as context.clientMetadata.' }),
    defaultAudience: z.string().min(1).optional(),
    allowedOrigins: z
      .array(z.string())
      .optional()
      .meta({ description: 'Origins whose pages may call the endpoints, e.g. https://app.example.com or https://*.example.com.' }),
  })
  .superRefine((value, ctx) => {
    if (value.secretHash !== undefined && value.secret !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'give either secretHash or secret, not both' })
    }
  })

const api = z.strictObject({
  identifier: z.string().min(1).meta({ description: 'The audience value, e.g. https://api.example.com.' }),
  name: z.string().optional(),
  scopes: z.array(z.string()),
  tokenLifetimeSeconds: positiveInt.max(2_592_000).optional().meta({ description: 'Access token lifetime. Default 86400.' }),
  allowOfflineAccess: z.boolean().optional().meta({ description: 'Whether offline_access may yield a refresh token. Default false.' }),
})

const directory = z.strictObject({
  name: z.string().min(1).max(128).meta({ description: 'The realm (Auth0: database connection) name; rules see it as context.connection.' }),
  metadata: stringRecord.optional().meta({ description: 'Rules see it as context.connectionMetadata.' }),
  signup: z.strictObject({ enabled: z.boolean(), clients: z.array(z.string().min(1)).optional() }).optional(),
  passwordPolicy: z
    .strictObject({
      level: z.enum(['none', 'low', 'fair', 'good', 'excellent']).optional().meta({ description: "Auth0's password strength level. Default good." }),
      minLength: positiveInt.max(128).optional(),
    })
    .optional(),
})

const stores = z
  .strictObject({
    sqlite: z.string().min(1).optional().meta({ description: 'The SQLite database file (relative to this file); every store lives there.' }),
    postgres: textOrEnv.optional().meta({ description: 'A PostgreSQL connection URL; every store lives there, shared by every server on it.' }),
    redis: textOrEnv.optional().meta({ description: 'A Redis URL for attempt counters, refresh tokens and userinfo records (beside sqlite or postgres).' }),
  })
  .superRefine((value, ctx) => {
    if (value.sqlite !== undefined && value.postgres !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['postgres'], message: 'give either sqlite or postgres, not both' })
    }
    if (value.redis !== undefined && value.sqlite === undefined && value.postgres === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['redis'],
        message: 'holds attempts, refresh tokens and userinfo only: give sqlite or postgres for the users and keys',
      })
    }
  })

const rules = z.strictObject({
  path: z.string().min(1).meta({
    description:
      'Where the rules are, relative to this file: a folder of rules, an Auth0 Deploy CLI export (directory, or tenant.yaml), or a Management API dump (.json).',
  }),
  format: z.enum(['folder', 'deploy-cli-directory', 'deploy-cli-yaml', 'management-api']).optional().meta({ description: 'Detected from path when left out.' }),
  mappings: z
    .record(z.string(), textOrEnv)
    .optional()
    .meta({ description: "The Deploy CLI's keyword replacement (AUTH0_KEYWORD_REPLACE_MAPPINGS): ##KEY## and @@KEY@@ in the export." }),
  watch: z.boolean().optional().meta({ description: 'Reload when the rules or this file change. Default true.' }),
})

const engine = z.strictObject({
  limits: z
    .strictObject({
      timeoutMs: positiveInt.max(600_000).optional().meta({ description: "Wall-clock budget of a login's rules. Default 20000." }),
      memoryLimitMb: z.number().int().min(8).max(4_096).optional(),
    })
    .optional(),
  modules: z
    .strictObject({
      packages: z.array(z.string().min(1)).optional().meta({ description: 'npm packages rules may require (installed beside this file), e.g. lodash.' }),
      http: z
        .strictObject({
          allow: z.array(z.string().min(1)).meta({ description: 'Hosts rules may call: api.example.com, *.corp.example, 127.0.0.1:8080.' }),
          methods: z.array(z.string().min(1)).optional(),
          timeoutMs: positiveInt.max(60_000).optional(),
          allowAddresses: z.array(z.string().min(1)).optional().meta({ description: 'Private addresses or CIDR ranges names may resolve to.' }),
        })
        .optional(),
      crypto: z.boolean().optional().meta({ description: 'crypto and jsonwebtoken for rules.' }),
    })
    .optional(),
  claims: z
    .strictObject({
      namespace: z.enum(['required', 'optional']).optional(),
      onViolation: z.enum(['drop', 'error']).optional(),
    })
    .optional(),
  errors: z.strictObject({ exposeExceptionMessages: z.boolean().optional() }).optional(),
  concurrency: positiveInt.max(256).optional(),
  isolation: z.enum(['thread', 'process']).optional(),
})

/** The schema of the server's config file. */
export const serverConfigSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'The JSON Schema of this file, for editors.' }),
    issuer: z.url({ protocol: /^https?$/ }).meta({ description: 'The iss of every token and the public base URL, e.g. https://auth.example.com/.' }),
    listen: z
      .strictObject({
        host: z.string().min(1).optional().meta({ description: 'Default 127.0.0.1.' }),
        port: z.number().int().min(0).max(65_535).optional().meta({ description: 'Default 3000; 0 picks a free port.' }),
      })
      .optional(),
    encryptionKey: secretReference('the encryption key').optional().meta({
      description:
        'The environment variable holding the 32-byte key (base64url) that seals TOTP secrets and signing keys at rest. Required with sqlite or postgres.',
    }),
    keys: z
      .strictObject({
        algorithm: z.enum(['RS256', 'ES256', 'EdDSA']).optional(),
        published: positiveInt.max(10).optional().meta({ description: 'Keys published in the JWKS: the current one and its predecessors. Default 2.' }),
        reloadSeconds: z
          .number()
          .int()
          .min(0)
          .max(86_400)
          .optional()
          .meta({ description: 'How often the key store is re-read, for rotations by other servers on a shared store. Default 60; 0 never.' }),
      })
      .optional(),
    clients: z.array(client),
    apis: z.array(api),
    directories: z.array(directory).optional(),
    defaultDirectory: z.string().min(1).optional().meta({ description: 'The directory of the password grant. Default: the first one.' }),
    defaultAudience: z.string().min(1).optional(),
    bruteForce: z
      .strictObject({
        threshold: positiveInt.optional().meta({ description: 'Failures per (user, IP) before a block. Default 10.' }),
        blockSeconds: positiveInt.optional().meta({ description: 'How long a block lasts. Default 900.' }),
      })
      .optional(),
    idToken: z.strictObject({ lifetimeSeconds: positiveInt.optional() }).optional(),
    refreshTokens: z.strictObject({ lifetimeSeconds: positiveInt.optional() }).optional(),
    mfa: z
      .strictObject({
        issuerName: z.string().min(1).optional(),
        recoveryCodes: positiveInt.max(20).optional(),
        codeAttempts: positiveInt.max(100).optional(),
        codeRefillSeconds: positiveInt.max(86_400).optional(),
        codeAttemptsPerMfaToken: positiveInt.max(100).optional(),
      })
      .optional(),
    passwords: z
      .strictObject({
        scryptCost: positiveInt.optional().meta({ description: 'scrypt N of new hashes, a power of two. Default 32768; lower only in tests.' }),
      })
      .optional(),
    limits: z.strictObject({ maxBodyBytes: positiveInt.max(1_048_576).optional() }).optional(),
    basePath: z.string().optional().meta({ description: "A path prefix of every route, e.g. /auth. Default ''." }),
    tenant: z.string().min(1).optional().meta({ description: 'Rules see it as context.tenant. Default tokenrules.' }),
    managementApi: z
      .union([
        z.literal(false),
        z.strictObject({
          tokenLifetimeSeconds: positiveInt.max(3_600).optional(),
          roles: z
            .array(
              z.strictObject({
                name: z.string().min(1).max(200),
                id: z.string().regex(ROLE_ID, 'must be rol_ followed by 1 to 64 letters or digits').optional(),
                description: z.string().max(1_000).optional(),
              }),
            )
            .optional(),
        }),
      ])
      .optional()
      .meta({ description: 'The Management API subset served to rules (auth0.accessToken); false turns it off.' }),
    stores: stores.optional().meta({ description: 'Where data lives. Left out: in memory, lost when the server stops.' }),
    rules: rules.optional(),
    configuration: z
      .record(z.string(), textOrEnv)
      .optional()
      .meta({ description: "The rules' configuration values, over the export's rules-configs; { env: NAME } reads one from the environment." }),
    engine: engine.optional(),
  })
  .meta({ title: 'tokenrules server configuration', description: 'The file tokenrules serve --config reads.' })

/** The config file as written (after YAML parsing, before references are resolved). */
export type ServerConfigFile = z.infer<typeof serverConfigSchema>

/** The JSON Schema of the config file, generated from {@link serverConfigSchema}. */
export function serverConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(serverConfigSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>
}

/** The committed `tokenrules.schema.json`'s text: {@link serverConfigJsonSchema}, two-space indented, with a final newline. */
export function serverConfigJsonSchemaText(): string {
  return `${JSON.stringify(serverConfigJsonSchema(), null, 2)}\n`
}
