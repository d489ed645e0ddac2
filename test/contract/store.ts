import { afterEach, describe } from 'vitest'
import type { Store } from '../../src/storage/types.js'
import { searchContract } from './search.js'
import { threadStoreContract } from './threads.js'
import { workflowRunsContract } from './workflow-runs.js'
import { agentRunsContract } from './agent-runs.js'

/** The whole `Store` contract: the same tests for every implementation, given a factory of empty stores. */
export function storeContract(open: () => Store | Promise<Store>): void {
  threadStoreContract(open)
  searchContract(open)

  describe('workflow runs', () => {
    const opened: Store[] = []
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close()
    })
    workflowRunsContract(async () => {
      const store = await open()
      opened.push(store)
      return store.workflowRuns
    })
  })

  describe('agent runs', () => {
    const opened: Store[] = []
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close()
    })
    agentRunsContract(async () => {
      const store = await open()
      opened.push(store)
      return store.agentRuns
    })
  })
}
