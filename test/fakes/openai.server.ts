import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const DIMENSIONS = 64;

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
 */
export class FakeOpenAi {
  readonly apiKey = 'sk-fake-openai-0123456789abcdef';
  readonly requests: RecordedOpenAiRequest[] = [];
  private server?: Server;
  private port = 0;
  private readonly scripted: { pattern: RegExp; vector: number[] }[] = [];
  private readonly faults: { status: number; retryAfterSeconds?: number }[] = [];

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
    const fault = this.faults.shift();
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
