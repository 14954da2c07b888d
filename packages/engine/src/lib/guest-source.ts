import { readFileSync } from 'node:fs'
import type { GuestInputs } from '../guest/contract.js'

/**
 * The guest runtime's files (src/guest), in the order they run. primordials.js comes first: it
 * captures every built-in the others call, before any rule runs.
 */
export const GUEST_FILES = [
  'primordials.js',
  'guards.js',
  'runtime.js',
  'memory.js',
  'bridge.js',
  'globals.js',
  'crypto.js',
  'jwt.js',
  'http.js',
  'node-http.js',
  'modules.js',
  'node.js',
  'actions.js',
] as const

/** The bootstrap inputs, in the order the host passes them (`$0`, `$1`, … of `evalClosure`). */
export const GUEST_INPUTS = [
  'notify',
  'settingsJson',
  'hostInvoke',
  'bufferSource',
  'runningRuleBuffer',
  'cryptoSource',
  'hostAwait',
] as const satisfies readonly (keyof GuestInputs)[]
// Every input of GuestInputs is bound (a missing one is a type error here).
const allBound: Exclude<keyof GuestInputs, (typeof GUEST_INPUTS)[number]> extends never ? true : never = true
void allBound

/**
 * Where the guest files are: src/guest, whether this module runs from src/lib or, built, from
 * dist/lib (the guest is plain JavaScript, never compiled; the package ships src).
 */
const GUEST_DIR = new URL('../../src/guest/', import.meta.url)

/** One guest file's source. */
export function guestFile(name: string): string {
  return readFileSync(new URL(name, GUEST_DIR), 'utf8')
}

/**
 * The body of a strict function, for `context.evalClosure`, that binds the bootstrap inputs by
 * name, runs `files`, and evaluates to `returns` (an expression over their declarations).
 */
export function guestClosure(files: readonly string[], returns: string): string {
  const inputs = GUEST_INPUTS.map((name, i) => `const ${name} = $${i};`).join(' ')
  return `'use strict'; ${inputs}\n${files.map(guestFile).join('\n')}\nreturn ${returns};\n`
}

/** The whole guest runtime, read once per process; evaluates to its `dispatch` function. */
export const GUEST_RUNTIME = guestClosure(GUEST_FILES, 'dispatch')

/** The values of the bootstrap inputs, as `evalClosure`'s arguments. */
export function guestArguments<T extends Record<keyof GuestInputs, unknown>>(inputs: T): unknown[] {
  return GUEST_INPUTS.map((name) => inputs[name])
}
