import { MAX_ATTEMPTS, nextAttemptAt, RETRY_DELAYS_MS } from './webhook-retry';

describe('webhook retry schedule', () => {
  const now = new Date('2026-12-08T00:00:00Z');

  it('retries for about a day, then gives up', () => {
    const total = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
    expect(total / 3_600_000).toBeGreaterThan(23);
    expect(total / 3_600_000).toBeLessThan(26);
    expect(nextAttemptAt(MAX_ATTEMPTS, now)).toBeNull();
  });

  it('waits about 30 s after the first failure, and longer after each one, within ±20 %', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect(nextAttemptAt(1, now, low)!.getTime() - now.getTime()).toBe(24_000);
    expect(nextAttemptAt(1, now, high)!.getTime() - now.getTime()).toBeLessThanOrEqual(36_000);
    const waits = RETRY_DELAYS_MS.map((_, i) => nextAttemptAt(i + 1, now, () => 0.5)!.getTime());
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
  });
});
