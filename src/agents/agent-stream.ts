import type { StreamTextResult, ToolSet } from 'ai'
import type { MemoryTurn } from '../memory/memory.js'
import { mastraChunk, toMastraChunk, type ChunkScope, type MastraChunk } from './mastra-chunks.js'
import type { ReplyRecorder } from './reply-message.js'
import { safeErrorMessage } from './upstream-error.js'

export interface StreamRun {
  result: StreamTextResult<ToolSet, any>
  scope: ChunkScope
  /** Aborts the model call and running tools; fired when the consumer leaves early. */
  stop: AbortController
  /** The caller's signal, to tell a client abort from other early exits. */
  signal: AbortSignal | undefined
  /** Undoes the link from the caller's signal to `stop`. */
  unlink: () => void
  /** Whether the caller asked for structured output, reported on the finish chunk. */
  withObject: boolean
  turn: MemoryTurn | undefined
  recorder: ReplyRecorder | undefined
}

/**
 * Reads the AI SDK stream once and yields Mastra chunks. An error part becomes the final
 * chunk; when the consumer stops early (client gone, `break`) the model call and any
 * running tool are aborted, and with memory the reply so far is saved as aborted.
 */
export async function* mastraStream(run: StreamRun): AsyncGenerator<MastraChunk, void, undefined> {
  const { result, scope, recorder } = run
  const reader = result.fullStream.getReader()
  let drained = false
  let failed = false
  let finish: MastraChunk | undefined
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) {
        drained = true
        break
      }
      recorder?.add(value)
      const chunk = toMastraChunk(value, scope)
      if (!chunk) continue
      if (value.type === 'error') {
        failed = true
        yield chunk
        break
      }
      // The object is only settled once the stream is read to its end, so finish waits.
      if (value.type === 'finish' && run.withObject) finish = chunk
      else yield chunk
    }
    if (finish) {
      const object = await result.output
      ;(finish.payload.output as Record<string, unknown>).object = object
      yield finish
    }
  } catch (err) {
    failed = true
    yield mastraChunk('error', scope.runId, { message: safeErrorMessage(err) })
  } finally {
    run.unlink()
    if (!drained) run.stop.abort()
    reader.releaseLock()
    if (run.turn && recorder?.hasContent) {
      const aborted = run.signal?.aborted === true || (!drained && !failed)
      await run.turn.saveReply(recorder.message, { aborted })
    }
  }
}
