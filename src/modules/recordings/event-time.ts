/** The latest event time taken: 2100-01-01. rrweb stamps events with Date.now(). */
export const MAX_EVENT_TIMESTAMP = Date.UTC(2100, 0, 1);

/**
 * Why an event's `timestamp` cannot be a moment of a recording, or null when it can: rrweb
 * writes whole milliseconds since 1970. Values such as 1e308 or -8.64e15 are valid JSON, but
 * no clock wrote them, and times and durations computed from them are meaningless.
 */
export function timestampProblem(timestamp: unknown): string | null {
  if (typeof timestamp !== 'number') return 'must be a number of milliseconds since 1970';
  if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp > MAX_EVENT_TIMESTAMP) {
    return `must be a whole number of milliseconds since 1970, from 0 to ${MAX_EVENT_TIMESTAMP} (2100-01-01)`;
  }
  return null;
}
