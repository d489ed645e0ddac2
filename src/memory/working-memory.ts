import type { Tool } from 'ai'
import { z } from 'zod'
import { invalid } from '../core/errors.js'
import type { WorkingMemoryScope, WorkingMemoryStore } from '../storage/types.js'
import { isRecord } from '../core/is-record.js'

export interface WorkingMemoryOptions {
  /** Default true once a `workingMemory` config is given. */
  enabled?: boolean
  /** 'resource' (default) shares one memory across a resource's threads; 'thread' keeps one per thread. */
  scope?: WorkingMemoryScope
  /** Template mode: the initial text; each update replaces the whole text. */
  template?: string
  /** Schema mode: the value is a JSON object; each update deep-merges into it. */
  schema?: z.ZodObject
}

/** The thread a turn or route works on, and the resource that owns it. */
export interface WorkingMemoryTarget {
  threadId: string
  resourceId: string
}

type JsonObject = Record<string, unknown>

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])


/**
 * Schema-mode update rule: objects merge key by key, `null` deletes a key,
 * arrays and scalars replace what was there.
 */
export function mergeWorkingMemory(current: JsonObject, update: JsonObject): JsonObject {
  const out: JsonObject = { ...current }
  for (const [key, value] of Object.entries(update)) {
    if (UNSAFE_KEYS.has(key)) continue
    if (value === null) delete out[key]
    else if (isRecord(value)) out[key] = mergeWorkingMemory(isRecord(out[key]) ? out[key] : {}, value)
    else if (value !== undefined) out[key] = value
  }
  return out
}

// Every field optional and nullable (null = delete), nested objects too, so the model can
// send just what changed and the tool's JSON schema still tells it the shape.
function updateSchemaOf(schema: z.ZodObject): z.ZodObject {
  const shape: Record<string, z.ZodType> = {}
  for (const [key, field] of Object.entries(schema.shape)) {
    const unwrapped = field instanceof z.ZodOptional || field instanceof z.ZodNullable ? field.unwrap() : field
    const inner = unwrapped instanceof z.ZodObject ? updateSchemaOf(unwrapped) : (field as z.ZodType)
    shape[key] = inner.nullable().optional()
  }
  return z.object(shape)
}

function parseStoredObject(value: string | null): JsonObject {
  if (value === null) return {}
  const parsed: unknown = JSON.parse(value)
  return isRecord(parsed) ? parsed : {}
}

/**
 * One Memory's working memory rules, template or schema mode. It holds no store: each call
 * names the store, so one Memory can serve runtimes with different stores.
 */
export class WorkingMemory {
  readonly enabled: boolean
  readonly scope: WorkingMemoryScope
  readonly mode: 'template' | 'schema'
  readonly template: string | undefined
  /** Schema mode's shape, as configured. */
  readonly schema: z.ZodObject | undefined
  readonly #updateSchema: z.ZodObject | undefined

  constructor(options: WorkingMemoryOptions | undefined) {
    this.enabled = options !== undefined && options.enabled !== false
    this.scope = options?.scope ?? 'resource'
    this.mode = options?.schema ? 'schema' : 'template'
    this.template = options?.template
    this.schema = options?.schema
    this.#updateSchema = options?.schema ? updateSchemaOf(options.schema) : undefined
  }

  /** The row that holds the memory for this target. */
  keyOf(target: WorkingMemoryTarget): { scope: WorkingMemoryScope; id: string } {
    return this.scope === 'thread' ? { scope: 'thread', id: target.threadId } : { scope: 'resource', id: target.resourceId }
  }

  /** The current value (JSON text in schema mode); the template until something is stored. */
  async read(store: WorkingMemoryStore, target: WorkingMemoryTarget): Promise<string | null> {
    const { scope, id } = this.keyOf(target)
    const stored = await store.getWorkingMemory(scope, id)
    return stored ?? (this.mode === 'template' ? (this.template ?? null) : null)
  }

  /** Sets the whole value, as the working-memory route does. Throws 400 for a value the mode rejects. */
  async replace(store: WorkingMemoryStore, target: WorkingMemoryTarget, value: unknown): Promise<string> {
    const { scope, id } = this.keyOf(target)
    // A replacement has nothing to delete from, so its nulls simply drop out.
    const text =
      this.mode === 'template' ? this.#templateText(value) : JSON.stringify(mergeWorkingMemory({}, this.#schemaUpdate(value)))
    await store.setWorkingMemory(scope, id, text)
    return text
  }

  /** The model's update: replaces the text in template mode, deep-merges in schema mode. */
  async update(store: WorkingMemoryStore, target: WorkingMemoryTarget, value: unknown): Promise<string> {
    const { scope, id } = this.keyOf(target)
    if (this.mode === 'template') {
      const text = this.#templateText(value)
      await store.setWorkingMemory(scope, id, text)
      return text
    }
    const patch = this.#schemaUpdate(value)
    return store.updateWorkingMemory(scope, id, (current) =>
      JSON.stringify(mergeWorkingMemory(parseStoredObject(current), patch)),
    )
  }

  /** System text: the current value plus how and when to update it. */
  instructions(current: string | null): string {
    const whose = this.scope === 'resource' ? 'the user, shared by all their conversations' : 'this conversation'
    const how =
      this.mode === 'template'
        ? 'Pass the complete updated text as `memory`: it replaces the old text, ' +
          'so keep everything that is still true and keep its structure.'
        : 'Pass only the fields that changed as `memory`: they are merged into the stored object. ' +
          'Set a field to null to remove it; an array replaces the old array.'
    return [
      `You have a working memory about ${whose}. Its current content:`,
      '<working_memory>',
      current ?? '(empty)',
      '</working_memory>',
      `When you learn something worth remembering (names, preferences, goals, facts), call the updateWorkingMemory tool. ${how}`,
      'Do not mention the working memory unless the user asks about it.',
    ].join('\n')
  }

  /**
   * The `updateWorkingMemory` tool, bound to one thread and resource. A plain object: the SDK's
   * `tool()` returns its argument and only helps type inference, not worth loading the SDK for.
   */
  tool(store: WorkingMemoryStore, target: WorkingMemoryTarget): Tool {
    const memory =
      this.#updateSchema ?? z.string().describe('The complete updated working memory text')
    return {
      description: 'Save what you learned to your persistent working memory.',
      inputSchema: z.object({ memory }),
      execute: async (input: { memory: unknown }) => {
        await this.update(store, target, input.memory)
        return { success: true }
      },
    }
  }

  #templateText(value: unknown): string {
    if (typeof value !== 'string') throw invalid('workingMemory', 'expected a string (template mode)')
    return value
  }

  #schemaUpdate(value: unknown): JsonObject {
    let candidate = value
    if (typeof value === 'string') {
      try {
        candidate = JSON.parse(value)
      } catch {
        throw invalid('workingMemory', 'expected a JSON object (schema mode)')
      }
    }
    const result = this.#updateSchema!.safeParse(candidate)
    if (!result.success) {
      const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
      throw invalid('workingMemory', detail)
    }
    return result.data as JsonObject
  }
}
