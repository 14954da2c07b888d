import type { z } from 'zod'
import { formatIssuePath, type ValidationIssue } from '../errors.js'

/** zod's issues as plain data: each path a list of keys (`['rules', 2, 'name']`), under `prefix`. */
export function toIssues(error: z.ZodError, prefix: readonly (string | number)[] = []): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map((key) => (typeof key === 'number' ? key : String(key)))],
    message: issue.message,
    code: issue.code,
  }))
}

/** One line per issue, for an error message: `rules[2].name: must not be empty; …`. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`).join('; ')
}
