import { createMemoryStores } from '@tokenrules/oauth'
import { describeStoreContract } from '@tokenrules/oauth/testing'

describeStoreContract('in-memory stores', {
  users: async () => ({ store: createMemoryStores().users }),
  refreshTokens: async () => ({ store: createMemoryStores().refreshTokens }),
  mfa: async () => ({ store: createMemoryStores().mfa }),
  attempts: async () => ({ store: createMemoryStores().attempts }),
  keys: async () => ({ store: createMemoryStores().keys }),
  userinfo: async () => ({ store: createMemoryStores().userinfo }),
})
