import OpenAI from 'openai';

export interface OpenAiOptions {
  apiKey: string;
  /** An OpenAI-compatible server (vLLM, Ollama, a gateway); OpenAI's own when unset. */
  baseUrl?: string;
  timeoutMs?: number;
  maxRetries?: number;
}

/**
 * The one place that talks to OpenAI (or a compatible server) through the openai SDK. The SDK
 * retries 429s (honouring Retry-After) and 5xx with backoff, and times requests out.
 */
export class OpenAiClient {
  private readonly sdk: OpenAI;

  constructor(options: OpenAiOptions) {
    this.sdk = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseUrl,
      timeout: options.timeoutMs ?? 20_000,
      maxRetries: options.maxRetries ?? 2,
    });
  }

  /** One vector per input, in order. */
  async embed(model: string, inputs: string[]): Promise<number[][]> {
    if (!inputs.length) return [];
    const response = await this.sdk.embeddings.create({
      model,
      input: inputs,
      encoding_format: 'float',
    });
    return [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
  }
}
