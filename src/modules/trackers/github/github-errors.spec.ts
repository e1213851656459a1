import { TrackerError } from '../tracker';
import { rateLimitWaitMs, toTrackerError } from './github-errors';

function httpError(status: number, message: string, headers: Record<string, string> = {}) {
  return Object.assign(new Error(message), { status, response: { headers, data: { message } } });
}

describe('GitHub errors', () => {
  const now = 1_700_000_000_000;

  it('reads retry-after seconds before the rate-limit reset', () => {
    expect(
      rateLimitWaitMs(403, { 'retry-after': '7', 'x-ratelimit-remaining': '0' }, '', now),
    ).toBe(7_000);
  });

  it('waits until x-ratelimit-reset when nothing remains', () => {
    const headers = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 90) };
    expect(rateLimitWaitMs(403, headers, 'API rate limit exceeded', now)).toBe(90_000);
  });

  it('waits a minute for a secondary rate limit that names no time', () => {
    expect(rateLimitWaitMs(403, {}, 'You have exceeded a secondary rate limit.', now)).toBe(60_000);
    expect(rateLimitWaitMs(429, {}, 'Too Many Requests', now)).toBe(60_000);
  });

  it('sees no rate limit in a plain 403', () => {
    expect(rateLimitWaitMs(403, { 'x-ratelimit-remaining': '4999' }, 'Forbidden', now)).toBeNull();
  });

  it.each([
    [401, 'Bad credentials', {}, 'UNAUTHORIZED'],
    [403, 'Resource not accessible by integration', {}, 'UNAUTHORIZED'],
    [403, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0' }, 'RATE_LIMITED'],
    [429, 'Too Many Requests', { 'retry-after': '1' }, 'RATE_LIMITED'],
    [404, 'Not Found', {}, 'NOT_FOUND'],
    [500, 'Internal Server Error', {}, 'TEMPORARY'],
    [502, 'Server Error', {}, 'TEMPORARY'],
  ] as const)('maps %i %s with headers %j to %s', (status, message, headers, code) => {
    const error = toTrackerError(httpError(status, message, headers), 'create issue');
    expect(error).toBeInstanceOf(TrackerError);
    expect((error as TrackerError).code).toBe(code);
    expect(error.message).toContain(message);
  });

  it('leaves a rejected request (422) as a plain error, not one of our codes', () => {
    const error = toTrackerError(httpError(422, 'Validation Failed'), 'create issue');
    expect(error).not.toBeInstanceOf(TrackerError);
    expect(error.message).toBe('GitHub create issue: 422 Validation Failed');
  });

  it('treats a failure without an HTTP status as TEMPORARY', () => {
    expect((toTrackerError(new TypeError('fetch failed'), 'x') as TrackerError).code).toBe(
      'TEMPORARY',
    );
  });
});
