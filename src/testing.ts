// `agentmount/testing`: helpers for demos and an app's own tests, kept out of the main entry.
export { OfflineEchoModel } from './agents/offline-model.js'
export type { OfflineEchoModelOptions } from './agents/offline-model.js'
