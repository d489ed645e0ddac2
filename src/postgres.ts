export { PostgresStore } from './storage/postgres/store.js'
export type { PostgresConnection, PostgresStoreOptions } from './storage/postgres/store.js'
