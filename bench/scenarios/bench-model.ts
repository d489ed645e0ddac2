import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider'

const CHUNKS = Array.from({ length: 50 }, (_, i) => `tok${i} `)
const TEXT = CHUNKS.join('')
const USAGE = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 50, text: 50, reasoning: 0 },
}

/**
 * A model for load tests: 50 text chunks, no delay, and unlike the test mocks it keeps no
 * record of its calls, so memory stays flat under load.
 */
export class BenchModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3'
  readonly provider = 'bench'
  readonly modelId = 'bench-50'
  readonly supportedUrls = {}

  async doGenerate(_options: LanguageModelV3CallOptions) {
    return {
      content: [{ type: 'text' as const, text: TEXT }],
      finishReason: { unified: 'stop' as const, raw: 'stop' },
      usage: USAGE,
      response: { id: 'bench-response', modelId: this.modelId, timestamp: new Date(0) },
      warnings: [],
    }
  }

  async doStream(_options: LanguageModelV3CallOptions) {
    let i = -1
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      pull(controller) {
        if (i === -1) {
          controller.enqueue({ type: 'stream-start', warnings: [] })
          controller.enqueue({ type: 'response-metadata', id: 'bench-response', modelId: 'bench-50', timestamp: new Date(0) })
          controller.enqueue({ type: 'text-start', id: 't1' })
        } else if (i < CHUNKS.length) {
          controller.enqueue({ type: 'text-delta', id: 't1', delta: CHUNKS[i] })
        } else {
          controller.enqueue({ type: 'text-end', id: 't1' })
          controller.enqueue({ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: USAGE })
          controller.close()
        }
        i++
      },
    })
    return { stream }
  }
}
