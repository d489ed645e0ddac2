import type { LanguageModel } from 'ai'
import { OfflineEchoModel } from 'agentmount/testing'

/**
 * The examples' model: an OpenAI-compatible server when `OPENAI_BASE_URL` is set, OpenAI
 * when `OPENAI_API_KEY` is, else the offline echo model. `OPENAI_MODEL` picks the model
 * (default `gpt-4o-mini`). Provider packages are dev dependencies, hence the dynamic imports;
 * this helper belongs to the examples, not to the package.
 *
 * @example const model = await pickDemoModel()
 */
export async function pickDemoModel(env: NodeJS.ProcessEnv = process.env): Promise<LanguageModel> {
  const modelId = env.OPENAI_MODEL || 'gpt-4o-mini'
  if (env.OPENAI_BASE_URL) {
    const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible')
    const provider = createOpenAICompatible({ name: 'openai-compatible', baseURL: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY })
    return provider.chatModel(modelId)
  }
  if (env.OPENAI_API_KEY) {
    const { createOpenAI } = await import('@ai-sdk/openai')
    return createOpenAI({ apiKey: env.OPENAI_API_KEY })(modelId)
  }
  return new OfflineEchoModel({ wordDelayMs: 30 })
}
