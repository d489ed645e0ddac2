import { describe } from 'vitest'
import { storeContract } from '../contract/store.js'
import { postgresStore } from '../harness/stores.js'

describe('PostgresStore', () => {
  storeContract(() => postgresStore())
})
