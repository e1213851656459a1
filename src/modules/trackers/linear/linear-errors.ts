import {
  AuthenticationLinearError,
  BootstrapLinearError,
  ForbiddenLinearError,
  InternalLinearError,
  InvalidInputLinearError,
  LinearError,
  LockTimeoutLinearError,
  NetworkLinearError,
  RatelimitedLinearError,
} from '@linear/sdk';
import { TrackerError } from '../tracker';

/**
 * Turns what `@linear/sdk` throws into our codes. Errors Linear will repeat however often we
 * retry (invalid input, a feature the plan lacks) stay plain `Error`s, with the vendor error as
 * `cause`, because `TrackerErrorCode` has no code for a permanent refusal.
 */
export function toTrackerError(error: unknown, operation: string): Error {
  if (error instanceof TrackerError) return error;
  if (!(error instanceof LinearError)) {
    return new Error(`Linear ${operation} failed: ${String(error)}`, { cause: error });
  }
  const message = `Linear ${operation} failed: ${error.message}`;
  if (error instanceof RatelimitedLinearError) {
    return new TrackerError('RATE_LIMITED', message, retryAfterMs(error));
  }
  if (error instanceof AuthenticationLinearError || error instanceof ForbiddenLinearError) {
    return new TrackerError('UNAUTHORIZED', message);
  }
  if (
    error instanceof InternalLinearError ||
    error instanceof NetworkLinearError ||
    error instanceof LockTimeoutLinearError ||
    error instanceof BootstrapLinearError
  ) {
    return new TrackerError('TEMPORARY', message);
  }
  if (error instanceof InvalidInputLinearError && /entity not found/i.test(error.message)) {
    return new TrackerError('NOT_FOUND', message);
  }
  // No HTTP status: the request never got an answer (refused, reset, timed out).
  if (error.status === undefined || error.status >= 500) {
    return new TrackerError('TEMPORARY', message);
  }
  return new Error(message, { cause: error });
}

/** Retry-After (seconds) if sent, else when the exhausted rate-limit bucket resets (epoch ms). */
function retryAfterMs(error: RatelimitedLinearError): number | undefined {
  if (error.retryAfter !== undefined && Number.isFinite(error.retryAfter)) {
    return Math.max(0, error.retryAfter * 1000);
  }
  const buckets = [
    { remaining: error.requestsRemaining, resetAt: error.requestsResetAt },
    { remaining: error.complexityRemaining, resetAt: error.complexityResetAt },
  ].filter((b): b is { remaining: number | undefined; resetAt: number } =>
    Number.isFinite(b.resetAt),
  );
  const exhausted = buckets.filter((b) => b.remaining === 0);
  const resets = (exhausted.length > 0 ? exhausted : buckets).map((b) => b.resetAt);
  if (resets.length === 0) return undefined;
  // Waiting for the later reset is the safe side when we cannot tell which bucket ran out.
  return Math.max(0, Math.max(...resets) - Date.now());
}
