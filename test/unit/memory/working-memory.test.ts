import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { HttpError } from '../../../src/core/errors.js'
import { mergeWorkingMemory, WorkingMemory } from '../../../src/memory/working-memory.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'

let store: SqliteStore
beforeEach(() => {
  store = new SqliteStore(':memory:')
})
afterEach(async () => {
  await store.close()
})

const target = { threadId: 't1', resourceId: 'user-1' }
const profile = z.object({
  name: z.string(),
  prefs: z.object({ theme: z.string(), lang: z.string() }).optional(),
  tags: z.array(z.string()).optional(),
})

describe('mergeWorkingMemory', () => {
  it('merges objects, deletes on null, replaces arrays and scalars', () => {
    const current = { name: 'Ada', prefs: { theme: 'dark', lang: 'en' }, tags: ['a', 'b'], age: 36 }
    expect(mergeWorkingMemory(current, { prefs: { lang: 'fr' }, tags: ['c'], age: null })).toEqual({
      name: 'Ada',
      prefs: { theme: 'dark', lang: 'fr' },
      tags: ['c'],
    })
    expect(current.prefs.lang).toBe('en')
  })

  it('ignores prototype-polluting keys', () => {
    const merged = mergeWorkingMemory({}, JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}'))
    expect(merged).toEqual({ ok: 1 })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('WorkingMemory, template mode', () => {
  const memory = () => new WorkingMemory({ template: '# User\n- Name:' })

  it('starts from the template and each update replaces the whole text', async () => {
    const wm = memory()
    expect(await wm.read(store.workingMemory, target)).toBe('# User\n- Name:')
    await wm.update(store.workingMemory, target, '# User\n- Name: Ada')
    await wm.update(store.workingMemory, target, '# User\n- Name: Ada\n- City: Oslo')
    expect(await wm.read(store.workingMemory, target)).toBe('# User\n- Name: Ada\n- City: Oslo')
  })

  it('shares one value across a resource’s threads by default, one per thread when scoped to threads', async () => {
    await memory().update(store.workingMemory, target, 'shared')
    expect(await memory().read(store.workingMemory, { threadId: 'other', resourceId: 'user-1' })).toBe('shared')
    const perThread = new WorkingMemory({ scope: 'thread' })
    await perThread.update(store.workingMemory, target, 'only t1')
    expect(await perThread.read(store.workingMemory, { threadId: 'other', resourceId: 'user-1' })).toBeNull()
    expect(await perThread.read(store.workingMemory, target)).toBe('only t1')
  })

  it('rejects a non-string value with a 400', async () => {
    const error = await memory().replace(store.workingMemory, target, { name: 'x' }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).status).toBe(400)
  })

  it('gives the model the content and a replace instruction', () => {
    const text = memory().instructions('# User\n- Name: Ada')
    expect(text).toContain('# User\n- Name: Ada')
    expect(text).toContain('complete updated text')
  })
})

describe('WorkingMemory, schema mode', () => {
  const memory = () => new WorkingMemory({ schema: profile })

  it('deep-merges updates: null deletes, arrays replace, nested objects merge', async () => {
    const wm = memory()
    expect(await wm.read(store.workingMemory, target)).toBeNull()
    await wm.update(store.workingMemory, target, { name: 'Ada', prefs: { theme: 'dark', lang: 'en' }, tags: ['a', 'b'] })
    await wm.update(store.workingMemory, target, { prefs: { lang: 'fr' }, tags: ['c'] })
    await wm.update(store.workingMemory, target, JSON.stringify({ name: null }))
    expect(JSON.parse((await wm.read(store.workingMemory, target))!)).toEqual({ prefs: { theme: 'dark', lang: 'fr' }, tags: ['c'] })
  })

  it('rejects an update the schema forbids', async () => {
    const error = await memory().update(store.workingMemory, target, { tags: 'not an array' }).catch((err: unknown) => err)
    expect((error as HttpError).status).toBe(400)
    expect((error as HttpError).issues?.[0].field).toBe('workingMemory')
    expect(await memory().read(store.workingMemory, target)).toBeNull()
  })

  it('replace sets the whole object', async () => {
    const wm = memory()
    await wm.update(store.workingMemory, target, { name: 'Ada', tags: ['a'] })
    await wm.replace(store.workingMemory, target, '{"name":"Bob"}')
    expect(JSON.parse((await wm.read(store.workingMemory, target))!)).toEqual({ name: 'Bob' })
  })

  it('the updateWorkingMemory tool merges for its own thread and exposes the shape to the model', async () => {
    const tool = memory().tool(store.workingMemory, target)
    const execute = tool.execute!
    await execute({ memory: { name: 'Ada' } }, { toolCallId: 'c1', messages: [] })
    await execute({ memory: { prefs: { theme: 'light' } } }, { toolCallId: 'c2', messages: [] })
    expect(JSON.parse((await memory().read(store.workingMemory, target))!)).toEqual({ name: 'Ada', prefs: { theme: 'light' } })
    const inputSchema = z.toJSONSchema(tool.inputSchema as z.ZodType) as { properties: Record<string, any> }
    expect(Object.keys(inputSchema.properties.memory.properties)).toEqual(['name', 'prefs', 'tags'])
  })
})
