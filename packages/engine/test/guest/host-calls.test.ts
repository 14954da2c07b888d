/**
 * One HostCalls map (src/guest/contract.ts) types both sides of every host call: a capability
 * that does not exist, or one registered or called with the wrong shape, is a type error on the
 * host (HostRegistry.register, checked by the workspace's tsc) and in the guest (callHost, checked
 * by the guest's checkJs).
 */
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { HostRegistry } from '../../src/lib/host-bridge.js'
import { programOf } from './primordials-lint.js'

describe('the host side (HostRegistry.register)', () => {
  it('takes a capability by its id, with the arguments and result HostCalls names', () => {
    const registry = new HostRegistry()
    registry.register('$crypto.randomUUID', () => '00000000-0000-4000-8000-000000000000')
    registry.register('$url.resolve', ([from, to]) => new URL(to, from).href)
    expect(registry.get('$url.resolve')?.(['https://a.example/x/', 'y'], undefined as never)).toBe('https://a.example/x/y')
  })

  it('refuses, at compile time, an id that does not exist and a wrong shape', () => {
    // Never called: what matters is that each line is a type error (tsc fails on an unused directive).
    const typeErrors = (registry: HostRegistry) => {
      // @ts-expect-error: no capability has this id
      registry.register('$crypto.randomUUIDs', () => 'x')
      // @ts-expect-error: $url.resolve answers a string
      registry.register('$url.resolve', () => 42)
      const threeArguments = ([from, to, extra]: [string, string, string]) => from + to + extra
      // @ts-expect-error: $url.resolve's arguments are [from: string, to: string], not three
      registry.register('$url.resolve', threeArguments)
    }
    expect(typeof typeErrors).toBe('function')
  })
})

describe('the guest side (callHost, checkJs)', () => {
  const errorsOf = (source: string) =>
    ts
      .getPreEmitDiagnostics(programOf({ 'planted.js': source }))
      .filter((d) => d.file?.fileName.endsWith('planted.js'))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))

  it('a known capability with the right arguments typechecks', () => {
    expect(errorsOf(`function f() { return callHost('$url.resolve', ['https://a.example/', 'b']).length; }\n`)).toEqual([])
  })

  it('an unknown id, missing arguments, or a result used as what it is not, are type errors', () => {
    expect(errorsOf(`function f() { return callHost('$url.resolv', ['a', 'b']); }\n`)).toEqual([
      expect.stringContaining(`Argument of type '"$url.resolv"' is not assignable to parameter of type 'keyof HostCalls'`),
    ])
    expect(errorsOf(`function f() { return callHost('$url.resolve', ['a']); }\n`)).toEqual([
      expect.stringContaining(`Argument of type '[string]' is not assignable to parameter of type '[from: string, to: string]'`),
    ])
    expect(errorsOf(`function f() { return callHost('$crypto.randomInt', [0, 10]).length; }\n`)).toEqual([
      expect.stringContaining(`Property 'length' does not exist on type 'number'`),
    ])
  })
})
