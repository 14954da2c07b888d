/**
 * The contenders other than tokenrules' engine. Each `create` builds one "engine" (one tenant's
 * compiled rule set in its own realm) and returns `run(input) -> outcome`: the input goes in as
 * JSON text, the result comes out as JSON text and is parsed on the host, as with the engine.
 */
import vm from 'node:vm'
import { harnessSource } from './runner.js'
import type { BenchRule, Outcome } from './workload.js'

export interface Instance {
  run(input: object): Outcome
  dispose(): void
}

export interface Contender {
  name: string
  /** Whether it is a security boundary at all (for the table's notes). */
  note: string
  /** One-time, per-process set-up (loading a WASM module, lockdown), not counted as cold start. */
  prepare?: () => Promise<void>
  create(rules: readonly BenchRule[], configuration: Record<string, string>): Instance
}

type RunFn = (inputJson: string) => string

const plain: Contender = {
  name: 'plain function',
  note: 'host realm, no isolation: the physical floor',
  create(rules, configuration) {
    // Indirect eval: the harness and the rules are ordinary functions of the host realm.
    const run = (0, eval)(harnessSource(rules, configuration)) as RunFn
    return { run: (input) => JSON.parse(run(JSON.stringify(input))) as Outcome, dispose() {} }
  },
}

const nodeVm: Contender = {
  name: 'node:vm',
  note: 'separate context, not a security boundary',
  create(rules, configuration) {
    const context = vm.createContext({})
    const run = vm.runInContext(harnessSource(rules, configuration), context) as RunFn
    return { run: (input) => JSON.parse(run(JSON.stringify(input))) as Outcome, dispose() {} }
  },
}

let VM2: typeof import('vm2').VM | undefined
const vm2: Contender = {
  name: 'vm2',
  note: 'deprecated, known sandbox escapes',
  async prepare() {
    VM2 = (await import('vm2')).VM
  },
  create(rules, configuration) {
    if (VM2 === undefined) throw new Error('vm2 not prepared')
    const sandbox = new VM2({ eval: true, wasm: false, allowAsync: false })
    const run = sandbox.run(harnessSource(rules, configuration)) as RunFn
    return { run: (input) => JSON.parse(run(JSON.stringify(input))) as Outcome, dispose() {} }
  },
}

let quickjsModule: import('quickjs-emscripten').QuickJSWASMModule | undefined
const quickjs: Contender = {
  name: 'quickjs-emscripten',
  note: 'QuickJS compiled to WASM (interpreter, no JIT)',
  async prepare() {
    const { getQuickJS } = await import('quickjs-emscripten')
    quickjsModule = await getQuickJS()
  },
  create(rules, configuration) {
    if (quickjsModule === undefined) throw new Error('quickjs not prepared')
    const ctx = quickjsModule.newContext() // a runtime of its own per tenant, like an isolate
    const fn = ctx.unwrapResult(ctx.evalCode(harnessSource(rules, configuration)))
    return {
      run(input) {
        const arg = ctx.newString(JSON.stringify(input))
        try {
          const result = ctx.unwrapResult(ctx.callFunction(fn, ctx.undefined, arg))
          try {
            return JSON.parse(ctx.getString(result)) as Outcome
          } finally {
            result.dispose()
          }
        } finally {
          arg.dispose()
        }
      },
      dispose() {
        fn.dispose()
        ctx.dispose()
      },
    }
  },
}

interface SesCompartment {
  evaluate(source: string): unknown
}
let CompartmentCtor: (new (options?: object) => SesCompartment) | undefined
const ses: Contender = {
  name: 'ses Compartment',
  note: 'hardened JS: lockdown() freezes the realm (run in its own worker thread)',
  async prepare() {
    await import('ses')
    const g = globalThis as unknown as { lockdown(options?: object): void; Compartment: new (options?: object) => SesCompartment }
    g.lockdown({ errorTaming: 'unsafe', consoleTaming: 'unsafe', overrideTaming: 'severe' })
    CompartmentCtor = g.Compartment
  },
  create(rules, configuration) {
    if (CompartmentCtor === undefined) throw new Error('ses not prepared')
    const compartment = new CompartmentCtor({ __options__: true })
    const run = compartment.evaluate(harnessSource(rules, configuration)) as RunFn
    return { run: (input) => JSON.parse(run(JSON.stringify(input))) as Outcome, dispose() {} }
  },
}

export const contenders: Record<string, Contender> = {
  'plain function': plain,
  'node:vm': nodeVm,
  'quickjs-emscripten': quickjs,
  vm2,
  'ses Compartment': ses,
}
