// This suite used to load rules with a hand-made harness: `new Function` over the rule's source in
// the test process, with `globals` as parameters and `stubs` behind a fake `require`. It now runs
// them in the real sandbox. The suites that use it did not change.
import { createRuleLoader } from '@tokenrules/testing'

/** `loadRule('enrich-from-crm', globals, stubs)`: a rule of ../../rules/ by name, ready to call. */
export const loadRule = createRuleLoader({ dir: new URL('../../rules/', import.meta.url) })
