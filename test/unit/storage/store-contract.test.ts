import { describe } from 'vitest'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { storeContract } from '../../contract/store.js'

describe('SqliteStore', () => {
  storeContract(() => new SqliteStore(':memory:'))
})
