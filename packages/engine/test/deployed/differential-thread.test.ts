/**
 * The cheaper pass: the whole deployed corpus with the engine's isolates on threads of this
 * process (isolation: 'thread'), against the same reference. The token server's own isolation,
 * 'process', is measured by differential-1..4.test.ts.
 */
import { deployedSlugs, hasCase } from './harness.js'
import { differentialSuite } from './differential-support.js'

differentialSuite(deployedSlugs().filter(hasCase), 'thread')
