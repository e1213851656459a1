/** The backoff type pipeline jobs use; the worker's backoffStrategy implements it. */
export const JITTERED_BACKOFF = 'jittered-exponential';
const MAX_DELAY_MS = 30 * 60_000;

/**
 * Exponential backoff with "equal jitter": half the exponential delay, plus a random share of
 * the other half, so retries from many reports that failed together do not arrive together.
 */
export function jitteredBackoff(
  attemptsMade: number,
  baseMs: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(baseMs * 2 ** Math.max(0, attemptsMade - 1), MAX_DELAY_MS);
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
