import { setTimeout as sleep } from 'node:timers/promises';
import type {
  SentryEvent,
  SentryEventIdResolution,
  SentryEventRow,
  SentryIssue,
  SentryProject,
  SentryReplay,
} from './sentry-api.types';

export type SentryErrorCode = 'RATE_LIMITED' | 'UNAUTHORIZED' | 'NOT_FOUND' | 'TEMPORARY';

/** A Sentry API failure in our own terms. Messages name the endpoint, never the token or query. */
export class SentryApiError extends Error {
  constructor(
    readonly code: SentryErrorCode,
    message: string,
    readonly status?: number,
    /** For RATE_LIMITED: when Sentry says to come back. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SentryApiError';
  }
}

export interface SentryClientOptions {
  /** sentry.io, or a self-hosted install's URL (which may include a path prefix). */
  baseUrl: string;
  token: string;
  org: string;
  /** Project slugs or numeric ids to search; all projects when empty. */
  projects?: string[];
  /** Per request. */
  timeoutMs?: number;
  /** How long one call may spend waiting out rate limits and retrying, in total. */
  retryBudgetMs?: number;
  /** Tries per call, the first included. */
  maxAttempts?: number;
  fetch?: typeof fetch;
}

export interface TimeRange {
  start: Date;
  end: Date;
}

type Query = Record<string, string | number | boolean | (string | number)[] | undefined>;

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_RETRY_BUDGET_MS = 15_000;
const DEFAULT_MAX_ATTEMPTS = 3;
const FIRST_BACKOFF_MS = 200;

/**
 * Sentry's web API, the parts matching needs. Node's fetch, a timeout on every request, retries
 * with backoff on 5xx and network errors, and rate limits honoured: `Retry-After` on a 429, and
 * `X-Sentry-Rate-Limit-Remaining: 0` holds the next request until `X-Sentry-Rate-Limit-Reset`.
 * Waiting never exceeds the retry budget; past it the call fails with RATE_LIMITED.
 */
export class SentryApiClient {
  private readonly apiBase: string;
  private readonly webBase: string;
  private readonly timeoutMs: number;
  private readonly retryBudgetMs: number;
  private readonly maxAttempts: number;
  private readonly fetch: typeof fetch;
  /** Epoch ms before which Sentry told us not to call again. */
  private blockedUntil = 0;
  private projectIds?: Promise<string[]>;

  constructor(private readonly options: SentryClientOptions) {
    const base = options.baseUrl.replace(/\/+$/, '');
    this.apiBase = `${base}/api/0`;
    this.webBase = base;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retryBudgetMs = options.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** The event behind an event id, with its issue (group) id; null when Sentry has no such event. */
  async resolveEventId(eventId: string): Promise<SentryEventIdResolution | null> {
    return this.getOrNull(`${this.org()}/eventids/${seg(eventId)}/`);
  }

  async getReplay(replayId: string): Promise<SentryReplay | null> {
    const found = await this.getOrNull<{ data: SentryReplay }>(
      `${this.org()}/replays/${seg(replayId)}/`,
    );
    return found?.data ?? null;
  }

  async listProjects(): Promise<SentryProject[]> {
    return this.get(`${this.org()}/projects/`);
  }

  /** Issue search, e.g. `is:unresolved user.email:ana@example.com`, within a time range. */
  async searchIssues(params: {
    query: string;
    range: TimeRange;
    limit?: number;
    sort?: 'date' | 'freq' | 'new';
  }): Promise<SentryIssue[]> {
    return this.get(`${this.org()}/issues/`, {
      query: params.query,
      ...rangeQuery(params.range),
      project: await this.projectFilter(),
      limit: params.limit ?? 25,
      sort: params.sort ?? 'date',
    });
  }

  async getIssue(issueId: string): Promise<SentryIssue | null> {
    return this.getOrNull(`${this.org()}/issues/${seg(issueId)}/`);
  }

  /** An issue's events, newest first, optionally filtered like a search. */
  async listIssueEvents(
    issueId: string,
    params: { range?: TimeRange; query?: string; full?: boolean } = {},
  ): Promise<SentryEvent[]> {
    return this.get(`${this.org()}/issues/${seg(issueId)}/events/`, {
      ...(params.range ? rangeQuery(params.range) : {}),
      query: params.query,
      full: params.full ? 'true' : undefined,
    });
  }

  /** One event of an issue: an event id, or `latest`, `oldest`, `recommended`. */
  async getIssueEvent(issueId: string, eventId: string): Promise<SentryEvent | null> {
    return this.getOrNull(`${this.org()}/issues/${seg(issueId)}/events/${seg(eventId)}/`);
  }

  async latestEvent(issueId: string): Promise<SentryEvent | null> {
    return this.getIssueEvent(issueId, 'latest');
  }

  /** Error events (Discover), newest first, with the given fields. */
  async queryEvents(params: {
    query: string;
    range: TimeRange;
    fields: (keyof SentryEventRow)[];
    limit?: number;
  }): Promise<SentryEventRow[]> {
    const result = await this.get<{ data: SentryEventRow[] }>(`${this.org()}/events/`, {
      dataset: 'errors',
      field: params.fields,
      query: params.query,
      ...rangeQuery(params.range),
      project: await this.projectFilter(),
      sort: '-timestamp',
      per_page: params.limit ?? 50,
    });
    return result.data ?? [];
  }

  /** Where a person opens a replay in Sentry's web UI. */
  replayUrl(replayId: string): string {
    return `${this.webBase}/organizations/${seg(this.options.org)}/replays/${seg(replayId.replace(/-/g, ''))}/`;
  }

  private org(): string {
    return `organizations/${seg(this.options.org)}`;
  }

  /** Configured project slugs resolved to the numeric ids the search endpoints take. */
  private async projectFilter(): Promise<string[] | undefined> {
    const wanted = this.options.projects?.filter(Boolean) ?? [];
    if (!wanted.length) return undefined;
    if (wanted.every((p) => /^\d+$/.test(p))) return wanted;
    this.projectIds ??= this.listProjects()
      .then((projects) =>
        wanted.flatMap((w) =>
          /^\d+$/.test(w) ? [w] : projects.filter((p) => p.slug === w).map((p) => String(p.id)),
        ),
      )
      .catch((error: unknown) => {
        this.projectIds = undefined;
        throw error;
      });
    const ids = await this.projectIds;
    if (!ids.length) {
      throw new SentryApiError(
        'NOT_FOUND',
        `None of the configured Sentry projects (${wanted.join(', ')}) exist`,
      );
    }
    return ids;
  }

  private async getOrNull<T>(path: string, query?: Query): Promise<T | null> {
    try {
      return await this.get<T>(path, query);
    } catch (error) {
      if (error instanceof SentryApiError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  private async get<T>(path: string, query: Query = {}): Promise<T> {
    const url = new URL(`${this.apiBase}/${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value])
        url.searchParams.append(key, String(v));
    }
    const endpoint = `GET /api/0/${path}`;
    const deadline = Date.now() + this.retryBudgetMs;
    let lastError: SentryApiError | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      await this.waitForRateLimit(endpoint, deadline);
      let response: Response;
      try {
        response = await this.fetch(url, {
          headers: { Authorization: `Bearer ${this.options.token}`, Accept: 'application/json' },
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        lastError = new SentryApiError('TEMPORARY', `${endpoint}: ${this.networkProblem(error)}`);
        if (!(await this.backoff(attempt, deadline))) break;
        continue;
      }
      this.noteRateLimit(response.headers);
      if (response.ok) return (await response.json()) as T;
      await response.body?.cancel().catch(() => undefined);

      if (response.status === 401 || response.status === 403) {
        throw new SentryApiError(
          'UNAUTHORIZED',
          `${endpoint}: Sentry refused the token (${response.status})`,
          response.status,
        );
      }
      if (response.status === 404) {
        throw new SentryApiError('NOT_FOUND', `${endpoint}: not found`, 404);
      }
      if (response.status === 429) {
        const waitMs = retryAfterMs(response.headers) ?? FIRST_BACKOFF_MS * 2 ** attempt;
        lastError = new SentryApiError(
          'RATE_LIMITED',
          `${endpoint}: Sentry rate limit, retry after ${Math.ceil(waitMs / 1000)} s`,
          429,
          waitMs,
        );
        if (attempt === this.maxAttempts || Date.now() + waitMs > deadline) throw lastError;
        await sleep(waitMs);
        continue;
      }
      if (response.status >= 500) {
        lastError = new SentryApiError(
          'TEMPORARY',
          `${endpoint}: Sentry answered ${response.status}`,
          response.status,
        );
        if (!(await this.backoff(attempt, deadline))) break;
        continue;
      }
      // Any other 4xx is our request's fault: retrying cannot help.
      throw new SentryApiError(
        'TEMPORARY',
        `${endpoint}: Sentry refused the request (${response.status})`,
        response.status,
      );
    }
    throw lastError ?? new SentryApiError('TEMPORARY', `${endpoint}: gave up`);
  }

  private networkProblem(error: unknown): string {
    // Duck-typed: the DOMException fetch rejects with may come from another realm.
    const failure = error as { name?: unknown; cause?: { code?: unknown } } | null;
    if (failure?.name === 'TimeoutError') return `no answer within ${this.timeoutMs} ms`;
    const cause = failure?.cause;
    return `Sentry unreachable${typeof cause?.code === 'string' ? ` (${cause.code})` : ''}`;
  }

  /** Sleeps before the next attempt; false when no attempt or budget is left. */
  private async backoff(attempt: number, deadline: number): Promise<boolean> {
    if (attempt >= this.maxAttempts) return false;
    const waitMs = FIRST_BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
    if (Date.now() + waitMs > deadline) return false;
    await sleep(waitMs);
    return true;
  }

  private noteRateLimit(headers: Headers): void {
    const remaining = headers.get('x-sentry-rate-limit-remaining');
    const reset = Number(headers.get('x-sentry-rate-limit-reset'));
    if (remaining !== null && Number(remaining) <= 0 && Number.isFinite(reset) && reset > 0) {
      this.blockedUntil = Math.max(this.blockedUntil, reset * 1000);
    }
  }

  private async waitForRateLimit(endpoint: string, deadline: number): Promise<void> {
    const waitMs = this.blockedUntil - Date.now();
    if (waitMs <= 0) return;
    if (Date.now() + waitMs > deadline) {
      throw new SentryApiError(
        'RATE_LIMITED',
        `${endpoint}: Sentry's rate limit resets in ${Math.ceil(waitMs / 1000)} s`,
        429,
        waitMs,
      );
    }
    await sleep(waitMs);
  }
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

function rangeQuery(range: TimeRange): Query {
  return { start: range.start.toISOString(), end: range.end.toISOString() };
}

/** `Retry-After` (seconds or an HTTP date), else `X-Sentry-Rate-Limit-Reset` (epoch seconds). */
function retryAfterMs(headers: Headers): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  const reset = Number(headers.get('x-sentry-rate-limit-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - Date.now());
  return undefined;
}
