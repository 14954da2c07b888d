import type { JsonValue } from '@tokenrules/engine'

/** Auth0's password strength levels of a database connection. */
export type PasswordPolicyLevel = 'none' | 'low' | 'fair' | 'good' | 'excellent'

/** A directory's password policy: a level, and optionally a longer minimum length than the level's. */
export interface PasswordPolicy {
  level: PasswordPolicyLevel
  /** Characters at least; never below the level's own minimum. */
  minLength: number
}

/** The minimum length of each level, as Auth0's (none 1, low 6, fair 8, good 8, excellent 10). */
export const LEVEL_MIN_LENGTH: Readonly<Record<PasswordPolicyLevel, number>> = { none: 1, low: 6, fair: 8, good: 8, excellent: 10 }

/** The policy of a directory's options: level `good` (Auth0's default for new connections) when none is set. */
export function resolvePolicy(options: { level?: PasswordPolicyLevel | undefined; minLength?: number | undefined } | undefined): PasswordPolicy {
  const level = options?.level ?? 'good'
  return { level, minLength: Math.max(LEVEL_MIN_LENGTH[level], options?.minLength ?? 0) }
}

const CLASSES = [
  { code: 'lowerCase', message: 'lower case letters (a-z)', test: /\p{Ll}/u },
  { code: 'upperCase', message: 'upper case letters (A-Z)', test: /\p{Lu}/u },
  { code: 'numbers', message: 'numbers (i.e. 0-9)', test: /\p{Nd}/u },
  { code: 'specialCharacters', message: 'special characters (e.g. !@#$%^&*)', test: /[^\p{L}\p{Nd}\s]/u },
] as const

interface Rule {
  message: string
  code: string
  format?: (number | string)[]
  items?: { message: string; code: string; verified: boolean }[]
  verified: boolean
}

/** The password's length in characters (code points), as a user counts them. */
function length(password: string): number {
  return [...password].length
}

/** The rules of a policy, each checked against `password` (Auth0's `description.rules`). */
function rulesOf(policy: PasswordPolicy, password: string): Rule[] {
  const rules: Rule[] = [
    { message: 'At least %d characters in length', format: [policy.minLength], code: 'lengthAtLeast', verified: length(password) >= policy.minLength },
  ]
  const items = CLASSES.map((c) => ({ message: c.message, code: c.code, verified: c.test.test(password) }))
  const present = items.filter((item) => item.verified).length
  if (policy.level === 'fair') {
    const three = items.slice(0, 3)
    rules.push({
      message: 'Contain at least %d of the following %d types of characters:',
      code: 'containsAtLeast',
      format: [3, 3],
      items: three,
      verified: three.every((i) => i.verified),
    })
  } else if (policy.level === 'good' || policy.level === 'excellent') {
    rules.push({
      message: 'Contain at least %d of the following %d types of characters:',
      code: 'containsAtLeast',
      format: [3, 4],
      items,
      verified: present >= 3,
    })
  }
  if (policy.level === 'excellent') {
    rules.push({
      message: 'No more than %d identical characters in a row (e.g., "%s" not allowed)',
      code: 'identicalChars',
      format: [2, 'aaa'],
      verified: !/(.)\1\1/su.test(password),
    })
  }
  return rules
}

/** The policy as Auth0's `policy` text: one `* ` line per rule, its items indented. */
export function policyText(policy: PasswordPolicy): string {
  return rulesOf(policy, '')
    .flatMap((rule) => {
      let index = 0
      const line = rule.message.replace(/%[ds]/g, () => String(rule.format?.[index++] ?? ''))
      return [`* ${line}`, ...(rule.items ?? []).map((item) => `  * ${item.message}`)]
    })
    .join('\n')
}

/** Whether `password` meets the policy; when not, Auth0's `description` of which rules it failed. */
export function checkPassword(policy: PasswordPolicy, password: string): { ok: true } | { ok: false; description: JsonValue } {
  const rules = rulesOf(policy, password)
  if (rules.every((rule) => rule.verified)) return { ok: true }
  return { ok: false, description: { rules: rules as unknown as JsonValue, verified: false } }
}
