/** Waits after each failed attempt: about a day in all (24 h 42 min), then the delivery fails. */
export const RETRY_DELAYS_MS = [
  30_000,
  2 * 60_000,
  10 * 60_000,
  30 * 60_000,
  3_600_000,
  2 * 3_600_000,
  4 * 3_600_000,
  8 * 3_600_000,
  8 * 3_600_000,
] as const;

/** Attempts a delivery gets: the first and one per delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** An endpoint failing every attempt for this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 24 * 3_600_000;

/**
 * When to try again after `attempts` failed attempts, or null when the delivery has had them all.
 * ±20 % jitter, so deliveries failed together by one outage do not come back together.
 */
export function nextAttemptAt(attempts: number, now: Date, random = Math.random): Date | null {
  if (attempts >= MAX_ATTEMPTS) return null;
  const base = RETRY_DELAYS_MS[Math.max(0, attempts - 1)];
  const jitter = 1 + (random() * 2 - 1) * 0.2;
  return new Date(now.getTime() + Math.round(base * jitter));
}
