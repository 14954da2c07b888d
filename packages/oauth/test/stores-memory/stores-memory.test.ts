import { describe } from 'vitest'
import { createMemoryStores } from '@tokenrules/oauth'
import { attemptStoreContract, keyStoreContract, mfaStoreContract, refreshTokenStoreContract, userStoreContract } from '../stores/contract.js'

describe('in-memory stores', () => {
  userStoreContract(async () => ({ store: createMemoryStores().users }))
  refreshTokenStoreContract(async () => ({ store: createMemoryStores().refreshTokens }))
  mfaStoreContract(async () => ({ store: createMemoryStores().mfa }))
  attemptStoreContract(async () => ({ store: createMemoryStores().attempts }))
  keyStoreContract(async () => ({ store: createMemoryStores().keys }))
})
