/** Differential tests of the public post-login actions, slice 2 of 3 (engine with isolation: 'process' as the token server uses, against the reference harness). */
import { actionsDifferentialSuite, slice } from './differential-support.js'

actionsDifferentialSuite(slice(1, 3))
