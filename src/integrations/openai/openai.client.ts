import OpenAI from 'openai';

export interface OpenAiOptions {
  apiKey: string;
  /** An OpenAI-compatible server (vLLM, Ollama, a gateway); OpenAI's own when unset. */
  baseUrl?: string;
  timeoutMs?: number;
  maxRetries?: number;
}

// The rest of the code speaks these names; only this file imports `openai`.
export type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;
export type ChatTool = OpenAI.Chat.ChatCompletionFunctionTool;
export type ChatParams = Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'stream'>;

export interface ChatToolCall {
  id: string;
  name: string;
  /** Raw JSON text as the model wrote it: may be malformed. */
  arguments: string;
}

/** One chat completion, reduced to what the agent reads. */
export interface ChatReply {
  content: string | null;
  refusal: string | null;
  toolCalls: ChatToolCall[];
  finishReason: string;
  usage: { promptTokens: number; completionTokens: number; cachedTokens: number };
  /** The assistant message to append to the conversation as sent back. */
  message: ChatMessage;
}

export type OpenAiErrorCode = 'RATE_LIMITED' | 'TEMPORARY' | 'UNAUTHORIZED' | 'BAD_RESPONSE';

/** An OpenAI failure in our own terms, after the SDK's retries. Never carries the API key. */
export class OpenAiError extends Error {
  constructor(
    readonly code: OpenAiErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'OpenAiError';
  }
}

/**
 * The one place that talks to OpenAI (or a compatible server) through the openai SDK. The SDK
 * retries 429s (honouring Retry-After) and 5xx with backoff, and times requests out.
 */
export class OpenAiClient {
  private readonly sdk: OpenAI;
  private readonly apiKey: string;

  constructor(options: OpenAiOptions) {
    this.apiKey = options.apiKey;
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

  /** One non-streaming chat completion. Fails with OpenAiError once the SDK's retries are spent. */
  async chat(params: ChatParams): Promise<ChatReply> {
    let completion: OpenAI.Chat.ChatCompletion;
    try {
      completion = await this.sdk.chat.completions.create({ ...params, stream: false });
    } catch (error) {
      throw this.mapError(error);
    }
    const choice = completion.choices?.[0];
    if (!choice?.message) {
      throw new OpenAiError('BAD_RESPONSE', 'The chat completion had no choices');
    }
    const message = choice.message;
    const toolCalls: ChatToolCall[] = (message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function'
        ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments ?? '' }]
        : [],
    );
    const assistant: ChatMessage = {
      role: 'assistant',
      content: message.content ?? null,
      ...(toolCalls.length
        ? {
            tool_calls: toolCalls.map((c) => ({
              id: c.id,
              type: 'function' as const,
              function: { name: c.name, arguments: c.arguments },
            })),
          }
        : {}),
    };
    return {
      content: message.content ?? null,
      refusal: message.refusal ?? null,
      toolCalls,
      finishReason: choice.finish_reason ?? 'stop',
      usage: {
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
        cachedTokens: completion.usage?.prompt_tokens_details?.cached_tokens ?? 0,
      },
      message: assistant,
    };
  }

  private mapError(error: unknown): unknown {
    if (!(error instanceof OpenAI.APIError)) return error;
    const detail = this.scrub(error.message);
    if (error instanceof OpenAI.APIConnectionError) {
      return new OpenAiError('TEMPORARY', `OpenAI could not be reached: ${detail}`);
    }
    const status = error.status as number | undefined;
    if (status === 429) {
      return new OpenAiError('RATE_LIMITED', `OpenAI rate limit: ${detail}`, status);
    }
    if (status === 401 || status === 403) {
      return new OpenAiError('UNAUTHORIZED', `OpenAI refused the API key: ${detail}`, status);
    }
    if (status !== undefined && (status >= 500 || status === 408 || status === 409)) {
      return new OpenAiError('TEMPORARY', `OpenAI failed: ${detail}`, status);
    }
    return new OpenAiError('BAD_RESPONSE', `OpenAI rejected the request: ${detail}`, status);
  }

  /** OpenAI echoes part of a wrong key in its 401 message; keep every piece of one out. */
  private scrub(text: string): string {
    const withoutKey = this.apiKey ? text.split(this.apiKey).join('[redacted]') : text;
    return withoutKey.replace(/\bsk-[A-Za-z0-9_*.-]{4,}/g, '[redacted]').slice(0, 300);
  }
}

/** The client Repro's configuration asks for: null without OPENAI_API_KEY (no LLM at all). */
export function openAiClientFromConfig(config: {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_TIMEOUT_MS: number;
}): OpenAiClient | null {
  return config.OPENAI_API_KEY
    ? new OpenAiClient({
        apiKey: config.OPENAI_API_KEY,
        baseUrl: config.OPENAI_BASE_URL,
        timeoutMs: config.OPENAI_TIMEOUT_MS,
      })
    : null;
}
