import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const DIMENSIONS = 64;
/** OpenAI caches prompt prefixes of at least 1024 tokens, in 128-token steps. */
const CACHE_MIN_TOKENS = 1024;
const CACHE_BLOCK_TOKENS = 128;

/** What a scripted chat response sees of the request. */
export interface ChatRequestView {
  model: string;
  messages: Record<string, unknown>[];
  tools: Record<string, unknown>[];
  body: Record<string, unknown>;
}

/** One scripted chat answer; `arguments` as a string is sent raw (for malformed JSON). */
export type ChatReplySpec =
  | {
      toolCall: { name: string; arguments: Record<string, unknown> | string };
      content?: string;
    }
  | { content: string; finishReason?: string }
  | { refusal: string }
  | { finishReason: 'content_filter'; content?: string }
  | { status: 429 | 500 | 502 | 503; retryAfterSeconds?: number };

/** A reply, or a function of the request giving one (it may wait: the agent waits with it). */
export type ChatScript =
  ChatReplySpec | ((request: ChatRequestView) => ChatReplySpec | Promise<ChatReplySpec>);

/** A chat request as the fake saw it, with the usage it answered. */
export interface RecordedChatRequest extends ChatRequestView {
  usage: { prompt_tokens: number; completion_tokens: number; cached_tokens: number } | null;
  status: number;
}

/** The token estimate the fake (and the agent bench) uses: about four characters a token. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export interface RecordedOpenAiRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown> | null;
}

/**
 * An OpenAI-compatible API (`/v1/...`) for the real openai SDK. Embeddings are deterministic: a
 * hashed bag of words (so texts sharing words are close), unless a test scripts a vector for
 * texts matching a pattern. Faults answer the next requests with an error status, as OpenAI
 * does (JSON `{ error: { message, type, code } }`, `retry-after` on 429).
 *
 * Chat completions answer from a script (`scriptChat`), in order; an empty script answers 500
 * so a test that runs out fails loudly. Usage is estimated at four characters a token, and
 * `cached_tokens` imitates OpenAI's prefix cache: the longest prefix of the serialized tools +
 * messages shared with any earlier request, in 128-token blocks from 1024 tokens.
 */
export class FakeOpenAi {
  readonly apiKey = 'sk-fake-openai-0123456789abcdef';
  readonly requests: RecordedOpenAiRequest[] = [];
  private server?: Server;
  private port = 0;
  private readonly scripted: { pattern: RegExp; vector: number[] }[] = [];
  private readonly faults: { status: number; retryAfterSeconds?: number }[] = [];
  private readonly chatScript: ChatScript[] = [];
  private readonly chats: RecordedChatRequest[] = [];
  private readonly prefixes: string[] = [];
  private callIds = 0;

  /** The SDK's baseURL. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Texts matching `pattern` embed to `vector` (padded with zeros). */
  scriptEmbedding(pattern: RegExp, vector: number[]): void {
    this.scripted.push({
      pattern,
      vector: [...vector, ...new Array(DIMENSIONS).fill(0)].slice(0, DIMENSIONS),
    });
  }

  /**
   * Answers the next embeddings (or other non-chat) requests with `status`. Chat completions
   * take their faults from `scriptChat({ status })`, so an agent running in the same app does
   * not use up faults meant for embeddings.
   */
  failNext(times: number, status: number, retryAfterSeconds?: number): void {
    for (let i = 0; i < times; i++) this.faults.push({ status, retryAfterSeconds });
  }

  /** Every text sent for embedding, in order. */
  embeddedTexts(): string[] {
    return this.requests
      .filter((r) => r.path === '/v1/embeddings' && r.body)
      .flatMap((r) => {
        const input = r.body!.input;
        return Array.isArray(input) ? (input as string[]) : [String(input)];
      });
  }

  /** Answers the next chat completions, one entry per request (retries included). */
  scriptChat(...responses: ChatScript[]): void {
    this.chatScript.push(...responses);
  }

  /** Scripted chat responses not yet used. */
  chatScriptLeft(): number {
    return this.chatScript.length;
  }

  /** Every chat completion request, in order, with the usage it was answered with. */
  chatRequests(): RecordedChatRequest[] {
    return [...this.chats];
  }

  /** Forgets earlier chat requests, and with them the prefix cache. */
  resetChat(): void {
    this.chatScript.length = 0;
    this.chats.length = 0;
    this.prefixes.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | null;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
    } catch {
      return this.error(
        res,
        400,
        'invalid_request_error',
        'We could not parse the JSON body of your request.',
      );
    }
    const path = (req.url ?? '/').split('?')[0];
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      authorization: req.headers.authorization,
      body,
    });

    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.error(
        res,
        401,
        'invalid_request_error',
        'Incorrect API key provided.',
        'invalid_api_key',
      );
    }
    const isChat = path === '/v1/chat/completions';
    const fault = isChat ? undefined : this.faults.shift();
    if (fault) {
      const headers: Record<string, string> =
        fault.retryAfterSeconds !== undefined
          ? { 'retry-after': String(fault.retryAfterSeconds) }
          : {};
      return this.error(
        res,
        fault.status,
        fault.status === 429 ? 'rate_limit_exceeded' : 'server_error',
        'Scripted fault',
        null,
        headers,
      );
    }
    if (req.method === 'POST' && path === '/v1/embeddings') return this.embeddings(res, body ?? {});
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      return this.chatCompletion(res, body ?? {});
    }
    return this.error(
      res,
      404,
      'invalid_request_error',
      `Unknown request URL: ${req.method} ${path}.`,
    );
  }

  private embeddings(res: ServerResponse, body: Record<string, unknown>): void {
    const inputs = Array.isArray(body.input) ? (body.input as unknown[]) : [body.input];
    if (
      typeof body.model !== 'string' ||
      inputs.some((i) => typeof i !== 'string' || i.length === 0)
    ) {
      return this.error(
        res,
        400,
        'invalid_request_error',
        "'input' must be a non-empty string or array of strings",
      );
    }
    const texts = inputs as string[];
    const tokens = texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
    this.json(res, 200, {
      object: 'list',
      data: texts.map((text, index) => ({
        object: 'embedding',
        index,
        embedding: this.vectorOf(text),
      })),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  private async chatCompletion(res: ServerResponse, body: Record<string, unknown>): Promise<void> {
    if (typeof body.model !== 'string' || !Array.isArray(body.messages) || !body.messages.length) {
      return this.error(res, 400, 'invalid_request_error', "'model' and 'messages' are required");
    }
    if (body.stream) {
      return this.error(res, 400, 'invalid_request_error', 'The fake does not stream');
    }
    const view: ChatRequestView = {
      model: body.model,
      messages: body.messages as Record<string, unknown>[],
      tools: Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [],
      body,
    };
    const recorded: RecordedChatRequest = { ...view, usage: null, status: 200 };
    this.chats.push(recorded);
    const next = this.chatScript.shift();
    if (!next) {
      recorded.status = 500;
      // Loud but not retried: the SDK honours x-should-retry, so the caller fails at once.
      return this.error(res, 500, 'server_error', 'no scripted response', null, {
        'x-should-retry': 'false',
      });
    }
    let spec: ChatReplySpec;
    try {
      spec = typeof next === 'function' ? await next(view) : next;
    } catch (error) {
      // A failed expectation inside a scripted reply: a 400 is not retried, and says why.
      recorded.status = 400;
      return this.error(res, 400, 'invalid_request_error', `script: ${(error as Error).message}`);
    }
    if ('status' in spec) {
      recorded.status = spec.status;
      const headers: Record<string, string> =
        spec.retryAfterSeconds !== undefined
          ? { 'retry-after': String(spec.retryAfterSeconds) }
          : {};
      return this.error(
        res,
        spec.status,
        spec.status === 429 ? 'rate_limit_exceeded' : 'server_error',
        spec.status === 429 ? 'Rate limit reached for requests' : 'The server had an error',
        null,
        headers,
      );
    }

    const message: Record<string, unknown> = { role: 'assistant', content: null, refusal: null };
    let finishReason = 'stop';
    if ('toolCall' in spec) {
      const args = spec.toolCall.arguments;
      message.content = spec.content ?? null;
      message.tool_calls = [
        {
          id: `call_${++this.callIds}`,
          type: 'function',
          function: {
            name: spec.toolCall.name,
            arguments: typeof args === 'string' ? args : JSON.stringify(args),
          },
        },
      ];
      finishReason = 'tool_calls';
    } else if ('refusal' in spec) {
      message.refusal = spec.refusal;
    } else {
      message.content = spec.content ?? null;
      finishReason = spec.finishReason ?? 'stop';
    }

    // Tools come first in the provider's prompt, then the messages in order.
    const serialized = JSON.stringify(view.tools) + JSON.stringify(view.messages);
    const promptTokens = estimateTokens(serialized);
    const shared = this.prefixes.reduce(
      (best, p) => Math.max(best, commonPrefix(p, serialized)),
      0,
    );
    const sharedTokens = Math.floor(shared / 4);
    const cachedTokens =
      sharedTokens >= CACHE_MIN_TOKENS
        ? Math.floor(sharedTokens / CACHE_BLOCK_TOKENS) * CACHE_BLOCK_TOKENS
        : 0;
    this.prefixes.push(serialized);
    const completionTokens = Math.max(
      1,
      estimateTokens(
        JSON.stringify([message.content, message.tool_calls ?? null, message.refusal]),
      ),
    );
    recorded.usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      cached_tokens: cachedTokens,
    };
    this.json(res, 200, {
      id: `chatcmpl-fake${this.chats.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
      system_fingerprint: 'fp_fake',
    });
  }

  private vectorOf(text: string): number[] {
    const scripted = this.scripted.find((s) => s.pattern.test(text));
    if (scripted) return scripted.vector;
    const vector = new Array<number>(DIMENSIONS).fill(0);
    for (const word of text.toLowerCase().match(/[a-z0-9]{3,}/g) ?? []) {
      const h = createHash('md5').update(word).digest();
      vector[h[0] % DIMENSIONS] += 1;
    }
    const norm = Math.sqrt(vector.reduce((n, v) => n + v * v, 0)) || 1;
    return vector.map((v) => v / norm);
  }

  private error(
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    code: string | null = null,
    headers: Record<string, string> = {},
  ): void {
    this.json(res, status, { error: { message, type, param: null, code } }, headers);
  }

  private json(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }
}

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}
