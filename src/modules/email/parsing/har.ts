/** A request from a HAR file that failed: answered 4xx/5xx, or never answered (status 0). */
export interface HarFailedRequest {
  method: string;
  /** Without query string or fragment, like the widget's failed requests (tokens live there). */
  url: string;
  /** 0 when no response arrived. */
  status: number;
  /** Epoch milliseconds the request started, when the HAR says. */
  t?: number;
  durationMs?: number;
  /** The browser's reason for a request with no response (Chrome's `_error`). */
  error?: string;
}

const MAX_ENTRIES = 100_000;

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function stripQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/** True when the value has the shape of a HAR file (`log.entries` is a list). */
export function isHar(json: unknown): boolean {
  return Array.isArray(record(record(json)?.log)?.entries);
}

/**
 * The failed requests (status ≥ 400, or 0: blocked, aborted, offline) of a HAR file, in the
 * file's order. Anything that is not a HAR file, and any entry without a URL or status, gives
 * nothing rather than an error: the file came from a customer.
 */
export function failedRequestsFromHar(json: unknown): HarFailedRequest[] {
  const entries = record(record(json)?.log)?.entries;
  if (!Array.isArray(entries)) return [];
  const failed: HarFailedRequest[] = [];
  for (const entry of entries.slice(0, MAX_ENTRIES)) {
    const e = record(entry);
    const request = record(e?.request);
    const response = record(e?.response);
    if (!e || !request || typeof request.url !== 'string' || request.url === '') continue;
    // A HAR entry with no response object is a request that never got one.
    const status = response === null ? 0 : response.status;
    if (typeof status !== 'number' || !Number.isFinite(status)) continue;
    if (status !== 0 && status < 400) continue;
    const method = typeof request.method === 'string' && request.method ? request.method : 'GET';
    const item: HarFailedRequest = {
      method: method.toUpperCase(),
      url: stripQuery(request.url),
      status,
    };
    const t = typeof e.startedDateTime === 'string' ? Date.parse(e.startedDateTime) : NaN;
    if (Number.isFinite(t)) item.t = t;
    if (typeof e.time === 'number' && Number.isFinite(e.time) && e.time >= 0) {
      item.durationMs = Math.round(e.time);
    }
    const error = response?._error ?? e._error;
    if (typeof error === 'string' && error) item.error = error;
    failed.push(item);
  }
  return failed;
}
