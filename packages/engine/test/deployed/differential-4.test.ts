/** Differential tests of the deployed corpus, slice 4 of 4 (engine with isolation: 'process' as the token server uses, against the reference). */
import { differentialSuite, slice } from './differential-support.js'

differentialSuite(slice(3, 4))
