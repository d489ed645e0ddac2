import { describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { mount } from '../../adapters/express.js'
import { createRuntime } from '../../src/runtime.js'

// The Express 4 project aliases `express` to Express 4 so the adapter really runs on it.
describe.each(hosts.filter((h) => h.name.startsWith('express')))('express adapter on $name', ({ name }) => {
  it('builds its router with the Express major the app runs', async () => {
    const router = mount(createRuntime())
    if (name === 'express4') {
      const { default: express4 } = await import('express4')
      expect(Object.getPrototypeOf(router)).toBe(express4.Router)
    } else {
      const { default: express5 } = await import('express')
      expect(Object.getPrototypeOf(router)).toBeInstanceOf(express5.Router)
    }
  })
})
