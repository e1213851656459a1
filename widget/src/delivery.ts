/**
 * Sending a report: gzip in the browser where CompressionStream exists, one Idempotency-Key for
 * every try, retries with backoff on network failures, 5xx and 429 (waiting Retry-After), and an
 * outbox in localStorage for reports written offline, sent once when the page is back online
 * (also after a reload). Success means a 202, nothing else.
 */

// Taken before the recorder wraps fetch, so the widget's own requests are never recorded.
const nativeFetch: typeof fetch = window.fetch.bind(window);

export type ErrorCode =
  | 'NETWORK_ERROR'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'ORIGIN_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'DEPENDENCY_UNAVAILABLE'
  | 'SERVER_ERROR'
  | 'NOT_INITIALIZED'
  | 'INVALID_ARGUMENT';

/** What `Repro.report()` rejects with: `code` is the server's error code or one of the widget's. */
export class ReproError extends Error {
  constructor(
    /** An ErrorCode, or the server's own code when it sends another. */
    readonly code: string,
    message: string,
    readonly status = 0,
    readonly retryAfterSeconds?: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ReproError';
  }
}

export interface Accepted {
  id: string;
  status: string;
  reporterToken: string;
}

export interface DeliveryOptions {
  endpoint: string;
  key: string;
  retryDelaysMs: number[];
  /** Longest Retry-After the widget waits for by itself before giving up with RATE_LIMITED. */
  maxRetryAfterMs: number;
}

interface Queued {
  idempotencyKey: string;
  body: string;
  queuedAt: number;
}

/** navigator.onLine is only trustworthy when it says false. */
const isOffline = (): boolean => navigator.onLine === false;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function gzip(text: string): Promise<ArrayBuffer | null> {
  if (typeof CompressionStream !== 'function') return null;
  try {
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
    return await new Response(stream).arrayBuffer();
  } catch {
    return null;
  }
}

export class Delivery {
  private flushing: Promise<void> | null = null;
  private readonly outboxKey: string;
  private readonly listeners = new Set<(accepted: Accepted, idempotencyKey: string) => void>();

  constructor(private readonly options: DeliveryOptions) {
    this.outboxKey = `repro:outbox:${options.key}`;
  }

  url(path: string): string {
    return `${this.options.endpoint}/v1/widget/${encodeURIComponent(this.options.key)}${path}`;
  }

  /** Called for every report the outbox delivers (including after a reload). */
  onOutboxSent(listener: (accepted: Accepted, idempotencyKey: string) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Sends `report` (retrying) and resolves on its 202. When the browser is offline the report
   * waits in the outbox and the promise resolves once it has been sent.
   */
  async send(report: unknown, idempotencyKey = uuid()): Promise<Accepted> {
    const body = JSON.stringify(report);
    if (isOffline()) return this.queue(idempotencyKey, body);
    try {
      return await this.post(body, idempotencyKey);
    } catch (error) {
      if (error instanceof ReproError && error.code === 'NETWORK_ERROR' && isOffline()) {
        return this.queue(idempotencyKey, body);
      }
      throw error;
    }
  }

  /** Sends what waits in the outbox, one at a time; each leaves it only after its 202. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      try {
        for (;;) {
          if (isOffline()) return;
          const next = this.outbox()[0];
          if (!next) return;
          try {
            const accepted = await this.post(next.body, next.idempotencyKey);
            this.remove(next.idempotencyKey);
            for (const listener of this.listeners) listener(accepted, next.idempotencyKey);
          } catch (error) {
            // A refusal that no retry can fix is dropped; anything else waits for the next chance.
            if (
              error instanceof ReproError &&
              error.status >= 400 &&
              error.status < 500 &&
              error.status !== 429
            ) {
              this.remove(next.idempotencyKey);
              continue;
            }
            return;
          }
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  pending(): number {
    return this.outbox().length;
  }

  private queue(idempotencyKey: string, body: string): Promise<Accepted> {
    const outbox = this.outbox();
    if (!outbox.some((q) => q.idempotencyKey === idempotencyKey)) {
      outbox.push({ idempotencyKey, body, queuedAt: Date.now() });
      this.write(outbox);
    }
    return new Promise<Accepted>((resolve) => {
      const listener = (accepted: Accepted, key: string) => {
        if (key !== idempotencyKey) return;
        this.listeners.delete(listener);
        resolve(accepted);
      };
      this.listeners.add(listener);
    });
  }

  private outbox(): Queued[] {
    try {
      const parsed = JSON.parse(localStorage.getItem(this.outboxKey) ?? '[]') as Queued[];
      return Array.isArray(parsed) ? parsed : [];
    } catch {
      return [];
    }
  }

  private write(outbox: Queued[]): void {
    try {
      if (outbox.length) localStorage.setItem(this.outboxKey, JSON.stringify(outbox));
      else localStorage.removeItem(this.outboxKey);
    } catch {
      /* storage full: the report stays only in memory */
    }
  }

  private remove(idempotencyKey: string): void {
    this.write(this.outbox().filter((q) => q.idempotencyKey !== idempotencyKey));
  }

  private async post(body: string, idempotencyKey: string): Promise<Accepted> {
    const compressed = await gzip(body);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Idempotency-Key': idempotencyKey,
    };
    if (compressed) headers['Content-Encoding'] = 'gzip';
    const delays = this.options.retryDelaysMs;
    for (let attempt = 0; ; attempt++) {
      let error: ReproError;
      try {
        const response = await nativeFetch(this.url('/reports'), {
          method: 'POST',
          headers,
          body: compressed ?? body,
          credentials: 'omit',
          mode: 'cors',
          keepalive: false,
        });
        if (response.status === 202) {
          const accepted = (await response.json()) as Accepted;
          if (!accepted || typeof accepted.id !== 'string') {
            throw new ReproError(
              'SERVER_ERROR',
              'The server answered 202 without a report id.',
              202,
            );
          }
          return accepted;
        }
        error = await errorFrom(response);
      } catch (caught) {
        if (caught instanceof ReproError) throw caught;
        error = new ReproError(
          'NETWORK_ERROR',
          `The report could not reach ${this.options.endpoint} (${caught instanceof Error ? caught.message : 'network error'}).`,
        );
      }
      const retriable = error.status === 0 || error.status >= 500 || error.status === 429;
      if (!retriable || attempt >= delays.length) throw error;
      if (error.status === 0 && isOffline()) throw error;
      let wait = delays[attempt];
      if (error.retryAfterSeconds !== undefined) {
        const asked = error.retryAfterSeconds * 1000;
        if (asked > this.options.maxRetryAfterMs) throw error;
        wait = Math.max(wait, asked);
      }
      await sleep(wait);
    }
  }

  /** GET or POST on the reporter's conversation with its token. */
  async conversation<T>(path: string, token: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await nativeFetch(this.url(path), {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        mode: 'cors',
        cache: 'no-store',
      });
    } catch (caught) {
      throw new ReproError(
        'NETWORK_ERROR',
        `Could not reach ${this.options.endpoint} (${caught instanceof Error ? caught.message : 'network error'}).`,
      );
    }
    if (!response.ok) throw await errorFrom(response);
    return (await response.json()) as T;
  }
}

async function errorFrom(response: Response): Promise<ReproError> {
  let code =
    response.status === 429
      ? 'RATE_LIMITED'
      : response.status >= 500
        ? 'SERVER_ERROR'
        : 'HTTP_ERROR';
  let message = `The server answered ${response.status}.`;
  let details: unknown;
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: unknown };
    };
    if (body?.error?.code) code = body.error.code;
    if (body?.error?.message) message = body.error.message;
    details = body?.error?.details;
  } catch {
    /* not JSON */
  }
  const retryAfter = Number(response.headers.get('Retry-After'));
  return new ReproError(
    code,
    message,
    response.status,
    Number.isFinite(retryAfter) && response.headers.has('Retry-After') ? retryAfter : undefined,
    details,
  );
}
