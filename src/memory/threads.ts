import type { Thread, ThreadStore } from '../storage/types.js'

/** A thread as it is first stored: owned by `resourceId`, untitled unless told otherwise. */
export function newThread(
  id: string,
  resourceId: string,
  fields: { title?: string | null; metadata?: Record<string, unknown>; at?: Date } = {},
): Thread {
  const at = fields.at ?? new Date()
  return { id, resourceId, title: fields.title ?? null, metadata: fields.metadata ?? {}, createdAt: at, updatedAt: at }
}

/**
 * Stores `thread` unless its id is taken, and returns the thread now stored under that id:
 * this one, or the one a concurrent request inserted first (whose owner the caller must check).
 */
export async function createOrGetThread(threads: ThreadStore, thread: Thread): Promise<Thread | null> {
  return (await threads.createThread(thread)) ? thread : threads.getThread(thread.id)
}
