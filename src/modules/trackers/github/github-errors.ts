import { TrackerError } from '../tracker';

/** GitHub says to wait at least a minute when a secondary rate limit names no time. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/** What we read of Octokit's RequestError, without importing it (it is not our dependency). */
interface HttpFailure {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function isHttpFailure(error: unknown): error is HttpFailure {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { status?: unknown }).status === 'number'
  );
}

/** How long GitHub asks us to wait, or null if the answer carries no rate-limit signal. */
export function rateLimitWaitMs(
  status: number,
  headers: Record<string, string | number | undefined>,
  message: string,
  now = Date.now(),
): number | null {
  const retryAfter = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter)) {
    return Math.max(retryAfter, 0) * 1000;
  }
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    return Number.isFinite(reset) ? Math.max(reset * 1000 - now, 0) : DEFAULT_RATE_LIMIT_WAIT_MS;
  }
  if (status === 429 || /rate limit/i.test(message)) return DEFAULT_RATE_LIMIT_WAIT_MS;
  return null;
}

/**
 * Turns what Octokit throws into our codes. Answers that are none of ours (422 and other
 * rejections of the request itself) stay errors, without Octokit's type, so nobody parses them.
 */
export function toTrackerError(error: unknown, doing: string): Error {
  if (error instanceof TrackerError) return error;
  if (!isHttpFailure(error)) {
    // Not an HTTP answer at all: a network failure or a timeout before Octokit wrapped it.
    const message = error instanceof Error ? error.message : String(error);
    return new TrackerError('TEMPORARY', `GitHub ${doing}: ${message}`);
  }
  const { status } = error;
  const headers = error.response?.headers ?? {};
  const message = `GitHub ${doing}: ${status} ${error.message}`;
  if (status === 401) return new TrackerError('UNAUTHORIZED', message);
  if (status === 403 || status === 429) {
    const waitMs = rateLimitWaitMs(status, headers, error.message);
    if (waitMs !== null) return new TrackerError('RATE_LIMITED', message, waitMs);
    // The token works but may not do this: a configuration problem, not a transient one.
    return new TrackerError('UNAUTHORIZED', message);
  }
  if (status === 404 || status === 410) return new TrackerError('NOT_FOUND', message);
  // Octokit reports network failures and timeouts as status 500 without a response.
  if (status >= 500 || status === 408) return new TrackerError('TEMPORARY', message);
  return new Error(message);
}
