/**
 * Post-login actions are as contained as rules (docs/actions.md#isolation): nothing they are given
 * (`event`, `api`, `require`, `module`, `exports`) leads to the host; what one action plants on the
 * sandbox's built-ins changes neither the engine's pipeline nor another action's secrets.
 */
import { createEngine, type ActionDefinition } from '@tokenrules/engine'
import { describe, expect, it } from 'vitest'
import { passwordInput } from '../helpers.js'
import { guardHost } from './support.js'

guardHost()

function action(name: string, body: string, extra: Partial<ActionDefinition> = {}): ActionDefinition {
  return { name, code: `exports.onExecutePostLogin = async function handler(event, api) {\n${body}\n};`, ...extra }
}
async function run(actions: ActionDefinition[]) {
  await using engine = await createEngine({
    concurrency: 1,
    rules: [],
    actions,
    limits: { timeoutMs: 3_000, memoryLimitMb: 64 },
    claims: { namespace: 'optional' },
    hooks: { updateAppMetadata: () => undefined },
  })
  return engine.run(passwordInput())
}

describe('actions cannot reach the host', () => {
  it('through the constructors of event, api, require, module and exports', async () => {
    const result = await run([
      action(
        'escape',
        `const probes = [event, event.user, api, api.accessToken.setCustomClaim, require, module, exports, handler];
         const seen = probes.map((p) => {
           const g = p.constructor.constructor('return this')();
           const attempt = (fn) => { try { fn(); return 'ran' } catch (e) { return 'threw' } };
           return [g === globalThis, attempt(() => g.process.binding('fs')), attempt(() => g.process.dlopen({}, '/tmp/x.node')), Object.keys(g.process.env).length, typeof g.Deno, typeof g.Bun];
         });
         api.idToken.setCustomClaim('seen', seen);`,
      ),
    ])
    const seen = result.idToken.claims['seen'] as unknown[][]
    expect(seen).toHaveLength(8)
    for (const probe of seen) expect(probe).toEqual([true, 'threw', 'threw', 0, 'undefined', 'undefined'])
  })

  it('through require, its surface, the caller chain or the module’s wrapper', async () => {
    const result = await run([
      action(
        'modules',
        `const out = {};
         for (const name of ['fs', 'child_process', 'node:net', 'worker_threads', 'vm', 'isolated-vm', 'module']) {
           try { require(name); out[name] = 'loaded' } catch (e) { out[name] = e.code }
         }
         out.cache = Object.keys(require.cache).length;
         out.main = require.main === undefined;
         out.resolve = (() => { try { require.resolve('fs'); return 'resolved' } catch (e) { return e.code } })();
         out.caller = (() => { try { return handler.caller === null ? 'null' : 'a function' } catch (e) { return e.name } })();
         out.wrapper = typeof module.require + ' ' + typeof module.parent + ' ' + typeof module.paths;
         api.idToken.setCustomClaim('out', out);`,
      ),
    ])
    expect(result.idToken.claims['out']).toEqual({
      fs: 'ERR_MODULE_NOT_ALLOWED',
      child_process: 'ERR_MODULE_NOT_ALLOWED',
      'node:net': 'ERR_MODULE_NOT_ALLOWED',
      worker_threads: 'ERR_MODULE_NOT_ALLOWED',
      vm: 'ERR_MODULE_NOT_ALLOWED',
      'isolated-vm': 'ERR_MODULE_NOT_ALLOWED',
      module: 'ERR_MODULE_NOT_ALLOWED',
      cache: 0,
      main: true,
      resolve: 'MODULE_NOT_FOUND',
      caller: 'TypeError',
      wrapper: 'undefined undefined undefined',
    })
  })

  it('a compromised action changes neither the pipeline nor the next action’s event and secrets', async () => {
    const result = await run([
      action(
        'poison',
        `Object.defineProperty(Object.prototype, 'secrets', { set() { throw new Error('planted setter') }, get() { return { STOLEN: true } }, configurable: true });
         Object.defineProperty(Object.prototype, 'user', { set() { throw new Error('planted setter') }, configurable: true });
         Array.prototype.push = function () { throw new Error('planted push') };
         JSON.parse = () => ({ hijacked: true });
         JSON.stringify = () => '{"hijacked":true}';
         Map.prototype.set = function () { throw new Error('planted Map.set') };
         Promise.prototype.then = function () { throw new Error('planted then') };
         globalThis.secretsOfOthers = () => event.secrets;`,
        { secrets: [{ name: 'MINE', value: 'poison-secret' }] },
      ),
      action(
        'victim',
        `api.idToken.setCustomClaim('victim', [Object.keys(event.secrets), event.secrets.API_KEY, event.user.email]);
         api.user.setAppMetadata('ok', true);`,
        { secrets: [{ name: 'API_KEY', value: 'victim-secret' }] },
      ),
    ])
    expect(result.idToken.claims['victim']).toEqual([['API_KEY'], 'victim-secret', 'ada@example.com'])
    expect(result.actions?.map((a) => a.name)).toEqual(['poison', 'victim'])
  })

  it('secrets never reach logs, errors or warnings through the engine', async () => {
    const failed = await run([action('leaky', `throw new Error('failed')`, { secrets: [{ name: 'K', value: 'top-secret-value' }] })]).catch((e: unknown) => e)
    expect(JSON.stringify(failed)).not.toContain('top-secret-value')
    expect(String((failed as Error).message)).not.toContain('top-secret-value')
  })
})
