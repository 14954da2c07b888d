import { z } from 'zod'
import { formatIssuePath } from '../errors.js'
import { RuleSourceError } from './errors.js'

/** A rule entry of a Deploy CLI export or a Management API dump (`script` is a path or the source). */
export const ruleEntry = z.looseObject({
  id: z.string().optional(),
  name: z.string().min(1),
  script: z.string(),
  order: z.number().optional(),
  enabled: z.boolean().optional(),
  stage: z.string().optional(),
})

/** A `rules_configs` / `rulesConfigs` entry: configuration values are strings, as Auth0 keeps them. */
export const rulesConfigEntry = z.looseObject({ key: z.string().min(1), value: z.string() })

/** An action as the Deploy CLI exports it and `GET /api/v2/actions/actions` lists it (`code` a path or the source). */
export const actionEntry = z.looseObject({
  id: z.string().optional(),
  name: z.string().min(1),
  code: z.string(),
  runtime: z.string().optional(),
  status: z.string().optional(),
  deployed: z.boolean().optional(),
  dependencies: z.array(z.looseObject({ name: z.string().min(1), version: z.string().optional() })).optional(),
  secrets: z.array(z.looseObject({ name: z.string().min(1), value: z.string().optional() })).optional(),
  supported_triggers: z.array(z.looseObject({ id: z.string().min(1), version: z.string().optional() })).optional(),
})

/** `schema.parse(value)`, or a {@link RuleSourceError} naming `file` and each wrong path (under `at`). */
export function parseShape<T>(schema: z.ZodType<T>, value: unknown, file: string, at: readonly (string | number)[] = []): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const lines = parsed.error.issues.map(
    (issue) => `${formatIssuePath([...at, ...issue.path.map((key) => (typeof key === 'number' ? key : String(key)))])}: ${issue.message}`,
  )
  throw new RuleSourceError(`${file}: ${lines.join('; ')}`, file, parsed.error)
}
