import { jitteredBackoff } from './backoff';

describe('jittered backoff', () => {
  it('doubles each attempt, between half and all of the exponential delay', () => {
    expect([1, 2, 3, 4].map((n) => jitteredBackoff(n, 1_000, () => 0))).toEqual([
      500, 1_000, 2_000, 4_000,
    ]);
    expect([1, 2, 3, 4].map((n) => jitteredBackoff(n, 1_000, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
  });

  it('spreads retries that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => jitteredBackoff(5, 1_000)));
    expect(delays.size).toBeGreaterThan(40);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(8_000);
  });

  it('never waits more than 30 minutes', () => {
    expect(jitteredBackoff(40, 1_000, () => 1)).toBe(30 * 60_000);
  });
});
