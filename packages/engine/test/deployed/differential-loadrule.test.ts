/**
 * The deployed corpus through @tokenrules/testing's loadRule (what a rule's unit test sees), against
 * the same reference: loadRule must give exactly what the engine would put in the token.
 */
import { deployedSlugs, hasCase } from './harness.js'
import { differentialSuite } from './differential-support.js'

differentialSuite(deployedSlugs().filter(hasCase), 'thread', 'loadRule')
