import { afterAll } from 'vitest'
import { dropTestSchemas } from './stores.js'

// Runs after each test file of a Postgres project: its schemas go with it.
afterAll(dropTestSchemas)
