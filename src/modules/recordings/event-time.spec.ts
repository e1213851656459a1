import { MAX_EVENT_TIMESTAMP, timestampProblem } from './event-time';

describe('event timestamps', () => {
  it('takes whole milliseconds since 1970 up to 2100, as Date.now() writes them', () => {
    for (const t of [0, 1, 1_700_000_000_000, Date.now(), MAX_EVENT_TIMESTAMP])
      expect(timestampProblem(t)).toBeNull();
  });

  it('names what no clock wrote: huge, negative, fractional, not finite, not a number', () => {
    for (const t of [1e308, 8.64e15, -8.64e15, -1, 1.5, NaN, Infinity, MAX_EVENT_TIMESTAMP + 1])
      expect(timestampProblem(t)).toMatch(/whole number of milliseconds since 1970/);
    for (const t of ['1700000000000', null, undefined, {}])
      expect(timestampProblem(t)).toBe('must be a number of milliseconds since 1970');
  });
});
